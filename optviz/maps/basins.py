"""Map mode on a 2-D surface: a `lax.scan` that keeps only what a map needs.

A path in the engine (`optviz.engine`) records every step: O(pixels x steps).
Here the carry holds, beside the optimizer's own state, per pixel: the first step
within tolerance of each known minimum, the first step outside the domain, the
first non-finite step, and (at the end) the final point and loss: O(pixels). The
optimizer is built exactly as the engine builds it (`engine.stepper`).

Two kinds of map share the scan: start points on a grid with one setting of the
hyperparameters (`start_map`), and one start point with two hyperparameters on a
grid (`hparam_map`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from optviz import engine
from optviz.maps import shard
from optviz.maps.axes import NEVER, Axis, Outcomes, classify, mesh
from optviz.surfaces.base import Surface


def default_tol(surface: Surface) -> float:
    """Within 1% of the domain's larger side of a minimum counts as there."""
    (x0, x1), (y0, y1) = surface.domain
    return 0.01 * max(x1 - x0, y1 - y0)


def start_map(
    optimizer: str,
    surface: Surface,
    x: Axis,
    y: Axis,
    steps: int,
    hparams: Mapping[str, Any],
    *,
    tol: float,
    progress: shard.Progress | None = None,
) -> Outcomes:
    """Run `optimizer` (resolved `hparams`) from every start point of the x-y grid."""
    X, Y = mesh(x, y)
    starts = np.stack([X.ravel(), Y.ravel()], -1).astype(np.float32)
    _, dyn, _ = engine.stepper(optimizer, surface, [hparams])
    fn = _compiled(optimizer, *_key(hparams), surface, steps, float(tol), False)
    shared = {k: jnp.asarray(v[0]) for k, v in dyn.items()}
    out = shard.run(lambda c: fn(c, shared), {"xy0": starts}, progress=progress)
    return _outcomes(out, surface, tol, steps, (y.n, x.n))


def hparam_map(
    optimizer: str,
    surface: Surface,
    start: Sequence[float],
    x: Axis,
    y: Axis,
    steps: int,
    hparams: Mapping[str, Any],
    *,
    tol: float,
    progress: shard.Progress | None = None,
) -> Outcomes:
    """Run `optimizer` from `start` with `x.name` and `y.name` (optax names) on the grid,
    the other hyperparameters from `hparams`."""
    X, Y = mesh(x, y)
    hps = [{**hparams, x.name: 1.0, y.name: 1.0}]  # the shape of one setting
    _, dyn, _ = engine.stepper(optimizer, surface, hps)
    per_pixel = {k: np.full(X.size, v[0], np.float32) for k, v in dyn.items()}
    per_pixel[x.name] = X.ravel().astype(np.float32)
    per_pixel[y.name] = Y.ravel().astype(np.float32)
    inputs = {"xy0": np.tile(np.asarray(start, np.float32), (X.size, 1))}
    inputs.update({"hp:" + k: v for k, v in per_pixel.items()})
    fn = _compiled(optimizer, *_key(hps[0]), surface, steps, float(tol), True)
    out = shard.run(lambda c: fn(c, None), inputs, progress=progress)
    return _outcomes(out, surface, tol, steps, (y.n, x.n))


def _outcomes(out, surface: Surface, tol: float, steps: int, shape) -> Outcomes:
    minima = np.asarray([m.xy for m in surface.minima], np.float32).reshape(-1, 2)
    ny, nx = shape
    r = {k: v.reshape(ny, nx, *v.shape[1:]) for k, v in out.items()}
    outcome, step = classify(r["first_hit"], r["left"], r["diverged"], r["xy"], minima, tol, steps)
    return Outcomes(outcome, step, r["first_hit"], r["left"], r["diverged"], r["xy"], r["loss"])


def _key(hparams: Mapping[str, Any]) -> tuple[tuple, tuple]:
    """(static items, names of the numeric ones): what a compiled map depends on."""
    static = tuple(sorted((k, v) for k, v in hparams.items() if not engine.is_dynamic(v)))
    return static, tuple(sorted(k for k, v in hparams.items() if engine.is_dynamic(v)))


@functools.lru_cache(maxsize=64)
def _compiled(
    name: str,
    static: tuple,
    numeric: tuple,
    surface: Surface,
    steps: int,
    tol: float,
    per_pixel: bool,
):
    """One jitted map for (optimizer, settings, surface, steps, tolerance, mode): a
    function of (the chunk's arrays, the shared numeric hyperparameters or None when
    they come per pixel). A new learning rate or grid reuses it."""
    template = {**dict(static), **dict.fromkeys(numeric, 1.0)}
    make, _, elementwise = engine.stepper(name, surface, [template])
    minima_xy = [(float(m.xy[0]), float(m.xy[1])) for m in surface.minima]
    (x0, x1), (y0, y1) = surface.domain
    value_and_grad = jax.value_and_grad(surface.fn)

    @jax.jit
    def run(chunk, shared):
        xy0 = chunk["xy0"]
        dyn = {k[3:]: v for k, v in chunk.items() if k.startswith("hp:")} if per_pixel else shared

        if elementwise and not per_pixel:  # all start points as one (n, 2) parameter
            init_all, step_all = engine.step_functions(make, jax.vmap(value_and_grad))
        else:
            init_one, step_one = engine.step_functions(make, value_and_grad)
            axes = 0 if per_pixel else None
            init_all = jax.vmap(init_one, (0, axes))
            step_all = jax.vmap(step_one, (0, axes))

        def record(marks, xy, loss, i):
            # Per coordinate and per minimum, with no reductions over the short axes
            # (2 coordinates, a few minima): XLA's CPU code vectorises those poorly.
            first_hit, left, diverged = marks
            x, y = xy[:, 0], xy[:, 1]
            bad = ~(jnp.isfinite(loss) & jnp.isfinite(x) & jnp.isfinite(y))
            diverged = jnp.where(bad & (diverged == NEVER), i, diverged)
            hits = []
            for k, (mx, my) in enumerate(minima_xy):
                near = (x - mx) ** 2 + (y - my) ** 2 <= tol * tol
                hits.append(jnp.where(near & (first_hit[k] == NEVER), i, first_hit[k]))
            out = (x < x0) | (x > x1) | (y < y0) | (y > y1)
            left = jnp.where(out & (left == NEVER), i, left)
            return tuple(hits), left, diverged

        n = xy0.shape[0]
        never = jnp.full((n,), NEVER, jnp.int32)
        path = init_all(xy0, dyn)
        marks = record(((never,) * len(minima_xy), never, never), path[0], path[1], 0)

        def body(carry, i):
            path, marks = carry
            path = step_all(path, dyn)
            return (path, record(marks, path[0], path[1], i)), None

        (path, (hits, left, diverged)), _ = jax.lax.scan(
            body, (path, marks), jnp.arange(1, steps + 1, dtype=jnp.int32)
        )
        first_hit = jnp.stack(hits, -1) if hits else jnp.zeros((n, 0), jnp.int32)
        return {
            "xy": path[0],
            "loss": path[1],
            "first_hit": first_hit,
            "left": left,
            "diverged": diverged,
        }

    return run
