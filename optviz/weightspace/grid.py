"""The training loss at many weight vectors at once: the grid over a plane, and paths.

One jit-compiled program evaluates the mean softmax cross-entropy of the network
(the arithmetic of `optviz.trainer.model.forward`, no dropout) over the whole
training set for a block of weight vectors: the block's forward pass written out
with the points axis explicit (`blockforward`: pool-major layouts, the second
convolution as one row product a point), `lax.scan` over chunks of DATA_CHUNK
examples (the last padded, masked out). On a plane the first layer comes from
three shared maps per chunk (the weights are affine in the plane's coordinates).
Small chunks and blocks keep the working set in cache, which is what matters on
CPU: the bench (bench/bench_landscape.py) measured it, and how close this comes to
the machine's ceiling.
A batch-normalised network is evaluated in training mode: each chunk normalised by
its own examples' statistics (the padding left out), so the loss is a function of
the weights alone; running statistics belong to one trained network and mean
nothing elsewhere on a plane.

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
from optviz.weightspace.blockforward import block_conv1, block_nll, prepare, supports

DATA_CHUNK = 32  # examples per scan step: a block's activations stay in cache
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
def _program(cfg: ModelConfig, devices: tuple, plane: bool) -> Callable:
    """The jitted, sharded block program (one compile per network shape, device set and kind).

    plane=False: losses(weights (P, D), xs, ys, mask) -> (P,) summed losses.
    plane=True: losses(weights, coefs (P, 3), basis (3, D), xs, ys, mask), where each
    point's weights are ``coefs @ basis`` (basis = origin and the two axes, coefs =
    (1, alpha, beta)): the first layer is then made from three shared maps per chunk.
    The written-out forward pass is for the lecture's network (`blockforward.supports`);
    any other (deeper, normalised, with skips) runs `model.forward` vmapped.
    """
    cfg = cfg.replace(dropout=0.0)
    unravel = jax.vmap(unraveler(cfg))
    m = Mesh(np.asarray(devices), ("points",))
    spread, whole = NamedSharding(m, P("points")), NamedSharding(m, P())
    written_out = supports(cfg)

    def generic_nll(params, x, y, keep):
        logits, _ = forward(params, x, cfg, mask=keep)  # batch norm: the chunk's own
        nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1)[:, 0]
        return jnp.sum(jnp.where(keep > 0, nll, 0.0))

    def losses(weights, coefs, basis, xs, ys, mask):
        params = unravel(weights)
        first = unravel(basis)["conv1"] if plane else None
        ready = prepare(params, cfg) if written_out else params

        def body(total, batch):
            x, y, keep = batch
            if not written_out:  # any other network: `model.forward` vmapped over the points
                return total + jax.vmap(generic_nll, (0, None, None, None))(
                    params, x, y, keep
                ), None
            act = cfg.activation
            if plane:
                h1 = block_conv1(coefs, first["w"], first["b"], x, act)
            else:
                h1 = block_conv1(None, params["conv1"]["w"], params["conv1"]["b"], x, act)
            return total + block_nll(ready, h1, y, keep, act), None

        zero = jnp.zeros(weights.shape[0], jnp.float32)
        return lax.scan(body, zero, (xs, ys, mask))[0]

    if plane:
        shardings = (spread, spread, whole, whole, whole, whole)
        return jax.jit(losses, in_shardings=shardings, out_shardings=spread)
    program = jax.jit(
        lambda w, xs, ys, mask: losses(w, None, None, xs, ys, mask),
        in_shardings=(spread, whole, whole, whole),
        out_shardings=spread,
    )
    return program


class LossEvaluator:
    """Mean training loss at weight vectors (`at`) or at points of a plane (`on_plane`).

    progress(done, total) is called after each block of weight vectors.
    """

    def __init__(self, cfg: ModelConfig, x: np.ndarray, y: np.ndarray):
        devices = tuple(jax.devices())
        self.n_devices = len(devices)
        self.program = _program(cfg, devices, False)
        self.plane_program = _program(cfg, devices, True)
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

        def sums(lo, hi):
            return self.program(self._padded(weights[lo:hi]), *self.data)

        return self._run(len(weights), sums, progress)

    def on_plane(self, coords: np.ndarray, origin, axes, progress=None) -> np.ndarray:
        """(P, 2) coordinates of a plane (origin (D,), axes (2, D)) -> (P,) mean loss; each
        block's weights ``origin + coords @ axes`` made in float64, then rounded (the first
        layer from the plane's own maps: see `blockforward.block_conv1`)."""
        coords = np.asarray(coords, dtype=np.float64)
        basis = np.vstack([origin, axes]).astype(np.float32)
        ones = np.ones((len(coords), 1))

        def sums(lo, hi):
            weights = self._padded(origin + coords[lo:hi] @ axes)
            coefs = self._padded(np.hstack([ones[lo:hi], coords[lo:hi]]))
            return self.plane_program(weights, coefs, basis, *self.data)

        return self._run(len(coords), sums, progress)

    def _padded(self, rows: np.ndarray) -> np.ndarray:
        """A block's rows in float32, padded with zero rows to the block size."""
        out = np.zeros((self.block, rows.shape[1]), np.float32)
        out[: len(rows)] = rows
        return out

    def _run(self, total: int, sums, progress) -> np.ndarray:
        out = np.empty(total, np.float64)
        for lo in range(0, total, self.block):
            hi = min(lo + self.block, total)
            out[lo:hi] = np.asarray(sums(lo, hi), dtype=np.float64)[: hi - lo] / self.n
            interrupt.check()
            if progress is not None:
                progress(hi, total)
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
