"""Optimizer trajectories on a surface: one jit-compiled `lax.scan`, `vmap`ped.

Each optimizer's path is a `lax.scan` over steps of ``(xy, loss, grad, state)``;
start points and hyperparameter grids are batched with `jax.vmap`. Numeric
hyperparameters are traced arguments, so a new learning rate (a slider move,
another grid) reuses the compiled program; only a new optimizer, surface,
step count or batch shape compiles again.

A step whose result is not finite (position, loss or gradient) is not taken:
the path freezes at its last finite point and records the step that diverged.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optviz import optimizers as _optimizers
from optviz import surfaces as _surfaces
from optviz.errors import OptvizError
from optviz.paths import Path

NOT_DIVERGED = -1
# How often the scan body has been traced (= compiled); tests read it.
trace_count = 0


@dataclass(frozen=True)
class Trajectories:
    """Paths of several optimizers from several start points on one surface.

    positions: (n_opt, n_start, steps + 1, 2); row 0 of each path is its start.
    losses: (n_opt, n_start, steps + 1), the surface value along each path.
    diverged_step: (n_opt, n_start) ints, the step that went non-finite, or -1.
    hparams: the hyperparameters each optimizer ran with.
    """

    optimizers: tuple[str, ...]
    surface: str
    starts: np.ndarray
    positions: np.ndarray
    losses: np.ndarray
    diverged_step: np.ndarray
    hparams: Mapping[str, Mapping[str, Any]]

    def diverged(self, optimizer: str, start: int = 0) -> int | None:
        """The step at which a path diverged, or None if it stayed finite."""
        step = int(self.diverged_step[self.optimizers.index(optimizer), start])
        return None if step == NOT_DIVERGED else step

    def paths(self, start: int = 0) -> list[Path]:
        """The paths from start point `start`, labelled and coloured for drawing."""
        out = []
        for i, name in enumerate(self.optimizers):
            entry = _optimizers.spec(name)
            out.append(
                Path(
                    label=entry.display,
                    color=entry.color,
                    xy=self.positions[i, start],
                    loss=self.losses[i, start],
                    diverged_at=self.diverged(name, start),
                )
            )
        return out


def trajectory(
    optimizer: str,
    surface: str | _surfaces.Surface,
    start: Sequence[float] | None = None,
    steps: int = 300,
    **hparams: Any,
) -> np.ndarray:
    """One optimizer's path: an array of shape (steps + 1, 2), row 0 the start."""
    starts = None if start is None else [start]
    result = trajectories([optimizer], surface, starts=starts, steps=steps, **hparams)
    return result.positions[0, 0]


def trajectories(
    optimizers: str | Sequence[str],
    surface: str | _surfaces.Surface,
    starts: Sequence[Sequence[float]] | None = None,
    steps: int = 300,
    **hparams: Any,
) -> Trajectories:
    """Paths of every optimizer from every start point.

    A hyperparameter keyword applies to every named optimizer that takes it;
    a dict maps optimizer names to values (``lr={"sgd": 1e-3, "adam": 0.01}``).
    Anything not given comes from the registry's defaults for the surface.
    """
    names = [optimizers] if isinstance(optimizers, str) else list(optimizers)
    if not names:
        raise OptvizError("no optimizer given")
    surf = _surface(surface)
    xy0 = _starts(surf, starts)
    _check_steps(steps)
    per_opt = split_hparams(names, hparams)
    pos, loss, div, used = [], [], [], {}
    for name in names:
        hp = _optimizers.spec(name).resolve(surf.name, **per_opt[name])
        p, f, d = _run(name, surf, xy0, steps, [hp])
        pos.append(p[0]), loss.append(f[0]), div.append(d[0])
        used[name] = hp
    return Trajectories(
        optimizers=tuple(names),
        surface=surf.name,
        starts=xy0,
        positions=np.stack(pos),
        losses=np.stack(loss),
        diverged_step=np.stack(div),
        hparams=used,
    )


@dataclass(frozen=True)
class Sweep:
    """One optimizer over a hyperparameter grid: positions (n_grid, n_start, steps + 1, 2)."""

    optimizer: str
    surface: str
    grid: tuple[Mapping[str, Any], ...]
    starts: np.ndarray
    positions: np.ndarray
    losses: np.ndarray
    diverged_step: np.ndarray


def sweep(
    optimizer: str,
    surface: str | _surfaces.Surface,
    starts: Sequence[Sequence[float]] | None = None,
    steps: int = 300,
    **grid: Any,
) -> Sweep:
    """Paths over the Cartesian product of hyperparameter values, in one vmapped call.

    >>> s = sweep("momentum", "bowl", steps=50, lr=[0.01, 0.05], momentum=[0.5, 0.9])
    >>> s.positions.shape  # 4 settings x 1 start x 51 rows x 2
    (4, 1, 51, 2)
    """
    surf = _surface(surface)
    xy0 = _starts(surf, starts)
    _check_steps(steps)
    entry = _optimizers.spec(optimizer)
    axes = {k: list(np.atleast_1d(v)) for k, v in grid.items()}
    combos = [dict(zip(axes, vals, strict=True)) for vals in itertools.product(*axes.values())]
    hps = [entry.resolve(surf.name, **c) for c in combos]
    pos, loss, div = _run(optimizer, surf, xy0, steps, hps)
    return Sweep(optimizer, surf.name, tuple(hps), xy0, pos, loss, div)


def split_hparams(names: Sequence[str], hparams: Mapping[str, Any]) -> dict[str, dict]:
    """Give each optimizer the hyperparameters meant for it (see `trajectories`)."""
    out: dict[str, dict] = {n: {} for n in names}
    for key, value in hparams.items():
        if isinstance(value, Mapping):
            for target, v in value.items():
                if target not in out:
                    raise OptvizError(
                        f"{key} given for {target!r}, which is not among the optimizers "
                        f"({', '.join(names)})"
                    )
                out[target][key] = v
            continue
        canonical = _optimizers.ALIASES.get(key, key)
        takers = [n for n in names if canonical in _optimizers.spec(n).hyperparameters]
        if not takers:
            raise OptvizError(f"no optimizer among {', '.join(names)} takes {key!r}")
        for n in takers:
            out[n][key] = value
    return out


def _surface(surface: str | _surfaces.Surface) -> _surfaces.Surface:
    return _surfaces.get(surface) if isinstance(surface, str) else surface


def _starts(surface: _surfaces.Surface, starts) -> np.ndarray:
    xy0 = np.asarray(surface.starts if starts is None else starts, dtype=np.float32)
    if xy0.ndim != 2 or xy0.shape[1] != 2 or len(xy0) == 0:
        raise OptvizError(f"start points must be (x, y) pairs, got {starts!r}")
    if not np.isfinite(xy0).all():
        raise OptvizError(f"start points must be finite, got {starts!r}")
    return xy0


def _check_steps(steps: int) -> None:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise OptvizError(f"steps must be a positive whole number, got {steps!r}")


def _is_dynamic(value: Any) -> bool:
    """Numbers become traced arguments; flags and everything else stay static."""
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _run(name, surface, xy0, steps, hps):
    """Run `name` for every hyperparameter setting in `hps` and every start point."""
    static = {k: v for k, v in hps[0].items() if not _is_dynamic(v)}
    dyn_keys = tuple(sorted(k for k in hps[0] if k not in static))
    if any({k: v for k, v in hp.items() if not _is_dynamic(v)} != static for hp in hps):
        raise OptvizError(f"{name}: only numeric hyperparameters can vary in a sweep")
    dyn = {k: jnp.asarray([hp[k] for hp in hps], dtype=jnp.float32) for k in dyn_keys}
    fn = _compiled(name, tuple(sorted(static.items())), surface, steps)
    pos, loss, div = jax.device_get(fn(jnp.asarray(xy0), dyn))
    return np.asarray(pos), np.asarray(loss), np.asarray(div)


@functools.lru_cache(maxsize=128)
def _compiled(name: str, static: tuple, surface: _surfaces.Surface, steps: int):
    """A jitted fn(starts (S, 2), hparams {k: (H,)}) -> positions, losses, diverged."""
    entry = _optimizers.spec(name)
    extra = {}
    if entry.uses_surface:
        extra = {"loss_fn": surface.fn, "residual_fn": surface.residuals}
    value_and_grad = jax.value_and_grad(surface.fn)

    def one_path(xy0, dyn):
        global trace_count
        trace_count += 1
        opt = entry.make(**dict(static), **dyn, **extra)
        loss0, g0 = value_and_grad(xy0)

        def step(carry, i):
            xy, loss, g, state, diverged = carry
            updates, new_state = opt.update(g, state, xy)
            new_xy = optax.apply_updates(xy, updates)
            new_loss, new_g = value_and_grad(new_xy)
            finite = jnp.isfinite(jnp.concatenate([new_xy, new_g, new_loss[None]])).all()
            take = finite & (diverged == NOT_DIVERGED)
            diverged = jnp.where(~finite & (diverged == NOT_DIVERGED), i + 1, diverged)
            keep = functools.partial(jnp.where, take)
            carry = (
                keep(new_xy, xy),
                keep(new_loss, loss),
                keep(new_g, g),
                jax.tree.map(keep, new_state, state),
                diverged,
            )
            return carry, (carry[0], carry[1])

        init = (xy0, loss0, g0, opt.init(xy0), jnp.asarray(NOT_DIVERGED))
        (_, _, _, _, diverged), (xs, losses) = jax.lax.scan(step, init, jnp.arange(steps))
        xs = jnp.concatenate([xy0[None], xs])
        losses = jnp.concatenate([loss0[None], losses])
        return xs, losses, diverged

    over_starts = jax.vmap(one_path, in_axes=(0, None))
    over_grid = jax.vmap(over_starts, in_axes=(None, 0))
    return jax.jit(over_grid)
