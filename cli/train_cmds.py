"""`optviz train` and `optviz layers`: the companion CNN trainer on the command line.

Typer command functions only (registered by optviz.cli). Bad input is raised
as `OptvizError` and reported by `user_errors` as one line with exit code 2,
as for `optviz animate`; `--optimizers`, `--lr` and `--hp` read the same way.
JAX, matplotlib and the trainer are imported inside the functions so
`optviz --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from optviz.cli.app import user_errors
from optviz.cli.parse import parse_hparams, parse_names
from optviz.cli.parse import positive as check_positive
from optviz.errors import OptvizError

# The network's shape, the same options on `optviz train` and `optviz landscape`.
DepthOption = Annotated[
    int, typer.Option(help="Conv blocks (2 = the lecture's network; pools spread over them).")
]
# The data options, declared once for train and landscape.
DatasetOption = Annotated[str, typer.Option(help="digits (bundled 8x8), mnist or fashion-mnist.")]
DataDirOption = Annotated[
    Path | None, typer.Option(help="Folder with the MNIST-style IDX files (.gz or not).")
]
DownloadOption = Annotated[
    bool, typer.Option(help="Fetch missing IDX files into --data-dir (SHA-256 checked).")
]
# The training options, declared once for train and landscape.
BatchSizeOption = Annotated[
    str, typer.Option(help="1 = online, N = mini-batch, 'full' = batch learning.")
]
LrOption = Annotated[
    list[str] | None,
    typer.Option(help="Learning rate NAME=VALUE, or VALUE for all; repeatable."),
]
HpOption = Annotated[
    list[str] | None,
    typer.Option(
        help="Hyperparameter NAME.PARAM=VALUE (optax names; kfac: momentum, damping, ema, "
        "inverse_every, kl_clip, pi_adjust); repeatable."
    ),
]
NormOption = Annotated[
    str, typer.Option(help="Normalisation after each convolution: none, batch, layer, weight.")
]
SkipOption = Annotated[
    bool, typer.Option(help="Residual connections around each conv block (1x1 projections).")
]


def _train_names(text: str | None) -> list[str]:
    """--optimizers: the registry's trainer line-up, one name, a comma list, or 'all'."""
    from optviz import optimizers
    from optviz.trainer.optim import check_name, trainable_names

    if text is None:
        return list(optimizers.TRAIN_DEFAULT)
    names = parse_names(text)
    if text.strip() == "all":
        trainable = trainable_names()
        return [n for n in names if n in trainable]
    for name in names:
        check_name(name)
    return names


def _by_optimizer(by_param: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """{param: {optimizer: value}} (as parse_hparams gives) -> {optimizer: {param: value}}."""
    out: dict[str, dict[str, float]] = {}
    for param, values in by_param.items():
        for name, value in values.items():
            out.setdefault(name, {})[param] = value
    return out


def _progress_callback(total: int, quiet: bool):
    """A rich progress bar fed by the trainer's step records (None when silent)."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("training", total=total)

    def callback(record: dict) -> None:
        if record["kind"] == "step":
            progress.update(
                task,
                advance=record["steps"],
                description=(
                    f"{record['optimizer']} epoch {record['epoch']} loss {record['loss']:.3f}"
                ),
            )

    return progress, callback


def _print_summary(result, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result.dataset}: {', '.join(result.optimizers)}")
    for column in (
        "optimizer",
        "epochs",
        "train loss",
        "train acc",
        "test loss",
        "test acc",
        "steps/s",
    ):
        table.add_column(column, justify="left" if column == "optimizer" else "right")
    for row in result.summary():
        table.add_row(
            row["optimizer"],
            str(row["epochs"]),
            f"{row['train_loss']:.4f}",
            f"{row['train_acc']:.2%}",
            f"{row['test_loss']:.4f}",
            f"{row['test_acc']:.2%}",
            f"{row['steps_per_s']:.0f}",
        )
    console = Console()
    console.print(table)
    if result.interrupted:
        console.print("[yellow]interrupted: results are for the steps trained so far[/yellow]")
    if result.sharpness:
        for line in _hessian_lines(result.hessian):
            console.print(line, soft_wrap=True, markup=False)
    console.print(f"wrote {out / 'metrics.jsonl'}, {out / 'curves.png'}, {out / 'curves.gif'}")


def _hessian_lines(hessian: dict) -> list[str]:
    """Each optimizer's largest (and, where measured, smallest) Hessian eigenvalue,
    marked where Lanczos did not converge."""

    def value(x: float, ok: bool) -> str:
        return f"{x:.4g}" + ("" if ok else " (not converged)")

    tops = ", ".join(f"{n} {value(h.value, h.converged)}" for n, h in hessian.items())
    bottoms = ", ".join(
        f"{n} {value(h.min_value, h.min_converged)} ({h.nonconvexity:.3g})"
        for n, h in hessian.items()
        if h.smallest
    )
    lines = [f"sharpness (largest Hessian eigenvalue of the training loss): {tops}"]
    if bottoms:
        lines.append(
            f"smallest Hessian eigenvalue (|λmin/λmax|, Li et al.'s non-convexity): {bottoms}"
        )
    return lines


@user_errors
def train(
    optimizers: Annotated[
        str | None,
        typer.Option(
            help="One name, a comma list, or 'all' (every registry optimizer that can train). "
            "[default: the registry's trainer line-up]",
            show_default=False,
        ),
    ] = None,
    dataset: DatasetOption = "digits",
    data_dir: DataDirOption = None,
    download: DownloadOption = False,
    epochs: Annotated[int, typer.Option(help="Passes over the training set.")] = 10,
    batch_size: BatchSizeOption = "32",
    lr: LrOption = None,
    hp: HpOption = None,
    dropout: Annotated[
        float, typer.Option(help="Dropout rate after the hidden dense layer.")
    ] = 0.0,
    weight_decay: Annotated[float, typer.Option(help="L2 penalty added to every gradient.")] = 1e-4,
    augment: Annotated[
        bool, typer.Option(help="Random small shifts and rotations (deterministic per seed).")
    ] = False,
    activation: Annotated[str, typer.Option(help="relu, sigmoid or tanh.")] = "relu",
    init: Annotated[str, typer.Option(help="Weight init: he, glorot, lecun or normal.")] = "he",
    clip: Annotated[float | None, typer.Option(help="Clip gradients to this global norm.")] = None,
    depth: DepthOption = 2,
    norm: NormOption = "none",
    skip: SkipOption = False,
    sharpness: Annotated[
        bool,
        typer.Option(help="Measure the largest Hessian eigenvalue of the loss after training."),
    ] = True,
    nonconvexity: Annotated[
        bool,
        typer.Option(
            "--nonconvexity",
            help="Also the smallest Hessian eigenvalue and |λmin/λmax| (Li et al.'s "
            "non-convexity): 3-5 times the Hessian products of the sharpness alone.",
        ),
    ] = False,
    seed: Annotated[
        int, typer.Option(help="Seed for weights, batch order, dropout, augmentation.")
    ] = 0,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("optviz-train"),
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no table.")
    ] = False,
) -> None:
    """Train the lecture's small CNN once per optimizer, from the same weights on the same
    batches; write metrics.jsonl, curves.png and curves.gif to --out (whole or not at all)."""
    names = _train_names(optimizers)
    from optviz.trainer.api import check_arguments
    from optviz.trainer.api import train as run_train
    from optviz.trainer.data import load, parse_batch_size
    from optviz.trainer.optim import hyperparameters

    hparams = _by_optimizer(parse_hparams(names, lr, hp, hyperparameters))
    settings = dict(
        hparams=hparams,
        dropout=dropout,
        weight_decay=weight_decay,
        augment=augment,
        activation=activation,
        init=init,
        clip=clip,
        depth=depth,
        norm=norm,
        skip=skip,
        sharpness=sharpness,
        nonconvexity=nonconvexity,
        seed=seed,
        out=out,
    )
    # every argument is checked before data is read or fetched, or a file written
    check_arguments(
        names,
        dataset=dataset,
        data_dir=data_dir,
        download=download,
        epochs=epochs,
        batch_size=batch_size,
        lr=None,
        log_every=10,
        plots=True,
        callback=None,
        **settings,
    )
    try:
        data = load(dataset, data_dir, fetch=download)
    except OSError as err:  # a download that failed, a data file that cannot be read
        raise OptvizError(str(err)) from None
    size = parse_batch_size(batch_size, len(data.x_train))
    total = epochs * (len(data.x_train) // size) * len(names)
    progress, callback = _progress_callback(total, quiet)
    if progress is not None:
        progress.start()
    try:
        result = run_train(
            names, dataset=data, epochs=epochs, batch_size=size, callback=callback, **settings
        )
    finally:
        if progress is not None:
            progress.stop()
    if not quiet:
        _print_summary(result, out)


@user_errors
def layers(
    params: Annotated[
        Path | None,
        typer.Option(
            help="A params_NAME.npz written by `optviz train`; else trains a quick model."
        ),
    ] = None,
    index: Annotated[int, typer.Option(help="Which test image to show.")] = 0,
    dataset: Annotated[str, typer.Option(help="digits, mnist or fashion-mnist.")] = "digits",
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder with MNIST-style IDX files.")
    ] = None,
    channels: Annotated[int, typer.Option(help="Feature maps to show per layer.")] = 8,
    epochs: Annotated[int, typer.Option(help="Epochs of the quick model (without --params).")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the quick model.")] = 0,
    out: Annotated[Path, typer.Option(help="PNG to write.")] = Path("layers.png"),
) -> None:
    """Draw one image's feature maps after convolution, after ReLU and after max-pooling."""
    check_positive(channels, "--channels")
    from optviz.trainer.data import load
    from optviz.trainer.layers import draw_layers

    if out.suffix.lower() != ".png":
        raise OptvizError(f"--out {out} must be a .png file")
    try:
        data = load(dataset, data_dir)
    except OSError as err:  # a data file that cannot be read
        raise OptvizError(str(err)) from None
    path = draw_layers(
        data, out, params=params, index=index, channels=channels, epochs=epochs, seed=seed
    )  # a PNG that cannot be written: one line, exit 1
    typer.echo(f"wrote {path}")
