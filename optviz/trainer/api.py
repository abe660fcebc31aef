"""``train(...)``: the one call behind ``optviz train`` and the notebook."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from optax import GradientTransformation

from optviz import limits
from optviz.errors import OptvizError
from optviz.optimizers import TRAIN_DEFAULT, Named, adopt
from optviz.trainer.blocks import MAX_DEPTH
from optviz.trainer.checks import (
    SEED_MAX,
    check_dataset,
    flag,
    name_in,
    number,
    path_or_none,
    per_optimizer,
    whole,
)
from optviz.trainer.data import DATASETS, Dataset, load, parse_batch_size
from optviz.trainer.model import ACTIVATIONS, INITS, ModelConfig, config_for
from optviz.trainer.norms import NORMS
from optviz.trainer.optim import check_name, resolve_hparams
from optviz.trainer.result import MetricsLog, TrainResult, save_params
from optviz.trainer.runfolder import check_target, run_folder


def _file_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def train(
    optimizers: str | Iterable[str] = TRAIN_DEFAULT,
    *,
    dataset: str | Dataset = "digits",
    data_dir: str | Path | None = None,
    download: bool = False,
    epochs: int = 10,
    batch_size: int | str = 32,
    lr: Mapping[str, float] | None = None,
    hparams: Mapping[str, Mapping] | None = None,
    dropout: float = 0.0,
    weight_decay: float = 1e-4,
    augment: bool = False,
    activation: str = "relu",
    init: str = "he",
    clip: float | None = None,
    depth: int = 2,
    norm: str = "none",
    skip: bool = False,
    sharpness: bool = True,
    nonconvexity: bool = False,
    seed: int = 0,
    log_every: int = 10,
    out: str | Path | None = None,
    plots: bool = True,
    callback: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Train the lecture's CNN once per optimizer, from the same weights on the same batches.

    ``batch_size``: 1 (online), N (mini-batch) or "full" (batch learning).
    ``lr`` maps optimizer names to learning rates; ``hparams`` maps names to
    any other hyperparameters (optax's names; K-FAC: momentum, damping, ema,
    inverse_every, kl_clip, pi_adjust, fisher).
    ``depth`` conv blocks (1..MAX_DEPTH; 2 is the lecture's network), ``norm``
    after each convolution (none, batch, layer, weight), ``skip`` residual
    connections around each block. ``sharpness``: after training, the largest
    Hessian eigenvalue of the training loss at each optimizer's final weights
    (`optviz.trainer.sharpness`), in ``result.sharpness``, ``result.hessian`` and
    metrics.jsonl; ``nonconvexity``: the smallest too, and Li et al.'s
    non-convexity |λmin/λmax| (3-5 times the Hessian products; implies sharpness).
    With ``out``, writes metrics.jsonl, params_NAME.npz, curves.png and
    curves.gif in a hidden folder beside it (``.NAME.part-XXXX``, metrics.jsonl
    growing as training goes) and puts that folder in place of ``out`` only when
    all is written: an error or a signal leaves an old ``out`` as it was. Every
    argument is checked first (`OptvizError`). Ctrl-C in a notebook (a
    KeyboardInterrupt) stops early and keeps what was trained
    (``result.interrupted``).
    """
    from optviz.trainer.loop import fit

    run = check_arguments(
        optimizers, dataset=dataset, data_dir=data_dir, download=download, epochs=epochs,
        batch_size=batch_size, lr=lr, hparams=hparams, dropout=dropout,
        weight_decay=weight_decay, augment=augment, activation=activation, init=init, clip=clip,
        depth=depth, norm=norm, skip=skip, sharpness=sharpness, nonconvexity=nonconvexity,
        seed=seed, log_every=log_every, out=out, plots=plots, callback=callback,
    )  # fmt: skip
    names = run.pop("names")
    data = dataset if isinstance(dataset, Dataset) else load(dataset, data_dir, fetch=download)
    check_dataset(data)
    size = parse_batch_size(batch_size, len(data.x_train))
    cfg = config_for(
        data.image_shape,
        in_channels=data.x_train.shape[-1],
        n_classes=data.n_classes,
        activation=activation,
        dropout=run["dropout"],
        init=init,
        depth=run["depth"],
        norm=norm,
        skip=run["skip"],
    )
    check_fits(cfg, size)
    settings = {k: run[k] for k in ("epochs", "seed", "hparams", "weight_decay", "clip")}
    settings.update(augment=run["augment"], log_every=run["log_every"], callback=callback)
    hessian = run["sharpness"] or run["nonconvexity"]  # measured after training
    measure = {"seed": run["seed"], "smallest": run["nonconvexity"], "callback": callback}
    if out is None:
        result = fit(data, names, cfg, batch_size=size, **settings)
        if hessian:
            _measure_sharpness(result, data, **measure)
        return result
    with run_folder(out) as folder:  # the run appears at `out` whole, or not at all
        with MetricsLog(folder / "metrics.jsonl") as log:
            result = fit(data, names, cfg, batch_size=size, log=log, **settings)
            if hessian:
                _measure_sharpness(result, data, log=log, **measure)
        for name in result.optimizers:
            path = folder / f"params_{_file_stem(name)}.npz"
            with _named(path):
                save_params(path, result.params[name], cfg, result.model_state.get(name))
        if run["plots"]:
            from optviz.trainer.plots import curves_gif, curves_png

            with _named(folder / "curves.png"):
                curves_png(result, folder / "curves.png")
            with _named(folder / "curves.gif"):
                curves_gif(result, folder / "curves.gif")
    return result


def _measure_sharpness(
    result: TrainResult,
    data: Dataset,
    *,
    seed: int,
    smallest: bool = False,
    log: MetricsLog | None = None,
    callback: Callable[[dict], None] | None = None,
) -> None:
    """Each optimizer's sharpness (and, if ``smallest``, its smallest Hessian eigenvalue)
    into ``result.sharpness``, and as a "sharpness" record to the log and the callback;
    not after Ctrl-C."""
    from optviz.trainer.sharpness import SUBSET, sharpness

    if result.interrupted:
        return
    x, y = data.x_train[:SUBSET], data.y_train[:SUBSET]
    for name in result.optimizers:
        try:
            found = sharpness(
                result.params[name], result.config, x, y,
                state=result.model_state.get(name), seed=seed, smallest=smallest,
            )  # fmt: skip
        except KeyboardInterrupt:
            result.interrupted = True
            return
        result.sharpness[name] = found.value
        result.hessian[name] = found
        epoch = result.curves[name].epoch[-1]
        record = {"kind": "sharpness", "optimizer": name, "epoch": epoch, **found.record()}
        if log is not None:
            log.write(record)
        if callback is not None:
            callback(record)


def check_fits(cfg: ModelConfig, batch_size: int) -> None:
    """One training step of ``cfg`` on ``batch_size`` images fits in the memory budget.

    A lower bound, so only a step that cannot fit is refused: what the backward
    pass must keep, every block's im2col patches and its output, float32.
    """
    per_example = sum(
        b.side[0] * b.side[1] * (cfg.kernel**2 * b.in_channels + b.channels) for b in cfg.blocks
    )
    need = 4 * batch_size * (per_example + cfg.hidden)
    if need > limits.budget():
        h, w = cfg.image_shape
        raise OptvizError(
            f"depth {cfg.depth} on {h}x{w} images with batch {batch_size} needs at least "
            f"{need / 2**30:.1f} GiB for a training step; the limit here is "
            f"{limits.budget() / 2**30:.1f} GiB (half of the memory available): "
            "use a smaller depth or batch size"
        )


@contextlib.contextmanager
def _named(path: Path) -> Iterator[None]:
    """An OSError while writing `path` names it (numpy and PIL leave the name out)."""
    try:
        yield
    except OSError as err:
        if err.filename:
            raise
        raise OSError(err.errno, err.strerror or str(err), str(path)) from err


def check_arguments(
    optimizers: Any,
    *,
    dataset: Any,
    data_dir: Any,
    download: Any,
    epochs: Any,
    batch_size: Any,
    lr: Any,
    hparams: Any,
    dropout: Any,
    weight_decay: Any,
    augment: Any,
    activation: Any,
    init: Any,
    clip: Any,
    seed: Any,
    depth: Any = 2,
    norm: Any = "none",
    skip: Any = False,
    sharpness: Any = True,
    nonconvexity: Any = False,
    log_every: Any,
    out: Any,
    plots: Any,
    callback: Any,
) -> dict[str, Any]:
    """`train`'s arguments checked, before any file is touched or data read; normalised.

    Returns names (the optimizers), hparams (per optimizer, learning rates merged
    in) and the numbers and flags as plain Python values. Raises `OptvizError`.
    """
    if isinstance(optimizers, str):
        names = [n.strip() for n in optimizers.split(",")]
    elif isinstance(optimizers, GradientTransformation | Named) or callable(optimizers):
        names = [optimizers]
    elif isinstance(optimizers, Iterable) and not isinstance(optimizers, Mapping):
        names = list(optimizers)
    else:
        raise OptvizError(f"optimizers must be a name or a list of names, not {optimizers!r}")
    names = [n for n in names if not isinstance(n, str) or n]
    if not names:
        raise OptvizError("no optimizers given")
    names = adopt(names)  # optimizer objects (optax transformations, factories): named
    for name in names:
        check_name(name)  # a name, known, and able to train
    if len(set(names)) != len(names):
        raise OptvizError(f"an optimizer is listed twice: {', '.join(names)}")
    if not isinstance(dataset, str | Dataset):
        raise OptvizError(f"dataset must be a name or a Dataset, not {dataset!r}")
    if isinstance(dataset, str):
        name_in(dataset, "dataset", DATASETS)
    path_or_none(data_dir, "data_dir")
    flag(download, "download")
    name_in(activation, "activation", ACTIVATIONS)
    name_in(init, "init", INITS)
    name_in(norm, "norm", NORMS)
    run: dict[str, Any] = {
        "names": names,
        "epochs": whole(epochs, "epochs", low=0),
        "dropout": number(dropout, "dropout", low=0.0, high=1.0, high_open=True),
        "weight_decay": number(weight_decay, "weight_decay", low=0.0),
        "clip": None if clip is None else number(clip, "clip"),
        "seed": whole(seed, "seed", low=0, high=SEED_MAX),
        "log_every": whole(log_every, "log_every", low=1),
        "augment": flag(augment, "augment"),
        "plots": flag(plots, "plots"),
        "depth": whole(depth, "depth", low=1, high=MAX_DEPTH),
        "skip": flag(skip, "skip"),
        "sharpness": flag(sharpness, "sharpness"),
        "nonconvexity": flag(nonconvexity, "nonconvexity"),
    }
    if run["clip"] is not None and run["clip"] <= 0:
        raise OptvizError(f"clip must be positive, not {clip}")
    if not isinstance(batch_size, str):
        whole(batch_size, "batch size", low=1)
    path_or_none(out, "out")
    if out is not None:
        check_target(out)
    if callback is not None and not callable(callback):
        raise OptvizError(f"callback must be a function of one record, not {callback!r}")
    given = per_optimizer(hparams, "hparams", names)
    merged: dict[str, dict] = {}
    for name in names:
        own = given.get(name, {})
        if not isinstance(own, Mapping):
            raise OptvizError(f"hparams[{name!r}] must map hyperparameter names to values")
        merged[name] = dict(own)
    for name, value in per_optimizer(lr, "lr", names).items():
        merged[name]["learning_rate"] = number(
            value, f"learning rate of {name}", low=0.0, low_open=True
        )
    for name in names:
        resolve_hparams(name, merged[name])  # unknown or bad hyperparameters
    run["hparams"] = merged
    return run
