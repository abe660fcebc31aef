"""A picture whose paths and shown step change in place: the notebook explorer's.

`LiveFigure` keeps one matplotlib Figure (on any Agg-based canvas, e.g. ipympl's
clickable one) and draws it with the same `Stage` as the animations, so a slider
move looks exactly like a frame of the GIF. New paths with the same legend, colours,
length and loss axis only swap the moving artists' data; anything else lays the
figure out again, into the same Figure and canvas.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from optviz.paths import Path
from optviz.render.api import make_stage
from optviz.render.losspanel import loss_limits
from optviz.render.stage import DPI, Stage
from optviz.render.theme import get_theme
from optviz.render.timeline import make_tracks
from optviz.surfaces.base import Surface


class LiveFigure:
    """Paths on `surface` with a loss panel, updated by `show(paths, step)`.

    canvas: makes the figure's canvas (any Agg-based canvas class, e.g. ipympl's).
    stage: the `Stage` now drawn (its `scenes[0].ax` is the contour axes).
    """

    def __init__(
        self,
        surface: Surface,
        *,
        size: tuple[int, int] = (880, 440),
        theme: str = "light",
        loss_panel: bool = True,
        title: str | None = None,
        lang: str = "en",
        canvas: Callable[[Figure], FigureCanvasAgg] = FigureCanvasAgg,
    ):
        self.surface, self.size, self.theme, self.lang = surface, size, theme, lang
        self.loss_panel, self.title = loss_panel, title
        w, h = size
        self.fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI)
        self.canvas = canvas(self.fig)
        self.paths: list[Path] = []
        self.stage: Stage | None = None
        self._layout: tuple | None = None
        self.layouts = 0  # how often the figure was laid out (each costs a full draw)
        # laid out by the first `show` (a figure drawn now would be laid out again for it)

    def _drawn(self) -> Stage:
        """The stage now drawn; the bare surface, if nothing was shown yet."""
        if self.stage is None:
            self.show([], 0, start=self.surface.start)
        return self.stage

    @property
    def ax(self):
        """The contour axes."""
        return self._drawn().scenes[0].ax

    @property
    def loss_ax(self):
        """The loss panel's axes (None without one)."""
        return self._drawn().scenes[-1].ax if self.loss_panel else None

    def artists(self, optimizer: str):
        """(line, head) of `optimizer`'s path on the contour axes."""
        scene = self._drawn().scenes[0]
        i = [p.optimizer for p in self.paths].index(optimizer)
        return scene.lines[i], scene.heads[i]

    def show(self, paths: Sequence[Path], step: int, start=None) -> np.ndarray:
        """Draw `paths` up to `step` (and `start` marked); returns the canvas pixels."""
        self.paths = list(paths)
        tracks = make_tracks(self.paths, self.lang, theme=get_theme(self.theme).name)
        n_steps = max((t.xy.shape[0] for t in tracks), default=1)
        limits = self._limits_for(start)
        layout = (
            tuple((t.label, t.color, t.marker) for t in tracks),
            n_steps,
            loss_limits(tracks) if self.loss_panel else None,
            None if start is None else (float(start[0]), float(start[1])),
            tuple(limits.items()),
        )
        if layout != self._layout:
            self.stage, _ = make_stage(
                self.surface, self.paths, size=self.size, theme=self.theme,
                title=self.title, loss_panel=self.loss_panel, lang=self.lang,
                starts=None if start is None else np.asarray([start]), figure=self.fig,
                still=False, **limits,
            )  # fmt: skip
            self._layout = layout
            self.layouts += 1
        else:
            self.stage.set_tracks(tracks)
        pixels = self.stage.draw(step)
        self.canvas.blit(self.fig.bbox)  # an interactive canvas sends the new pixels
        return pixels

    def _limits_for(self, start) -> dict:
        """The surface's frame, or its whole domain once the start is outside the frame
        (a start typed or clicked anywhere in the domain stays in the picture)."""
        if start is None or self.surface.frame is None:
            return {}
        (x0, x1), (y0, y1) = self.surface.frame
        if x0 <= start[0] <= x1 and y0 <= start[1] <= y1:
            return {}
        (dx0, dx1), (dy0, dy1) = self.surface.domain
        return {"xlim": (dx0, dx1), "ylim": (dy0, dy1)}

    @property
    def step(self) -> int:
        return self._drawn().step

    def png(self) -> bytes:
        """The current picture as PNG bytes (fast, lightly compressed)."""
        rgba = np.asarray(self.canvas.buffer_rgba())
        buf = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buf, format="PNG", compress_level=1)
        return buf.getvalue()
