"""Colours and type sizes: light for white slides, dark for dark slides.

A theme is plain data; the scenes read it, nothing here touches matplotlib state.

Contour lines are `muted` blended over the filled landscape at `contour_alpha`:
dark lines on the light theme, light lines on the dark one, so that a line
keeps at least 2:1 contrast (WCAG 2.x ratio) against every fill colour of the
theme's `cmap_range` and stays visible on a projector (tests/test_palette.py).
WCAG's 3:1 for graphics is kept for the paths (the registry's colours); the
contours only repeat what the fill already shows, and a 3:1 line at the pale
end of the fill would be 8:1 at the other end and drown the paths.
Path colours per theme: `OptimizerSpec.color_for(theme.name)`.
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
    muted: str  # spines, contour lines (at contour_alpha), 3-D pane edges
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
    muted="#1a1a1a",
    pane="#f4f4f4",
    cmap="bone",
    cmap_range=(0.55, 1.0),
    contour_alpha=0.5,
    minimum="#ffc400",
    saddle="#1a1a1a",
    head_edge="#ffffff",
)

DARK = Theme(
    name="dark",
    background="#14161c",
    text="#e8e8e8",
    muted="#ffffff",
    pane="#1c1f27",
    cmap="bone",
    cmap_range=(0.12, 0.62),
    contour_alpha=0.7,
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
