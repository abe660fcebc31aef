"""The optimizer registry: names -> optax transformations, with display metadata.

>>> from optviz import optimizers
>>> optimizers.names()[:3]
['sgd', 'momentum', 'nag']
>>> tx = optimizers.get("adam", lr=0.01)          # an optax GradientTransformation
>>> optimizers.spec("adam").color, optimizers.spec("adam").formula  # doctest: +SKIP

Any optax alias is reachable as ``optax:NAME`` (e.g. ``optax:adabelief``) with
keyword hyperparameters in optax's own names; ``lr`` aliases ``learning_rate``;
any `torch.optim` class as ``torch:NAME`` (the ``torch`` extra). Objects (an optax
transformation or factory, a PyTorch optimizer class or factory) join a line-up
through `adopt` (see `custom`).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from typing import Any

import optax

from optviz.errors import OptvizError, UnknownNameError
from optviz.optimizers.custom import CUSTOM, Named, adopt, optimizer, serial
from optviz.optimizers.kfac import kfac
from optviz.optimizers.registry import (
    EXPLORE_DEFAULT,
    REGISTRY,
    SPARE_COLORS,
    SPARE_MARKER,
    TRAIN_DEFAULT,
)
from optviz.optimizers.spec import ALIASES, OptimizerSpec

__all__ = [
    "ALIASES",
    "EXPLORE_DEFAULT",
    "OPTAX_DISPLAY",
    "REGISTRY",
    "TRAIN_DEFAULT",
    "Named",
    "OptimizerSpec",
    "adopt",
    "display_name",
    "get",
    "kfac",
    "names",
    "optax_names",
    "optimizer",
    "serial",
    "spec",
]

OPTAX_PREFIX = "optax:"
TORCH_PREFIX = "torch:"  # torch.optim classes, stepped on the host (optimizers/pytorch.py)
# How the papers and optax's docs spell optax's aliases; `display_name` uses these
# for whole names and for the words of longer ones (noisy_sgd -> "Noisy SGD").
OPTAX_DISPLAY = {
    "adabelief": "AdaBelief", "adadelta": "Adadelta", "adafactor": "Adafactor",
    "adagrad": "Adagrad", "adam": "Adam", "adamax": "Adamax", "adamaxw": "AdamaxW",
    "adamw": "AdamW", "adan": "Adan", "amsgrad": "AMSGrad", "fromage": "Fromage",
    "lamb": "LAMB", "lars": "LARS", "lbfgs": "L-BFGS", "lion": "Lion",
    "novograd": "NovoGrad", "radam": "RAdam", "rmsprop": "RMSProp", "rprop": "Rprop",
    "sgd": "SGD", "sign_sgd": "signSGD", "signum": "Signum", "sm3": "SM3", "yogi": "Yogi",
}  # fmt: skip
# The generic learning rate for `optax:NAME` entries, which the registry has not tuned.
OPTAX_DEFAULT_LR = 1e-2


def names() -> list[str]:
    """The registered optimizer names, in registry order."""
    return list(REGISTRY)


@functools.cache
def optax_names() -> tuple[str, ...]:
    """optax's public optimizer aliases: functions taking a `learning_rate`."""
    found = []
    for name in dir(optax):
        obj = getattr(optax, name)
        if name.startswith("_") or not inspect.isfunction(obj):
            continue
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins without signatures
            continue
        if "learning_rate" in params:
            found.append(name)
    return tuple(sorted(found))


def spec(name: str) -> OptimizerSpec:
    """The registry entry for `name` (or a generated one for ``optax:NAME``)."""
    if not isinstance(name, str):
        raise OptvizError(f"an optimizer is a name (see optviz list), got {name!r}")
    if name in REGISTRY:
        return REGISTRY[name]
    if name.startswith(OPTAX_PREFIX):
        return _optax_spec(name[len(OPTAX_PREFIX) :])
    if name.startswith(TORCH_PREFIX):
        from optviz.optimizers import pytorch

        return pytorch.named_spec(name[len(TORCH_PREFIX) :])
    if name in CUSTOM:
        return CUSTOM[name][1]
    known = names() + [OPTAX_PREFIX + n for n in optax_names()] + list(CUSTOM)
    raise UnknownNameError("optimizer", name, known)


def get(name: str, *, surface: Any = None, **hparams: Any) -> optax.GradientTransformation:
    """An optax transformation for `name`, with registry defaults for `surface`.

    `surface` may be a `Surface` or a surface name; it selects the per-surface
    default hyperparameters, and gives K-FAC its loss and residual functions.
    """
    entry = spec(name)
    surface_name = getattr(surface, "name", surface)
    hp = entry.resolve(surface_name, **hparams)
    if entry.uses_surface and surface is not None and not isinstance(surface, str):
        hp.update(loss_fn=surface.fn, residual_fn=surface.residuals)
    return entry.make(**hp)


def display_name(alias: str) -> str:
    """A legend name for an optax alias: its usual spelling where known (AdaBelief),
    else its words in sentence case with known names kept (Optimistic Adam v2)."""
    if alias in OPTAX_DISPLAY:
        return OPTAX_DISPLAY[alias]
    words = [OPTAX_DISPLAY.get(w, w) for w in alias.split("_") if w]
    if not words:
        return alias
    if words[0] == words[0].lower():
        words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


@functools.cache
def _optax_spec(alias: str) -> OptimizerSpec:
    if alias not in optax_names():
        raise UnknownNameError("optax optimizer", alias, optax_names())
    factory = getattr(optax, alias)
    _check_gradient_only(alias, factory)
    digest = hashlib.sha256(alias.encode()).digest()[0]
    light, dark = SPARE_COLORS[digest % len(SPARE_COLORS)]
    return OptimizerSpec(
        name=OPTAX_PREFIX + alias,
        display=display_name(alias),
        color=light,
        dark_color=dark,
        marker=SPARE_MARKER,
        formula=f"optax.{alias} (see the optax documentation)",
        factory=factory,
        defaults={"learning_rate": OPTAX_DEFAULT_LR},
        source=f"optax defaults, learning rate {OPTAX_DEFAULT_LR} (not tuned by optviz)",
    )


def _check_gradient_only(alias: str, factory) -> None:
    """Refuse an optax optimizer whose update needs more than gradients and parameters
    (a line search asks for the loss function itself: `optax.lbfgs`)."""
    import jax
    import jax.numpy as jnp

    def one_step():
        params = jnp.zeros(2)
        tx = factory(learning_rate=OPTAX_DEFAULT_LR)
        return tx.update(params, tx.init(params), params)

    try:
        jax.eval_shape(one_step)
    except Exception as err:  # any failure: it cannot be stepped from gradients alone
        raise OptvizError(
            f"optax:{alias} cannot run here: its update needs more than the gradient "
            f"({type(err).__name__}: {str(err).splitlines()[0][:120]})"
        ) from None
