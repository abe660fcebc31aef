"""`optviz atlas`: maps of many runs (basins, hyperparameter maps, the trainability fractal)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from optviz.cli.animate_cmds import _check_writable
from optviz.cli.app import app, user_errors
from optviz.cli.parse import parse_hparams, parse_names, parse_number, parse_point
from optviz.errors import OptvizError

FORMATS = (".png", ".npz", ".gif")


def parse_map(text: str) -> dict[str, tuple[float, float]]:
    """'lr=1e-5:1e-1,momentum=0:0.99' -> {'lr': (1e-5, 0.1), 'momentum': (0.0, 0.99)}."""
    out: dict[str, tuple[float, float]] = {}
    for item in text.split(","):
        name, eq, rng = item.strip().partition("=")
        lo, colon, hi = rng.partition(":")
        if not eq or not colon or not name.strip():
            raise OptvizError(
                f"--map must be NAME=LO:HI,NAME=LO:HI (e.g. lr=1e-5:1e-1,momentum=0:0.99); "
                f"got {item.strip()!r}"
            )
        name = name.strip()
        if name in out:
            raise OptvizError(f"--map names {name} twice")
        out[name] = (parse_number(lo, f"--map {name} LO"), parse_number(hi, f"--map {name} HI"))
    if len(out) != 2:
        raise OptvizError(f"--map needs two ranges, NAME=LO:HI,NAME=LO:HI; got {len(out)}")
    return out


@contextmanager
def progress_bar(quiet: bool, label: str):
    """A rich progress bar on stderr when it is a terminal (as `optviz animate` draws
    one); None otherwise."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _default_out(names: list[str] | None, surface: str | None, mapped, zoom: int) -> Path:
    if names is None:
        return Path("trainability_zoom.gif" if zoom else "trainability.png")
    stem = "-".join(n.replace(":", "-") for n in names)
    if mapped:
        return Path(f"{stem}_{surface}_{'-'.join(mapped)}.png")
    return Path(f"{stem}_{surface}_basins.png")


@app.command("atlas")
@user_errors
def atlas_command(
    optimizers: Annotated[
        str | None,
        typer.Argument(help="One name, a comma list, or 'all' (not with --trainability)."),
    ] = None,
    surface: Annotated[
        str | None, typer.Argument(help="A surface name (see 'optviz list').")
    ] = None,
    map: Annotated[
        str | None,
        typer.Option("--map", help="Two hyperparameters of one optimizer: NAME=LO:HI,NAME=LO:HI."),
    ] = None,
    log: Annotated[
        list[str] | None, typer.Option(help="A --map axis to draw on a log scale (repeatable).")
    ] = None,
    grid: Annotated[
        int | None, typer.Option(help="Runs per side [default: 400; trainability 256].")
    ] = None,
    steps: Annotated[int | None, typer.Option(help="Steps per run [default: 500].")] = None,
    trainability: Annotated[
        bool, typer.Option(help="The trainability fractal (Sohl-Dickstein 2024).")
    ] = False,
    zoom: Annotated[
        int, typer.Option(help="Trainability: zoom K times (4x each) into the boundary; a GIF.")
    ] = 0,
    start: Annotated[
        str | None, typer.Option(help="Start point x,y of a --map [default: the surface's].")
    ] = None,
    lr: Annotated[
        list[str] | None, typer.Option(help="Learning rate NAME=VALUE, or VALUE for all.")
    ] = None,
    hp: Annotated[
        list[str] | None, typer.Option(help="Hyperparameter NAME.PARAM=VALUE (optax names).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output .png, .npz (raw arrays) or .gif (a zoom).")
    ] = None,
    theme: Annotated[str, typer.Option(help="light or dark.")] = "light",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    distributed: Annotated[
        bool,
        typer.Option(
            help="One of several processes (hosts) sharing the map through jax.distributed: "
            "JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES, JAX_PROCESS_ID (or SLURM/MPI). "
            "Process 0 writes the file."
        ),
    ] = False,
) -> None:
    """Maps of many runs: which minimum each start point reaches (basins), the final
    loss over two hyperparameters (--map), or the trainability fractal.

    \b
    optviz atlas sgd,momentum,adam himmelblau
    optviz atlas momentum rosenbrock --map lr=1e-5:1e-1,momentum=0:0.99 --log lr
    optviz atlas --trainability --grid 256
    optviz atlas --trainability --zoom 6 --out fractal.gif
    """
    from optviz.render.theme import get_theme

    get_theme(theme)
    logs = [n.strip() for item in log or [] for n in item.split(",") if n.strip()]
    kw: dict = {"grid": grid, "steps": steps}
    if trainability:
        if optimizers is not None or surface is not None or map or logs or start or lr or hp:
            raise OptvizError(
                "--trainability takes no optimizers, surface, --map, --log, --start, --lr or --hp"
            )
        names = None
        kw.update(trainability=True, zoom=zoom)
    else:
        if optimizers is None or surface is None:
            raise OptvizError(
                "name the optimizers and a surface, e.g. `optviz atlas adam "
                "himmelblau`, or use --trainability"
            )
        if zoom:
            raise OptvizError("--zoom is for --trainability")
        from optviz import surfaces

        names = parse_names(optimizers)
        surfaces.get(surface)
        kw.update(parse_hparams(names, lr, hp))
        if map is not None:
            kw.update(map=parse_map(map), log=logs)
            if start is not None:
                kw["start"] = parse_point(start, "--start")
        elif logs or start:
            raise OptvizError("--log and --start go with --map")
    target = Path(out) if out is not None else _default_out(names, surface, kw.get("map"), zoom)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise OptvizError(f"--out must end in {', '.join(FORMATS)}; got {target.name!r}")
    if suffix == ".gif" and not zoom:
        raise OptvizError("a .gif is a zoom: add --trainability --zoom K (or write .png/.npz)")
    _check_writable(target)

    lead = True
    if distributed:  # before anything else touches JAX
        import jax

        from optviz.maps import shard

        shard.start_distributed()
        lead = jax.process_index() == 0
    import optviz

    with progress_bar(quiet or not lead, "computing") as progress:
        atlas = optviz.atlas(names, surface, progress=progress, **kw)
    if not lead:  # every process holds the whole map; one writes it
        return
    info = atlas.save(target, theme=theme)
    typer.echo(
        f"wrote {info.path}: {atlas.x.n}x{atlas.y.n} runs of {atlas.steps} steps, "
        f"{info.bytes / 1024:.0f} KiB"
    )
    for line in summary(atlas):
        typer.echo(line)


def summary(atlas) -> list[str]:
    """One line per panel: the share of each outcome; trainability: the dimension."""
    import numpy as np

    from optviz.maps.axes import OUTCOME_NAMES

    if atlas.kind == "trainability":
        lines = []
        for k, level in enumerate(atlas.levels):
            share = float(np.mean(level.measure < 0))
            where = "" if k == 0 else f" (zoom {k})"
            lines.append(
                f"box-counting dimension of the boundary{where}: "
                f"{level.dimension():.2f}; converged {share:.0%}"
            )
        return lines
    lines = []
    for name, out in atlas.panels.items():
        parts = []
        for code in np.unique(out.outcome):
            share = float(np.mean(out.outcome == code))
            if code >= 0:
                xy = atlas.surface.minima[code].xy
                parts.append(f"({xy[0]:g}, {xy[1]:g}) {share:.0%}")
            else:
                parts.append(f"{OUTCOME_NAMES[int(code)]} {share:.0%}")
        lines.append(f"{name}: " + ", ".join(parts))
    return lines
