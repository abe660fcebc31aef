"""Recorded weights: the trainer run once per optimizer, the flattened weights kept every k steps.

Every optimizer starts from the same initialisation and sees the same batches (the
trainer's own `fit`); `fit`'s snapshot hook hands over the weights after each chunk
of `keep_every` steps, flattened here to one float32 vector (the order of
`jax.flatten_util.ravel_pytree`, which `unravel` inverts).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np
from jax.flatten_util import ravel_pytree

from optviz import limits
from optviz.errors import OptvizError
from optviz.trainer.data import Dataset
from optviz.trainer.model import ModelConfig, init_params
from optviz.trainer.result import TrainResult

SNAPSHOTS = 100  # about this many recorded points per path by default


@dataclass
class Recording:
    """Each optimizer's recorded weights.

    steps[name]: (n,) training step of each snapshot (0 = the shared start);
    weights[name]: (n, D) float32 flattened weights at those steps.
    """

    names: list[str]
    steps: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]
    result: TrainResult
    unravel: Callable[[jax.Array], dict]

    @property
    def start(self) -> np.ndarray:
        return self.weights[self.names[0]][0]

    def final(self, name: str) -> np.ndarray:
        return self.weights[name][-1]


def n_params(cfg: ModelConfig) -> int:
    """The number of weights of the network (without building it)."""
    shapes = jax.eval_shape(lambda k: init_params(k, cfg), jax.random.PRNGKey(0))
    return sum(math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(shapes))


def keep_every_for(total_steps: int) -> int:
    """Record every k steps so that a path has about SNAPSHOTS points."""
    return max(1, math.ceil(total_steps / SNAPSHOTS))


def snapshots_per_path(epochs: int, steps_per_epoch: int, keep_every: int) -> int:
    """How many snapshots `fit` hands over per optimizer: the start, then one per chunk
    (chunks end at each epoch's end, so a short last chunk adds one per epoch)."""
    chunk = max(1, min(keep_every, steps_per_epoch))
    return 1 + epochs * math.ceil(steps_per_epoch / chunk)


def check_memory(n_opt: int, n_snapshots: int, n_weights: int) -> int:
    """Bytes the recorded weights take (float32), plus a float64 copy of one path for the
    plane's arithmetic; an `OptvizError` if that is beyond the memory budget."""
    need = (4 * n_opt + 8) * n_snapshots * n_weights
    if need > limits.budget():
        raise OptvizError(
            f"recording {n_opt} path(s) of {n_snapshots:,} snapshots of {n_weights:,} weights "
            f"needs {need / 2**30:.1f} GiB; the limit here is {limits.budget() / 2**30:.1f} GiB "
            "(half of the memory available): record less often (keep_every) or train less"
        )
    return need


def record(
    data: Dataset,
    names: list[str],
    cfg: ModelConfig,
    *,
    keep_every: int,
    callback: Callable[[dict], None] | None = None,
    **fit_options,
) -> Recording:
    """Train every optimizer (`optviz.trainer.loop.fit`) and keep its weights every
    `keep_every` steps."""
    from optviz.trainer.loop import fit

    steps: dict[str, list[int]] = {n: [] for n in names}
    kept: dict[str, list[np.ndarray]] = {n: [] for n in names}
    unravel = []

    def snapshot(name: str, step: int, params: dict) -> None:
        flat, back = ravel_pytree(params)
        if not unravel:
            unravel.append(back)
        steps[name].append(step)
        kept[name].append(np.asarray(flat, dtype=np.float32))

    result = fit(
        data, names, cfg, log_every=keep_every, snapshot=snapshot, callback=callback,
        **fit_options,
    )  # fmt: skip
    if result.interrupted:
        raise KeyboardInterrupt
    return Recording(
        list(names),
        {n: np.asarray(s, dtype=np.int64) for n, s in steps.items()},
        {n: np.stack(w) for n, w in kept.items()},
        result,
        unravel[0],
    )
