"""A line's look, drawn again and again at new data without `Line2D.draw`'s set-up.

An animation draws the same few lines hundreds of times with new data. Each
`Line2D.draw` re-derives the line's units, path, transform and graphics
contexts, which is most of a frame's time; the pixels themselves are cheap. A
`Pen` reads a line's look once (colour, width, caps and joins, marker, clipping)
and then draws data in the line's data coordinates straight onto the Agg
renderer, the way `Line2D.draw` draws a plain line, so the pixels are the same.

Only plain lines qualify (`Pen.fits`): solid or no line, no path effects, sketch,
draw style or `markevery`; anything else is drawn by its own `draw`.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path


class Pen:
    """Draws `line`'s look at any data: `pen.draw(x, y)` (the line's own data is unused)."""

    def __init__(self, line: Line2D, renderer):
        self.line, self.renderer = line, renderer
        # Where data lands, read now: a pen lives for one picture of the axes (the
        # stage makes new pens after every full draw, so after any change of limits).
        transform = line.get_transform()
        self.non_affine = None if transform.is_affine else transform
        self.affine = transform.get_affine().frozen()
        self.stroke = line.get_linestyle() not in ("None", "none", " ", "") and (
            line.get_linewidth() > 0
        )
        spec = line.get_marker()
        self.marker = (
            None if spec in ("None", "none", None) else MarkerStyle(spec, line.get_fillstyle())
        )
        if self.stroke:
            gc = self._gc()
            gc.set_linewidth(line.get_linewidth())
            gc.set_joinstyle(line.get_solid_joinstyle())
            gc.set_capstyle(line.get_solid_capstyle())
            gc.set_snap(line.get_snap())
            gc.set_foreground(mcolors.to_rgba(line.get_color(), line.get_alpha()), isRGBA=True)
            gc.set_dashes(0, None)
            self.line_gc = gc
        if self.marker is not None:
            gc = self._gc()
            gc.set_linewidth(line.get_markeredgewidth())
            face = mcolors.to_rgba(line.get_markerfacecolor(), line.get_alpha())
            gc.set_foreground(mcolors.to_rgba(line.get_markeredgecolor(), line.get_alpha()),
                              isRGBA=True)  # fmt: skip
            size = renderer.points_to_pixels(line.get_markersize())
            snap = self.marker.get_snap_threshold()
            gc.set_snap(size >= snap if isinstance(snap, (int, float)) else snap)
            gc.set_joinstyle(self.marker.get_joinstyle())
            gc.set_capstyle(self.marker.get_capstyle())
            self.marker_gc, self.face = gc, face
            self.marker_path = self.marker.get_path()
            self.marker_trans = self.marker.get_transform().scale(size)
            alt = self.marker.get_alt_path()
            self.alt = None
            if alt is not None:
                alt_face = mcolors.to_rgba(
                    line.get_markerfacecoloralt(), line.get_alpha()
                )  # fmt: skip
                self.alt = (alt, self.marker.get_alt_transform().scale(size), alt_face)

    @staticmethod
    def fits(line: Line2D) -> bool:
        """Whether a `Pen` draws `line` as its own `draw` does."""
        return (
            line.get_visible()
            and not line.get_path_effects()
            and line.get_sketch_params() is None
            and line.get_drawstyle() == "default"
            and line.get_markevery() is None
            and line.get_linestyle() in ("-", "None", "none", " ", "")
            and line.get_marker() != ","
        )

    def _gc(self):
        gc = self.renderer.new_gc()
        line = self.line
        gc.set_antialiased(line.get_antialiased())
        if line.get_clip_on():
            gc.set_clip_rectangle(line.get_clip_box())
            gc.set_clip_path(line.get_clip_path())
        return gc

    def draw(self, x, y) -> None:
        """Draw the look at data (x, y) (sequences of the same length)."""
        if len(x) == 0:
            return
        xy = np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])
        path = Path(xy)
        if self.non_affine is not None:
            path = self.non_affine.transform_path_non_affine(path)
        affine = self.affine
        if self.stroke:
            self.renderer.draw_path(self.line_gc, path, affine)
        if self.marker is not None:
            r = self.renderer
            r.draw_markers(self.marker_gc, self.marker_path, self.marker_trans, path, affine,
                           self.face)  # fmt: skip
            if self.alt is not None:
                alt_path, alt_trans, alt_face = self.alt
                r.draw_markers(self.marker_gc, alt_path, alt_trans, path, affine, alt_face)
