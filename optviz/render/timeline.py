"""Which step each frame shows, and paths made safe to draw.

Numbers only (numpy): no matplotlib here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optviz.errors import OptvizError
from optviz.i18n import check_lang, text
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
    """One path, ready to draw: finite rows only up to `last`, then frozen there.

    name: the legend text; note: what happened to the path on the way, "left the
    plot at step N" or "diverged at step N" ("" if nothing), from `event_step` on.
    exit_xy: where the path crossed the edge of the picture (NaN unless it left).
    """

    name: str
    color: str
    marker: str
    xy: np.ndarray  # (T, 2) float64, rows after `last` repeat row `last`
    loss: np.ndarray  # (T,) float64, NaN where the loss was not finite
    last: int  # index of the last finite position (-1: none at all)
    note: str = ""
    short_note: str = ""  # the note for a crowded legend
    event: str | None = None  # "left" or "diverged"
    event_step: int | None = None
    exit_xy: np.ndarray = field(default_factory=lambda: np.full(2, np.nan))
    plane_loss: np.ndarray | None = None  # (T,) the drawn surface's loss at xy (see Path)

    def upto(self, step: int) -> slice:
        """Rows to draw when the animation is at `step`."""
        return slice(0, min(step, self.last) + 1)

    def grown(self, before: int, step: int) -> slice:
        """Rows to add when the animation moves on from `before` to `step` (`before` < 0:
        nothing drawn yet): the new rows, with the last row already drawn to join them."""
        start = self.upto(before).stop - 1 if before >= 0 else 0
        return slice(max(start, 0), self.upto(step).stop)

    def head(self, step: int) -> np.ndarray:
        """Where the head sits at `step`: the newest finite position (NaN if none)."""
        if self.last < 0:
            return np.full(2, np.nan)
        return self.xy[min(step, self.last)]

    def happened(self, step: int) -> bool:
        """Whether the path's event is visible at `step`."""
        return self.event_step is not None and step >= self.event_step

    @property
    def label(self) -> str:
        """The legend text on one line, with the note once the event has happened."""
        return self.label_at(len(self.xy))

    def label_at(self, step: int, sep: str = " ", short: bool = False) -> str:
        """The legend text at `step`: the note is added from its step on, after `sep`
        (" " puts it in brackets on the same line, "\n" on a line of its own)."""
        if not self.happened(step):
            return self.name
        note = self.short_note if short else self.note
        return f"{self.name} ({note})" if sep == " " else f"{self.name}{sep}{note}"


def make_tracks(
    paths: Sequence[Path], lang: str = "en", box=None, theme: str = "light"
) -> list[Track]:
    """Every path as a `Track`, with its legend text in `lang` and its colour on `theme`;
    box ((x0, x1), (y0, y1)): the picture's extent, to tell when a path leaves it
    (None: never)."""
    check_lang(lang)
    names = legend_texts(paths, lang)
    return [make_track(p, n, lang, box, theme) for p, n in zip(paths, names, strict=True)]


def make_track(path: Path, name: str, lang: str = "en", box=None, theme: str = "light") -> Track:
    """Check a `Path`'s shapes, freeze it at its last finite point, find its event."""
    xy = np.asarray(path.xy, dtype=np.float64)
    loss = np.asarray(path.loss, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] < 1:
        raise OptvizError(f"path {name!r}: xy must have shape (steps, 2), got {xy.shape}")
    if loss.shape != (xy.shape[0],):
        raise OptvizError(f"path {name!r}: loss must have shape ({xy.shape[0]},), got {loss.shape}")
    finite = np.isfinite(xy).all(axis=1)
    stop = xy.shape[0] if finite.all() else int(np.argmin(finite))
    diverged = stop if stop < xy.shape[0] else None
    if path.diverged_at is not None:
        stop = min(stop, max(int(path.diverged_at), 1))
        diverged = int(path.diverged_at)
    last = stop - 1
    if last >= 0 and last < xy.shape[0] - 1:
        xy = xy.copy()
        xy[last + 1 :] = xy[last]
    loss = np.where(np.isfinite(loss), loss, np.nan)
    plane_loss = None
    if path.plane_loss is not None:
        plane_loss = np.asarray(path.plane_loss, dtype=np.float64)
        if plane_loss.shape != loss.shape:
            raise OptvizError(f"path {name!r}: plane_loss must have the shape of loss")
        plane_loss = np.where(np.isfinite(plane_loss), plane_loss, np.nan)
    event, step, exit_xy = None, None, np.full(2, np.nan)
    left = left_at(xy, last, box) if box is not None else None
    if left is not None and (diverged is None or left <= diverged):
        event, step = "left", left
        exit_xy = edge_point(xy[left - 1], xy[left], box)
    elif diverged is not None:
        event, step = "diverged", diverged
    note = "" if event is None else text(event, lang, step=step)
    short = "" if event is None else text(f"{event}.short", lang, step=step)
    return Track(
        name,
        color_of(path, theme),
        marker_of(path),
        xy,
        loss,
        last,
        note,
        short,
        event,
        step,
        exit_xy,
        plane_loss,
    )


def left_at(xy: np.ndarray, last: int, box) -> int | None:
    """The first step at which the path is outside `box` (None: it stays inside)."""
    if last < 1:
        return None
    (x0, x1), (y0, y1) = box
    pts = xy[: last + 1]
    outside = (pts[:, 0] < x0) | (pts[:, 0] > x1) | (pts[:, 1] < y0) | (pts[:, 1] > y1)
    if not outside[1:].any() or outside[0]:
        return None
    return int(np.argmax(outside[1:])) + 1


def edge_point(inside: np.ndarray, outside: np.ndarray, box) -> np.ndarray:
    """Where the segment from `inside` to `outside` crosses the edge of `box`."""
    (x0, x1), (y0, y1) = box
    d = outside - inside
    t = 1.0
    for lo, hi, p, v in ((x0, x1, inside[0], d[0]), (y0, y1, inside[1], d[1])):
        if v > 0 and p + v > hi:
            t = min(t, (hi - p) / v)
        elif v < 0 and p + v < lo:
            t = min(t, (lo - p) / v)
    return inside + max(t, 0.0) * d
