"""Rendering: a surface and paths in, frames out, a file out.

Draws the static landscape once, then only what moves (blitting on an Agg canvas),
and streams the frames to an encoder that knows nothing about matplotlib.
"""

from optviz.render.api import VIEWS, RenderInfo, make_stage, render
from optviz.render.scene3d import project_to_pixels
from optviz.render.theme import THEMES, Theme
from optviz.render.writers import FORMATS, WRITERS, Writer, format_of

__all__ = [
    "FORMATS",
    "THEMES",
    "VIEWS",
    "WRITERS",
    "RenderInfo",
    "Theme",
    "Writer",
    "format_of",
    "make_stage",
    "project_to_pixels",
    "render",
]
