"""The loss-versus-step panel, growing with the frames."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from optviz.i18n import text
from optviz.render.scene2d import LINE_WIDTH, style_axes, to_pixels
from optviz.render.theme import Theme
from optviz.render.timeline import Track

LOG_SPAN = 100.0  # losses spanning more than this ratio get a log axis


def loss_limits(tracks: list[Track]) -> tuple[float, float, bool]:
    """(low, high, log?) for the loss axis, from the finite losses actually reached,
    rounded outwards (to decades on a log axis, else to tick multiples), so small
    changes of the paths keep the same axis and the explorer's background is reused."""
    seen = [t.loss[: t.last + 1] for t in tracks]
    seen += [t.plane_loss[: t.last + 1] for t in tracks if t.plane_loss is not None]
    vals = np.concatenate(seen or [np.zeros(0)])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return 0.0, 1.0, False
    lo, hi = float(vals.min()), float(vals.max())
    if lo > 0 and hi / lo > LOG_SPAN:
        return 10.0 ** np.floor(np.log10(lo)), 10.0 ** np.ceil(np.log10(hi)), True
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    ticks = MaxNLocator(nbins=5).tick_values(lo - pad, hi + pad)
    return float(ticks[0]), float(ticks[-1]), False


class LossScene:
    """Axes fixed from the start (so nothing rescales mid-animation); lines grow. A
    track with a `plane_loss` gets it as a second, dashed line in its colour."""

    def __init__(
        self,
        fig: Figure,
        rect,
        tracks: list[Track],
        n_steps: int,
        theme: Theme,
        fontsize: float,
        step_label: str,
        lang: str = "en",
        animated: bool = True,
    ):
        ax = fig.add_axes(rect)
        self.ax, self.tracks = ax, tracks
        style_axes(ax, theme, fontsize)
        lo, hi, log = loss_limits(tracks)
        if log:
            ax.set_yscale("log")
        ax.set_xlim(0, max(n_steps - 1, 1))
        ax.set_ylim(lo, hi)
        ax.set_autoscale_on(False)
        ax.set_xlabel(step_label)
        # On a log axis (no offset text to clear) the title's place is fixed, not
        # measured again at every full draw.
        title = text("loss", lang)
        y = 1.0 if log else None
        ax.set_title(title, color=theme.text, fontsize=fontsize, loc="left", pad=4, y=y)
        ax.grid(True, color=theme.muted, alpha=0.3, lw=0.8)
        self.steps = np.arange(n_steps, dtype=np.float64)
        self.lines: list[Line2D] = []
        self.dashed: list[Line2D | None] = []
        for t in tracks:
            line = Line2D(
                [], [], color=t.color, lw=LINE_WIDTH, animated=animated, zorder=7,
                solid_capstyle="round", solid_joinstyle="round",  # grown piece by piece
            )  # fmt: skip
            ax.add_line(line)
            self.lines.append(line)
            dashed = None
            if t.plane_loss is not None:
                dashed = Line2D(
                    [], [], color=t.color, lw=0.7 * LINE_WIDTH, ls=(0, (3, 2)),
                    animated=animated, zorder=6.5,
                )  # fmt: skip
                ax.add_line(dashed)
            self.dashed.append(dashed)

    @property
    def artists(self) -> list[Line2D]:
        """Every moving artist, in drawing order (a full draw)."""
        return [*self.dashed_lines, *self.lines]

    @property
    def dashed_lines(self) -> list[Line2D]:
        return [d for d in self.dashed if d is not None]

    per_frame = dashed_lines  # dashes would restart at every piece of a grown line

    def grow(self, before: int, step: int) -> list[Line2D]:
        """The loss curves set to their new pieces from `before` to `step`."""
        out = []
        for t, line in zip(self.tracks, self.lines, strict=True):
            rows = t.grown(before, step)
            if rows.stop - rows.start > 1:
                line.set_data(self.steps[rows], t.loss[rows])
                out.append(line)
        return out

    def set_tracks(self, tracks: list[Track]) -> None:
        self.tracks = tracks

    def update(self, step: int) -> None:
        for t, line in zip(self.tracks, self.lines, strict=True):
            sl = t.upto(step)
            line.set_data(self.steps[sl], t.loss[sl])
        for t, dashed in zip(self.tracks, self.dashed, strict=True):
            if dashed is not None and t.plane_loss is not None:
                sl = t.upto(step)
                dashed.set_data(self.steps[sl], t.plane_loss[sl])

    def to_pixels(self, xy: np.ndarray) -> np.ndarray:
        return to_pixels(self.ax, xy)
