"""`optviz landscape --compare KNOB=A,B`: the comparison behind the landscape command
(no typer command of its own; JAX, numpy and matplotlib load inside it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from optviz.cli.parse import parse_hparams, parse_size
from optviz.errors import OptvizError, UnknownNameError

DEFAULT_OUT = Path("cnn_compare.png")
DEFAULT_SIZE = "1440x520"
CLI_DEFAULTS = {"batch_size": "32", "depth": 2, "norm": "none", "skip": False}


def run_compare(
    compare: str,
    optimizers: str | None,
    *,
    plane: str | None,
    grid: int,
    span: float | None,
    out: Path | None,
    epochs: str,
    seed: int,
    dataset: str,
    data_dir: Path | None,
    download: bool,
    batch_size: str,
    lr: list[str] | None,
    hp: list[str] | None,
    knobs: dict[str, Any],
    size: str | None,
    theme: str,
    title: str | None,
    cache: bool,
    quiet: bool,
    progress,
) -> None:
    """Check everything (one line, exit 2, before any training), train both sides, draw."""
    from optviz.cli.train_cmds import _by_optimizer, _train_names
    from optviz.render.theme import THEMES
    from optviz.trainer.optim import hyperparameters
    from optviz.weightspace.compare import OPTIMIZER, check_compare, compare_landscapes
    from optviz.weightspace.knobs import parse_compare

    knob = parse_compare(compare)
    names = _train_names(optimizers or OPTIMIZER)
    if len(names) != 1:
        raise OptvizError(
            f"--compare trains one optimizer, not {len(names)}: give --optimizers NAME"
        )
    if theme not in THEMES:
        raise UnknownNameError("theme", theme, THEMES)
    out = DEFAULT_OUT if out is None else out
    if out.suffix.lower() != ".png":
        raise OptvizError(f"--compare draws a still picture: --out {out} must end in .png")
    if not out.parent.is_dir():
        raise OptvizError(f"cannot write {out}: folder {out.parent} does not exist")
    pixels = parse_size(DEFAULT_SIZE if size is None else size)
    hparams = _by_optimizer(parse_hparams(names, lr, hp, hyperparameters))
    train: dict[str, Any] = dict(data_dir=data_dir, download=download, batch_size=batch_size,
                                 hparams=hparams, **knobs)  # fmt: skip
    if knob.option in train:
        given = train.pop(knob.option)
        if given != CLI_DEFAULTS.get(knob.option, given):
            flag = "--" + knob.option.replace("_", "-")
            raise OptvizError(f"{knob.name} is what --compare varies: leave out {flag}")
    plane = "random" if plane is None else plane
    landscape_options = dict(dataset=dataset, epochs=epochs, grid=grid, seed=seed)
    check_compare(compare, names[0], plane=plane, span=span,
                  landscape_options=landscape_options, train_options=train)  # fmt: skip
    bar, report = progress(quiet)
    if bar is not None:
        bar.start()
    try:
        cmp = compare_landscapes(compare, names[0], plane=plane, span=span, cache=cache,
                                 progress=report, **landscape_options, **train)  # fmt: skip
        cmp.save(out, size=pixels, theme=theme, title=title)
    finally:
        if bar is not None:
            bar.stop()
    if not quiet:
        for line in cmp.report():
            typer.echo(line)
    typer.echo(f"wrote {out}")
