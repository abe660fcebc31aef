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

from optviz import optimizers
from optviz.errors import OptvizError
from optviz.trainer.kfac import KFAC
from optviz.trainer.model import ModelConfig, accuracy, cross_entropy, forward


def check_name(name: str) -> None:
    """Raise an `OptvizError` unless the trainer can train with optimizer `name`."""
    entry = optimizers.spec(name)  # unknown names: close matches
    if entry.train_lr is None and not name.startswith(optimizers.OPTAX_PREFIX):
        raise OptvizError(f"optimizer {name!r} cannot train the CNN")


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
    train_lr = optimizers.spec(name).train_lr
    if train_lr is not None:
        hparams.setdefault("learning_rate", train_lr)
    if name == "kfac":
        kfac = KFAC(cfg, weight_decay=weight_decay, clip=clip, **hparams)
        return Stepper(name, kfac.init, kfac.step)

    parts = []
    if clip is not None:
        parts.append(optax.clip_by_global_norm(clip))
    if weight_decay:
        parts.append(optax.add_decayed_weights(weight_decay))
    parts.append(optimizers.get(name, **hparams))
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
