"""Optimizers for the trainer: the registry's optax transforms, and our K-FAC.

Every optimizer is turned into a ``Stepper``: ``init(params) -> state`` and
``step(params, state, x, y, key) -> (params, state, loss, accuracy)``, pure
and jit-able, so the training loop treats K-FAC (which needs the batch, not
just the gradient) like any optax optimizer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import optax

from optviz.errors import UnknownNameError
from optviz.trainer.kfac import KFAC
from optviz.trainer.model import ModelConfig, accuracy, cross_entropy, forward

# Learning rates that train the CNN well (the toy-landscape defaults of the
# registry are tuned for 2-D surfaces, not for a network).
TRAIN_LR = {
    "sgd": 0.1,
    "momentum": 0.02,
    "nag": 0.02,
    "adagrad": 0.03,
    "adadelta": 1.0,
    "rmsprop": 1e-3,
    "adam": 3e-3,
    "adamw": 3e-3,
    "nadam": 3e-3,
    "amsgrad": 3e-3,
    "lion": 3e-4,
    "kfac": 0.02,
}

_FALLBACK = {
    "sgd": lambda learning_rate: optax.sgd(learning_rate),
    "momentum": lambda learning_rate, momentum=0.9: optax.sgd(learning_rate, momentum),
    "nag": lambda learning_rate, momentum=0.9: optax.sgd(learning_rate, momentum, nesterov=True),
    "adagrad": optax.adagrad,
    "adadelta": optax.adadelta,
    "rmsprop": optax.rmsprop,
    "adam": optax.adam,
    "adamw": optax.adamw,
    "nadam": optax.nadam,
    "amsgrad": optax.amsgrad,
    "lion": optax.lion,
}


def _make_optimizer(name: str, hparams: dict) -> optax.GradientTransformation:
    """The registry's optimizer; a stand-in table of optax aliases until it lands."""
    try:
        from optviz.optimizers import get
    except ImportError:
        get = None
    if get is not None:
        return get(name, **hparams)
    hparams = dict(hparams)
    if "lr" in hparams:
        hparams["learning_rate"] = hparams.pop("lr")
    if name.startswith("optax:"):
        factory = getattr(optax, name.removeprefix("optax:"), None)
        if factory is None:
            raise UnknownNameError("optax optimizer", name.removeprefix("optax:"), dir(optax))
        return factory(**hparams)
    if name not in _FALLBACK:
        raise UnknownNameError("optimizer", name, [*_FALLBACK, "kfac"])
    return _FALLBACK[name](**hparams)


def optimizer_names() -> list[str]:
    """Names the trainer accepts (the registry's when present)."""
    try:
        from optviz.optimizers import names
    except ImportError:
        return [*_FALLBACK, "kfac"]
    return list(names())


def check_name(name: str) -> None:
    if name == "kfac" or name.startswith("optax:"):
        return
    known = optimizer_names()
    if name not in known:
        raise UnknownNameError("optimizer", name, known)


@dataclass(frozen=True)
class Stepper:
    name: str
    init: Callable[[Any], Any]
    step: Callable[..., tuple]


def make_stepper(
    name: str,
    cfg: ModelConfig,
    hparams: dict | None = None,
    *,
    weight_decay: float = 0.0,
    clip: float | None = None,
) -> Stepper:
    """A Stepper for ``name`` with hyperparameters in optax's names (``lr`` allowed)."""
    hparams = dict(hparams or {})
    if "lr" in hparams:
        hparams["learning_rate"] = hparams.pop("lr")
    check_name(name)
    if name in TRAIN_LR:
        hparams.setdefault("learning_rate", TRAIN_LR[name])
    if name == "kfac":
        kfac = KFAC(cfg, weight_decay=weight_decay, clip=clip, **hparams)
        return Stepper(name, kfac.init, kfac.step)

    parts = []
    if clip is not None:
        parts.append(optax.clip_by_global_norm(clip))
    if weight_decay:
        parts.append(optax.add_decayed_weights(weight_decay))
    parts.append(_make_optimizer(name, hparams))
    tx = optax.chain(*parts) if len(parts) > 1 else parts[0]

    def loss_fn(params, x, y, key):
        logits, _ = forward(params, x, cfg, key=key if cfg.dropout > 0 else None)
        return cross_entropy(logits, y), accuracy(logits, y)

    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

    def step(params, state, x, y, key):
        (loss, acc), grads = grad_fn(params, x, y, key)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss, acc

    return Stepper(name, tx.init, step)
