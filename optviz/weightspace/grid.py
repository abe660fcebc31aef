"""The training loss at many weight vectors at once: the grid over a plane, and paths.

One jit-compiled program evaluates the mean softmax cross-entropy of the network
(`optviz.trainer.model.forward`, no dropout) over the whole training set for a
block of weight vectors: `vmap` over the vectors, `lax.scan` over chunks of
DATA_CHUNK examples (the last padded, masked out). A batch-normalised network is
evaluated in training mode: each chunk normalised by its own examples' statistics
(the padding left out), so the loss is a function of the weights alone; running
statistics belong to one trained network and mean nothing elsewhere on a plane.
The block is spread over every JAX device with `jax.sharding`: a one-axis mesh
over the weight vectors, the data replicated. Each device always gets
POINTS_PER_DEVICE vectors per call (the last call padded), so every device runs
the same program on any number of devices and the numbers do not depend on the
device count.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.flatten_util import ravel_pytree
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from optviz import interrupt, limits
from optviz.errors import OptvizError
from optviz.trainer.model import ModelConfig, forward, init_params

DATA_CHUNK = 128  # examples per step of the scan over the training set
POINTS_PER_DEVICE = 8  # weight vectors per device per call
MAX_GRID = 401  # a side; far beyond what a picture shows (a 41 x 41 grid is the default)


def check_grid(grid: int) -> int:
    """A grid side from 3 to MAX_GRID whose evaluation and picture fit the memory budget."""
    if isinstance(grid, bool) or not isinstance(grid, int | np.integer):
        raise OptvizError(f"grid must be a whole number, not {grid!r}")
    grid = int(grid)
    if grid < 3:
        raise OptvizError(f"grid must be at least 3 points a side, not {grid}")
    if grid > MAX_GRID:
        raise OptvizError(f"grid {grid} is too large: the limit is {MAX_GRID} points a side")
    # the loss grid and its coordinates in float64, three copies while drawing
    need = 3 * 3 * 8 * grid * grid
    if need > limits.budget():
        raise OptvizError(
            f"grid {grid} needs {need / 2**30:.1f} GiB; the limit here is "
            f"{limits.budget() / 2**30:.1f} GiB (half of the memory available)"
        )
    return grid


def unraveler(cfg: ModelConfig) -> Callable[[jax.Array], dict]:
    """Flat weight vector -> the network's weight dict (`ravel_pytree`'s order)."""
    return ravel_pytree(init_params(jax.random.PRNGKey(0), cfg))[1]


@functools.lru_cache(maxsize=8)
def _program(cfg: ModelConfig, devices: tuple) -> Callable:
    """losses(weights (P, D), xs, ys, mask) -> (P,) summed losses: jitted, sharded over the
    points axis of a mesh of `devices` (one compile per network shape and device set)."""
    cfg = cfg.replace(dropout=0.0)
    unravel = unraveler(cfg)
    m = Mesh(np.asarray(devices), ("points",))
    spread, whole = NamedSharding(m, P("points")), NamedSharding(m, P())

    def point_loss(w, xs, ys, mask):
        params = unravel(w)

        def body(total, batch):
            x, y, keep = batch
            logits, _ = forward(params, x, cfg, mask=keep)  # batch norm: the chunk's own
            nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1)[:, 0]
            return total + jnp.sum(nll * keep), None

        total, _ = lax.scan(body, jnp.float32(0.0), (xs, ys, mask))
        return total

    def losses(weights, xs, ys, mask):
        return jax.vmap(point_loss, in_axes=(0, None, None, None))(weights, xs, ys, mask)

    return jax.jit(losses, in_shardings=(spread, whole, whole, whole), out_shardings=spread)


class LossEvaluator:
    """Mean training loss at weight vectors (`at`) or at points of a plane (`on_plane`).

    progress(done, total) is called after each block of weight vectors.
    """

    def __init__(self, cfg: ModelConfig, x: np.ndarray, y: np.ndarray):
        devices = tuple(jax.devices())
        self.n_devices = len(devices)
        self.program = _program(cfg, devices)
        n = len(x)
        k = -(-n // DATA_CHUNK)
        pad = k * DATA_CHUNK - n
        xs = np.concatenate([x, np.zeros((pad, *x.shape[1:]), x.dtype)])
        ys = np.concatenate([y, np.zeros(pad, y.dtype)])
        mask = np.concatenate([np.ones(n, np.float32), np.zeros(pad, np.float32)])
        self.n = n
        self.data = (
            jnp.asarray(xs.reshape(k, DATA_CHUNK, *x.shape[1:])),
            jnp.asarray(ys.reshape(k, DATA_CHUNK)),
            jnp.asarray(mask.reshape(k, DATA_CHUNK)),
        )
        self.block = POINTS_PER_DEVICE * self.n_devices

    def at(self, weights: np.ndarray, progress=None) -> np.ndarray:
        """(P, D) weights -> (P,) mean training loss (float64 of float32 sums)."""
        return self._run(len(weights), lambda lo, hi: weights[lo:hi], progress)

    def on_plane(self, coords: np.ndarray, origin, axes, progress=None) -> np.ndarray:
        """(P, 2) coordinates of a plane (origin (D,), axes (2, D)) -> (P,) mean loss; each
        block's weights ``origin + coords @ axes`` made in float64, then rounded."""
        coords = np.asarray(coords, dtype=np.float64)
        return self._run(len(coords), lambda lo, hi: origin + coords[lo:hi] @ axes, progress)

    def _run(self, total: int, rows, progress) -> np.ndarray:
        out = np.empty(total, np.float64)
        for lo in range(0, total, self.block):
            part = np.asarray(rows(lo, min(lo + self.block, total)), dtype=np.float32)
            padded = np.zeros((self.block, part.shape[1]), np.float32)
            padded[: len(part)] = part
            sums = np.asarray(self.program(padded, *self.data), dtype=np.float64)
            out[lo : lo + len(part)] = sums[: len(part)] / self.n
            interrupt.check()
            if progress is not None:
                progress(min(lo + self.block, total), total)
        return out


def grid_axes(box: tuple[tuple[float, float], tuple[float, float]], grid: int):
    """The grid's alphas and betas: `grid` evenly spaced values across each side of `box`."""
    (a0, a1), (b0, b1) = box
    return np.linspace(a0, a1, grid), np.linspace(b0, b1, grid)


def loss_grid(evaluator: LossEvaluator, plane, alphas, betas, progress=None) -> np.ndarray:
    """loss[j, i] = training loss at origin + alphas[i] * axis 1 + betas[j] * axis 2
    (rows are betas, as `np.meshgrid` and contour plots want)."""
    A, B = np.meshgrid(alphas, betas)
    coords = np.column_stack([A.ravel(), B.ravel()])
    values = evaluator.on_plane(coords, plane.origin, plane.axes, progress)
    return values.reshape(A.shape)
