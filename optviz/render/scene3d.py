"""The 3-D scene: the surface drawn once from a fixed camera, paths riding on it.

Paths and balls sit at z = loss, lifted a hair above the surface, and are drawn after
the surface (they are the animated layer), so the surface never hides them. A path
that leaves the surface's domain ends on its edge, marked there as in the contour
view (its own marker, hollow); one that diverged gets a cross where it stopped.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, MaxNLocator
from mpl_toolkits.mplot3d import Axes3D, proj3d
from mpl_toolkits.mplot3d.art3d import Line3D

from optviz.i18n import text
from optviz.render.landscape import Landscape
from optviz.render.scene2d import (
    event_style,
    head_style,
    line_style,
    mark_known_points,
    spread,
    to_pixels,
)
from optviz.render.theme import Theme
from optviz.render.timeline import Track, edge_point, left_at
from optviz.surfaces.base import Surface

LIFT = 0.01  # how far paths float above the surface, as a fraction of the z range


def project_to_pixels(ax: Axes3D, xyz: np.ndarray) -> np.ndarray:
    """Data (x, y, z) -> frame pixels (column, row), row 0 at the top.

    The same maths matplotlib draws with: the axes' projection matrix (`ax.get_proj()`,
    applied by `proj3d.proj_transform`), then the axes' 2-D data transform. Valid once
    the figure has been drawn (the axes' final position is settled at draw time).
    """
    return to_pixels(ax, _projected(ax, xyz))


def project_to_display(ax: Axes3D, xyz: np.ndarray) -> np.ndarray:
    """Data (x, y, z) -> display pixels (origin at the bottom left), as matplotlib draws."""
    return ax.transData.transform(_projected(ax, xyz))


def _projected(ax: Axes3D, xyz: np.ndarray) -> np.ndarray:
    """(x, y, z) points -> the axes' 2-D coordinates through its projection matrix."""
    pts = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
    xs, ys, _ = proj3d.proj_transform(pts[:, 0], pts[:, 1], pts[:, 2], ax.get_proj())
    return np.column_stack([xs, ys])


class SurfaceScene:
    """The surface once; per frame, each path's line and ball on the surface."""

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
    ):
        ax: Axes3D = fig.add_axes(rect, projection="3d")
        self.ax, self.tracks = ax, tracks
        ax.computed_zorder = False  # draw order = zorder: markers and paths above the surface
        ax.set_facecolor(theme.background)
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_pane_color(theme.pane)
            axis.pane.set_edgecolor(theme.muted)
            axis._axinfo["grid"]["color"] = theme.muted
            axis._axinfo["grid"]["linewidth"] = 0.5
            axis.label.set_color(theme.text)
            axis.label.set_fontsize(fontsize)
            axis.line.set_color(theme.muted)
        ax.tick_params(colors=theme.text, labelsize=fontsize * 0.75, pad=0)
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_major_locator(MaxNLocator(5))
        ax.zaxis.set_major_formatter(EngFormatter(sep=""))
        ax.zaxis.get_offset_text().set_color(theme.text)
        ax.zaxis.get_offset_text().set_fontsize(fontsize * 0.75)

        colours = land.cmap(land.norm(land.offset))
        style = dict(rstride=1, cstride=1, linewidth=0, antialiased=False, shade=False, zorder=1)
        if np.isfinite(land.Z).all():
            # Colours set as one array after the mesh is made: matplotlib's own
            # `facecolors=` walks the 4,900 faces in Python, twice slower per picture.
            mesh = ax.plot_surface(land.X, land.Y, land.Z, color=theme.pane, **style)
            mesh.set_facecolor(colours[:-1, :-1].reshape(-1, 4))
        else:  # faces with holes are dropped, with their colours: matplotlib's way
            ax.plot_surface(land.X, land.Y, land.Z, facecolors=colours, **style)
        zlo, zhi = float(np.nanmin(land.Z)), float(np.nanmax(land.Z))
        self.lift = LIFT * (zhi - zlo)
        fn = surface.fn

        def z_at(p):
            return float(fn(np.asarray(p, dtype=np.float32))) + self.lift

        self.z_at, self.theme, self.animated = z_at, theme, animated
        mark_known_points(ax, surface, theme, z=z_at)
        (x0, x1), (y0, y1) = surface.domain
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_zlim(zlo, zhi + self.lift)
        ax.set_autoscale_on(False)
        elev, azim = surface.view
        ax.view_init(elev=elev, azim=azim)
        ax.set_box_aspect(None, zoom=1.05)
        ax.set_xlabel(text("x", lang), labelpad=-6)
        ax.set_ylabel(text("y", lang), labelpad=-6)
        ax.set_zlabel("")
        ax.tick_params(axis="x", pad=-3)
        ax.tick_params(axis="y", pad=-3)

        self.box = (x0, x1, y0, y1, zhi + self.lift)
        self.lines: list[Line3D] = []
        self.heads: list[Line3D] = []
        self.marks: list[Line3D] = []  # where a path left the domain, or diverged
        for t in tracks:
            line = Line3D([], [], [], **line_style(t.color, animated))
            head = Line3D([], [], [], **head_style(t.color, theme, t.marker, animated))
            mark = Line3D([], [], [], **event_style(t, theme, animated))
            for artist in (line, mark, head):
                ax.add_line(artist)
            self.lines.append(line)
            self.heads.append(head)
            self.marks.append(mark)
        self.set_tracks(tracks)

    def set_tracks(self, tracks: list[Track]) -> None:
        """Per track: x, y, z with everything outside the box blanked, so a path that
        leaves the domain just ends at the edge instead of spilling over the figure,
        and its event in this view: (first step shown, where) or None."""
        x0, x1, y0, y1, ztop = self.box
        self.tracks, self.xyz, self.events = tracks, [], []
        for t, mark in zip(tracks, self.marks, strict=True):
            z = (t.loss if t.plane_loss is None else t.plane_loss) + self.lift
            inside = (
                (t.xy[:, 0] >= x0)
                & (t.xy[:, 0] <= x1)
                & (t.xy[:, 1] >= y0)
                & (t.xy[:, 1] <= y1)
                & np.isfinite(z)
                & (z <= ztop)
            )
            pts = np.column_stack([t.xy, z])
            pts[~inside] = np.nan
            event = self._event(t, pts)
            if event is not None:  # the line reaches the mark on the edge
                step, kind, where = event
                if kind == "left":
                    pts[step] = where
                mark.set(**event_style(t, self.theme, self.animated, event=kind))
            self.xyz.append(pts)
            self.events.append(event)

    def _event(self, t: Track, pts: np.ndarray) -> tuple[int, str, np.ndarray] | None:
        """(step, "left" or "diverged", the mark's x, y, z) of what happened to `t` in
        this view first: it crossed the domain's edge, or it diverged inside."""
        x0, x1, y0, y1, _ = self.box
        left = left_at(t.xy, t.last, ((x0, x1), (y0, y1)))
        if t.event == "diverged" and (left is None or t.event_step <= left):
            here = pts[t.last]
            return (t.event_step, "diverged", here) if np.isfinite(here).all() else None
        if left is None:
            return None
        edge = edge_point(t.xy[left - 1], t.xy[left], ((x0, x1), (y0, y1)))
        return left, "left", np.array([*edge, self.z_at(edge)])

    @property
    def artists(self) -> list[Line3D]:
        return [*self.lines, *self.marks, *self.heads]

    per_frame = artists  # projected lines are drawn whole every frame

    def grow(self, before: int, step: int) -> list[Line3D]:
        return []

    def update(self, step: int) -> None:
        rows = zip(self.tracks, self.xyz, self.lines, self.marks, self.events, strict=True)
        spots = []
        for t, pts, line, mark, event in rows:
            seg = pts[t.upto(step)]
            line.set_data_3d(seg[:, 0], seg[:, 1], seg[:, 2])
            spots.append(pts[min(step, t.last)] if t.last >= 0 else np.full(3, np.nan))
            m = event[2] if event is not None and step >= event[0] else np.full(3, np.nan)
            mark.set_data_3d(m[0:1], m[1:2], m[2:3])
        spots = self.fan_out(np.asarray(spots, dtype=np.float64).reshape(-1, 3))
        for head, h in zip(self.heads, spots, strict=True):
            head.set_data_3d(h[0:1], h[1:2], h[2:3])

    def fan_out(self, heads: np.ndarray) -> np.ndarray:
        """Heads (n, 3) moved apart on the picture where they would cover each other, as
        the contour view moves them (`spread`): each moved head keeps its height and
        slides in x and y to where it shows at its new place."""
        out = heads.copy()
        ok = np.flatnonzero(np.isfinite(heads).all(axis=1))
        if len(ok) < 2:
            return out
        px = project_to_display(self.ax, heads[ok])
        moved = spread(px, self.ax.figure.dpi / 100)
        if moved is px:
            return out
        # The picture is locally linear in x and y at fixed z: solve for each shift.
        nudge = 1e-3 * max(self.box[1] - self.box[0], self.box[3] - self.box[2])
        for k in np.flatnonzero((moved != px).any(axis=1)):
            p = heads[ok[k]]
            steps = project_to_display(self.ax, p + nudge * np.eye(3)[:2]) - px[k]  # x, y
            dx, dy = np.linalg.solve(steps.T / nudge, moved[k] - px[k])
            out[ok[k]] = p + np.array([dx, dy, 0.0])
        return out

    def to_pixels(self, xyz: np.ndarray) -> np.ndarray:
        return project_to_pixels(self.ax, xyz)
