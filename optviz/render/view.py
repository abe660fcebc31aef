"""What part of the plane a picture shows: the surface's domain, a box the user gives,
or the paths' own extent with a margin.

Numbers only (numpy): no matplotlib here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from optviz.errors import OptvizError
from optviz.paths import Path
from optviz.surfaces.base import Surface

Box = tuple[tuple[float, float], tuple[float, float]]  # ((xmin, xmax), (ymin, ymax))
FIT_MARGIN = 0.08  # the margin around the paths' extent, as a fraction of its size


def view_box(
    surface: Surface,
    paths: Sequence[Path],
    *,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    fit: bool = False,
) -> Box:
    """The box to draw: `xlim`/`ylim` where given, else the paths' extent (fit) or the
    surface's frame (its domain where it has none). Every path must start inside it
    (a path that starts outside the picture would draw nothing at all)."""
    (dx0, dx1), (dy0, dy1) = surface.frame or surface.domain
    if fit and (xlim is not None or ylim is not None):
        raise OptvizError("give fit or xlim/ylim, not both")
    if fit:
        (fx0, fx1), (fy0, fy1) = _extent(paths, surface.domain)
        box = ((fx0, fx1), (fy0, fy1))
    else:
        box = (
            _limits(xlim, "xlim") if xlim is not None else (dx0, dx1),
            _limits(ylim, "ylim") if ylim is not None else (dy0, dy1),
        )
    (x0, x1), (y0, y1) = box
    for p in paths:
        start = np.asarray(p.xy, dtype=np.float64)[:1]
        if start.size and np.isfinite(start).all():
            sx, sy = start[0]
            if not (x0 <= sx <= x1 and y0 <= sy <= y1):
                raise OptvizError(
                    f"start ({sx:g}, {sy:g}) is outside the plotted domain of {surface.name}, "
                    f"x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]; start inside it, or widen "
                    "the view (--xlim/--ylim, or --fit to frame the paths)"
                )
    return box


def _limits(values: Sequence[float], what: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in values)
    except (TypeError, ValueError):
        raise OptvizError(f"{what} must be two numbers LO,HI, got {values!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise OptvizError(f"{what} must be two finite numbers with LO < HI, got {values!r}")
    return lo, hi


def _extent(paths: Sequence[Path], domain: Box) -> Box:
    """The finite points of every path, with a margin; the domain if there are none.
    Both sides get the larger of the two spans, so the picture keeps equal scales."""
    pts = [np.asarray(p.xy, dtype=np.float64).reshape(-1, 2) for p in paths]
    allp = np.concatenate(pts) if pts else np.zeros((0, 2))
    allp = allp[np.isfinite(allp).all(axis=1)]
    if len(allp) == 0:
        return domain
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2
    (dx0, dx1), (dy0, dy1) = domain
    floor = 0.02 * max(dx1 - dx0, dy1 - dy0)  # a path that barely moves still gets a view
    half = max(half * (1 + 2 * FIT_MARGIN), floor)
    return (
        (float(centre[0] - half), float(centre[0] + half)),
        (float(centre[1] - half), float(centre[1] + half)),
    )


def viewed(surface: Surface, box: Box) -> Surface:
    """`surface` drawn over `box` instead of its domain (for rendering only)."""
    if tuple(map(tuple, surface.domain)) == box:
        return surface
    return dataclasses.replace(surface, domain=box, frame=None)
