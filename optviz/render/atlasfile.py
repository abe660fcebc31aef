"""An atlas's files: a PNG still, a GIF zoom, or the raw arrays as .npz, each written
whole or not at all (a temporary file beside the target, moved in when complete)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path as FsPath

import numpy as np

from optviz import interrupt
from optviz.render import encode
from optviz.render.api import RenderInfo
from optviz.render.writers import writer_for


def write_png(out: FsPath, frame: np.ndarray) -> RenderInfo:
    with encode.atomic_output(out) as tmp:
        encode.write_png(frame, tmp)
    h, w = frame.shape[:2]
    return RenderInfo(out, "png", 1, out.stat().st_size, (w, h), 0.0, 0.0, ())


def write_frames(
    out: FsPath, frames: Sequence[np.ndarray], *, fps: float, hold: float = 1.5
) -> RenderInfo:
    """A GIF of `frames`, the last held `hold` seconds before the loop."""
    writer = writer_for("gif")
    writer.check(fps=fps, transparent=False)
    held = round(hold * fps)
    with encode.atomic_output(out) as tmp:
        writer.open(tmp, fps=fps, n_frames=len(frames) + held, samples=[frames[0], frames[-1]])
        try:
            for frame in frames:
                interrupt.check()
                writer.add(frame)
            for _ in range(held):
                writer.add(frames[-1])
            result = writer.finish()
        except BaseException:
            writer.abort()
            raise
    h, w = frames[0].shape[:2]
    return RenderInfo(
        out, "gif", result.n_frames, out.stat().st_size, (w, h), float(fps), result.duration_s, ()
    )


def write_npz(out: FsPath, arrays: Mapping[str, np.ndarray]) -> RenderInfo:
    """Every array, compressed, under its name (read back with `numpy.load`)."""
    with encode.atomic_output(out) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    return RenderInfo(out, "npz", 0, out.stat().st_size, (0, 0), 0.0, 0.0, ())
