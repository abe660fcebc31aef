"""Colours and type sizes: light for white slides, dark for dark slides.

A theme is plain data; the scenes read it, nothing here touches matplotlib state.
"""

from __future__ import annotations

from dataclasses import dataclass

from optviz.errors import UnknownNameError


@dataclass(frozen=True)
class Theme:
    """Everything that differs between a light and a dark picture."""

    name: str
    background: str  # figure and axes face
    text: str  # labels, ticks, step counter
    muted: str  # spines, contour lines, 3-D pane edges
    pane: str  # 3-D pane face
    cmap: str  # colormap of the landscape (filled contours and surface)
    cmap_range: tuple[float, float]  # the slice of `cmap` used, low loss -> high loss
    contour_alpha: float  # opacity of the contour lines drawn over the fill
    minimum: str  # star at known minima
    saddle: str  # cross at known saddle points
    head_edge: str  # ring around each optimizer's ball, so it reads on any fill


LIGHT = Theme(
    name="light",
    background="#ffffff",
    text="#1a1a1a",
    muted="#8c8c8c",
    pane="#f4f4f4",
    cmap="bone",
    cmap_range=(0.55, 1.0),
    contour_alpha=0.45,
    minimum="#ffc400",
    saddle="#1a1a1a",
    head_edge="#ffffff",
)

DARK = Theme(
    name="dark",
    background="#14161c",
    text="#e8e8e8",
    muted="#8a90a0",
    pane="#1c1f27",
    cmap="bone",
    cmap_range=(0.12, 0.62),
    contour_alpha=0.35,
    minimum="#ffd23f",
    saddle="#e8e8e8",
    head_edge="#14161c",
)

THEMES: dict[str, Theme] = {"light": LIGHT, "dark": DARK}


def get_theme(theme: str | Theme) -> Theme:
    """A theme by name ("light", "dark"), or a `Theme` passed through."""
    if isinstance(theme, Theme):
        return theme
    try:
        return THEMES[theme]
    except KeyError:
        raise UnknownNameError("theme", theme, THEMES) from None
