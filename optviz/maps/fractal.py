"""The trainability fractal of Sohl-Dickstein (2024), "The boundary of neural network
trainability is fractal" (arXiv:2402.06184; code: github.com/Sohl-Dickstein/fractal).

A network with one hidden layer of `width` tanh units and no biases, in the
mean-field parameterisation of the paper (each layer divides by the square root of
its fan-in, the output once more by the square root of the width; the tanh is
applied to sqrt(2) times its input), is trained by full-batch gradient descent on
as many random regression points (inputs and targets standard normal) as it has
parameters (width^2 + width). The input layer and the output layer have separate
learning rates: the two axes of the map, on log scales. Every pixel starts from
the same weights and data and differs only in its learning rates.

The paper's readout, kept here inside the scan instead of stored per step: with v_t
the loss before step t divided by the initial loss (non-finite or above 1e6 counted
as 1e6), a run converged if the mean of its last 20 v_t is below 1; the pixel's
measure is -sum(v) if it converged and sum(1/v) if not, so its sign says which, and
its size how fast. The computation runs in float32 (the paper enables float64), so
very deep zooms resolve less finely.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from optviz.maps import shard
from optviz.maps.axes import NEVER, Axis, mesh

WIDTH = 16
BLOW_UP = 1e6  # v_t above this counts as diverged (the paper's max_val)
TAIL = 20  # steps averaged to decide convergence
# The paper's first picture: log10 of both learning rates from -3 to 6.
DEFAULT_RANGE = (1e-3, 1e6)
X_NAME, Y_NAME = "input-layer learning rate", "output-layer learning rate"


@functools.lru_cache(maxsize=8)
def problem(width: int = WIDTH, seed: int = 0) -> dict[str, np.ndarray]:
    """The network's initial weights and its training data (float32, from `seed`)."""
    rng = np.random.default_rng(seed)
    n_params = width * width + width
    f32 = np.float32
    return {
        "w1": rng.standard_normal((width, width)).astype(f32),
        "w2": rng.standard_normal((width, 1)).astype(f32),
        "x": rng.standard_normal((n_params, width)).astype(f32),
        "y": rng.standard_normal((n_params, 1)).astype(f32),
    }


def loss(w1, w2, x, y):
    """Mean squared error of the mean-field network (see the module docstring)."""
    width = w1.shape[0]
    hidden = jnp.tanh(math.sqrt(2.0) * (x @ w1) / math.sqrt(width))
    out = (hidden @ w2) / width
    return jnp.mean((out - y) ** 2)


def trainability_map(
    x: Axis,
    y: Axis,
    steps: int,
    *,
    width: int = WIDTH,
    seed: int = 0,
    progress: shard.Progress | None = None,
) -> dict[str, np.ndarray]:
    """Train one network per pixel (x: input-layer, y: output-layer learning rate).

    Returns (ny, nx) arrays: `measure` (negative: converged), `diverged` (the first
    step whose loss blew up, or NEVER), `final_loss` (relative to the initial loss).
    """
    X, Y = mesh(x, y)
    lrs = np.stack([X.ravel(), Y.ravel()], -1).astype(np.float32)
    fn = _compiled(width, seed, steps)
    per = _per_device(width)
    out = shard.run(fn, {"lr": lrs}, per_device=per, fixed=True, progress=progress)
    return {k: v.reshape(y.n, x.n) for k, v in out.items()}


def block_index(n_pixels: int, blocks: slice, width: int = WIDTH) -> np.ndarray:
    """The pixels (indices into a raveled map of `n_pixels`) in `blocks` of the blocks
    that `trainability_map` hands to a device at a time."""
    per = _per_device(width)
    starts = np.arange(0, n_pixels, per)[blocks]
    return np.concatenate([np.arange(s, min(s + per, n_pixels)) for s in starts])


def trainability_blocks(
    x: Axis, y: Axis, steps: int, blocks: slice, *, width: int = WIDTH, seed: int = 0
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Some pixels of `trainability_map`, the same numbers bit for bit, at a fraction
    of the cost: `blocks` of the blocks of pixels that go to a device at a time, each
    computed at the place in a device's batch it has in the whole map (a pixel's
    rounding may depend on that place). Returns the pixels' indices into the raveled
    (ny, nx) map and their arrays, as `trainability_map`'s."""
    X, Y = mesh(x, y)
    lrs = np.stack([X.ravel(), Y.ravel()], -1).astype(np.float32)
    index = block_index(len(lrs), blocks, width)
    fn = _compiled(width, seed, steps)
    return index, shard.run(fn, {"lr": lrs[index]}, per_device=_per_device(width), fixed=True)


def _per_device(width: int) -> int:
    """Networks per chunk and device: their activations (data x width float32s) about
    1 MiB, so a step's working set stays in the CPU's caches (on 2 cores, 64 networks
    of width 16 a chunk ran 2x faster than 240 and 3x faster than 1024)."""
    n_data = width * width + width
    return max(8, 2**18 // (n_data * width))


@functools.lru_cache(maxsize=8)
def _compiled(width: int, seed: int, steps: int):
    p = problem(width, seed)
    data_x, data_y = jnp.asarray(p["x"]), jnp.asarray(p["y"])
    w1_0, w2_0 = jnp.asarray(p["w1"]), jnp.asarray(p["w2"])
    value_and_grad = jax.value_and_grad(loss, argnums=(0, 1))
    loss0 = loss(w1_0, w2_0, data_x, data_y)

    def one(lr):
        def body(carry, t):
            w1, w2, sum_v, sum_inv, tail, blown = carry
            value, (g1, g2) = value_and_grad(w1, w2, data_x, data_y)
            v = value / loss0
            bad = ~jnp.isfinite(v) | (v > BLOW_UP)
            v = jnp.where(bad, BLOW_UP, v)
            blown = jnp.where(bad & (blown == NEVER), t, blown)
            tail = tail + jnp.where(t >= steps - TAIL, v, 0.0)
            carry = (w1 - lr[0] * g1, w2 - lr[1] * g2, sum_v + v, sum_inv + 1.0 / v, tail, blown)
            return carry, None

        zero = jnp.zeros((), jnp.float32)
        start = (w1_0, w2_0, zero, zero, zero, jnp.asarray(NEVER, jnp.int32))
        (w1, w2, sum_v, sum_inv, tail, blown), _ = jax.lax.scan(
            body, start, jnp.arange(steps, dtype=jnp.int32)
        )
        converged = tail / min(TAIL, steps) < 1.0
        final = loss(w1, w2, data_x, data_y) / loss0
        return jnp.where(converged, -sum_v, sum_inv), blown, final

    batched = jax.vmap(one)

    @jax.jit
    def run(chunk):
        measure, blown, final = batched(chunk["lr"])
        return {"measure": measure, "diverged": blown, "final_loss": final}

    return run


def boundary_point(measure: np.ndarray, x: Axis, y: Axis) -> tuple[float, float]:
    """The point of the converged/diverged boundary nearest the map's centre, in the
    axes' units (the target of a zoom); the centre itself if there is no boundary."""
    from optviz.maps.boxcount import sign_edges

    edges = sign_edges(measure)
    cy, cx = (edges.shape[0] - 1) / 2, (edges.shape[1] - 1) / 2
    iy, ix = np.nonzero(edges)
    if len(iy) == 0:
        iy, ix = np.asarray([round(cy)]), np.asarray([round(cx)])
    k = int(np.argmin((iy - cy) ** 2 + (ix - cx) ** 2))
    # an edge window (i, j) spans samples i..i+1: its middle
    return _between(x, ix[k]), _between(y, iy[k])


def _between(axis: Axis, i: int) -> float:
    v = axis.values
    j = min(i + 1, len(v) - 1)
    return float(np.sqrt(v[i] * v[j]) if axis.log else (v[i] + v[j]) / 2)


def zoomed(axis: Axis, centre: float, factor: float) -> Axis:
    """`axis` narrowed `factor` times around `centre` (in log units on a log axis)."""
    if axis.log:
        half = (math.log10(axis.hi) - math.log10(axis.lo)) / (2 * factor)
        c = math.log10(centre)
        return Axis(axis.name, 10 ** (c - half), 10 ** (c + half), axis.n, True)
    half = (axis.hi - axis.lo) / (2 * factor)
    return Axis(axis.name, centre - half, centre + half, axis.n, False)
