"""``train(...)``: the one call behind ``optviz train`` and the notebook."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from optviz.errors import OptvizError
from optviz.optimizers import TRAIN_DEFAULT
from optviz.trainer.data import Dataset, load, parse_batch_size
from optviz.trainer.model import ACTIVATIONS, INITS, config_for
from optviz.trainer.optim import check_name, resolve_hparams
from optviz.trainer.result import MetricsLog, TrainResult, save_params


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
    With ``out``, writes metrics.jsonl (as training goes), params_NAME.npz,
    curves.png and curves.gif there. Ctrl-C stops early and keeps what was
    trained (``result.interrupted``).
    """
    from optviz.trainer.loop import fit

    names = (
        [n.strip() for n in optimizers.split(",")]
        if isinstance(optimizers, str)
        else list(optimizers)
    )
    names = [n for n in names if n]
    if not names:
        raise OptvizError("no optimizers given")
    if len(set(names)) != len(names):
        raise OptvizError(f"an optimizer is listed twice: {', '.join(names)}")
    for name in names:
        check_name(name)
    if activation not in ACTIVATIONS:
        from optviz.errors import UnknownNameError

        raise UnknownNameError("activation", activation, ACTIVATIONS)
    if init not in INITS:
        from optviz.errors import UnknownNameError

        raise UnknownNameError("init", init, INITS)
    if not 0.0 <= dropout < 1.0:
        raise OptvizError(f"dropout must be in [0, 1), not {dropout}")
    if epochs < 0:
        raise OptvizError(f"epochs must be at least 0, not {epochs}")
    if clip is not None and clip <= 0:
        raise OptvizError(f"clip must be positive, not {clip}")
    merged: dict[str, dict] = {n: dict((hparams or {}).get(n, {})) for n in names}
    for name, value in (lr or {}).items():
        if name not in merged:
            raise OptvizError(f"learning rate given for {name!r}, which is not being trained")
        merged[name]["learning_rate"] = float(value)
    for name in names:
        resolve_hparams(name, merged[name])  # unknown or bad hyperparameters: fail before any work

    data = dataset if isinstance(dataset, Dataset) else load(dataset, data_dir, fetch=download)
    size = parse_batch_size(batch_size, len(data.x_train))
    cfg = config_for(
        data.image_shape,
        in_channels=data.x_train.shape[-1],
        n_classes=data.n_classes,
        activation=activation,
        dropout=dropout,
        init=init,
    )
    out = Path(out) if out is not None else None
    log = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        log = MetricsLog(out / "metrics.jsonl")
    try:
        result = fit(
            data,
            names,
            cfg,
            epochs=epochs,
            batch_size=size,
            seed=seed,
            hparams=merged,
            weight_decay=weight_decay,
            clip=clip,
            augment=augment,
            log_every=log_every,
            log=log,
            callback=callback,
        )
    finally:
        if log is not None:
            log.close()
    if out is not None:
        for name in result.optimizers:
            save_params(out / f"params_{_file_stem(name)}.npz", result.params[name], cfg)
        if plots:
            from optviz.trainer.plots import curves_gif, curves_png

            curves_png(result, out / "curves.png")
            curves_gif(result, out / "curves.gif")
    return result
