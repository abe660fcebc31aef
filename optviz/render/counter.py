"""The step counter, stamped from pre-drawn glyphs.

Drawing a text with matplotlib costs a few milliseconds a frame (layout and FreeType
every time), more than all the paths together. The counter only ever shows digits and
thousands separators in a monospace font on the plain background of the top band, so
each glyph is drawn once by matplotlib, kept as pixels, and stamped per frame.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

GLYPHS = "0123456789,"


class Counter:
    """Right-aligned "<label> <step>" in the top-right corner of the figure.

    Build in two stages around the background draw: `__init__` places the static
    label (drawn with the background); `capture()` then draws each glyph once.
    """

    def __init__(
        self,
        fig: Figure,
        right_px: float,
        top_px: float,
        band_px: float,
        label: str,
        max_step: int,
        fontsize: float,
        color: str,
        background: str,
        label_family: str | list[str] = "monospace",
        transparent: bool = False,
    ):
        """label_family: the label's fonts (a fallback list: the digits' monospace
        font first, then fonts for letters it lacks). transparent: the band behind
        the counter has alpha 0."""
        self.fig, self.band = fig, math.ceil(band_px)
        self.right, self.top = float(right_px), float(top_px)
        self.style = dict(fontsize=fontsize, color=color, family="monospace", va="top")
        self.transparent = transparent
        renderer = fig.canvas.get_renderer()
        probe = fig.text(0, 0, "0" * 10, **self.style)
        self.advance = float(probe.get_window_extent(renderer).width) / 10
        probe.remove()
        width = len(f"{max(max_step, 0):,}") * self.advance
        H = fig.bbox.height
        if label:
            fig.text(
                (right_px - width - self.advance) / fig.bbox.width,
                (H - top_px) / H,
                label,
                ha="right",
                **{**self.style, "family": label_family},
            )
        darker = sum(to_rgb(color)) < sum(to_rgb(background))
        self.combine = np.minimum if darker else np.maximum
        self.tiles: dict[str, np.ndarray] = {}
        self.margin = math.ceil(0.35 * self.advance)

    def capture(self, canvas, background) -> None:
        """Draw each glyph once on the finished background and keep its pixels."""
        fig, H = self.fig, self.fig.bbox.height
        renderer = canvas.get_renderer()
        w = math.ceil(self.advance) + 2 * self.margin
        x = round(self.right - self.advance)  # where the last digit goes: empty now
        for ch in GLYPHS:
            canvas.restore_region(background)
            t = fig.text(x / fig.bbox.width, (H - self.top) / H, ch, ha="left", **self.style)
            t.draw(renderer)
            buf = np.asarray(canvas.buffer_rgba())
            self.tiles[ch] = buf[: self.band, x - self.margin : x - self.margin + w].copy()
            t.remove()
        canvas.restore_region(background)

    def stamp(self, frame: np.ndarray, step: int) -> None:
        """Write `step` into `frame` (H, W, 4) in place."""
        text = f"{step:,}"
        for i, ch in enumerate(reversed(text)):
            pen = round(self.right - (i + 1) * self.advance)
            tile = self.tiles[ch]
            x0 = pen - self.margin
            region = frame[: self.band, x0 : x0 + tile.shape[1]]
            tile = tile[:, : region.shape[1]]
            if self.transparent:
                # Ink is the text colour at some coverage (alpha) over alpha 0: keep
                # whichever of the two overlapping tiles covers a pixel more.
                more = tile[..., 3:] > region[..., 3:]
                np.copyto(region, tile, where=more)
            else:
                self.combine(region, tile, out=region)
