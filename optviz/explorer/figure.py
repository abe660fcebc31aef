"""A still picture of paths on a surface that can be updated in place.

`PathFigure` lays out a contour panel (and optionally a loss panel) once, with one
line, one ball and one loss curve per optimizer. Updating paths or the shown step
changes only those artists' data; with ``animated=True`` the landscape is drawn once
and kept as pixels, and each `draw()` blits the moving artists on top of it (a full
redraw happens only when the layout changes: the legend, the loss axis limits, or the
figure's size in pixels). Every full draw of the canvas, whoever asks for it (an
interactive canvas's front end, `savefig`), draws the moving artists too.

`Race.plot` uses it unanimated, as an ordinary matplotlib Figure; the explorer uses
it animated, on an Agg canvas whose `png()` bytes fill an image widget, or on an
interactive (ipympl) canvas that `draw()` updates through the canvas's `blit`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from PIL import Image

from optviz.paths import Path
from optviz.render.landscape import sample
from optviz.render.losspanel import loss_limits
from optviz.render.scene2d import draw_contours, style_axes
from optviz.render.theme import Theme, get_theme
from optviz.render.timeline import Track, make_tracks
from optviz.surfaces.base import Surface

DPI = 100
GRID = 200  # contour samples per side
FONT = 10.0
LINE_WIDTH = 2.2


def nice_limits(tracks: Sequence[Track]) -> tuple[float, float, bool]:
    """Loss-axis limits rounded outwards (to decades, or to tick multiples), so small
    changes of the paths keep the same limits and the background can be reused."""
    lo, hi, log = loss_limits(list(tracks))
    if log:
        return 10.0 ** np.floor(np.log10(lo)), 10.0 ** np.ceil(np.log10(hi)), True
    ticks = MaxNLocator(nbins=5).tick_values(lo, hi)
    return float(ticks[0]), float(ticks[-1]), False


class PathFigure:
    """Contours of `surface` with updatable paths for the optimizers in `names`.

    lines, heads, loss_lines: optimizer name -> its Line2D on the contour axes
    (`ax`) and the loss axes (`loss_ax`, None without a loss panel).
    canvas: makes the figure's canvas (any Agg-based canvas class, e.g. ipympl's).
    """

    def __init__(
        self,
        surface: Surface,
        names: Sequence[str],
        colors: Mapping[str, str],
        *,
        size: tuple[int, int] = (880, 440),
        theme: str | Theme = "light",
        loss_panel: bool = True,
        animated: bool = True,
        title: str | None = None,
        canvas: Callable[[Figure], FigureCanvasAgg] = FigureCanvasAgg,
    ):
        self.surface, self.theme, self.animated = surface, get_theme(theme), animated
        t = self.theme
        w, h = size
        self.fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI, facecolor=t.background)
        self.canvas = canvas(self.fig)
        bottom, height = 0.22, 0.66
        if loss_panel:
            ax_rect, loss_rect = (0.06, bottom, 0.44, height), (0.6, bottom, 0.37, height)
        else:
            ax_rect, loss_rect = (0.08, bottom, 0.84, height), None
        self.ax = self.fig.add_axes(ax_rect)
        self._draw_landscape()
        self.loss_ax = None
        if loss_rect is not None:
            self.loss_ax = self.fig.add_axes(loss_rect)
            style_axes(self.loss_ax, t, FONT)
            self.loss_ax.set_xlabel("step")
            self.loss_ax.set_title("loss", color=t.text, fontsize=FONT, loc="left", pad=4)
            self.loss_ax.grid(True, color=t.muted, alpha=0.3, lw=0.8)
        self.fig.text(
            0.01,
            0.98,
            title or surface.name,
            ha="left",
            va="top",
            color=t.text,
            fontsize=FONT + 2,
            fontweight="bold",
        )
        self.step_text = self.fig.text(
            0.99, 0.98, "", ha="right", va="top", color=t.text, fontsize=FONT + 1, animated=animated
        )
        self.start_marker = Line2D(
            [],
            [],
            ls="none",
            marker="s",
            ms=7,
            mfc=t.text,
            mec=t.head_edge,
            zorder=9,
            animated=animated,
            label="_start",
        )
        self.ax.add_line(self.start_marker)
        self.lines: dict[str, Line2D] = {}
        self.heads: dict[str, Line2D] = {}
        self.loss_lines: dict[str, Line2D] = {}
        for name in names:
            c = colors[name]
            self.lines[name] = self._add(self.ax, color=c, lw=LINE_WIDTH, gid=f"path:{name}")
            self.heads[name] = self._add(
                self.ax,
                ls="none",
                marker="o",
                ms=9,
                mfc=c,
                mec=t.head_edge,
                mew=1.3,
                gid=f"head:{name}",
                label="_head",
                zorder=8,
            )
            if self.loss_ax is not None:
                self.loss_lines[name] = self._add(self.loss_ax, color=c, lw=LINE_WIDTH - 0.4)
        self.tracks: dict[str, Track] = {}
        self.step = 0
        self._legend = None
        self._layout: tuple | None = None  # what the saved background shows
        self._background = None
        if animated:
            self.canvas.mpl_connect("draw_event", self._on_draw)

    def _draw_landscape(self) -> None:
        ax, t, surface = self.ax, self.theme, self.surface
        land = sample(surface, GRID, t)
        style_axes(ax, t, FONT)
        draw_contours(ax, surface, land, t)

    def _add(self, ax, **style) -> Line2D:
        style.setdefault("zorder", 7)
        line = Line2D([], [], animated=self.animated, solid_capstyle="round", **style)
        line.set_visible(False)
        ax.add_line(line)
        return line

    def set_paths(self, paths: Mapping[str, Path], start: Sequence[float] | None = None) -> None:
        """Show these paths (optimizer name -> Path); every other optimizer is hidden."""
        unknown = set(paths) - set(self.lines)
        if unknown:
            raise KeyError(f"no line for {sorted(unknown)}")
        self.tracks = dict(zip(paths, make_tracks(list(paths.values())), strict=True))
        if start is not None:
            self.start_marker.set_data([start[0]], [start[1]])
        labels = {name: t.label for name, t in self.tracks.items()}
        if self._legend is None or self._legend[0] != labels:
            self._set_legend(labels)
        self.set_step(self.step)

    def _set_legend(self, labels: dict[str, str]) -> None:
        if self._legend is not None:
            self._legend[1].remove()
        handles = [
            Line2D(
                [],
                [],
                color=self.lines[n].get_color(),
                lw=3,
                marker="o",
                ms=7,
                mec=self.theme.head_edge,
            )
            for n in labels
        ]
        legend = self.fig.legend(
            handles,
            list(labels.values()),
            loc="lower center",
            ncols=max(1, min(len(labels), 6)),
            frameon=False,
            fontsize=FONT,
            labelcolor=self.theme.text,
            handlelength=1.5,
            columnspacing=1.0,
        )
        self._legend = (labels, legend)

    @property
    def n_steps(self) -> int:
        """Rows of the longest path shown (steps + 1)."""
        return max((t.xy.shape[0] for t in self.tracks.values()), default=1)

    def set_step(self, step: int) -> None:
        """Draw every path up to `step` (clamped to the paths' length), its ball at `step`."""
        self.step = step = int(np.clip(step, 0, self.n_steps - 1))
        for name, line in self.lines.items():
            head, loss_line = self.heads[name], self.loss_lines.get(name)
            track = self.tracks.get(name)
            shown = track is not None
            for artist in (line, head, loss_line):
                if artist is not None:
                    artist.set_visible(shown)
            if not shown:
                continue
            rows = track.upto(step)
            line.set_data(track.xy[rows, 0], track.xy[rows, 1])
            hx, hy = track.head(step)
            head.set_data([hx], [hy])
            if loss_line is not None:
                loss_line.set_data(np.arange(rows.stop, dtype=np.float64), track.loss[rows])
        self.step_text.set_text(f"step {step:,} / {self.n_steps - 1:,}")
        if self.loss_ax is not None:
            lo, hi, log = nice_limits(list(self.tracks.values()))
            self.loss_ax.set_yscale("log" if log else "linear")
            self.loss_ax.set_ylim(lo, hi)
            self.loss_ax.set_xlim(0, max(self.n_steps - 1, 1))

    def _moving(self) -> list:
        return [
            self.start_marker,
            *self.lines.values(),
            *self.heads.values(),
            *self.loss_lines.values(),
            self.step_text,
        ]

    def draw(self) -> np.ndarray:
        """Render and return the (H, W, 4) uint8 picture (a view of the canvas buffer).

        Animated: reuses the saved background unless the layout changed, then blits
        (which sends the new pixels to an interactive canvas's front end)."""
        if not self.animated:
            self.canvas.draw()
            return np.asarray(self.canvas.buffer_rgba())
        if self._layout_key() != self._layout:
            self.canvas.draw()  # static artists, then `_on_draw` adds the moving ones
        else:
            self.canvas.restore_region(self._background)
            self._draw_moving(self.canvas.get_renderer())
            self.canvas.blit(self.fig.bbox)
        return np.asarray(self.canvas.buffer_rgba())

    def _on_draw(self, event) -> None:
        """After a full draw (animated artists are skipped by it): keep the static
        picture as the background, then draw the moving artists on top."""
        if event.canvas is self.canvas:  # not a `savefig` to another format
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._layout = self._layout_key()
        self._draw_moving(event.renderer)

    def _draw_moving(self, renderer) -> None:
        for artist in self._moving():
            if artist.get_visible():
                artist.draw(renderer)

    def _layout_key(self) -> tuple:
        """What decides the static picture: legend, loss axis limits, size in pixels."""
        labels = tuple(self._legend[0].items()) if self._legend else ()
        return (labels, self._limits(), tuple(self.fig.bbox.size))

    def _limits(self) -> tuple:
        if self.loss_ax is None:
            return ()
        return (*self.loss_ax.get_xlim(), *self.loss_ax.get_ylim(), self.loss_ax.get_yscale())

    def png(self) -> bytes:
        """The current picture as PNG bytes (fast, lightly compressed)."""
        rgba = self.draw()
        buf = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buf, format="PNG", compress_level=1)
        return buf.getvalue()
