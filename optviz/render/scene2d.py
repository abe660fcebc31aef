"""The 2-D scene: contours of the landscape, known points, and growing paths."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from optviz.i18n import text
from optviz.render.landscape import Landscape
from optviz.render.theme import Theme
from optviz.render.timeline import Track
from optviz.surfaces.base import Surface

LINE_WIDTH = 2.5
HEAD_SIZE = 10.0


def style_axes(ax: Axes, theme: Theme, fontsize: float) -> None:
    """Theme colours and projector-sized ticks on a flat axes."""
    ax.set_facecolor(theme.background)
    for spine in ax.spines.values():
        spine.set_color(theme.muted)
    ax.tick_params(colors=theme.text, labelsize=fontsize, width=1.2, length=4)
    ax.xaxis.label.set_color(theme.text)
    ax.yaxis.label.set_color(theme.text)
    ax.xaxis.label.set_fontsize(fontsize)
    ax.yaxis.label.set_fontsize(fontsize)


def line_style(color: str, animated: bool = True) -> dict:
    """How a path's line is drawn, in every view."""
    return dict(
        color=color,
        lw=LINE_WIDTH,
        solid_capstyle="round",
        solid_joinstyle="round",
        animated=animated,
        zorder=7,
    )


def head_style(color: str, theme: Theme, marker: str = "o", animated: bool = True) -> dict:
    """How a path's head (its marker) is drawn, in every view."""
    return dict(
        ls="none",
        marker=marker,
        ms=HEAD_SIZE,
        mfc=color,
        mec=theme.head_edge,
        mew=1.5,
        animated=animated,
        zorder=8,
    )


def event_style(
    track: Track, theme: Theme, animated: bool = True, event: str | None = None
) -> dict:
    """The mark of a path's event (`event`, default the track's own): its own marker,
    hollow, on the edge where it left the plot (drawn unclipped, so the whole mark
    shows); a cross where it diverged."""
    left = (event or track.event) == "left"
    return dict(
        ls="none",
        marker=track.marker if left else "X",
        ms=HEAD_SIZE * (0.9 if left else 1.1),
        mfc=theme.background if left else track.color,
        mec=track.color if left else theme.head_edge,
        mew=2.2 if left else 1.2,
        clip_on=not left,
        animated=animated,
        zorder=8.5,
    )


def start_style(theme: Theme, animated: bool = True) -> dict:
    """How start points are marked: small squares in the text colour."""
    return dict(
        ls="none",
        marker="s",
        ms=7,
        mfc=theme.text,
        mec=theme.head_edge,
        mew=1.2,
        animated=animated,
        zorder=9,
    )


def draw_contours(ax: Axes, surface: Surface, land, theme: Theme, lang: str = "en") -> None:
    """The static 2-D picture of a surface: filled and line contours, known points,
    the domain as fixed limits at equal aspect, axis labels."""
    ax.contourf(
        land.X,
        land.Y,
        land.offset,
        levels=land.levels,
        cmap=land.cmap,
        norm=land.norm,
        extend="both",
        antialiased=False,
    )
    ax.contour(
        land.X,
        land.Y,
        land.offset,
        levels=land.levels,
        colors=theme.muted,
        linewidths=0.7,
        alpha=theme.contour_alpha,
    )
    mark_known_points(ax, surface, theme)
    (x0, x1), (y0, y1) = surface.domain
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_autoscale_on(False)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.set_xlabel(text("x", lang))
    ax.set_ylabel(text("y", lang), rotation=0, labelpad=10)


def mark_known_points(ax: Axes, surface: Surface, theme: Theme, z=None) -> None:
    """Stars on known minima, crosses on known saddles (z given: on a 3-D axes)."""
    for m in surface.minima:
        args = ([m.xy[0]], [m.xy[1]]) if z is None else ([m.xy[0]], [m.xy[1]], [z(m.xy)])
        ax.plot(
            *args,
            ls="none",
            marker="*",
            ms=18,
            mfc=theme.minimum,
            mec=theme.text,
            mew=1.0,
            zorder=6,
        )
    for s in surface.saddles:
        args = ([s[0]], [s[1]]) if z is None else ([s[0]], [s[1]], [z(s)])
        ax.plot(
            *args,
            ls="none",
            marker="X",
            ms=12,
            mfc=theme.saddle,
            mec=theme.background,
            mew=1.0,
            zorder=6,
        )


FAN_PX = 0.75 * HEAD_SIZE * 100 / 72  # heads closer than this (pixels at 100 dpi) overlap
TOGETHER = 0.01  # paths whose mean distance is below this share of the view run together


def fan_out(ax: Axes, heads: np.ndarray) -> np.ndarray:
    """Head positions moved apart where they would cover each other (see `spread`), so
    every optimizer's marker stays in sight (the paths themselves are untouched)."""
    out = heads.copy()
    ok = np.isfinite(heads).all(axis=1)
    if ok.sum() < 2:
        return out
    px = ax.transData.transform(heads[ok])
    moved = spread(px, ax.figure.dpi / 100)
    if moved is not px:
        rows = (moved != px).any(axis=1)
        out[np.flatnonzero(ok)[rows]] = ax.transData.inverted().transform(moved[rows])
    return out


def spread(px: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Markers at pixels `px` (n, 2), with each group closer than a head's size (at
    `scale` x 100 dpi) spread on a small circle around its middle. Returns `px`
    itself when no two are that close (the usual case)."""
    near = np.hypot(*(px[:, None, :] - px[None, :, :]).transpose(2, 0, 1)) < FAN_PX * scale
    pairs = np.nonzero(np.tril(near, -1))
    if not pairs[0].size:
        return px
    group = list(range(len(px)))  # union of heads closer than FAN_PX (a dozen at most)
    for i, j in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        old, new = group[i], group[j]
        group = [new if g == old else g for g in group]
    out = px.copy()
    for g in sorted(set(group)):
        members = np.array([k for k, h in enumerate(group) if h == g])
        if len(members) < 2:
            continue
        centre = px[members].mean(axis=0)
        radius = FAN_PX * scale * (0.6 + 0.12 * len(members))
        angles = np.pi / 2 + 2 * np.pi * np.arange(len(members)) / len(members)
        out[members] = centre + radius * np.column_stack([np.cos(angles), np.sin(angles)])
    return out


def dash_patterns(tracks: list[Track], ax: Axes) -> list:
    """A line style per path: solid, or dashed where it runs together with an earlier
    path (drawn later, on top: the earlier one shows through the gaps)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    span = max(abs(x1 - x0), abs(y1 - y0))
    styles: list = []
    for i, t in enumerate(tracks):
        close = 0
        for u in tracks[:i]:
            n = min(t.last, u.last) + 1
            if n > 1 and np.nanmean(np.hypot(*(t.xy[:n] - u.xy[:n]).T)) < TOGETHER * span:
                close += 1
        styles.append("-" if close == 0 else (2.0 * close, (3.0, 3.0)))
    return styles


def to_pixels(ax: Axes, xy: np.ndarray) -> np.ndarray:
    """Data (x, y) -> frame pixels (column, row), row 0 at the top: where Agg draws them."""
    disp = ax.transData.transform(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
    height = ax.figure.bbox.height
    return np.column_stack([disp[:, 0], height - disp[:, 1]])


class ContourScene:
    """Contours drawn once; per frame, the start points and each path's line and head."""

    def __init__(
        self,
        fig: Figure,
        rect,
        surface: Surface,
        land: Landscape,
        tracks: list[Track],
        theme: Theme,
        fontsize: float,
        lang: str = "en",
        animated: bool = True,
        starts: np.ndarray | None = None,
    ):
        """starts: (n, 2) points to mark as starts (None: the paths' first points)."""
        ax = fig.add_axes(rect)
        self.ax, self.tracks, self.fixed_starts, self.step = ax, tracks, starts, 0
        style_axes(ax, theme, fontsize)
        draw_contours(ax, surface, land, theme, lang)
        self.start_marks = Line2D([], [], label="_start", **start_style(theme, animated))
        ax.add_line(self.start_marks)
        self.lines: list[Line2D] = []
        self.heads: list[Line2D] = []
        self.marks: list[Line2D] = []  # where a path left the plot, or diverged
        for t in tracks:
            line = Line2D([], [], label=t.name, **line_style(t.color, animated))
            head = Line2D([], [], label="_head", **head_style(t.color, theme, t.marker, animated))
            mark = Line2D([], [], label="_event", **event_style(t, theme, animated))
            for artist in (line, head, mark):
                ax.add_line(artist)
            self.lines.append(line)
            self.heads.append(head)
            self.marks.append(mark)
        self.set_tracks(tracks)

    @property
    def artists(self) -> list[Line2D]:
        """Every moving artist, in drawing order (a full draw)."""
        return [self.start_marks, *self.lines, *self.marks, *self.heads]

    @property
    def per_frame(self) -> list[Line2D]:
        """What a frame draws over the grown layer: dashed lines (their dashes would
        restart at every piece), the event marks shown, the heads."""
        lines = [line for line, solid in zip(self.lines, self.solid, strict=True) if not solid]
        marks = [m for m, t in zip(self.marks, self.tracks, strict=True) if t.happened(self.step)]
        return [*lines, *marks, *self.heads]

    def grow(self, before: int, step: int) -> list[Line2D]:
        """The grown layer's artists from `before` to `step`: the start marks first (under
        the lines, as in a full draw), then the solid lines set to their new pieces
        (drawn onto the pieces already there, they make the same lines)."""
        out = [self.start_marks] if before < 0 else []
        for t, line, solid in zip(self.tracks, self.lines, self.solid, strict=True):
            xy = t.xy[t.grown(before, step)]
            if solid and len(xy) > 1:
                line.set_data(xy[:, 0], xy[:, 1])
                out.append(line)
        return out

    def set_tracks(self, tracks: list[Track]) -> None:
        self.tracks, self.solid = tracks, []
        for line, dashes in zip(self.lines, dash_patterns(tracks, self.ax), strict=True):
            line.set_linestyle(dashes)
            self.solid.append(dashes == "-")
        if self.fixed_starts is not None:
            points = np.asarray(self.fixed_starts, dtype=np.float64).reshape(-1, 2)
        else:
            points = np.asarray([t.xy[0] for t in tracks], dtype=np.float64).reshape(-1, 2)
        points = np.unique(points, axis=0) if len(points) else points
        self.start_marks.set_data(points[:, 0], points[:, 1])

    def update(self, step: int) -> None:
        self.step = step
        # Where each optimizer shows: its head, or the mark on the edge once it left.
        gone = [t.happened(step) and t.event == "left" for t in self.tracks]
        spots = [t.exit_xy if g else t.head(step) for t, g in zip(self.tracks, gone, strict=True)]
        spots = fan_out(self.ax, np.asarray(spots, dtype=np.float64).reshape(-1, 2))
        rows = zip(self.tracks, self.lines, self.heads, self.marks, spots, gone, strict=True)
        for t, line, head, mark, (sx, sy), left in rows:
            xy = t.xy[t.upto(step)]
            line.set_data(xy[:, 0], xy[:, 1])
            hx, hy = t.head(step) if left else (sx, sy)
            head.set_data([hx], [hy])
            if t.happened(step):
                mx, my = (sx, sy) if left else t.head(step)
                mark.set_data([mx], [my])
            else:
                mark.set_data([], [])

    def to_pixels(self, xy: np.ndarray) -> np.ndarray:
        return to_pixels(self.ax, xy)
