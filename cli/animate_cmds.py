"""`optviz animate` and `optviz show`: races and surfaces as files for slides."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from optviz.cli.app import app, user_errors
from optviz.cli.parse import (
    DOMAIN_FLAG,
    default_out,
    file_stem,
    parse_hparams,
    parse_names,
    parse_point,
    parse_size,
    parse_surface,
)
from optviz.cli.parse import positive as check_positive
from optviz.errors import OptvizError

SURFACE_HELP = "A surface name (see 'optviz list'), or a formula in x and y (with --domain)."
DOMAIN_HELP = f"A formula's domain: {DOMAIN_FLAG.split(' ', 1)[1]} (e.g. -3,3,-2,2)."


@app.command("animate")
@user_errors
def animate_command(
    optimizers: Annotated[str, typer.Argument(help="One name, a comma list, or 'all'.")],
    surface: Annotated[str, typer.Argument(help=SURFACE_HELP)],
    out: Annotated[
        Path | None, typer.Option(help="Output file [default: <optimizers>_<surface>.<format>].")
    ] = None,
    domain: Annotated[str | None, typer.Option(help=DOMAIN_HELP)] = None,
    steps: Annotated[int, typer.Option(help="Optimizer steps.")] = 1000,
    frames: Annotated[int, typer.Option(help="Frames, sampled evenly from the steps.")] = 150,
    fps: Annotated[float, typer.Option(help="Frames per second.")] = 30,
    size: Annotated[
        str, typer.Option(help="WxH pixels, or a slide layout: 4:3, 16:9.")
    ] = "640x480",
    view: Annotated[str, typer.Option(help="2d (contours), 3d (surface), or both.")] = "2d",
    start: Annotated[
        list[str] | None, typer.Option(help="Start point x,y; repeat for several.")
    ] = None,
    lr: Annotated[
        list[str] | None, typer.Option(help="Learning rate NAME=VALUE, or VALUE for all.")
    ] = None,
    hp: Annotated[
        list[str] | None, typer.Option(help="Hyperparameter NAME.PARAM=VALUE (optax names).")
    ] = None,
    theme: Annotated[str, typer.Option(help="light or dark.")] = "light",
    title: Annotated[str | None, typer.Option(help="Title text.")] = None,
    loss_panel: Annotated[bool, typer.Option(help="Add a loss-versus-step plot.")] = False,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="gif, mp4, webp, png (the last frame), or html (a page to play and scrub).",
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="Label language: en, or ja (needs optviz[ja]).")] = "en",
    transparent: Annotated[
        bool, typer.Option(help="Transparent background (png and webp).")
    ] = False,
    dpi: Annotated[
        float | None, typer.Option(help="Text and line scale; the pixel size stays --size.")
    ] = None,
    hold: Annotated[
        float, typer.Option(help="Seconds the last frame stays up before the loop.")
    ] = 2.0,
    xlim: Annotated[
        str | None, typer.Option(help="Show x from LO to HI (LO,HI) [default: the domain].")
    ] = None,
    ylim: Annotated[
        str | None, typer.Option(help="Show y from LO to HI (LO,HI) [default: the domain].")
    ] = None,
    fit: Annotated[
        bool, typer.Option(help="Frame the paths' extent (with a margin), not the domain.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Animate optimizers racing on a surface, e.g. `optviz animate adam beale`."""
    names = parse_names(optimizers)
    surf = parse_surface(surface, domain)  # unknown name, bad formula: before it names a file
    fmt = _format(format, out)
    target = (
        Path(out)
        if out is not None
        else Path(default_out(names, optimizers == "all", file_stem(surf), fmt))
    )
    _check_writable(target)
    pixels = parse_size(size)
    check_positive(steps, "--steps")
    check_positive(frames, "--frames")
    starts = [parse_point(s, "--start") for s in start] if start else None
    hparams = parse_hparams(names, lr, hp)
    limits = {
        "xlim": None if xlim is None else parse_point(xlim, "--xlim"),
        "ylim": None if ylim is None else parse_point(ylim, "--ylim"),
    }
    if starts and not fit:  # a start outside the picture: say so before any work
        import numpy as np

        from optviz.paths import Path as Track
        from optviz.render.view import view_box

        view_box(surf, [Track(np.asarray([s]), np.zeros(1)) for s in starts], **limits)

    import optviz

    race = optviz.race(names, surf, starts=starts, steps=steps, **hparams)
    if title is None and surf.formula and surf.name == surf.formula:  # a formula of the user's
        title = f"f(x, y) = {surf.formula}"
    with _progress(quiet) as progress:
        info = race.save(
            target, view=view, frames=frames, fps=fps, size=pixels, theme=theme,
            title=title, loss_panel=loss_panel, fmt=fmt, progress=progress,
            lang=lang, transparent=transparent, dpi=dpi, hold=hold, fit=fit, **limits,
        )  # fmt: skip
    result = race.result
    kib = info.bytes / 1024
    what = f"{steps + 1} steps to play" if fmt == "html" else f"{info.n_frames} frames"
    typer.echo(f"wrote {info.path}: {what}, {info.size[0]}x{info.size[1]} px, {kib:.0f} KiB")
    if frames > len(info.steps) and fmt not in ("png", "html"):
        typer.echo(f"note: --frames {frames} is more than the {steps + 1} steps; drew one a step")
    for name in names:
        for i in range(len(result.starts)):
            step = result.diverged(name, i)
            if step is not None:
                typer.echo(f"note: {name} diverged at step {step} (shown frozen there)")


def _format(fmt: str | None, out: Path | None) -> str:
    """The output format: --format, else the --out suffix, else gif (one table decides:
    `optviz.render.writers`)."""
    from optviz.render.writers import format_of

    return format_of(out if out is not None else "", fmt or (None if out is not None else "gif"))


def _check_writable(target: Path) -> None:
    """Fail before any work if the output cannot be written."""
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise OptvizError(f"--out {target} is a folder; give a file name")
    if not folder.is_dir():
        raise OptvizError(f"cannot write {target}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OptvizError(f"cannot write {target}: folder {folder} is not writable")


@contextmanager
def _progress(quiet: bool):
    """A rich progress bar on stderr when it is a terminal; None otherwise."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("rendering"), BarColumn(), MofNCompleteColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("frames", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@app.command("show")
@user_errors
def show_command(
    surface: Annotated[str, typer.Argument(help=SURFACE_HELP)],
    out: Annotated[Path | None, typer.Option(help="Output file [default: <surface>.png].")] = None,
    domain: Annotated[str | None, typer.Option(help=DOMAIN_HELP)] = None,
    size: Annotated[
        str, typer.Option(help="WxH pixels, or a slide layout: 4:3, 16:9.")
    ] = "640x480",
    view: Annotated[str, typer.Option(help="2d (contours), 3d (surface), or both.")] = "both",
    theme: Annotated[str, typer.Option(help="light or dark.")] = "light",
    title: Annotated[str | None, typer.Option(help="Title text.")] = None,
    lang: Annotated[str, typer.Option(help="Label language: en, or ja (needs optviz[ja]).")] = "en",
    transparent: Annotated[bool, typer.Option(help="Transparent background.")] = False,
    dpi: Annotated[float | None, typer.Option(help="Text and line scale.")] = None,
) -> None:
    """Write a still picture of a surface, its minima and default start points."""
    surf = parse_surface(surface, domain)
    target = Path(out) if out is not None else Path(f"{file_stem(surf)}.png")
    fmt = _format(None, target)
    if fmt != "png":
        raise OptvizError(f"optviz show writes a .png still; got {target.name!r}")
    _check_writable(target)
    pixels = parse_size(size)

    from optviz.render import render

    heading = surf.name if surf.name == surf.formula else f"{surf.name}: {surf.formula}"
    info = render(
        surf, [], target, view=view, frames=1, size=pixels, theme=theme,
        title=title if title is not None else heading, fmt="png",
        lang=lang, transparent=transparent, dpi=dpi, starts=surf.starts,
    )  # fmt: skip
    typer.echo(f"wrote {info.path}: {info.size[0]}x{info.size[1]} px")
