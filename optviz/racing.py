"""`race`: optimizers racing on a surface, as an object a notebook shows inline.

>>> race = optviz.race(["sgd", "momentum", "adam"], "beale", steps=500, lr={"sgd": 1e-3})
>>> race.paths["adam"].shape, race.diverged["sgd"]  # doctest: +SKIP
((501, 2), None)

In Jupyter the race shows itself as a small looping GIF (`_repr_html_`); consoles get
a one-paragraph summary (`__repr__`) and image-only frontends the last frame
(`_repr_png_`). `plot()` gives a static matplotlib Figure, `save()` any animation file.

(The module is not called ``race.py``: importing a submodule ``optviz.race`` would
replace the function ``optviz.race`` on the package.)
"""

from __future__ import annotations

import base64
import functools
import html
import io
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path as FsPath
from typing import Any

from matplotlib.figure import Figure

from optviz import engine
from optviz import optimizers as _optimizers
from optviz import surfaces as _surfaces
from optviz.errors import OptvizError
from optviz.paths import Path
from optviz.render import RenderInfo, make_stage, render

__all__ = ["Race", "race"]

INLINE_SIZE = (480, 360)
INLINE_FRAMES = 60
INLINE_FPS = 20


def race(
    optimizers: str | Sequence[str],
    surface: str | _surfaces.Surface,
    *,
    start: Sequence[float] | None = None,
    starts: Sequence[Sequence[float]] | None = None,
    steps: int = 300,
    domain: Any = None,
    **hparams: Any,
) -> Race:
    """Run `optimizers` on `surface` (hyperparameters as in `optviz.trajectories`).

    start: one (x, y) start point; starts: several (each optimizer runs from each).
    Without either, the surface's default start points are used.
    optimizers and surface: as in `optviz.trajectories` (names, objects; a surface
    name, a `Surface`, or a formula or function with ``domain``).
    """
    if start is not None and starts is not None:
        raise OptvizError("give start= or starts=, not both")
    if start is not None:
        starts = [start]
    surf = _surfaces.surface(surface, domain)
    result = engine.trajectories(optimizers, surf, starts=starts, steps=steps, **hparams)
    return Race(result, surf)


class Race:
    """The result of `race`: paths, losses and divergence per optimizer, and pictures.

    paths[name]: (steps + 1, 2) positions; losses[name]: (steps + 1,); diverged[name]:
    the step that went non-finite, or None. With several start points each gains a
    leading start axis (paths (n_start, steps + 1, 2), diverged a tuple per start).
    `result` is the underlying `optviz.Trajectories`.
    """

    def __init__(self, result: engine.Trajectories, surface: _surfaces.Surface):
        self.result, self.surface = result, surface
        many = len(result.starts) > 1
        names = result.optimizers
        pick = (lambda a: a) if many else (lambda a: a[0])
        self.paths = {n: pick(result.positions[i]) for i, n in enumerate(names)}
        self.losses = {n: pick(result.losses[i]) for i, n in enumerate(names)}
        starts = range(len(result.starts))
        per_start = {n: tuple(result.diverged(n, s) for s in starts) for n in names}
        self.diverged = {n: v if many else v[0] for n, v in per_start.items()}

    @property
    def optimizers(self) -> tuple[str, ...]:
        return self.result.optimizers

    @property
    def steps(self) -> int:
        return self.result.positions.shape[2] - 1

    def drawn_paths(self) -> list[Path]:
        """Every path to draw, labelled for the legend (start point added if several)."""
        n = len(self.result.starts)
        return [p for s in range(n) for p in self.result.paths(s)]

    def save(self, out: str | os.PathLike, *, fmt: str | None = None, **options: Any) -> RenderInfo:
        """Write the animation to `out`; the format comes from the extension unless `fmt`.

        options: those of `optviz.render.render` (view, frames, fps, size, theme,
        title, loss_panel, progress, ...), the same as the command line's.
        """
        return render(self.surface, self.drawn_paths(), out, fmt=fmt, **options)

    def plot(
        self,
        *,
        loss_panel: bool = True,
        size: tuple[int, int] = (880, 440),
        theme: str = "light",
        title: str | None = None,
        view: str = "2d",
        lang: str = "en",
    ) -> Figure:
        """A static figure: every path in full over the landscape (+ the loss per step),
        drawn by the same figure engine as the animations."""
        stage, _ = make_stage(
            self.surface, self.drawn_paths(), view=view, size=size, theme=theme,
            title=title, loss_panel=loss_panel, lang=lang, still=True,
        )  # fmt: skip
        _register_figure_display()
        return stage.fig

    def _render_bytes(self, fmt: str, frames: int) -> bytes:
        with tempfile.TemporaryDirectory(prefix="optviz-") as tmp:
            out = FsPath(tmp) / f"race.{fmt}"
            self.save(out, frames=frames, fps=INLINE_FPS, size=INLINE_SIZE, fmt=fmt)
            return out.read_bytes()

    @functools.cached_property
    def gif(self) -> bytes:
        """The inline animation: a small GIF (480x360, at most 60 frames)."""
        return self._render_bytes("gif", min(INLINE_FRAMES, self.steps + 1))

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.gif).decode("ascii")
        w, h = INLINE_SIZE
        alt = html.escape(self._summary())
        return f'<img src="data:image/gif;base64,{data}" width="{w}" height="{h}" alt="{alt}">'

    def _repr_png_(self) -> bytes:
        return self._render_bytes("png", 1)

    def _summary(self) -> str:
        return f"{', '.join(self.optimizers)} on {self.surface.name}, {self.steps} steps"

    def __repr__(self) -> str:
        lines = [f"Race({self._summary()})"]
        width = max(len(_optimizers.spec(n).display) for n in self.optimizers)
        for i, name in enumerate(self.optimizers):
            display = _optimizers.spec(name).display
            for s in range(len(self.result.starts)):
                step = self.result.diverged(name, s)
                xy, loss = self.result.positions[i, s, -1], self.result.losses[i, s, -1]
                end = f"diverged at step {step}" if step is not None else f"loss {loss:.4g}"
                where = f"({xy[0]:.3f}, {xy[1]:.3f})"
                lines.append(f"  {display:<{width}}  start {s + 1}: {end}, ends at {where}")
        return "\n".join(lines)


def _register_figure_display() -> None:
    """In IPython, show a bare matplotlib Figure as PNG even if pyplot was never imported
    (the inline backend registers this formatter only when pyplot loads)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, _figure_png)


def _figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=fig.get_facecolor())
    return buf.getvalue()
