"""The figure: panels laid out once, background rendered once, frames by blitting.

The one figure engine behind every picture optviz draws:

* animations (`render`): `Stage.frame(step)` restores the saved background pixels and
  draws only what moves (path lines, heads, loss curves, the step counter) on the Agg
  canvas: no FuncAnimation, no full redraw per frame. Lines that only grow are kept
  with the background and get only their new pieces; lines and markers are drawn by
  `Pen`s (`optviz.render.pen`), the same pixels as `Line2D.draw` for less Python;
* stills (`Race.plot`, `optviz show`): ``still=True`` makes every artist ordinary, draws
  each path in full and leaves the step counter out, so `fig` is a plain Figure;
* the notebook explorer (`optviz.render.live`): ``figure=`` draws into an existing
  figure (an interactive canvas's), `set_tracks` swaps the paths' data in place, and a
  full draw by anyone (the front end, `savefig`) keeps the moving artists.
"""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from optviz.i18n import text
from optviz.render.counter import Counter
from optviz.render.fonts import missing_from_base
from optviz.render.landscape import sample
from optviz.render.losspanel import LossScene
from optviz.render.pen import Pen
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
                counter_px = (
                    0.0 if still else (len(f"{step_label} {n_steps:,}") + 1) * 0.62 * (fs + 1) * pt
                )
                heading = fig.text(
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
                lines = fit_title(heading, W - 2 * pad - counter_px, renderer)
                top += (lines - 1) * 1.25 * heading.get_fontsize() * pt
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
            # Without a title, a panel beside the legend reaches up past the counter's
            # band: the counter then sits above the legend, in the strip on the right.
            top_beside = top if title else pad
            # minima located numerically (a formula's, a function's) are named in the legend
            self.found = any(m.found for m in surface.minima)
            legend, right = self._legend(tracks, fs, beside, (W, H), top, top_beside, pad, renderer)
            lw_px = legend.get_window_extent(renderer).width if right else 0.0
            below = legend.get_window_extent(renderer).height if legend and not right else 0.0
            bottom = pad + below
            x0, x1 = 0.0, W - (lw_px + 2 * pad if right else 0.0)
            y0, y1 = bottom, H - (top_beside if right else top)
            if right:
                middle = (H - top + pad) / 2 / H  # of the strip below the counter
                legend.set_bbox_to_anchor(((W - pad) / W, middle), transform=fig.transFigure)

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
                    # the box's corners and tick labels spill past its axes: keep them in
                    edge = 1.5 * fs * pt if kind == kinds[-1] else 0.0
                    rect = (left + inset, y0, w - inset - edge, y1 - y0)
                    scene = SurfaceScene(
                        fig, _frac(rect, W, H), surface, land3, tracks, theme, fs, lang, animated
                    )
                    if transparent:  # the 3-D box's surroundings are figure background
                        scene.ax.patch.set_alpha(0.0)
                else:
                    # left: tick labels ("−1.5"), and for contours the upright "y" beside
                    ml, mb = (4.4 if kind == "2d" else 3.6) * fs * pt, 2.6 * fs * pt
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
                if kind == "2d":
                    _keep_labels_in(scene.ax, left + pad / 2, renderer)
                self.scenes.append(scene)
                left += w

            self.notes = self._event_notes(legend, tracks) if legend and not still else []
            if still:
                self._update(self.step)
                return
            self.background, self.grown, self.pens = None, None, {}
            self.canvas.mpl_connect("draw_event", self._on_draw)
            self.canvas.draw()  # everything static, once; `_on_draw` keeps it as pixels
            self.counter.capture(self.canvas, self.background)

    def _legend(self, tracks, fs, beside, size, top, top_beside, pad, renderer):
        """The legend that leaves the plot the most room, and whether it is beside the
        plot (else below). (None, False) when there is nothing to name.

        Candidates: one column beside a lone contour panel, or columns below; each with
        notes ("left the plot at step N") on the entry's line or on a line of their own,
        at the base font size or a little smaller. A contour panel keeps equal scales,
        so its size is the smaller of the width and height left to it."""
        if not tracks and not self.found:
            return None, False
        W, H = size
        fs_pt = fs
        handles = [
            Line2D([], [], color=t.color, lw=3, marker=t.marker, ms=8, mec=self.theme.head_edge)
            for t in tracks
        ]
        extra = []  # entries after the paths': the found minimum's star
        if self.found:
            star = dict(marker="*", ms=13, mfc=self.theme.minimum, mec=self.theme.text, mew=1.0)
            handles.append(Line2D([], [], ls="none", **star))
            extra.append(text("found_minimum", self.lang))
        mx, my = 4.4 * fs * self.dpi / 72.0, 2.9 * fs * self.dpi / 72.0  # axis label margins
        # Enough room: half the frame's area for the contour panel (as much as the
        # height allows). Below that, whatever leaves the most room; above it, the
        # largest type and the fullest notes.
        goal = min((0.5 * W * H) ** 0.5, H - top_beside - pad - my)
        best = None
        # Tried in the order of the score's later keys (size, full notes, notes on the
        # entry's line): once a fitting legend leaves the goal's room, no later
        # candidate can score higher.
        for size_pt, short, sep in itertools.product(
            (fs_pt, 0.85 * fs_pt, 0.75 * fs_pt), (False, True), (" ", "\n")
        ):
            if best is not None and best[0][:2] == (True, goal):
                break
            if short and not any(t.note for t in tracks):
                continue  # the same labels as the full notes' (which score higher)
            labels = [t.label_at(len(t.xy), sep, short) for t in tracks] + extra
            style = dict(
                frameon=False, fontsize=size_pt, labelcolor=self.theme.text,
                handlelength=1.3, columnspacing=1.0, handletextpad=0.4,
                borderaxespad=0.2, labelspacing=0.35 if sep == " " else 0.25,
            )  # fmt: skip
            places = [("center right", 1)] if beside else []
            places += [("lower center", n) for n in range(len(handles), 0, -1)]
            for loc, ncols in places:
                leg = self.fig.legend(handles, labels, loc=loc, ncols=ncols, **style)
                box = leg.get_window_extent(renderer)
                right = loc == "center right"
                if right:
                    room = (W - box.width - 2 * pad - mx, H - top_beside - pad - my)
                    fits = box.height <= H - top - pad
                else:
                    room = (W - mx - pad, H - top - box.height - pad - my)
                    fits = box.width <= W - 2 * pad
                side = min(room)
                score = (fits, min(side, goal), size_pt, not short, sep == " ", side)
                if best is None or score > best[0]:
                    if best is not None:
                        best[1].remove()
                    best = (score, leg, right, (sep, short))
                else:
                    leg.remove()
                if not right and fits:
                    break  # fewer columns are only taller
        _, leg, right, self.note_form = best
        return leg, right

    def _event_notes(self, legend, tracks) -> list[tuple[Text, Track]]:
        """Legend entries that change on the way ("... diverged at step N" from step N):
        the legend is laid out with the full text, which is then hidden, and an
        animated copy at the same place shows the text of the current step."""
        notes = []
        for txt, track in zip(legend.get_texts()[: len(tracks)], tracks, strict=True):
            if track.event_step is None:
                continue
            txt.set_visible(False)  # still measured by the legend's layout
            copy = Text(
                *txt.get_position(), text=track.name, transform=txt.get_transform(),
                linespacing=txt.get_linespacing(),
                fontproperties=txt.get_fontproperties(), color=txt.get_color(),
                ha=txt.get_horizontalalignment(), va=txt.get_verticalalignment(),
                animated=True,
            )  # fmt: skip
            copy.set_figure(self.fig)
            notes.append((copy, track))
        return notes

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
        self.grown, self.pens = None, {}  # the lines' styles may change with the data
        for scene in self.scenes:
            scene.set_tracks(tracks)

    def _update(self, step: int) -> None:
        self.step = int(np.clip(step, 0, max(self.n_steps - 1, 0)))
        for scene in self.scenes:
            scene.update(self.step)

    def _draw_moving(self, renderer, grown: bool = False) -> None:
        """Draw what moves at `self.step`; grown: an animation frame, whose lines that
        only grow are on the canvas already (see `draw`)."""
        for scene in self.scenes:
            scene.update(self.step)
            for artist in scene.per_frame if grown else scene.artists:
                if grown:
                    self._paint(artist, renderer)
                else:
                    artist.draw(renderer)
        for copy, track in self.notes:
            copy.set_text(track.label_at(self.step, *self.note_form))
            copy.draw(renderer)
        if self.counter is not None and self.counter.tiles:
            self.counter.stamp(np.asarray(self.canvas.buffer_rgba()), self.step)

    def _paint(self, artist, renderer) -> None:
        """Draw `artist` as it is now, through a `Pen` where one fits (a frame's lines
        and markers at their new data, without `Line2D.draw`'s set-up each time)."""
        if type(artist) is not Line2D or not Pen.fits(artist):
            artist.draw(renderer)
            return
        pen = self.pens.get(artist)
        if pen is None or pen.renderer is not renderer:
            pen = self.pens[artist] = Pen(artist, renderer)
        pen.draw(artist.get_xdata(orig=True), artist.get_ydata(orig=True))

    def _on_draw(self, event) -> None:
        """After a full draw (animated artists are skipped by it): keep the static
        picture as the background, then draw the moving artists on top."""
        if event.canvas is not self.canvas:  # pragma: no cover - a savefig elsewhere
            return
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.grown, self.pens = None, {}  # pens hold where data lands: new ones now
        self._draw_moving(event.renderer)

    def draw(self, step: int) -> np.ndarray:
        """Show `step` on the canvas (blitting over the background) and return the
        canvas's (H, W, 4) pixels, a view the next draw overwrites."""
        if self.still:
            raise ValueError("a still shows every path in full; draw the figure instead")
        step = int(np.clip(step, 0, max(self.n_steps - 1, 0)))
        renderer = self.canvas.get_renderer()
        # Lines only grow: keep the picture with the lines up to the last step drawn and
        # add only their new pieces (back to the static picture when going backwards).
        before, pixels = self.grown if self.grown and self.grown[0] <= step else (-1, None)
        self.canvas.restore_region(self.background if pixels is None else pixels)
        for scene in self.scenes:
            for artist in scene.grow(before, step):
                self._paint(artist, renderer)
        self.grown = (step, self.canvas.copy_from_bbox(self.fig.bbox))
        self.step = step
        self._draw_moving(renderer, grown=True)
        return np.asarray(self.canvas.buffer_rgba())

    def frame(self, step: int) -> np.ndarray:
        """The (H, W, 4) uint8 RGBA picture at `step` (a fresh array the caller may keep;
        the encoders take RGB or RGBA). Opaque unless the stage is transparent; alpha is
        straight (not premultiplied), as PNG and WebP store it."""
        if self.still:
            self.canvas.draw()
            return np.array(self.canvas.buffer_rgba(), dtype=np.uint8, copy=True)
        return np.array(self.draw(step), dtype=np.uint8, copy=True)


def _keep_labels_in(ax, left_px: float, renderer) -> None:
    """Narrow `ax` from the left until its tick labels and axis label start at
    `left_px` or later (their width depends on the numbers, known only now)."""
    for _ in range(3):  # narrower axes can get other ticks: measure again
        ax.apply_aspect()
        over = left_px - ax.yaxis.get_tightbbox(renderer).x0
        if over <= 0.5:
            return
        fig_w = ax.figure.bbox.width
        x0, y0, w, h = ax.get_position(original=True).bounds
        ax.set_position((x0 + over / fig_w, y0, w - over / fig_w, h))


def fit_title(heading: Text, width: float, renderer) -> int:
    """Make `heading` fit `width` pixels: a smaller size (down to 3/4), else two lines.
    Returns the number of lines."""
    size = heading.get_fontsize()
    for scale in (1.0, 0.9, 0.8, 0.75):
        heading.set_fontsize(size * scale)
        if heading.get_window_extent(renderer).width <= width:
            return 1
    words = heading.get_text().split(" ")
    best = None
    for k in range(1, len(words)):  # the break that makes the longer line shortest
        heading.set_text(" ".join(words[:k]) + "\n" + " ".join(words[k:]))
        w = heading.get_window_extent(renderer).width
        if best is None or w < best[0]:
            best = (w, heading.get_text())
    if best is not None:
        heading.set_text(best[1])
    return 2 if best is not None else 1


def _frac(rect, W, H):
    """A pixel rectangle (left, bottom, width, height) as figure fractions."""
    left, bottom, width, height = rect
    return (left / W, bottom / H, max(width, 1.0) / W, max(height, 1.0) / H)
