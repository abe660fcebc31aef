"""The training loop: every optimizer from the same start, on the same batches.

Steps run in jit-compiled ``lax.scan`` chunks of ``log_every`` steps (one
compile per optimizer setup, reused by later runs; one host sync per chunk).
Optimizers take turns epoch by epoch, so an interrupted run (Ctrl-C) has
comparable curves for all.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from optviz import interrupt
from optviz.trainer.augment import augment as augment_images
from optviz.trainer.data import Dataset, epoch_batches
from optviz.trainer.model import ModelConfig, forward, init_params
from optviz.trainer.optim import Stepper, make_stepper
from optviz.trainer.result import Curves, MetricsLog, TrainResult

EVAL_BATCH = 500  # examples per evaluation call


@functools.lru_cache(maxsize=32)
def _chunk_runner(stepper: Stepper, augment: bool):
    """A jitted ``run(params, state, x_all, y_all, idx, t, active, drop_key, aug_key)``.

    Runs a chunk of steps: ``idx`` (K, B) picks each step's batch from the
    training set, ``t`` (K,) numbers the steps (dropout and augmentation keys
    fold it in) and ``active`` (K,) switches off the padding steps of a short
    last chunk. One per (stepper, augment), so a second run of the same
    optimizer reuses the compiled program.
    """

    def run(params, state, x_all, y_all, idx, t, active, drop_key, aug_key):
        def train_step(args, inp):
            params, state = args
            idx, t = inp
            x = x_all[idx]
            if augment:
                x = augment_images(jax.random.fold_in(aug_key, t), x)
            return stepper.step(params, state, x, y_all[idx], jax.random.fold_in(drop_key, t))

        def skip(args, inp):
            return (*args, jnp.float32(0.0), jnp.float32(0.0))

        def body(carry, inp):
            idx, t, on = inp
            params, state, loss, acc = lax.cond(on, train_step, skip, carry, (idx, t))
            return (params, state), (loss, acc)

        (params, state), (loss, acc) = lax.scan(body, (params, state), (idx, t, active))
        return params, state, loss, acc

    return jax.jit(run)


@functools.lru_cache(maxsize=8)
def _eval_batch(cfg: ModelConfig):
    """Jitted sums of the log-loss and the hits over one padded batch of EVAL_BATCH examples."""

    @jax.jit
    def sums(params, model_state, x, y, mask):
        logits, _ = forward(params, x, cfg, state=model_state)  # batch norm: running statistics
        nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1)[:, 0]
        hit = jnp.argmax(logits, axis=1) == y
        return jnp.sum(nll * mask), jnp.sum(hit * mask)

    return sums


def _batched(x: np.ndarray, y: np.ndarray) -> tuple[list[tuple], int]:
    """Whole batches of EVAL_BATCH on the device (the last padded, a mask marks the real
    examples), and the number of examples: every split and data set size shares one program."""
    n = len(x)
    k = -(-n // EVAL_BATCH)
    pad = k * EVAL_BATCH - n
    xs = np.concatenate([x, np.zeros((pad, *x.shape[1:]), x.dtype)])
    ys = np.concatenate([y, np.zeros(pad, y.dtype)])
    mask = np.concatenate([np.ones(n, np.float32), np.zeros(pad, np.float32)])
    parts = [
        (jnp.asarray(xs[i : i + EVAL_BATCH]), jnp.asarray(ys[i : i + EVAL_BATCH]),
         jnp.asarray(mask[i : i + EVAL_BATCH]))
        for i in range(0, k * EVAL_BATCH, EVAL_BATCH)
    ]  # fmt: skip
    return parts, n


def _evaluate(
    cfg: ModelConfig, params, batches: tuple[list[tuple], int], model_state: dict | None = None
) -> tuple[float, float]:
    """Mean log-loss and accuracy of ``params`` (and the model's state) over a `_batched` split."""
    sums = _eval_batch(cfg.replace(dropout=0.0))  # evaluation never drops out
    parts, n = batches
    totals = [sums(params, model_state or {}, *part) for part in parts]
    totals = np.asarray(totals, np.float64).sum(axis=0)
    return float(totals[0] / n), float(totals[1] / n)


def fit(
    data: Dataset,
    optimizers: list[str],
    cfg: ModelConfig,
    *,
    epochs: int = 10,
    batch_size: int = 32,
    seed: int = 0,
    hparams: dict[str, dict] | None = None,
    weight_decay: float = 0.0,
    clip: float | None = None,
    augment: bool = False,
    log_every: int = 10,
    log: MetricsLog | None = None,
    callback: Callable[[dict], None] | None = None,
    snapshot: Callable[[str, int, dict], None] | None = None,
) -> TrainResult:
    """Train one model per optimizer; returns the curves (partial if interrupted).

    snapshot(name, step, params): called with each optimizer's weights at step 0 and
    after every chunk of `log_every` steps (how `optviz landscape` records paths).
    """
    hparams = hparams or {}
    steppers = [
        make_stepper(n, cfg, hparams.get(n), weight_decay=weight_decay, clip=clip)
        for n in optimizers
    ]
    init_key, drop_key, aug_key = jax.random.split(jax.random.PRNGKey(seed), 3)
    params0 = init_params(init_key, cfg)
    params = {s.name: params0 for s in steppers}
    states = {s.name: s.init(params0) for s in steppers}
    runners = {s.name: _chunk_runner(s, augment) for s in steppers}
    x_all, y_all = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    train_eval = _batched(data.x_train, data.y_train)
    test_eval = _batched(data.x_test, data.y_test)
    n_train = len(data.x_train)
    steps_per_epoch = n_train // batch_size
    chunk = max(1, min(log_every, steps_per_epoch))
    curves = {s.name: Curves() for s in steppers}
    seconds = dict.fromkeys(curves, 0.0)
    rng = np.random.default_rng(seed)
    result = TrainResult(list(curves), curves, params, cfg, data.name, batch_size, steps_per_epoch)

    def emit(record: dict) -> None:
        if log is not None:
            log.write(record)
        if callback is not None:
            callback(record)

    def record_epoch(name: str, epoch: int) -> None:
        result.model_state[name] = states[name].model
        train_loss, train_acc = _evaluate(cfg, params[name], train_eval, states[name].model)
        test_loss, test_acc = _evaluate(cfg, params[name], test_eval, states[name].model)
        c = curves[name]
        c.epoch.append(epoch)
        c.step.append(epoch * steps_per_epoch)
        c.train_loss.append(train_loss)
        c.train_acc.append(train_acc)
        c.test_loss.append(test_loss)
        c.test_acc.append(test_acc)
        c.seconds.append(seconds[name])
        emit(
            {
                "kind": "epoch",
                "optimizer": name,
                "epoch": epoch,
                "step": epoch * steps_per_epoch,
                "train_loss": train_loss,
                "train_acc": train_acc,
                "test_loss": test_loss,
                "test_acc": test_acc,
                "seconds": round(seconds[name], 4),
            }
        )

    try:
        for name in curves:
            record_epoch(name, 0)
            if snapshot is not None:
                snapshot(name, 0, params[name])
        for epoch in range(1, epochs + 1):
            batches = epoch_batches(n_train, batch_size, rng)
            for name in curves:
                for start in range(0, steps_per_epoch, chunk):
                    idx = batches[start : start + chunk]
                    n_real = len(idx)
                    idx = np.concatenate([idx, np.zeros((chunk - n_real, batch_size), idx.dtype)])
                    first = (epoch - 1) * steps_per_epoch + start
                    t = np.arange(first, first + chunk, dtype=np.int32)
                    active = np.arange(chunk) < n_real
                    tic = time.perf_counter()
                    params[name], states[name], loss, acc = runners[name](
                        params[name], states[name], x_all, y_all, idx, t, active, drop_key, aug_key
                    )
                    loss = float(np.mean(np.asarray(loss)[:n_real]))
                    acc = float(np.mean(np.asarray(acc)[:n_real]))
                    seconds[name] += time.perf_counter() - tic
                    interrupt.check()  # a Ctrl-C swallowed inside JAX still stops here
                    if snapshot is not None:
                        snapshot(name, first + n_real, params[name])
                    curves[name].batch_step.append(first + n_real)
                    curves[name].batch_loss.append(loss)
                    emit(
                        {
                            "kind": "step",
                            "optimizer": name,
                            "epoch": epoch,
                            "step": first + n_real,
                            "steps": n_real,
                            "loss": loss,
                            "acc": acc,
                        }
                    )
                record_epoch(name, epoch)
    except KeyboardInterrupt:
        result.interrupted = True
    return result
