"""A network's loss on a plane of its weight space, drawn by the same figure engine as
the toy surfaces: the grid of losses stands in for the analytic surface.

Numbers in (grid axes, losses, projected paths), pictures out; nothing here trains or
evaluates a network. The projected paths race through the same stage as a toy race
(contours, 3-D surface, loss panel, legend, step counter); the loss panel shows each
path's true training loss, and dashed, the plane's loss at its projected point.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path as FsPath

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from optviz.errors import OptvizError
from optviz.paths import Path
from optviz.render.api import (
    HOLD_S,
    RenderInfo,
    check_fps,
    check_hold,
    make_stage,
    write_stage,
)
from optviz.render.labels import color_of, legend_text
from optviz.render.losspanel import LossScene
from optviz.render.scene2d import LINE_WIDTH, style_axes
from optviz.render.scene3d import SurfaceScene
from optviz.render.stage import DPI, Stage, base_fontsize
from optviz.render.theme import get_theme
from optviz.render.writers import format_of, writer_for
from optviz.surfaces.base import Levels, Surface

FORMATS = ("gif", "webp", "mp4", "png")


def grid_surface(
    alphas: np.ndarray, betas: np.ndarray, loss: np.ndarray, start: Sequence[float], name: str
) -> Surface:
    """The loss grid as a `Surface`: bilinear between grid points (loss[j, i] at
    (alphas[i], betas[j])), log-spaced contours, the shared start as its start."""
    a = np.asarray(alphas, dtype=np.float64)
    b = np.asarray(betas, dtype=np.float64)
    z = jnp.asarray(np.asarray(loss, dtype=np.float32))
    g_a, g_b = len(a), len(b)
    a0, da, b0, db = float(a[0]), float(a[1] - a[0]), float(b[0]), float(b[1] - b[0])

    def fn(xy):
        fx = jnp.clip((xy[..., 0] - a0) / da, 0.0, g_a - 1.0)
        fy = jnp.clip((xy[..., 1] - b0) / db, 0.0, g_b - 1.0)
        i = jnp.clip(jnp.floor(fx).astype(jnp.int32), 0, g_a - 2)
        j = jnp.clip(jnp.floor(fy).astype(jnp.int32), 0, g_b - 2)
        tx, ty = fx - i, fy - j
        return (
            (1 - tx) * (1 - ty) * z[j, i]
            + tx * (1 - ty) * z[j, i + 1]
            + (1 - tx) * ty * z[j + 1, i]
            + tx * ty * z[j + 1, i + 1]
        )

    return Surface(
        name=name,
        fn=fn,
        domain=((float(a[0]), float(a[-1])), (float(b[0]), float(b[-1]))),
        minima=(),
        starts=(tuple(float(v) for v in start),),
        description="training loss of the CNN on a plane of its weight space",
        reference="Li et al. (2018), Visualizing the Loss Landscape of Neural Nets",
        formula="L(origin + a d1 + b d2)",
        levels=Levels(kind="log", n=30),
    )


def held_paths(
    names: Sequence[str],
    steps: Mapping[str, np.ndarray],
    coords: Mapping[str, np.ndarray],
    true_loss: Mapping[str, np.ndarray],
    plane_loss: Mapping[str, np.ndarray],
) -> list[Path]:
    """One `Path` per optimizer with a row per training step: each recorded snapshot
    (at steps[name]) holds until the next, so the counter and the loss panel count
    real training steps. A path whose weights stopped being finite is marked
    diverged at the first step that shows it."""
    out = []
    for name in names:
        s = np.asarray(steps[name])
        rows = np.searchsorted(s, np.arange(int(s[-1]) + 1), side="right") - 1
        xy = np.asarray(coords[name], dtype=np.float64)[rows]
        bad = ~np.isfinite(xy).all(axis=1)
        out.append(
            Path(
                xy=xy,
                loss=np.asarray(true_loss[name], dtype=np.float64)[rows],
                optimizer=name,
                diverged_at=int(np.argmax(bad)) if bad.any() else None,
                plane_loss=np.asarray(plane_loss[name], dtype=np.float64)[rows],
            )
        )
    return out


def landscape_stage(
    surface: Surface,
    paths: Sequence[Path],
    axis_labels: tuple[str, str],
    *,
    still: bool = False,
    **options,
) -> tuple[Stage, int]:
    """`make_stage` for a weight-space plane, with the plane's own axis names."""
    stage, n_steps = make_stage(surface, paths, still=still, **options)
    for scene in stage.scenes:
        if isinstance(scene, LossScene):
            _fit_title(scene.ax, "training loss (dashed: on the plane)", stage)
            continue
        if isinstance(scene, SurfaceScene):  # little room between the ticks: short names
            short = [label.split(" (")[0] for label in axis_labels]
            scene.ax.set_xlabel(short[0], labelpad=-6)
            scene.ax.set_ylabel(short[1], labelpad=-6)
        else:
            scene.ax.set_xlabel(axis_labels[0], labelpad=4.0)
            scene.ax.set_ylabel(axis_labels[1], rotation=90, labelpad=4.0)
    if not still:
        stage.canvas.draw()  # the static picture again, with the new labels
    return stage, n_steps


def _fit_title(ax, title: str, stage: Stage) -> None:
    """The loss panel's title, in a smaller size (down to 70%) where the panel is narrow."""
    text = ax.set_title(title, loc="left", pad=4, color=ax.title.get_color(),
                        fontsize=ax.title.get_fontsize())  # fmt: skip
    renderer = stage.canvas.get_renderer()
    width = ax.get_window_extent(renderer).width
    size = text.get_fontsize()
    for scale in (0.9, 0.8, 0.7):
        if text.get_window_extent(renderer).width <= width:
            return
        text.set_fontsize(size * scale)


def render_netscape(
    surface: Surface,
    paths: Sequence[Path],
    axis_labels: tuple[str, str],
    out: str | os.PathLike,
    *,
    view: str = "2d",
    frames: int = 120,
    fps: float = 20,
    size: tuple[int, int] = (880, 480),
    theme: str = "light",
    title: str | None = None,
    loss_panel: bool = True,
    lang: str = "en",
    hold: float = HOLD_S,
    progress: Callable[[int, int], None] | None = None,
) -> RenderInfo:
    """Animate the projected paths racing over the plane's loss and write `out`."""
    fmt = format_of(out, None)
    if fmt not in FORMATS:
        raise OptvizError(f"a landscape is written as {', '.join(FORMATS)}, not {fmt}")
    fps = check_fps(fps)
    writer_for(fmt).check(fps=fps, transparent=False)
    hold = check_hold(hold)
    if isinstance(frames, bool) or int(frames) != frames or frames < 1:
        raise OptvizError(f"frames must be a whole number >= 1, got {frames!r}")
    out = FsPath(out)
    if not out.parent.is_dir():
        raise OptvizError(f"cannot write {out}: folder {out.parent} does not exist")
    stage, n_steps = landscape_stage(
        surface, paths, axis_labels, view=view, size=size, theme=theme, title=title,
        loss_panel=loss_panel, lang=lang,
    )  # fmt: skip
    return write_stage(
        stage, n_steps, out, fmt=fmt, frames=int(frames), fps=fps, hold=hold, progress=progress
    )


def interpolation_figure(
    ts: np.ndarray,
    curves: Mapping[str, np.ndarray],
    *,
    size: tuple[int, int] = (640, 400),
    theme: str = "light",
    lang: str = "en",
    title: str | None = None,
) -> Figure:
    """The 1-D picture (Goodfellow et al., 2015): training loss along the straight line
    from the shared start (t = 0) to each optimizer's final weights (t = 1)."""
    th = get_theme(theme)
    fs = base_fontsize(size)
    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, facecolor=th.background)
    ax = fig.add_axes((0.11, 0.14, 0.66, 0.74))
    style_axes(ax, th, fs)
    values = np.concatenate([np.asarray(v, dtype=np.float64) for v in curves.values()])
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size and finite.max() / finite.min() > 100:
        ax.set_yscale("log")
    for name, loss in curves.items():
        path = Path(None, None, optimizer=name)
        ax.plot(ts, loss, color=color_of(path, th.name), lw=LINE_WIDTH,
                label=legend_text(path, lang))  # fmt: skip
    for t in (0.0, 1.0):
        ax.axvline(t, color=th.muted, lw=1.0, ls=":")
    ax.set_xlabel("t   (w = start + t · (final − start))")
    ax.set_ylabel("training loss")
    ax.grid(True, color=th.muted, alpha=0.3, lw=0.8)
    ax.set_title(title or "loss on the straight line from the start to each final point",
                 color=th.text, fontsize=fs, loc="left", pad=6)  # fmt: skip
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, fontsize=fs * 0.85,
              labelcolor=th.text)  # fmt: skip
    return fig
