"""The landscape's colouring: contour levels and the norm that maps loss to colour.

Shared by the contour (2-D) and surface (3-D) scenes so both read the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Colormap, ListedColormap, LogNorm, Normalize

from optviz.render.theme import Theme
from optviz.surfaces.base import Surface

# How far down log levels reach, as a fraction of the highest level (5 decades, as in
# the classic Beale pictures drawn with logspace(0, 5, 35)).
LOG_DECADES = 5.0


@dataclass(frozen=True)
class Landscape:
    """A surface sampled on a grid, with the levels and colours to draw it."""

    X: np.ndarray
    Y: np.ndarray
    Z: np.ndarray  # surface values
    offset: np.ndarray  # Z - ref, >= 0: what the levels measure
    ref: float  # the value levels are measured from (lowest known minimum)
    levels: np.ndarray
    norm: Normalize
    cmap: Colormap


def theme_cmap(theme: Theme) -> Colormap:
    """The slice of the theme's colormap used for the landscape."""
    lo, hi = theme.cmap_range
    return ListedColormap(colormaps[theme.cmap](np.linspace(lo, hi, 256)), name="optviz")


def sample(surface: Surface, n: int, theme: Theme) -> Landscape:
    """Grid the surface and choose log or linear levels as `surface.levels` asks."""
    X, Y, Z = surface.grid(n)
    finite = np.isfinite(Z)
    if not finite.any():
        raise ValueError(f"surface {surface.name!r} is not finite anywhere on its domain")
    zmin = float(Z[finite].min())
    known = surface.global_min_value
    ref = zmin if known is None else min(float(known), zmin)
    offset = np.where(finite, Z - ref, np.nan)
    spec = surface.levels
    hi = float(np.nanmax(offset)) if spec.vmax is None else float(spec.vmax)
    n_levels = max(int(spec.n), 2)
    if spec.kind == "log":
        floor = hi * 10.0**-LOG_DECADES
        if spec.vmin is not None:
            lo = float(spec.vmin)
        else:
            positive = offset[offset > 0]
            lo = max(float(positive.min()), floor) if positive.size else floor
        hi = max(hi, lo * 10.0)
        levels = np.geomspace(lo, hi, n_levels)
        norm: Normalize = LogNorm(vmin=lo, vmax=hi, clip=True)
        offset = np.clip(offset, lo * 0.5, None)
    else:
        lo = float(np.nanmin(offset)) if spec.vmin is None else float(spec.vmin)
        hi = max(hi, lo + 1e-12)
        levels = np.linspace(lo, hi, n_levels)
        norm = Normalize(vmin=lo, vmax=hi, clip=True)
    return Landscape(X, Y, Z, offset, ref, levels, norm, theme_cmap(theme))
