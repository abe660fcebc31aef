"""The figure: panels laid out once, background rendered once, frames by blitting.

The one figure engine behind every picture optviz draws:

* animations (`render`): `Stage.frame(step)` restores the saved background pixels and
  draws only what moves (path lines, heads, loss curves, the step counter) on the Agg
  canvas: no FuncAnimation, no full redraw per frame;
* stills (`Race.plot`, `optviz show`): ``still=True`` makes every artist ordinary, draws
  each path in full and leaves the step counter out, so `fig` is a plain Figure;
* the notebook explorer (`optviz.render.live`): ``figure=`` draws into an existing
  figure (an interactive canvas's), `set_tracks` swaps the paths' data in place, and a
  full draw by anyone (the front end, `savefig`) keeps the moving artists.
"""

from __future__ import annotations

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from optviz.render.counter import Counter
from optviz.render.fonts import missing_from_base
from optviz.render.landscape import sample
from optviz.render.losspanel import LossScene
from optviz.render.scene2d import ContourScene
from optviz.render.scene3d import SurfaceScene
from optviz.render.theme import Theme
from optviz.render.timeline import Track
from optviz.surfaces.base import Surface

DPI = 100  # the default: 12 pt text is 16.7 px tall; a larger dpi draws everything larger
DPI_RANGE = (50.0, 600.0)
GRID_2D, GRID_3D = 300, 70  # samples per side for contours and for the surface mesh


def base_fontsize(size: tuple[int, int]) -> float:
    """12 pt at 640x480, scaled with the picture (projector-readable at any size)."""
    scale = min(size[0] / 640, size[1] / 480)
    return 12.0 * float(np.clip(scale, 0.75, 2.0))


class Stage:
    """One figure with its scenes; call `frame(step)` for each frame's RGBA pixels."""

    def __init__(
        self,
        surface: Surface,
        tracks: list[Track],
        n_steps: int,
        *,
        view: str,
        size: tuple[int, int],
        theme: Theme,
        title: str | None,
        loss_panel: bool,
        step_label: str,
        lang: str = "en",
        fonts: list[str] | None = None,
        transparent: bool = False,
        dpi: float = DPI,
        still: bool = False,
        starts: np.ndarray | None = None,
        figure: Figure | None = None,
    ):
        """fonts: the font.family list every text of the figure is made with (None:
        matplotlib's default). transparent: the figure's background (outside the
        panels) gets alpha 0. dpi: pixels per inch; the size stays `size` pixels,
        text and lines scale with dpi. still: a picture, not an animation (no counter,
        every path drawn in full). starts: start points to mark (None: the paths'
        first points). figure: draw into this figure (cleared first) and its canvas."""
        # Text artists take their font from rcParams when they are made, and all of
        # them (tick labels included) are made by the end of __init__.
        with rc_context({"font.family": fonts} if fonts else {}):
            W, H = size
            self.size, self.theme, self.step_label = (W, H), theme, step_label
            self.lang, self.transparent, self.dpi = lang, transparent, float(dpi)
            self.still, self.n_steps, self.step = still, n_steps, n_steps - 1 if still else 0
            face = (*to_rgb(theme.background), 0.0) if transparent else theme.background
            if figure is None:
                fig = Figure(figsize=(W / dpi, H / dpi), dpi=dpi, facecolor=face)
                FigureCanvasAgg(fig)
            else:
                fig = figure
                fig.clear()
                fig.set_dpi(dpi)
                fig.set_size_inches(W / dpi, H / dpi, forward=False)
                fig.set_facecolor(face)
            if fig.canvas.get_width_height() != (W, H):  # float rounding: nudge up
                fig.set_size_inches((W + 0.25) / dpi, (H + 0.25) / dpi, forward=False)
            self.fig, self.canvas = fig, fig.canvas
            renderer = self.canvas.get_renderer()
            fs = base_fontsize((W, H))
            pt = dpi / 72.0  # pixels per point
            pad = 0.6 * fs * pt

            # Top band: title on the left, step counter on the right.
            top = 1.9 * fs * pt
            ytxt = (H - 0.4 * fs * pt) / H
            if title:
                fig.text(
                    pad / W,
                    ytxt,
                    title,
                    ha="left",
                    va="top",
                    fontsize=fs + 2,
                    color=theme.text,
                    # the Japanese font has no bold: keep one weight within the title
                    fontweight="normal" if lang == "ja" or missing_from_base([title]) else "bold",
                )
            self.counter = None
            if not still:
                self.counter = Counter(
                    fig,
                    W - pad,
                    0.4 * fs * pt,
                    top,
                    step_label,
                    n_steps - 1,
                    fs + 1,
                    theme.text,
                    theme.background,
                    label_family=["monospace", *(fonts or [])],
                    transparent=transparent,
                )

            kinds = {"2d": ["2d"], "3d": ["3d"], "both": ["2d", "3d"]}[view]
            if loss_panel:
                kinds.append("loss")
            # Beside a lone contour panel if it fits; a 3-D box spills past its
            # axes (the z ticks), so there and with several panels: below.
            beside = kinds == ["2d"]
            legend, right = self._legend(tracks, fs, beside, (W, H), top, pad, renderer)
            lw_px = legend.get_window_extent(renderer).width if right else 0.0
            below = legend.get_window_extent(renderer).height if legend and not right else 0.0
            bottom = pad + below
            x0, x1 = 0.0, W - (lw_px + 2 * pad if right else 0.0)
            y0, y1 = bottom, H - top
            if right:
                legend.set_bbox_to_anchor(((W - pad) / W, 0.5), transform=fig.transFigure)

            animated = not still
            self.scenes = []
            land2 = sample(surface, GRID_2D, theme) if "2d" in kinds else None
            land3 = sample(surface, GRID_3D, theme) if "3d" in kinds else None
            weights = {"2d": 1.0, "3d": 1.15, "loss": 0.9}
            total = sum(weights[k] for k in kinds)
            left = x0
            for kind in kinds:
                w = (x1 - x0) * weights[kind] / total
                if kind == "3d":
                    inset = 2.5 * fs * pt if left > x0 else 0.0  # room for the z tick labels
                    rect = (left + inset, y0, w - inset, y1 - y0)
                    scene = SurfaceScene(
                        fig, _frac(rect, W, H), surface, land3, tracks, theme, fs, lang, animated
                    )
                    if transparent:  # the 3-D box's surroundings are figure background
                        scene.ax.patch.set_alpha(0.0)
                else:
                    ml, mb = 3.6 * fs * pt, 2.6 * fs * pt
                    if kind == "loss" and "3d" in kinds:  # the 3-D box's z ticks spill right
                        ml += 2.0 * fs * pt
                    mt = (1.6 if kind == "loss" else 0.3) * fs * pt  # the loss panel's title
                    # the last step's tick label is centred on the loss panel's right edge
                    mr = (1.2 if kind == "loss" else 0.0) * fs * pt
                    rect = (left + ml, y0 + mb, w - ml - pad - mr, y1 - y0 - mb - mt)
                    if kind == "2d":
                        scene = ContourScene(
                            fig, _frac(rect, W, H), surface, land2, tracks, theme, fs, lang,
                            animated, starts,
                        )  # fmt: skip
                    else:
                        scene = LossScene(
                            fig, _frac(rect, W, H), tracks, n_steps, theme, fs, step_label,
                            lang, animated,
                        )  # fmt: skip
                self.scenes.append(scene)
                left += w

            if still:
                self._update(self.step)
                return
            self.background = None
            self.canvas.mpl_connect("draw_event", self._on_draw)
            self.canvas.draw()  # everything static, once; `_on_draw` keeps it as pixels
            self.counter.capture(self.canvas, self.background)

    def _legend(self, tracks, fs, beside, size, top, pad, renderer):
        """A legend that fits: beside the panel if allowed and there is room, else below.
        (None, False) when there is nothing to name."""
        if not tracks:
            return None, False
        W, H = size
        handles = [
            Line2D([], [], color=t.color, lw=3, marker=t.marker, ms=8, mec=self.theme.head_edge)
            for t in tracks
        ]
        labels = [t.label for t in tracks]
        style = dict(
            frameon=False,
            fontsize=fs,
            labelcolor=self.theme.text,
            handlelength=1.6,
            columnspacing=1.2,
            handletextpad=0.5,
            borderaxespad=0.2,
        )
        if beside:
            leg = self.fig.legend(handles, labels, loc="center right", ncols=1, **style)
            width = leg.get_window_extent(renderer).width
            if width + 2 * pad <= W - (H - top) * 1.05:
                return leg, True
            leg.remove()
        for ncols in range(max(len(tracks), 1), 0, -1):
            leg = self.fig.legend(handles, labels, loc="lower center", ncols=ncols, **style)
            if ncols == 1 or leg.get_window_extent(renderer).width <= W - 2 * pad:
                return leg, False
            leg.remove()
        raise AssertionError("unreachable")

    @property
    def reserved_colors(self) -> list[str]:
        """Colours that must survive palette quantisation exactly."""
        t = self.theme
        seen: dict[str, None] = {}
        for c in [t.background, t.text, *(s.color for s in self.tracks), t.minimum]:
            seen.setdefault(to_hex(c), None)
        return list(seen)

    @property
    def tracks(self) -> list[Track]:
        return self.scenes[0].tracks if self.scenes else []

    def set_tracks(self, tracks: list[Track]) -> None:
        """New data for the same paths (same count, names, colours and loss axis): the
        static picture stays, only the moving artists change."""
        for scene in self.scenes:
            scene.set_tracks(tracks)

    def _update(self, step: int) -> None:
        self.step = int(np.clip(step, 0, max(self.n_steps - 1, 0)))
        for scene in self.scenes:
            scene.update(self.step)

    def _draw_moving(self, renderer) -> None:
        for scene in self.scenes:
            scene.update(self.step)
            for artist in scene.artists:
                artist.draw(renderer)
        if self.counter is not None and self.counter.tiles:
            self.counter.stamp(np.asarray(self.canvas.buffer_rgba()), self.step)

    def _on_draw(self, event) -> None:
        """After a full draw (animated artists are skipped by it): keep the static
        picture as the background, then draw the moving artists on top."""
        if event.canvas is not self.canvas:  # pragma: no cover - a savefig elsewhere
            return
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self._draw_moving(event.renderer)

    def draw(self, step: int) -> np.ndarray:
        """Show `step` on the canvas (blitting over the background) and return the
        canvas's (H, W, 4) pixels, a view the next draw overwrites."""
        if self.still:
            raise ValueError("a still shows every path in full; draw the figure instead")
        self.step = int(np.clip(step, 0, max(self.n_steps - 1, 0)))
        self.canvas.restore_region(self.background)
        self._draw_moving(self.canvas.get_renderer())
        return np.asarray(self.canvas.buffer_rgba())

    def frame(self, step: int) -> np.ndarray:
        """The (H, W, 4) uint8 RGBA picture at `step` (a fresh array the caller may keep;
        the encoders take RGB or RGBA). Opaque unless the stage is transparent; alpha is
        straight (not premultiplied), as PNG and WebP store it."""
        if self.still:
            self.canvas.draw()
            return np.array(self.canvas.buffer_rgba(), dtype=np.uint8, copy=True)
        return np.array(self.draw(step), dtype=np.uint8, copy=True)


def _frac(rect, W, H):
    """A pixel rectangle (left, bottom, width, height) as figure fractions."""
    left, bottom, width, height = rect
    return (left / W, bottom / H, max(width, 1.0) / W, max(height, 1.0) / H)
