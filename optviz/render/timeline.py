"""Which step each frame shows, and paths made safe to draw.

Numbers only (numpy): no matplotlib here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optviz.errors import OptvizError
from optviz.paths import Path
from optviz.render.labels import color_of, legend_texts, marker_of


def frame_steps(n_steps: int, frames: int) -> np.ndarray:
    """The step shown by each frame: evenly spaced over 0..n_steps-1, the last frame the
    final step. With more frames than steps some frames repeat a step (the encoder then
    merges them into one longer frame)."""
    if frames < 1:
        raise OptvizError(f"frames must be at least 1, got {frames}")
    if n_steps < 1:
        raise OptvizError("nothing to draw: every path is empty")
    if frames == 1:
        return np.array([n_steps - 1])
    return np.rint(np.linspace(0, n_steps - 1, frames)).astype(np.int64)


@dataclass(frozen=True)
class Track:
    """One path, ready to draw: finite rows only up to `last`, then frozen there."""

    label: str
    color: str
    marker: str
    xy: np.ndarray  # (T, 2) float64, rows after `last` repeat row `last`
    loss: np.ndarray  # (T,) float64, NaN where the loss was not finite
    last: int  # index of the last finite position (-1: none at all)

    def upto(self, step: int) -> slice:
        """Rows to draw when the animation is at `step`."""
        return slice(0, min(step, self.last) + 1)

    def head(self, step: int) -> np.ndarray:
        """Where the ball sits at `step`: the newest finite position (NaN if none)."""
        if self.last < 0:
            return np.full(2, np.nan)
        return self.xy[min(step, self.last)]


def make_tracks(paths: Sequence[Path], lang: str = "en") -> list[Track]:
    """Every path as a `Track`, with its legend text in `lang`."""
    texts = legend_texts(paths, lang)
    return [make_track(p, label) for p, label in zip(paths, texts, strict=True)]


def make_track(path: Path, label: str) -> Track:
    """Check a `Path`'s shapes and freeze it at its last finite point."""
    xy = np.asarray(path.xy, dtype=np.float64)
    loss = np.asarray(path.loss, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] < 1:
        raise OptvizError(f"path {label!r}: xy must have shape (steps, 2), got {xy.shape}")
    if loss.shape != (xy.shape[0],):
        raise OptvizError(
            f"path {label!r}: loss must have shape ({xy.shape[0]},), got {loss.shape}"
        )
    finite = np.isfinite(xy).all(axis=1)
    stop = xy.shape[0] if finite.all() else int(np.argmin(finite))
    if path.diverged_at is not None:
        stop = min(stop, max(int(path.diverged_at), 1))
    last = stop - 1
    if last >= 0 and last < xy.shape[0] - 1:
        xy = xy.copy()
        xy[last + 1 :] = xy[last]
    loss = np.where(np.isfinite(loss), loss, np.nan)
    return Track(label, color_of(path), marker_of(path), xy, loss, last)
