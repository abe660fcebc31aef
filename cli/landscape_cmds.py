"""`optviz landscape`: the optimizers racing on the real CNN's loss, on a plane of its
weight space (typer command only; JAX, numpy and matplotlib load inside it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from optviz.cli.app import app, user_errors
from optviz.cli.parse import parse_hparams, parse_size
from optviz.cli.train_cmds import (
    BatchSizeOption,
    DataDirOption,
    DatasetOption,
    DepthOption,
    DownloadOption,
    HpOption,
    LrOption,
    NormOption,
    SkipOption,
    _by_optimizer,
    _train_names,
)
from optviz.errors import OptvizError, UnknownNameError

FORMATS = ("gif", "webp", "mp4", "png")
VIEWS = ("2d", "3d", "both")


def _progress(quiet: bool):
    """A rich progress bar for the phases (training, grid, paths); None when silent."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=Console(stderr=True), transient=True,
    )  # fmt: skip
    tasks: dict[str, int] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done, total=total)

    return bar, progress


@app.command("landscape")
@user_errors
def landscape_command(
    optimizers: Annotated[
        str | None,
        typer.Option(help="One name, a comma list, or 'all' [default: sgd,momentum,adam,kfac]."),
    ] = None,
    plane: Annotated[
        str | None,
        typer.Option(
            help="pca (the paths' principal plane), random (filter-normalised), "
            "or points (through three weight vectors) [default: pca; --compare: random].",
            show_default=False,
        ),
    ] = None,
    grid: Annotated[int, typer.Option(help="Grid points a side.")] = 41,
    compare: Annotated[
        str | None,
        typer.Option(
            help="KNOB=A,B: train one optimizer twice (e.g. skip=off,on, batch-size=16,full, "
            "depth=2,8, norm=none,batch) and draw both landscapes side by side on one "
            "colour scale, with the 1-D cut and each one's sharpness (a PNG).",
            show_default=False,
        ),
    ] = None,
    span: Annotated[
        float | None,
        typer.Option(
            help="Half-width of the grid about the plane's origin [default: the "
            "paths' extent with a margin].",
            show_default=False,
        ),
    ] = None,
    center: Annotated[
        str | None,
        typer.Option(
            help="The plane's centre: 'start' or an optimizer's final weights "
            "[default: start; random: the first optimizer].",
            show_default=False,
        ),
    ] = None,
    points: Annotated[
        str | None,
        typer.Option(
            help="The points plane's three points A,B,C ('start' or optimizer names) "
            "[default: start and the first two optimizers].",
            show_default=False,
        ),
    ] = None,
    view: Annotated[str, typer.Option(help="2d (contours), 3d (surface), or both.")] = "2d",
    out: Annotated[
        Path | None,
        typer.Option(
            help="Animation file (gif, webp, mp4, or png: a still); the 1-D "
            "plot goes beside it as <name>_1d.png [default: cnn_landscape.gif; "
            "--compare: cnn_compare.png].",
            show_default=False,
        ),
    ] = None,
    epochs: Annotated[
        str,
        typer.Option(
            help="Passes over the training set; with --compare, N or A,B (each side's).",
        ),
    ] = "6",
    seed: Annotated[int, typer.Option(help="Seed for weights, batch order, random plane.")] = 0,
    dataset: DatasetOption = "digits",
    data_dir: DataDirOption = None,
    download: DownloadOption = False,
    batch_size: BatchSizeOption = "32",
    lr: LrOption = None,
    hp: HpOption = None,
    depth: DepthOption = 2,
    norm: NormOption = "none",
    skip: SkipOption = False,
    keep_every: Annotated[
        int | None,
        typer.Option(
            help="Record the weights every K steps [default: ~100 points a path].",
            show_default=False,
        ),
    ] = None,
    frames: Annotated[int, typer.Option(help="Frames, sampled evenly from the steps.")] = 120,
    fps: Annotated[float, typer.Option(help="Frames per second.")] = 20,
    size: Annotated[
        str | None,
        typer.Option(
            help="WxH pixels, or 4:3, 16:9 [default: 880x480; --compare: 1440x520].",
            show_default=False,
        ),
    ] = None,
    theme: Annotated[str, typer.Option(help="light or dark.")] = "light",
    title: Annotated[str | None, typer.Option(help="Title text.")] = None,
    cache: Annotated[
        bool, typer.Option(help="Keep and reuse the computed numbers (~/.cache/optviz).")
    ] = True,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar, no report.")
    ] = False,
) -> None:
    """Train the CNN once per optimizer from one start, and show their paths racing over
    the training loss on a plane of weight space, e.g. `optviz landscape --plane random`;
    or, with --compare KNOB=A,B, two landscapes that differ in one knob."""
    knobs = dict(depth=depth, norm=norm, skip=skip)
    if compare is not None:
        from optviz.cli.compare_cmds import run_compare

        run_compare(
            compare, optimizers, plane=plane, grid=grid, span=span, out=out, epochs=epochs,
            seed=seed, dataset=dataset, data_dir=data_dir, download=download,
            batch_size=batch_size, lr=lr, hp=hp, knobs=knobs, size=size, theme=theme,
            title=title, cache=cache, quiet=quiet, progress=_progress,
        )  # fmt: skip
        return
    if not epochs.strip().isdigit():
        raise OptvizError(
            f"--epochs takes a whole number (A,B only with --compare), not {epochs!r}"
        )
    plane = "pca" if plane is None else plane
    out = Path("cnn_landscape.gif") if out is None else out
    size = "880x480" if size is None else size
    names = _train_names(optimizers)
    from optviz.render.theme import THEMES
    from optviz.trainer.optim import hyperparameters
    from optviz.weightspace.api import check_request

    if view not in VIEWS:
        raise UnknownNameError("view", view, VIEWS)
    if theme not in THEMES:
        raise UnknownNameError("theme", theme, THEMES)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise OptvizError(f"--out {out} must end in .{', .'.join(FORMATS)}")
    if not out.parent.is_dir():
        raise OptvizError(f"cannot write {out}: folder {out.parent} does not exist")
    if frames < 1:
        raise OptvizError(f"--frames must be at least 1, got {frames}")
    pixels = parse_size(size)
    hparams = _by_optimizer(parse_hparams(names, lr, hp, hyperparameters))
    request = dict(
        dataset=dataset, epochs=int(epochs), plane=plane, grid=grid, span=span, seed=seed,
        center=center, points=points, keep_every=keep_every,
    )  # fmt: skip
    train = dict(data_dir=data_dir, download=download, batch_size=batch_size, hparams=hparams,
                 **knobs)  # fmt: skip
    check_request(names, train_options=train, **request)  # all of it, before any training
    from optviz.render.api import check_fps
    from optviz.weightspace.api import landscape

    check_fps(fps)
    bar, progress = _progress(quiet)
    if bar is not None:
        bar.start()
    try:
        land = landscape(names, cache=cache, progress=progress, **request, **train)
        second = out.with_name(f"{out.stem}_1d.png")
        info = land.save(out, view=view, frames=frames, fps=fps, size=pixels, theme=theme,
                         title=title)  # fmt: skip
        land.save_interpolation(second, theme=theme)
    finally:
        if bar is not None:
            bar.stop()
    if not quiet:
        for line in land.report():
            typer.echo(line)
        mb = land.recorded_bytes / 2**20
        typer.echo(f"recorded weights every {land.keep_every} steps: {mb:.1f} MiB")
    typer.echo(f"wrote {info.path}: {info.n_frames} frames, {info.bytes / 1024:.0f} KiB")
    typer.echo(f"wrote {second}")
