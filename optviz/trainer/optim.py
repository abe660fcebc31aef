"""Optimizers for the trainer: the registry's optax transforms and our K-FAC, on one path.

Every optimizer is an optax transformation behind the trainer's weight decay
and clipping, ``chain(add_decayed_weights(wd), clip_by_global_norm(c), tx)``
(the decay is an L2 penalty, so the clip sees the penalised gradient), turned
into a ``Stepper``: ``init(params) -> state`` and
``step(params, state, x, y, key) -> (params, state, loss, accuracy)``, pure
and jit-able. The state is a `TrainState`: the optimizer's, and the model's
own (batch norm's running statistics, updated by each training step).
The only difference K-FAC makes is its gradient function, which
also measures the batch's Kronecker factors and hands them to the chain as
the extra argument ``kfac_factors``.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import optax

from optviz import optimizers
from optviz.errors import OptvizError
from optviz.optimizers.spec import canonical as canonical_hparams
from optviz.trainer.kfac import check_fisher, kfac, kfac_gradients
from optviz.trainer.model import ModelConfig, accuracy, apply, cross_entropy, init_state

KFAC = "kfac"  # the registry's name; in the trainer it is the per-layer method of kfac.py
KFAC_EXTRA = ("fisher",)  # K-FAC hyperparameters of its gradient function, not of the chain


def check_name(name: str) -> None:
    """Raise an `OptvizError` unless the trainer can train with optimizer `name`."""
    entry = optimizers.spec(name)  # unknown names: close matches
    if entry.host is not None:
        raise OptvizError(
            f"optimizer {name!r} is a PyTorch optimizer: it races on the 2-D surfaces, "
            "the trainer takes optax optimizers"
        )
    custom = name.startswith(optimizers.OPTAX_PREFIX) or name in optimizers.CUSTOM
    if entry.train_lr is None and not custom:
        raise OptvizError(f"optimizer {name!r} cannot train the CNN")


def trainable_names() -> list[str]:
    """The registry's optimizers that can train the CNN, in registry order."""
    return [n for n in optimizers.names() if optimizers.spec(n).train_lr is not None]


def hyperparameters(name: str) -> tuple[str, ...]:
    """The hyperparameters optimizer `name` takes in the trainer (optax's names)."""
    if name == KFAC:
        return (*inspect.signature(kfac).parameters, *KFAC_EXTRA)
    return optimizers.spec(name).hyperparameters


def resolve_hparams(name: str, hparams: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check `name` and its hyperparameters; fill in the registry's training learning rate."""
    check_name(name)
    entry = optimizers.spec(name)
    valid = hyperparameters(name)
    if hparams is not None and not isinstance(hparams, Mapping):
        raise OptvizError(f"{name}: hyperparameters must be a mapping, not {hparams!r}")
    out: dict[str, Any] = {}
    for key, value in (hparams or {}).items():
        canonical = optimizers.ALIASES.get(key, key)
        if canonical not in valid:
            close = difflib.get_close_matches(str(key), valid, n=3, cutoff=0.6)
            hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
            raise OptvizError(
                f"{name} has no hyperparameter {key!r} in the trainer; {hint}"
                f"it takes: {', '.join(valid)}"
            )
        if canonical in out:
            raise OptvizError(f"{name}: {key!r} given twice (lr is learning_rate)")
        if name != KFAC and canonical in entry.hyperparameters:  # a finite number, a flag...
            value = canonical_hparams(entry, {canonical: value})[canonical]
        out[canonical] = value
    train_lr = optimizers.spec(name).train_lr
    if train_lr is not None:
        out.setdefault("learning_rate", train_lr)
    if name == KFAC:  # bad values fail here, with one line
        kfac(**_chain_part(out))
        check_fisher(out.get("fisher", "true"))
    return out


def _chain_part(hp: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hp.items() if k not in KFAC_EXTRA}


def transform(
    name: str,
    hparams: Mapping[str, Any] | None = None,
    *,
    weight_decay: float = 0.0,
    clip: float | None = None,
) -> optax.GradientTransformationExtraArgs:
    """The trainer's optax chain for `name`: weight decay, then clipping, then the optimizer.

    K-FAC's ``update`` takes the batch's factors as ``kfac_factors=``; the
    other optimizers ignore extra arguments.
    """
    hp = resolve_hparams(name, hparams)
    core = kfac(**_chain_part(hp)) if name == KFAC else optimizers.get(name, **hp)
    parts = []
    if weight_decay:
        parts.append(optax.add_decayed_weights(weight_decay))
    if clip is not None:
        parts.append(optax.clip_by_global_norm(clip))
    return optax.chain(*parts, core)


def gradient_fn(name: str, cfg: ModelConfig, hparams: Mapping[str, Any] | None = None) -> Callable:
    """``(params, x, y, key, model_state=None) -> ((loss, accuracy), gradient, extra)``.

    ``extra`` holds the extra arguments for the chain, and ``model_state``: the
    model's state after this training-mode pass (batch norm's statistics).
    """
    if name == KFAC:
        return kfac_gradients(cfg, resolve_hparams(name, hparams).get("fisher", "true"))

    def loss_fn(params, x, y, key, model_state):
        logits, _, new_state = apply(
            params, x, cfg, key=key if cfg.dropout > 0 else None, state=model_state, train=True
        )
        return cross_entropy(logits, y), (accuracy(logits, y), new_state)

    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

    def gradients(params, x, y, key, model_state=None):
        (loss, (acc, new_state)), grads = grad_fn(params, x, y, key, model_state)
        return (loss, acc), grads, {"model_state": new_state}

    return gradients


class TrainState(NamedTuple):
    """What a training step carries besides the weights."""

    opt: Any  # the optax chain's state
    model: dict  # the model's state: batch norm's running statistics ({} without)


@dataclass(frozen=True)
class Stepper:
    name: str
    init: Callable[[Any], Any]
    step: Callable[..., tuple]


def make_stepper(
    name: str,
    cfg: ModelConfig,
    hparams: Mapping[str, Any] | None = None,
    *,
    weight_decay: float = 0.0,
    clip: float | None = None,
) -> Stepper:
    """The one place that builds an optimizer for the trainer (hyperparameters in optax's names).

    Equal arguments give the same Stepper object, so the jit-compiled training
    code built on it is reused instead of compiled again.
    """
    hp = resolve_hparams(name, hparams)
    # the serial: a name given a new optimizer object builds a new Stepper
    key = (name, cfg, tuple(sorted(hp.items())), float(weight_decay), clip, optimizers.serial(name))
    try:
        hash(key)
    except TypeError:  # e.g. an array-valued hyperparameter: build a fresh one
        return _build(*key)
    return _cached_build(*key)


def _build(
    name: str, cfg: ModelConfig, hp: tuple, weight_decay: float, clip, serial: int = 0
) -> Stepper:
    tx = transform(name, dict(hp), weight_decay=weight_decay, clip=clip)
    gradients = gradient_fn(name, cfg, dict(hp))

    def init(params):
        return TrainState(tx.init(params), init_state(cfg))

    def step(params, state, x, y, key):
        (loss, acc), grads, extra = gradients(params, x, y, key, state.model)
        extra = dict(extra)
        model = extra.pop("model_state")
        updates, opt = tx.update(grads, state.opt, params, **extra)
        return optax.apply_updates(params, updates), TrainState(opt, model), loss, acc

    return Stepper(name, init, step)


_cached_build = functools.lru_cache(maxsize=64)(_build)
