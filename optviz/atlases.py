"""`atlas`: maps of many runs, as an object a notebook shows inline.

>>> a = optviz.atlas(["sgd", "momentum", "adam"], "himmelblau", grid=100)   # basins
>>> a.outcome_at(0.0, 0.0, "adam")                                        # doctest: +SKIP
Outcome(kind='minimum', step=41, minimum=(3.0, 2.0))
>>> optviz.atlas("momentum", "rosenbrock", map={"lr": (1e-5, 1e-1), "momentum": (0, 0.99)},
...              log=["lr"])                                              # doctest: +SKIP
>>> optviz.atlas(trainability=True, grid=256).dimension()                  # doctest: +SKIP

Three kinds: basins of attraction (every start point of a grid over the surface's
domain, one panel per optimizer), a hyperparameter map (two hyperparameters of one
optimizer on a grid, from the surface's default start), and the trainability fractal
of Sohl-Dickstein (2024). `plot()` gives a Figure, `save()` a .png, .npz (the raw
arrays) or, for a trainability zoom, a .gif; notebooks show the picture inline.

(The module is not called ``atlas.py``: importing a submodule ``optviz.atlas`` would
replace the function ``optviz.atlas`` on the package.)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import numpy as np

from optviz import engine
from optviz import optimizers as _optimizers
from optviz import surfaces as _surfaces
from optviz.errors import OptvizError
from optviz.maps import basins, boxcount, fractal
from optviz.maps.axes import NEVER, NOT_CONVERGED, OUTCOME_NAMES, Axis, Outcomes
from optviz.maps.checks import check_grid, map_axes

__all__ = ["Atlas", "Outcome", "atlas"]

GRID = {"basins": 400, "hparams": 400, "trainability": 256}
STEPS = {"basins": 500, "hparams": 500, "trainability": 500}
ZOOM_FACTOR = 4.0  # each zoom level shows a quarter of the one before, per axis


@dataclass(frozen=True)
class Outcome:
    """What the run of one pixel came to.

    kind: "minimum", "not converged", "left the domain", "diverged" (maps of a
    surface) or "converged", "diverged" (trainability). step: when (the first step
    within tolerance of the minimum it ended at, outside the domain, non-finite);
    None if nothing happened. minimum: the (x, y) of the minimum reached.
    """

    kind: str
    step: int | None = None
    minimum: tuple[float, float] | None = None


@dataclass(frozen=True)
class Level:
    """One trainability picture: its axes and per-pixel arrays (see `maps.fractal`)."""

    x: Axis
    y: Axis
    measure: np.ndarray
    diverged: np.ndarray
    final_loss: np.ndarray

    def dimension(self) -> float:
        return boxcount.dimension(boxcount.sign_edges(self.measure))


@dataclass(frozen=True)
class Atlas:
    """The result of `atlas`. kind: "basins", "hparams" or "trainability".

    x, y: the axes (coordinates, hyperparameters (optax names) or the two layers'
    learning rates). panels: optimizer name -> `Outcomes` ((y.n, x.n) arrays, row 0 at
    the bottom). levels: the trainability pictures, zoom levels after the first.
    """

    kind: str
    x: Axis
    y: Axis
    steps: int
    panels: Mapping[str, Outcomes] = field(default_factory=dict)
    levels: tuple[Level, ...] = ()
    surface: _surfaces.Surface | None = None
    hparams: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    start: tuple[float, float] | None = None
    tol: float | None = None

    def outcome_at(self, x: float, y: float, optimizer: str | None = None) -> Outcome:
        """The outcome of the pixel nearest (x, y) (a start point, or hyperparameter
        values) in `optimizer`'s panel (default: the first)."""
        i, j = self.y.index(y), self.x.index(x)
        if self.kind == "trainability":
            level = self.levels[0]
            blown = int(level.diverged[i, j])
            if level.measure[i, j] < 0:
                return Outcome("converged", None if blown == NEVER else blown)
            return Outcome("diverged", None if blown == NEVER else blown)
        name = next(iter(self.panels)) if optimizer is None else optimizer
        if name not in self.panels:
            raise OptvizError(f"no panel {name!r}; this atlas has {', '.join(self.panels)}")
        out = self.panels[name]
        code, step = int(out.outcome[i, j]), int(out.step[i, j])
        if code >= 0:
            m = self.surface.minima[code]
            return Outcome("minimum", step, tuple(float(v) for v in m.xy))
        return Outcome(OUTCOME_NAMES[code], None if code == NOT_CONVERGED else step)

    def dimension(self) -> float:
        """Box-counting dimension of the converged/diverged boundary (trainability)."""
        if self.kind != "trainability":
            raise OptvizError("dimension() is for trainability atlases")
        return self.levels[0].dimension()

    def plot(
        self, *, size: tuple[int, int] | None = None, theme: str = "light", title: str | None = None
    ):
        """A matplotlib Figure of the atlas (the first level of a zoom)."""
        from optviz.render import atlasview
        from optviz.render.theme import get_theme

        th = get_theme(theme)
        if self.kind == "basins":
            size = size or (max(640, 360 * len(self.panels) + 60), 480)
            return atlasview.basins_figure(
                self.surface,
                [(_optimizers.spec(n).display, o) for n, o in self.panels.items()],
                self.x,
                self.y,
                self.steps,
                size=size,
                theme=th,
                title=title,
            )
        if self.kind == "hparams":
            name, out = next(iter(self.panels.items()))
            hp = self.hparams[name]
            mark = (hp[self.x.name], hp[self.y.name]) if self._default_inside(hp) else None
            ref = self.surface.global_min_value or 0.0
            label = f"{_optimizers.spec(name).display} on {self.surface.name}"
            return atlasview.hparam_figure(
                label,
                out,
                self.x,
                self.y,
                ref,
                mark=mark,
                size=size or (640, 480),
                theme=th,
                title=title,
            )
        level = self.levels[0]
        return atlasview.fractal_figure(
            atlasview.trainability_colors(level.measure),
            level.x,
            level.y,
            size=size or (560, 560),
            theme=th,
            title=title or _FRACTAL_TITLE,
            note=self._note(level),
        )

    def _note(self, level: Level) -> str:
        return (
            f"{self.steps} steps of gradient descent; boundary dimension ≈ {level.dimension():.2f}"
        )

    def _default_inside(self, hp: Mapping[str, Any]) -> bool:
        return all(
            a.name in hp and min(a.lo, a.hi) <= hp[a.name] <= max(a.lo, a.hi)
            for a in (self.x, self.y)
        )

    def save(
        self,
        out: str | FsPath,
        *,
        size: tuple[int, int] | None = None,
        theme: str = "light",
        title: str | None = None,
        fps: float = 6.0,
    ):
        """Write `out`: .png (the picture), .npz (every array, for notebooks) or .gif
        (a trainability zoom: every level, with magnified frames between them).
        The file appears whole or not at all. Returns a `RenderInfo`."""
        from optviz.render import atlasview
        from optviz.render.atlasfile import write_frames, write_npz, write_png
        from optviz.render.theme import get_theme

        out = FsPath(out)
        suffix = out.suffix.lower()
        if not out.parent.is_dir():
            raise OptvizError(f"cannot write {out}: folder {out.parent} does not exist")
        if suffix == ".npz":
            return write_npz(out, self.arrays())
        if suffix == ".png":
            return write_png(out, atlasview.pixels(self.plot(size=size, theme=theme, title=title)))
        if suffix == ".gif":
            if self.kind != "trainability" or len(self.levels) < 2:
                raise OptvizError("a .gif is a zoom: use a trainability atlas with zoom >= 1")
            frames = atlasview.zoom_frames(
                [(atlasview.trainability_colors(v.measure), v.x, v.y) for v in self.levels],
                size=size or (480, 480),
                theme=get_theme(theme),
                title=title or _FRACTAL_TITLE,
                notes=[self._note(v) for v in self.levels],
            )
            return write_frames(out, list(frames), fps=fps)
        raise OptvizError(f"an atlas is saved as .png, .gif or .npz, not {out.name!r}")

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the atlas by name (what `save("x.npz")` writes)."""
        found: dict[str, np.ndarray] = {"x": self.x.values, "y": self.y.values}
        for name, out in self.panels.items():
            for key, value in out.__dict__.items():
                found[f"{name}/{key}"] = value
        for k, level in enumerate(self.levels):
            for key in ("measure", "diverged", "final_loss"):
                found[f"level{k}/{key}"] = getattr(level, key)
            found[f"level{k}/x"], found[f"level{k}/y"] = level.x.values, level.y.values
        if self.surface is not None and self.surface.minima:
            found["minima"] = np.asarray([m.xy for m in self.surface.minima])
        return found

    def _repr_png_(self) -> bytes:
        from optviz.render import atlasview
        from optviz.render.encode import _image

        buf = io.BytesIO()
        _image(atlasview.pixels(self.plot())).save(buf, format="PNG")
        return buf.getvalue()

    def __repr__(self) -> str:
        what = {
            "basins": "basins of attraction",
            "hparams": "hyperparameter map",
            "trainability": "trainability map",
        }[self.kind]
        where = f" on {self.surface.name}" if self.surface is not None else ""
        names = f" of {', '.join(self.panels)}" if self.panels else ""
        zoom = f", {len(self.levels) - 1} zoom levels" if len(self.levels) > 1 else ""
        return f"<Atlas: {what}{names}{where}, {self.x.n}x{self.y.n}, {self.steps} steps{zoom}>"


_FRACTAL_TITLE = "Trainability: 1 hidden layer, tanh, full batch"


def atlas(
    optimizers: str | Sequence[str] | None = None,
    surface: str | _surfaces.Surface | None = None,
    *,
    grid: int | None = None,
    steps: int | None = None,
    map: Mapping[str, Sequence[float]] | None = None,
    log: Sequence[str] = (),
    start: Sequence[float] | None = None,
    trainability: bool = False,
    zoom: int = 0,
    tol: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    **hparams: Any,
) -> Atlas:
    """Maps of many runs (see the module docstring). Everything is checked before any work.

    grid: pixels per side (default 400; trainability 256). steps: per run (500).
    map: {name: (lo, hi)} for two hyperparameters of one optimizer; log: the names
    whose axis is logarithmic. start: the start point of a hyperparameter map
    (default: the surface's first). zoom: trainability only, the number of levels to
    zoom in (each 4x, towards the boundary point nearest the centre). tol: how close
    to a minimum counts as reaching it (default: 1% of the domain's larger side).
    progress(done, total): after each chunk of runs. Other keywords: hyperparameters,
    as in `optviz.trajectories`.
    """
    kind = "trainability" if trainability else ("hparams" if map is not None else "basins")
    n = GRID[kind] if grid is None else grid
    steps = STEPS[kind] if steps is None else steps
    engine._check_steps(steps)
    if kind == "trainability":
        if optimizers is not None or surface is not None or map is not None or hparams:
            raise OptvizError(
                "the trainability atlas takes no optimizer, surface, map or "
                "hyperparameters (it trains its own network by gradient descent)"
            )
        if isinstance(zoom, bool) or not isinstance(zoom, int) or not 0 <= zoom <= 40:
            raise OptvizError(f"zoom must be a whole number of levels 0-40, got {zoom!r}")
        check_grid(n, 24 + 12 * (zoom + 1), "trainability map")  # inputs, then results
        return _trainability(n, steps, zoom, progress)
    if zoom:
        raise OptvizError("zoom is for the trainability atlas (trainability=True)")
    if optimizers is None or surface is None:
        raise OptvizError("name the optimizers and the surface (or trainability=True)")
    names = engine.optimizer_names(optimizers)
    surf = engine._surface(surface)
    per_opt = engine.split_hparams(names, hparams)
    used = {m: _optimizers.spec(m).resolve(surf.name, **per_opt[m]) for m in names}
    tol = basins.default_tol(surf) if tol is None else float(tol)
    if not tol > 0:
        raise OptvizError(f"tol must be a positive distance, got {tol!r}")
    per_pixel = 25 + 4 * len(surf.minima)  # results of one optimizer; inputs take 24
    if kind == "hparams":
        if len(names) != 1:
            raise OptvizError(f"a hyperparameter map is of one optimizer, got {len(names)}")
        x, y = map_axes(names[0], map, log, n)
        check_grid(n, 24 + 8 + per_pixel, "hyperparameter map")
        xy0 = engine._starts(surf, None if start is None else [start])[0]
        hp = used[names[0]]
        out = basins.hparam_map(names[0], surf, xy0, x, y, steps, hp, tol=tol, progress=progress)
        return Atlas(
            "hparams",
            x,
            y,
            steps,
            {names[0]: out},
            surface=surf,
            hparams=used,
            start=tuple(float(v) for v in xy0),
            tol=tol,
        )
    if log or start is not None:
        raise OptvizError("log and start are for a hyperparameter map (map=...)")
    check_grid(n, 24 + per_pixel * len(names), "basin map")
    (x0, x1), (y0, y1) = surf.domain
    x, y = Axis("x", x0, x1, n), Axis("y", y0, y1, n)
    panels = {}
    for k, name in enumerate(names):
        step = None if progress is None else _offset(progress, k, len(names), n * n)
        panels[name] = basins.start_map(name, surf, x, y, steps, used[name], tol=tol, progress=step)
    return Atlas("basins", x, y, steps, panels, surface=surf, hparams=used, tol=tol)


def _offset(progress, k: int, n_maps: int, per_map: int):
    return lambda done, total: progress(k * per_map + done, n_maps * per_map)


def _trainability(n: int, steps: int, zoom: int, progress) -> Atlas:
    lo, hi = fractal.DEFAULT_RANGE
    x = Axis(fractal.X_NAME, lo, hi, n, True)
    y = Axis(fractal.Y_NAME, lo, hi, n, True)
    levels = []
    for k in range(zoom + 1):
        step = None if progress is None else _offset(progress, k, zoom + 1, n * n)
        r = fractal.trainability_map(x, y, steps, progress=step)
        levels.append(Level(x, y, r["measure"], r["diverged"], r["final_loss"]))
        cx, cy = fractal.boundary_point(r["measure"], x, y)
        x, y = fractal.zoomed(x, cx, ZOOM_FACTOR), fractal.zoomed(y, cy, ZOOM_FACTOR)
    first = levels[0]
    return Atlas("trainability", first.x, first.y, steps, levels=tuple(levels))
