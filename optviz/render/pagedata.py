"""What the html page draws, read off a `Stage`, and packed small.

Everything here is taken from the figure the GIF is drawn from: pixels from each
scene's `to_pixels` (the 3-D scene's `project_to_pixels`), line and marker styles
from the scene's own artists (markers as SVG paths of matplotlib's marker shapes),
the counter's digit tiles and `Counter.stamp`'s layout, the legend's event notes as
pixels before and after their step, cut from the canvas. Words stay pictures, so
they read as in the GIF in any language without a font.

Numbers are stored compactly: pixels x 10 and positions on a decimal grid as
integers, delta-encoded, written as base64 VLQ (5 bits a character); a loss as four
significant digits (mantissa and exponent, each delta-encoded). `player.js` decodes.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Affine2D

from optviz.i18n import text
from optviz.render.counter import GLYPHS
from optviz.render.losspanel import LossScene
from optviz.render.scene2d import FAN_PX, ContourScene
from optviz.render.scene3d import SurfaceScene
from optviz.render.stage import Stage

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
PX = 10  # pixels are stored in tenths
MARGIN = 64  # pixels: a point further outside the frame than this is never drawn
NAN_EXP = 99  # the loss exponent that stands for "not a number"


def payload(stage: Stage, *, seconds: float, hold: float) -> tuple[dict, np.ndarray, np.ndarray]:
    """(the page's data, the landscape picture, the sprite sheet) for `stage`."""
    W, H = stage.size
    canvas, renderer = stage.canvas, stage.canvas.get_renderer()
    canvas.restore_region(stage.background)
    landscape = np.array(canvas.buffer_rgba())[..., :3]
    sheet = _Sheet()
    counter = _counter(stage, sheet)
    notes = _notes(stage, sheet, renderer)
    canvas.restore_region(stage.background)
    ppx = stage.dpi / 72.0
    (x0, x1), (y0, y1) = stage.scenes[0].ax.get_xlim(), stage.scenes[0].ax.get_ylim()
    digits = max(0, 4 - math.floor(math.log10(max(abs(x1 - x0), abs(y1 - y0)))))
    tracks = [_track(t, digits) for t in stage.tracks]
    data = {
        "size": [W, H],
        "steps": stage.n_steps,
        "seconds": round(seconds, 4),
        "hold": round(hold, 4),
        "digits": digits,
        "words": {k: text(k, stage.lang) for k in ("step", "loss", "x", "y")},
        "tracks": tracks,
        "scenes": [_scene(s, stage, ppx) for s in stage.scenes],
        "counter": counter,
        "notes": notes,
        "legend": _legend_boxes(stage, renderer),
    }
    return data, landscape, sheet.image()


def _track(t, digits: int) -> dict:
    """Words, colour, event and, for hover, position and loss per step up to `last`."""
    n = t.last + 1
    q = np.clip(np.rint(t.xy[:n] * 10.0**digits), -1e15, 1e15)
    mant, expo = _loss_digits(t.loss[:n])
    return {
        "name": t.name,
        "color": to_hex(t.color),
        "last": t.last,
        "event": t.event,
        "at": t.event_step,
        "x": vlq(np.diff(q[:, 0], prepend=0)),
        "y": vlq(np.diff(q[:, 1], prepend=0)),
        "m": vlq(np.diff(mant, prepend=0)),
        "e": vlq(np.diff(expo, prepend=0)),
    }


def _scene(scene, stage: Stage, ppx: float) -> dict:
    """One panel: where it clips, and per optimizer its pixels per step and styles."""
    W, H = stage.size
    ax = scene.ax
    b = ax.bbox
    clip = [round(b.x0), round(H - b.y1), round(b.x1) - round(b.x0), round(b.y1) - round(b.y0)]
    out: dict = {"clip": clip, "paths": []}
    for i, t in enumerate(scene.tracks):
        n = t.last + 1
        if isinstance(scene, ContourScene):
            px = scene.to_pixels(t.xy[:n])
        elif isinstance(scene, SurfaceScene):
            px = scene.to_pixels(scene.xyz[i][:n])
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                px = scene.to_pixels(np.column_stack([scene.steps[:n], t.loss[:n]]))
        entry = _pixels(px, W, H)
        entry["line"] = _line(scene.lines[i], ppx)
        if not isinstance(scene, LossScene):
            entry["head"] = _glyph(scene.heads[i], ppx)
        if isinstance(scene, ContourScene) and t.event is not None:
            entry["mark"] = _glyph(scene.marks[i], ppx)
            entry["clip_mark"] = bool(scene.marks[i].get_clip_on())
            if t.event == "left":
                entry["exit"] = _round(scene.to_pixels(t.exit_xy)[0])
        out["paths"].append(entry)
    if isinstance(scene, ContourScene):
        out["fan"] = round(FAN_PX * stage.dpi / 100, 4)
        sx, sy = scene.start_marks.get_data()
        out["starts"] = [_round(p) for p in scene.to_pixels(np.column_stack([sx, sy]))]
        out["start"] = _glyph(scene.start_marks, ppx)
    return out


def _pixels(px: np.ndarray, W: int, H: int) -> dict:
    """Pixels per step as VLQ deltas of tenths. Steps that cannot be stored as they are
    (not finite, or further outside the frame than MARGIN) keep the previous value and
    are listed in "cut" as [step, in, out]: where the segment arriving at the step and
    the one leaving it cross the frame's margin (null: that segment misses the frame,
    or there is none), so the line looks as it would through the far-away point."""
    lo, hi = np.array([-MARGIN, -MARGIN]), np.array([W + MARGIN, H + MARGIN])
    ok = np.isfinite(px).all(axis=1) & (px >= lo).all(axis=1) & (px <= hi).all(axis=1)
    q = np.rint(px * PX)
    for k in range(len(q)):
        if not ok[k]:
            q[k] = q[k - 1] if k else 0
    cut = []
    for k in np.flatnonzero(~ok).tolist():
        into = _clip_segment(px[k - 1], px[k], lo, hi) if k > 0 else None
        away = _clip_segment(px[k], px[k + 1], lo, hi) if k + 1 < len(px) else None
        cut.append([k, into and _round(into[1]), away and _round(away[0])])
    dx, dy = np.diff(q, axis=0, prepend=0).T
    return {"x": vlq(dx), "y": vlq(dy), "cut": cut}


def _clip_segment(a, b, lo, hi):
    """The part of segment a-b inside the box lo-hi (Liang-Barsky), or None."""
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return None
    d = b - a
    t0, t1 = 0.0, 1.0
    for axis in (0, 1):  # p < 0: entering through the low side; p > 0: the high side
        for p, q in ((-d[axis], a[axis] - lo[axis]), (d[axis], hi[axis] - a[axis])):
            if p == 0:
                if q < 0:
                    return None
                continue
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
    if t0 > t1:
        return None
    return a + t0 * d, a + t1 * d


def _line(line: Line2D, ppx: float) -> dict:
    """How a path's line is stroked, in pixels."""
    offset, dashes = getattr(line, "_dash_pattern", (0, None))  # scaled by the width
    solid = not dashes
    return {
        "width": round(line.get_linewidth() * ppx, 4),
        "color": to_hex(line.get_color()),
        "cap": _CAPS[line.get_solid_capstyle() if solid else line.get_dash_capstyle()],
        "join": line.get_solid_joinstyle() if solid else line.get_dash_joinstyle(),
        "dash": [] if solid else [round(v * ppx, 4) for v in dashes],
        "offset": 0 if solid else round((offset or 0) * ppx, 4),
    }


_CAPS = {"butt": "butt", "round": "round", "projecting": "square"}
_SVG = {MplPath.MOVETO: "M", MplPath.LINETO: "L", MplPath.CURVE3: "Q", MplPath.CURVE4: "C"}


def _glyph(line: Line2D, ppx: float) -> dict:
    """A line's marker as an SVG path in pixels about its centre (y down), with its
    fill, edge and joins: what Agg stamps at each point."""
    style = MarkerStyle(line.get_marker(), fillstyle=line.get_fillstyle())
    size = line.get_markersize() * ppx
    trans = style.get_transform() + Affine2D().scale(size, -size)
    d = []
    for verts, code in style.get_path().iter_segments(trans, simplify=False, curves=True):
        if code == MplPath.CLOSEPOLY:
            d.append("Z")
        else:
            d.append(_SVG[code] + " ".join(f"{round(v, 3) + 0.0:g}" for v in verts))
    face = line.get_markerfacecolor()
    return {
        "d": "".join(d),
        "fill": to_hex(face) if style.is_filled() and face != "none" else None,
        "edge": to_hex(line.get_markeredgecolor()),
        "width": round(line.get_markeredgewidth() * ppx, 4),
        "join": style.get_joinstyle(),
        "cap": _CAPS[style.get_capstyle()],
    }


def _counter(stage: Stage, sheet: _Sheet) -> dict:
    """The counter's digit tiles, where each digit from the right goes, and how
    overlapping tiles combine: exactly `Counter.stamp`."""
    c = stage.counter
    row = np.concatenate([c.tiles[ch][..., :3] for ch in GLYPHS], axis=1)
    x, y = sheet.add(row)
    width = len(f"{max(stage.n_steps - 1, 0):,}")
    return {
        "glyphs": GLYPHS,
        "sheet": [x, y, row.shape[1] // len(GLYPHS), row.shape[0]],
        "pens": [round(c.right - (i + 1) * c.advance) - c.margin for i in range(width)],
        "blend": "darken" if c.combine is np.minimum else "lighten",
    }


def _notes(stage: Stage, sheet: _Sheet, renderer) -> list[dict]:
    """Legend entries that change at their event's step: the entry's pixels before and
    after, cut from the figure, and where they go."""
    W, H = stage.size
    out = []
    for copy, track in stage.notes:
        labels = (track.label_at(track.event_step - 1, *stage.note_form),
                  track.label_at(track.event_step, *stage.note_form))  # fmt: skip
        boxes = []
        for label in labels:
            copy.set_text(label)
            boxes.append(copy.get_window_extent(renderer))
        x0 = max(math.floor(min(b.x0 for b in boxes)) - 2, 0)
        x1 = min(math.ceil(max(b.x1 for b in boxes)) + 2, W)
        r0 = max(math.floor(H - max(b.y1 for b in boxes)) - 2, 0)
        r1 = min(math.ceil(H - min(b.y0 for b in boxes)) + 2, H)
        cells = []
        for label in labels:
            stage.canvas.restore_region(stage.background)
            copy.set_text(label)
            copy.draw(renderer)
            cells.append(sheet.add(np.array(stage.canvas.buffer_rgba())[r0:r1, x0:x1, :3]))
        out.append({"track": stage.tracks.index(track), "at": [x0, r0, x1 - x0, r1 - r0],
                    "before": cells[0], "after": cells[1]})  # fmt: skip
    return out


def _legend_boxes(stage: Stage, renderer) -> list[list[float] | None]:
    """Per optimizer the pixel box (left, top, width, height) of its legend entry."""
    H = stage.size[1]
    if not stage.fig.legends:
        return [None] * len(stage.tracks)
    legend = stage.fig.legends[0]
    out = []
    for handle, label in zip(legend.legend_handles, legend.get_texts(), strict=True):
        shown = label.get_visible()  # an entry with a note hides its text (Stage._event_notes)
        label.set_visible(True)
        a, b = handle.get_window_extent(renderer), label.get_window_extent(renderer)
        label.set_visible(shown)
        x0, x1 = min(a.x0, b.x0) - 2, max(a.x1, b.x1) + 2
        y0, y1 = min(a.y0, b.y0) - 1, max(a.y1, b.y1) + 1  # entries are ~5 px apart
        out.append([round(x0, 2), round(H - y1, 2), round(x1 - x0, 2), round(y1 - y0, 2)])
    return out[: len(stage.tracks)]  # after the paths' entries: a found minimum's star


class _Sheet:
    """Small pictures packed one under another into one PNG."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.height = 0

    def add(self, rgb: np.ndarray) -> list[int]:
        self.parts.append(rgb)
        self.height += rgb.shape[0]
        return [0, self.height - rgb.shape[0]]

    def image(self) -> np.ndarray:
        width = max(p.shape[1] for p in self.parts)
        return np.concatenate(
            [np.pad(p, ((0, 0), (0, width - p.shape[1]), (0, 0)), mode="edge") for p in self.parts]
        )


def _loss_digits(loss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each loss as mantissa m (1000..9999, signed; 0 for zero) and exponent e with
    value m * 10**(e - 3); e = NAN_EXP where the loss is not finite."""
    finite = np.isfinite(loss) & (loss != 0)
    safe = np.where(finite, np.abs(loss), 1.0)
    e = np.floor(np.log10(safe))
    m = np.rint(safe / 10.0 ** (e - 3))
    e = np.where(m >= 10000, e + 1, e)  # 9999.6 rounds up to the next decade
    m = np.where(m >= 10000, 1000, m) * np.sign(np.where(finite, loss, 0))
    e = np.where(np.isfinite(loss), np.where(finite, e, 0), NAN_EXP)
    return m.astype(np.int64), e.astype(np.int64)


def vlq(values) -> str:
    """Whole numbers as base64 VLQ: zigzag (sign in the lowest bit), 5 bits a
    character from the lowest up, the sixth bit set when more follow.

    >>> vlq([0, 1, -1, 16, -1000])
    'ACBgBv-B'
    """
    out = []
    for v in np.asarray(values, dtype=np.float64).astype(np.int64).tolist():
        z = 2 * v if v >= 0 else -2 * v - 1
        while True:
            if z < 32:
                out.append(B64[z])
                break
            out.append(B64[32 | (z & 31)])
            z >>= 5
    return "".join(out)


def _round(p) -> list[float]:
    return [round(float(v), 1) + 0.0 for v in p]
