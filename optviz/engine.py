"""Optimizer trajectories on a surface: one jit-compiled `lax.scan`, `vmap`ped.

Each optimizer's path is a `lax.scan` over steps of ``(xy, loss, grad, state)``;
start points and hyperparameter grids are batched with `jax.vmap`. All the
optimizers of one call run in one jitted program (one scan each), so a race
is traced, lowered and looked up in JAX's compilation cache once, not once per
optimizer. Numeric hyperparameters are traced arguments, so a new learning
rate (a slider move, another grid) reuses the compiled program; only a new
line-up of optimizers, surface, step count or batch shape compiles again.

A path whose position or loss goes non-finite is cut there: it freezes at its
last finite point and records the step that diverged (`freeze_diverged`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optviz import limits
from optviz import optimizers as _optimizers
from optviz import surfaces as _surfaces
from optviz.errors import OptvizError
from optviz.paths import Path

NOT_DIVERGED = -1


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
        """The paths from start point `start`, one per optimizer, for drawing."""
        x, y = (float(v) for v in self.starts[start])
        return [
            Path(
                xy=self.positions[i, start],
                loss=self.losses[i, start],
                optimizer=name,
                start_index=start,
                start=(x, y),
                diverged_at=self.diverged(name, start),
            )
            for i, name in enumerate(self.optimizers)
        ]


def trajectory(
    optimizer: Any,
    surface: Any,
    start: Sequence[float] | None = None,
    steps: int = 300,
    *,
    domain: Any = None,
    **hparams: Any,
) -> np.ndarray:
    """One optimizer's path: an array of shape (steps + 1, 2), row 0 the start."""
    starts = None if start is None else [start]
    result = trajectories([optimizer], surface, starts, steps, domain=domain, **hparams)
    return result.positions[0, 0]


def trajectories(
    optimizers: Any,
    surface: Any,
    starts: Sequence[Sequence[float]] | None = None,
    steps: int = 300,
    *,
    domain: Any = None,
    **hparams: Any,
) -> Trajectories:
    """Paths of every optimizer from every start point.

    A hyperparameter keyword applies to every named optimizer that takes it;
    a dict maps optimizer names to values (``lr={"sgd": 1e-3, "adam": 0.01}``).
    Anything not given comes from the registry's defaults for the surface.
    optimizers: a name, a list of names, or "all" (every registry optimizer); a list
    may also hold optimizer objects (an optax transformation or factory, a PyTorch
    optimizer class or factory, `optviz.optimizer(obj, name=...)`), which are named
    by their labels in the result.
    surface: a surface name, a `Surface`, a formula in x and y or a function
    ``f(xy)``; the last two with ``domain=((xmin, xmax), (ymin, ymax))``
    (see `optviz.surface`).
    """
    names = optimizer_names(optimizers)
    surf = _surface(surface, domain)
    xy0 = _starts(surf, starts)
    _check_steps(steps)
    limits.check_steps(steps, len(names) * len(xy0))
    per_opt = split_hparams(names, hparams)
    used = {name: _optimizers.spec(name).resolve(surf, **per_opt[name]) for name in names}
    runs = _run([(name, [used[name]]) for name in names], surf, xy0, steps)
    pos, loss, div = ([r[k][0] for r in runs] for k in range(3))
    return Trajectories(
        optimizers=tuple(names),
        surface=surf.name,
        starts=xy0,
        positions=_stack(pos),
        losses=_stack(loss),
        diverged_step=_stack(div),
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
    optimizer: Any,
    surface: Any,
    starts: Sequence[Sequence[float]] | None = None,
    steps: int = 300,
    *,
    domain: Any = None,
    **grid: Any,
) -> Sweep:
    """Paths over the Cartesian product of hyperparameter values, in one vmapped call.

    >>> s = sweep("momentum", "bowl", steps=50, lr=[0.01, 0.05], momentum=[0.5, 0.9])
    >>> s.positions.shape  # 4 settings x 1 start x 51 rows x 2
    (4, 1, 51, 2)
    """
    surf = _surface(surface, domain)
    xy0 = _starts(surf, starts)
    _check_steps(steps)
    [optimizer] = optimizer_names([optimizer])
    entry = _optimizers.spec(optimizer)
    axes = {
        k: list(v) if isinstance(v, list | tuple | np.ndarray) else [v] for k, v in grid.items()
    }
    empty = [k for k, v in axes.items() if not v]
    if empty:
        raise OptvizError(f"sweep: {empty[0]} has no values; give one or more")
    combos = [dict(zip(axes, vals, strict=True)) for vals in itertools.product(*axes.values())]
    limits.check_steps(steps, len(combos) * len(xy0))
    hps = [entry.resolve(surf, **c) for c in combos]
    [(pos, loss, div)] = _run([(optimizer, hps)], surf, xy0, steps)
    return Sweep(optimizer, surf.name, tuple(hps), xy0, pos, loss, div)


def optimizer_names(optimizers: str | Sequence[str]) -> list[str]:
    """ "all", one name, or several names -> the list of names (each checked)."""
    if optimizers == "all":
        return _optimizers.names()
    one_object = isinstance(optimizers, optax.GradientTransformation | _optimizers.Named)
    if isinstance(optimizers, str) or one_object or callable(optimizers):
        names = [optimizers]
    else:
        try:
            names = list(optimizers)
        except TypeError:  # one object: `adopt` takes it, or says what an optimizer is
            names = [optimizers]
    if not names:
        raise OptvizError("no optimizer given: name one, a list, or 'all'")
    names = _optimizers.adopt(names)  # objects: registered under their labels
    for name in names:
        _optimizers.spec(name)  # unknown names: close matches
    if len(set(names)) != len(names):
        raise OptvizError(f"an optimizer is named twice in {names!r}")
    return names


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


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    """np.stack, without copying a single (often 100 MB) array."""
    return arrays[0][None] if len(arrays) == 1 else np.stack(arrays)


def _surface(surface: Any, domain: Any = None) -> _surfaces.Surface:
    """A name, a `Surface`, a formula or a function (with `domain`) as a `Surface`."""
    if isinstance(surface, _surfaces.Surface) and domain is None:
        return surface
    return _surfaces.surface(surface, domain)


START_LIMIT = 1e30  # float32 holds up to 3.4e38; a gradient step needs headroom


def _starts(surface: _surfaces.Surface, starts) -> np.ndarray:
    try:
        xy0 = np.asarray(surface.starts if starts is None else starts, dtype=np.float64)
    except (TypeError, ValueError):
        raise OptvizError(f"start points must be (x, y) pairs of numbers, got {starts!r}") from None
    if xy0.ndim != 2 or xy0.shape[1] != 2 or len(xy0) == 0:
        raise OptvizError(f"start points must be (x, y) pairs, got an array of shape {xy0.shape}")
    if not (np.isfinite(xy0).all() and np.abs(xy0).max() <= START_LIMIT):
        raise OptvizError(f"start points must be finite numbers within ±{START_LIMIT:g}")
    return xy0.astype(np.float32)


def _check_steps(steps: int) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise OptvizError(f"steps must be a positive whole number, got {steps!r}")


def _is_dynamic(value: Any) -> bool:
    """Numbers become traced arguments; flags and everything else stay static."""
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


is_dynamic = _is_dynamic  # public for the map mode (optviz.maps), which splits the same way


def _run(runs, surface, xy0, steps):
    """Run every (optimizer, hyperparameter settings) pair of `runs` from every start point.

    One compiled program computes them all. Returns, per pair, positions
    (H, S, steps + 1, 2), losses (H, S, steps + 1) and the divergence steps
    (H, S) for its H settings. The arrays come back time-major from the device
    and are returned as transposed views, not copies.
    """
    members, dyns, hosted = [], [], []
    for name, hps in runs:
        host = _optimizers.spec(name).host
        if host is not None:  # a PyTorch optimizer: stepped on the host, not compiled
            hosted.append(host(hps, surface, xy0, steps))
            continue
        static, dyn = _split_static(name, hps)
        members.append((name, static, _optimizers.serial(name)))
        dyns.append(dyn)
    compiled = []
    if members:
        fn = _compiled(tuple(members), surface, steps)
        compiled = [
            (np.moveaxis(np.asarray(pos), 0, 2), np.moveaxis(np.asarray(loss), 0, 2), div)
            for pos, loss, div in jax.device_get(fn(xy0, tuple(dyns)))
        ]
    done, from_host = iter(compiled), iter(hosted)
    out = []
    for name, _ in runs:
        if _optimizers.spec(name).host is None:
            pos, loss, div = next(done)
        else:
            pos, loss = next(from_host)
            div = np.where(
                np.isfinite(loss).all(-1), NOT_DIVERGED, np.argmax(~np.isfinite(loss), -1)
            )
        div = _first_bad_rows(pos, np.asarray(div))
        pos, loss = freeze_diverged(pos, loss, div)
        out.append((pos, loss, div))
    return out


def stepper(name: str, surface: _surfaces.Surface, hps: Sequence[Mapping[str, Any]]):
    """How this engine builds `name`'s optax transformation for a batched run, for other
    scans over the same steps (the map mode, `optviz.maps`): returns
    ``(make, dyn, elementwise)``; ``make(dyn_i)`` gives the transformation for numeric
    hyperparameters ``dyn_i`` (a row of `dyn`, traced), `dyn` holds them as (H,) float32
    arrays, and `elementwise` says the optimizer may step many points as one (n, 2) array.
    """
    static, dyn = _split_static(name, hps)
    return _maker(name, surface, static), dyn, _optimizers.spec(name).elementwise


def _maker(name: str, surface: _surfaces.Surface, static: tuple) -> Callable:
    """``make(dyn)``: `name`'s optax transformation with the static settings `static`
    (sorted items) and the numeric ones `dyn` (K-FAC also gets the surface's functions)."""
    entry = _optimizers.spec(name)
    extra = {"loss_fn": surface.fn, "residual_fn": surface.residuals} if entry.uses_surface else {}

    def make(dyn):
        return entry.make(**dict(static), **dyn, **extra)

    return make


def step_functions(make: Callable, points: Callable) -> tuple[Callable, Callable]:
    """``(init, step)`` of a scan over optimizer steps: ``init(xy0, dyn)`` and
    ``step(carry, dyn)`` carry ``(xy, loss, grad, opt_state)``; `points(xy)` gives the
    loss and gradient there, ``make(dyn)`` the transformation."""

    def init(xy0, dyn):
        loss0, g0 = points(xy0)
        return xy0, loss0, g0, make(dyn).init(xy0)

    def step(carry, dyn):
        """One plain optimizer step of one path (or of all start points at once)."""
        xy, _, g, state = carry
        updates, state = make(dyn).update(g, state, xy)
        xy = optax.apply_updates(xy, updates)
        loss, g = points(xy)
        return xy, loss, g, state

    return init, step


def _split_static(name: str, hps: Sequence[Mapping[str, Any]]) -> tuple[tuple, dict]:
    """Static settings (sorted items, shared by all of `hps`) and numeric ones as (H,) arrays."""
    static = {k: v for k, v in hps[0].items() if not _is_dynamic(v)}
    if any({k: v for k, v in hp.items() if not _is_dynamic(v)} != static for hp in hps):
        raise OptvizError(f"{name}: only numeric hyperparameters can vary in a sweep")
    dyn_keys = sorted(k for k in hps[0] if k not in static)
    dyn = {k: np.asarray([hp[k] for hp in hps], dtype=np.float32) for k in dyn_keys}
    return tuple(sorted(static.items())), dyn


def _first_bad_rows(xs: np.ndarray, diverged: np.ndarray) -> np.ndarray:
    """The first row at which each path's position or loss went non-finite.

    The scan flags the first non-finite loss; a surface bounded at infinity can give
    a finite loss at an infinite position a step or more before that. A non-finite
    position stays non-finite under further updates, so the last row tells which
    paths to search.
    """
    suspect = ~np.isfinite(xs[..., -1, :]).all(axis=-1)
    if not suspect.any():
        return diverged
    diverged = diverged.copy()
    for index in map(tuple, np.argwhere(suspect)):
        row = int(np.argmax(~np.isfinite(xs[index]).all(axis=-1)))
        flagged = int(diverged[index])
        diverged[index] = row if flagged == NOT_DIVERGED else min(row, flagged)
    return diverged


@functools.lru_cache(maxsize=128)
def _compiled(members: tuple[tuple[str, tuple], ...], surface: _surfaces.Surface, steps: int):
    """One jitted fn(starts (S, 2), ({k: (H,)}, ...)) -> time-major paths per member.

    members: (optimizer, static hyperparameter items, serial) triples (the serial
    changes when a name is given a new object: `optimizers.serial`). Each gets its own
    scan (see `_scan`); all of them are traced, lowered and compiled as one
    program, so a race of six optimizers costs one trip through JAX's
    compilation pipeline and its persistent cache instead of six.
    """
    scans = [_scan(name, static, surface, steps) for name, static, _ in members]

    def optviz_paths(xy0, dyns):
        return tuple(scan(xy0, dyn) for scan, dyn in zip(scans, dyns, strict=True))

    return jax.jit(optviz_paths)


def _scan(name: str, static: tuple, surface: _surfaces.Surface, steps: int):
    """fn(starts (S, 2), hparams {k: (H,)}) -> time-major paths, to be traced.

    The scan runs outside and the step is vmapped inside it over
    hyperparameter settings and (unless the optimizer is elementwise, see
    `OptimizerSpec.elementwise`) start points, so every step is one batched update.
    """
    entry = _optimizers.spec(name)
    make = _maker(name, surface, static)
    if entry.elementwise:
        # All start points as one (S, 2) parameter array: one shared step
        # counter instead of S of them (Adam's bias correction per point costs
        # as much as the rest of its step).
        points = _loss_and_grad(surface, batched=True)
        over_starts = None
    else:
        points = _loss_and_grad(surface, batched=False)
        over_starts = 0

    init_one, step_one = step_functions(make, points)

    def run(xy0, dyn):
        # no numeric hyperparameters (an optax transformation object): one setting
        size = None if dyn else 1
        if over_starts is None:
            init_all = jax.vmap(init_one, (None, 0), axis_size=size)
            step_all = jax.vmap(step_one, (0, 0), axis_size=size)
        else:
            init_all = jax.vmap(jax.vmap(init_one, (0, None)), (None, 0), axis_size=size)
            step_all = jax.vmap(jax.vmap(step_one, (0, None)), (0, 0), axis_size=size)

        def body(carry, i):
            path, diverged = carry
            xy, loss = path[0], path[1]
            # Row i, before the step: the first non-finite loss marks the step
            # that diverged (positions are checked on the host, where it is
            # cheaper: `_first_bad_rows`). The path itself goes on computing
            # NaNs in its own lane (paths are independent, nothing leaks into
            # the others) and is cut on the host.
            bad = ~jnp.isfinite(loss) & (diverged == NOT_DIVERGED)
            return (step_all(path, dyn), jnp.where(bad, i, diverged)), (xy, loss)

        path = init_all(xy0, dyn)
        none = jnp.full(path[1].shape, NOT_DIVERGED)
        # The last trip only emits row `steps`; XLA drops its unused update.
        (_, diverged), (xs, losses) = jax.lax.scan(body, (path, none), jnp.arange(steps + 1))
        return xs, losses, diverged

    return run


@functools.lru_cache(maxsize=32)
def _loss_and_grad(surface: _surfaces.Surface, batched: bool):
    """The surface's value and gradient, at one point or (batched) at a stack of points.

    One jitted function per surface, called from the initial point and every
    step of every optimizer in a race: JAX traces and differentiates the surface
    once instead of twice per optimizer, and lowers it once as a function the
    program calls (XLA inlines it again; the paths are bit for bit the same).
    """
    value_and_grad = jax.value_and_grad(surface.fn)
    return jax.jit(jax.vmap(value_and_grad) if batched else value_and_grad)


def freeze_diverged(xs: np.ndarray, losses: np.ndarray, diverged: np.ndarray):
    """Cut each diverged path at its first non-finite row.

    xs (..., T, 2), losses (..., T), diverged (...) holding that row or -1:
    rows from there on repeat the last finite row. Paths that stayed finite
    cost nothing; only when some path diverged are the arrays copied.
    """
    hit = np.nonzero(diverged != NOT_DIVERGED)
    if len(hit[0]) == 0:
        return xs, losses
    xs, losses = np.array(xs), np.array(losses)  # writable copies
    rows = diverged[hit]
    last = np.maximum(rows - 1, 0)  # row 0, the start, is checked finite
    cut = np.arange(xs.shape[-2])[None, :] >= rows[:, None]  # (k, T)
    k = np.arange(len(rows))
    sub_xy, sub_loss = xs[hit], losses[hit]  # (k, T, 2), (k, T)
    xs[hit] = np.where(cut[..., None], sub_xy[k, last][:, None], sub_xy)
    losses[hit] = np.where(cut, sub_loss[k, last][:, None], sub_loss)
    return xs, losses
