"""`optviz list` and `optviz trajectory`: what is there, and the numbers of a path."""

from __future__ import annotations

import textwrap
from typing import Annotated

import typer

from optviz.cli.animate_cmds import DOMAIN_HELP, SURFACE_HELP
from optviz.cli.app import app, user_errors
from optviz.cli.parse import parse_hparams, parse_names, parse_point, parse_surface

WIDTH = 100  # where a surface's lesson wraps


@app.command("list")
@user_errors
def list_command(
    surface: Annotated[
        str | None, typer.Argument(help="Show the optimizers' defaults on this surface.")
    ] = None,
) -> None:
    """List the surfaces and optimizers, with their formulas and defaults."""
    from optviz import optimizers, surfaces

    if surface is not None:
        surf = surfaces.get(surface)
        typer.echo(textwrap.fill(f"{surf.name}: {surf.description}", WIDTH, subsequent_indent="  "))
        typer.echo(f"  f = {surf.formula}")
        typer.echo(f"  minima: {', '.join(f'{m.xy} = {m.value:g}' for m in surf.minima) or 'none'}")
        typer.echo(f"  starts: {', '.join(map(str, surf.starts))}")
        typer.echo(f"  reference: {surf.reference}")
        typer.echo("\nDefault hyperparameters here (optax names):")
        for name in optimizers.names():
            hp = optimizers.spec(name).resolve(surf.name)
            typer.echo(f"  {name:<10} " + ", ".join(f"{k}={v:g}" for k, v in hp.items()))
        return

    typer.echo("Surfaces, and what the classic optimizers do there with the defaults:")
    for name in surfaces.names():
        s = surfaces.get(name)
        (x0, x1), (y0, y1) = s.domain
        first = f"  {name:<16} "
        typer.echo(textwrap.fill(s.description, WIDTH, initial_indent=first,
                                 subsequent_indent=" " * len(first)))  # fmt: skip
        typer.echo(f"  {'':<16} f = {s.formula};  [{x0:g}, {x1:g}] x [{y0:g}, {y1:g}]")
    typer.echo(
        "\nOptimizers (hyperparameters in optax's names; lr = learning_rate; "
        "defaults shown are Beale's, see 'optviz list SURFACE'):"
    )
    for name in optimizers.names():
        spec = optimizers.spec(name)
        hp = ", ".join(f"{k}={v:g}" for k, v in spec.defaults.items())
        typer.echo(f"  {name:<10} {spec.display:<9} {spec.formula}")
        typer.echo(f"  {'':<20} defaults: {hp}")
    typer.echo("\nAny optax optimizer is also available as optax:NAME, e.g. optax:adabelief,")
    typer.echo("and any PyTorch optimizer as torch:NAME, e.g. torch:Adam (needs the torch extra).")
    typer.echo("A surface may be a formula in x and y with --domain, e.g.")
    typer.echo('  optviz animate adam,momentum "x**2 + 10*y**2" --domain -3,3,-2,2')


@app.command("trajectory")
@user_errors
def trajectory_command(
    optimizers: Annotated[str, typer.Argument(help="One name, a comma list, or 'all'.")],
    surface: Annotated[str, typer.Argument(help=SURFACE_HELP)],
    steps: Annotated[int, typer.Option(help="Optimizer steps.")] = 300,
    domain: Annotated[str | None, typer.Option(help=DOMAIN_HELP)] = None,
    start: Annotated[str | None, typer.Option(help="Start point x,y.")] = None,
    every: Annotated[int, typer.Option(help="Print every N-th step.")] = 50,
    lr: Annotated[list[str] | None, typer.Option(help="NAME=VALUE learning rate.")] = None,
    hp: Annotated[list[str] | None, typer.Option(help="NAME.PARAM=VALUE.")] = None,
) -> None:
    """Print a table of where each optimizer is, step by step."""
    import optviz
    from optviz.errors import OptvizError

    names = parse_names(optimizers)
    surf = parse_surface(surface, domain)
    if every < 1:
        raise OptvizError(f"--every must be a positive whole number, got {every}")
    starts = None if start is None else [parse_point(start, "--start")]
    result = optviz.trajectories(
        names, surf, starts=starts, steps=steps, **parse_hparams(names, lr, hp)
    )
    rows = sorted(set(range(0, steps + 1, every)) | {steps})
    typer.echo(f"{'step':>6}  " + "  ".join(f"{n:>26}" for n in names))
    for r in rows:
        cells = []
        for i in range(len(names)):
            x, y = result.positions[i, 0, r]
            cells.append(f"({x:8.4f},{y:8.4f}) {result.losses[i, 0, r]:9.3g}")
        typer.echo(f"{r:>6}  " + "  ".join(f"{c:>26}" for c in cells))
    for name in names:
        step = result.diverged(name)
        if step is not None:
            typer.echo(f"{name}: diverged at step {step}")
