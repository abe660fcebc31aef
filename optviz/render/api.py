"""`render`: a surface and some paths in, an animation file out."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from optviz import interrupt, limits
from optviz.errors import OptvizError
from optviz.i18n import check_lang, text
from optviz.paths import Path
from optviz.render import encode
from optviz.render.fonts import font_families
from optviz.render.stage import DPI, DPI_RANGE, Stage
from optviz.render.theme import Theme, get_theme
from optviz.render.timeline import frame_steps, make_tracks
from optviz.render.view import view_box, viewed
from optviz.render.writers import format_of, writer_for
from optviz.surfaces.base import Surface

VIEWS = ("2d", "3d", "both")


@dataclass(frozen=True)
class RenderInfo:
    """What `render` wrote."""

    path: FsPath
    fmt: str
    n_frames: int  # frames stored in the file (consecutive duplicates merged)
    bytes: int
    size: tuple[int, int]  # (width, height) in pixels
    fps: float
    duration_s: float  # total play time (0 for a png still)
    steps: tuple[int, ...]  # the optimizer step each drawn frame shows


def make_stage(
    surface: Surface,
    paths: Sequence[Path],
    *,
    view: str = "2d",
    size: tuple[int, int] = (640, 480),
    theme: str | Theme = "light",
    title: str | None = None,
    loss_panel: bool = False,
    step_label: str | None = None,
    lang: str = "en",
    transparent: bool = False,
    dpi: float | None = None,
    still: bool | None = None,
    starts: np.ndarray | None = None,
    figure: Figure | None = None,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    fit: bool = False,
) -> tuple[Stage, int]:
    """The figure `render` draws from, and the number of steps: for callers that want
    frames as arrays, or pixel positions of data points (`stage.scenes[i].to_pixels`).

    still: a picture with every path in full and no step counter (`stage.fig` is a
    plain Figure); None: a still when there are no paths (a picture of the surface).
    starts: points to mark as starts (None: the paths' first points).
    figure: draw into this figure and its canvas (cleared first). xlim, ylim: the
    part of the plane to show (default: the surface's domain); fit: frame the paths'
    extent instead. Every path must start inside what is shown."""
    if view not in VIEWS:
        raise OptvizError(f"unknown view {view!r}; choose from: {', '.join(VIEWS)}")
    try:
        w, h = (int(v) for v in size)
        whole = (w, h) == tuple(size) and not any(isinstance(v, bool) for v in size)
    except (TypeError, ValueError):
        whole = False
    if not whole or w < 64 or h < 64:
        raise OptvizError(f"size must be two whole numbers of pixels, each >= 64; got {size!r}")
    limits.check_size(w, h)
    check_lang(lang)
    dpi = check_dpi(dpi)
    if step_label is None:
        step_label = text("step", lang)
    if still is None:
        still = not paths
    box = view_box(surface, paths, xlim=xlim, ylim=ylim, fit=fit)
    surface = viewed(surface, box)
    tracks = make_tracks(paths, lang, box, get_theme(theme).name)
    fonts = font_families(lang, [title, step_label, *(t.label for t in tracks)])
    n_steps = max((t.xy.shape[0] for t in tracks), default=1)
    stage = Stage(
        surface,
        tracks,
        n_steps,
        view=view,
        size=(w, h),
        theme=get_theme(theme),
        title=title,
        loss_panel=loss_panel,
        step_label=step_label,
        lang=lang,
        fonts=fonts,
        transparent=bool(transparent),
        dpi=dpi,
        still=still,
        starts=starts,
        figure=figure,
    )
    return stage, n_steps


HOLD_S = 2.0  # the last frame stays up this long, so the result is seen before the loop
MAX_HOLD_S = 60.0


def check_hold(hold: float) -> float:
    """`hold` as seconds from 0 to MAX_HOLD_S, or an `OptvizError`."""
    try:
        value = float(hold)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(hold, bool) or not 0.0 <= value <= MAX_HOLD_S:
        raise OptvizError(f"hold must be from 0 to {MAX_HOLD_S:g} seconds, got {hold!r}")
    return value


# A frame may last at most 100 s (with the held end, well within GIF's 16-bit delay
# field of 655.35 s), and at least 1 ms (WebP counts whole milliseconds).
FPS_RANGE = (0.01, 1000.0)


def check_fps(fps: float) -> float:
    """`fps` as a float within FPS_RANGE, or an `OptvizError`."""
    try:
        value = float(fps)
    except (TypeError, ValueError):
        value = math.nan
    lo, hi = FPS_RANGE
    if isinstance(fps, bool) or not (value > 0 and math.isfinite(value)):
        raise OptvizError(f"fps must be a positive number, got {fps!r}")
    if not lo <= value <= hi:
        raise OptvizError(f"fps must be from {lo:g} to {hi:g} frames a second, got {fps!r}")
    return value


def check_dpi(dpi: float | None) -> float:
    """`dpi` as a float (None: the default), or an `OptvizError` if out of range."""
    if dpi is None:
        return float(DPI)
    lo, hi = DPI_RANGE
    try:
        value = float(dpi)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(dpi, bool) or not lo <= value <= hi:
        raise OptvizError(f"dpi must be a number from {lo:g} to {hi:g}, got {dpi!r}")
    return value


def render(
    surface: Surface,
    paths: Sequence[Path],
    out: str | os.PathLike,
    *,
    view: str = "2d",
    frames: int = 150,
    fps: float = 30,
    size: tuple[int, int] = (640, 480),
    theme: str | Theme = "light",
    title: str | None = None,
    loss_panel: bool = False,
    fmt: str | None = None,
    step_label: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    lang: str = "en",
    transparent: bool = False,
    dpi: float | None = None,
    hold: float = HOLD_S,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    fit: bool = False,
    starts: Sequence[Sequence[float]] | None = None,
) -> RenderInfo:
    """Animate `paths` racing over `surface` and write the result to `out`.

    view: "2d" contours, "3d" surface, or "both" side by side; loss_panel adds a
    loss-versus-step plot. frames are spread evenly over the steps, the last frame
    showing the final step. fmt: "gif", "webp", "mp4" (needs imageio-ffmpeg), "png"
    (the last frame as a still) or "html" (one self-contained page that draws the paths
    in the browser, every step, with controls; `frames / fps` is its pace at speed 1);
    None: from the extension of `out`.
    `progress(done, total)` is called after each frame.
    lang: the language of the words drawn ("en", "ja"; "ja" needs ``optviz[ja]``):
    optimizer names, axis and panel labels, the step counter (step_label None: "step"
    in `lang`), "diverged at step N". A path label that is not an optimizer's name is
    drawn as written, as is `title`. transparent: the background around the panels is
    see-through (png and webp). dpi: text and line sizes (pixels per inch, default
    100); the picture stays `size` pixels. hold: seconds the last frame stays up
    before the animation loops. xlim, ylim: the part of the plane shown (default:
    the surface's domain); fit: frame the paths' extent instead. starts: points to
    mark as start points (None: where the paths begin). A path's start must
    be inside what is shown. frames beyond one per step are not drawn: a frame per
    step is the most there is to show (`RenderInfo.steps` says what was drawn).
    The file appears only when complete; the same inputs write the same bytes.
    """
    fmt = format_of(out, fmt)
    writer = writer_for(fmt)
    fps = check_fps(fps)
    writer.check(fps=fps, transparent=bool(transparent))
    if isinstance(frames, bool) or int(frames) != frames:
        raise OptvizError(f"frames must be a whole number, got {frames!r}")
    hold = check_hold(hold)
    out = FsPath(out)
    if not out.parent.is_dir():
        raise OptvizError(f"cannot write {out}: folder {out.parent} does not exist")
    stage, n_steps = make_stage(
        surface,
        paths,
        view=view,
        size=size,
        theme=theme,
        title=title,
        loss_panel=loss_panel,
        step_label=step_label,
        lang=lang,
        transparent=transparent,
        dpi=dpi,
        xlim=xlim,
        ylim=ylim,
        fit=fit,
        starts=None if starts is None else np.asarray(starts, dtype=np.float64),
    )
    return write_stage(
        stage, n_steps, out, fmt=fmt, frames=frames, fps=fps, hold=hold,
        transparent=transparent, progress=progress,
    )  # fmt: skip


def write_stage(
    stage: Stage,
    n_steps: int,
    out: FsPath,
    *,
    fmt: str,
    frames: int,
    fps: float,
    hold: float,
    transparent: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RenderInfo:
    """Write a ready `stage`'s frames to `out` (arguments checked as `render` checks them):
    for pictures built on the figure engine by other means than `make_stage`."""
    writer = writer_for(fmt)
    steps = frame_steps(n_steps, min(int(frames), n_steps))
    if writer.still:
        steps = steps[-1:]
    if writer.wants_stage:  # a page that draws the paths itself: the stage, not frames
        with encode.atomic_output(out) as tmp:
            result = writer.write_stage(tmp, stage, steps, fps=fps, hold=hold)
        if progress is not None:
            progress(1, 1)
        return RenderInfo(
            path=out, fmt=fmt, n_frames=result.n_frames, bytes=out.stat().st_size,
            size=stage.size, fps=float(fps), duration_s=result.duration_s,
            steps=tuple(int(s) for s in steps),
        )  # fmt: skip
    total = len(steps)
    held = 0 if writer.still else round(hold * fps)  # copies of the last frame
    reserved = [tuple(round(255 * v) for v in to_rgb(c)) for c in stage.reserved_colors]
    with encode.atomic_output(out) as tmp:
        samples = [stage.frame(int(s)) for s in (steps[0], steps[-1])] if writer.palette else []
        try:
            writer.open(
                tmp, fps=fps, n_frames=total + held, transparent=bool(transparent),
                samples=samples, reserved=reserved,
            )  # fmt: skip
            del samples
            for k, s in enumerate(steps):
                interrupt.check()
                frame = stage.frame(int(s))
                writer.add(frame)
                if progress is not None:
                    progress(k + 1, total)
            for _ in range(held):  # merged into one long frame by GIF and WebP
                writer.add(frame)
            result = writer.finish()
        except BaseException:
            writer.abort()
            raise
    return RenderInfo(
        path=out,
        fmt=fmt,
        n_frames=result.n_frames,
        bytes=out.stat().st_size,
        size=stage.size,
        fps=float(fps),
        duration_s=result.duration_s,
        steps=tuple(int(s) for s in steps),
    )
