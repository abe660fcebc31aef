"""`landscape(...)`: the optimizers racing on the real CNN's loss, on one plane.

>>> land = optviz.landscape(["sgd", "adam"], epochs=2, grid=21)  # doctest: +SKIP
>>> land.loss.shape, land.paths["adam"].shape  # doctest: +SKIP
((21, 21), (n, 2))

Every argument is checked before any training. The numbers are computed by
`compute` (train, record, choose the plane, evaluate the grid and the paths) and
kept in the landscape cache, so drawing the same request again costs nothing.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optviz.errors import OptvizError, UnknownNameError
from optviz.optimizers import TRAIN_DEFAULT
from optviz.weightspace import cache as cache_mod
from optviz.weightspace.grid import check_grid
from optviz.weightspace.planes import PLANES

EPOCHS = 6  # the default: SGD is still on its way, K-FAC has all but arrived
GRID = 41
RANDOM_SPAN = 1.0  # Li et al.'s [-1, 1] in filter-normalised units
MARGIN = 0.15  # auto span: the paths' extent and this share of it on every side
INTERP_T = np.linspace(-0.25, 1.25, 31)  # the 1-D plot: 0 = start, 1 = final weights
START = "start"
TRAIN_OPTIONS = (
    "data_dir", "download", "batch_size", "lr", "hparams", "dropout", "weight_decay",
    "augment", "activation", "init", "clip", "depth", "norm", "skip",
)  # fmt: skip

# progress(phase, done, total): phase "training" (steps), "grid" (points), "paths" (points)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Request:
    """A checked request: what `compute` needs, and what the cache key covers."""

    names: tuple[str, ...]
    plane: str
    grid: int
    span: float | None
    seed: int
    epochs: int
    center: str
    points: tuple[str, str, str]
    keep_every: int | None
    train: dict[str, Any]  # `optviz.train`'s normalised settings


def _train_defaults() -> dict[str, Any]:
    from optviz.trainer.api import train

    params = inspect.signature(train).parameters
    return {k: params[k].default for k in TRAIN_OPTIONS}


def check_request(
    optimizers: str | Iterable[str],
    *,
    dataset: Any,
    epochs: Any,
    plane: Any,
    grid: Any,
    span: Any,
    seed: Any,
    center: Any,
    points: Any,
    keep_every: Any,
    train_options: Mapping[str, Any],
) -> Request:
    """Every argument of `landscape`, checked before any data is read; `OptvizError`."""
    from optviz.trainer.api import check_arguments

    unknown = sorted(set(train_options) - set(TRAIN_OPTIONS))
    if unknown:
        raise UnknownNameError("training option", unknown[0], TRAIN_OPTIONS)
    options = {**_train_defaults(), **train_options}
    run = check_arguments(
        optimizers, dataset=dataset, epochs=epochs, seed=seed, log_every=1, out=None,
        plots=False, callback=None, **options,
    )  # fmt: skip
    names = tuple(run["names"])
    if run["epochs"] < 1:
        raise OptvizError("epochs must be at least 1: a landscape needs paths")
    if not isinstance(plane, str) or plane not in PLANES:
        raise UnknownNameError("plane", str(plane), PLANES)
    grid = check_grid(grid)
    if span is not None:
        if isinstance(span, bool) or not isinstance(span, int | float) or not math.isfinite(span):
            raise OptvizError(f"span must be a number, not {span!r}")
        if span <= 0:
            raise OptvizError(f"span must be positive, not {span}")
        span = float(span)
    choices = (START, *names)
    center = (START if plane != "random" else names[0]) if center is None else center
    if center not in choices:
        raise UnknownNameError("centre", str(center), choices)
    if points is None:
        if plane == "points" and len(names) < 2:
            raise OptvizError("the points plane needs two optimizers, or points=(a, b, c)")
        points = (START, *names[:2]) if len(names) >= 2 else (START, names[0], names[0])
    if isinstance(points, str):
        points = tuple(p.strip() for p in points.split(","))
    points = tuple(points)
    if len(points) != 3:
        raise OptvizError(f"points must be three of {', '.join(choices)}, not {points!r}")
    for p in points:
        if p not in choices:
            raise UnknownNameError("point", str(p), choices)
    if plane == "points" and len(set(points)) != 3:
        raise OptvizError(f"the points plane needs three different points, not {points}")
    if keep_every is not None:
        from optviz.trainer.checks import whole

        keep_every = whole(keep_every, "keep_every", low=1)
    train = {
        k: run[k]
        for k in ("hparams", "dropout", "weight_decay", "clip", "augment", "depth", "skip")
    }
    train.update(
        dataset=dataset, data_dir=options["data_dir"], download=bool(options["download"]),
        batch_size=options["batch_size"], activation=options["activation"],
        init=options["init"], norm=options["norm"],
    )  # fmt: skip
    return Request(names, plane, grid, span, run["seed"], run["epochs"], center, points,
                   keep_every, train)  # fmt: skip


def landscape(
    optimizers: str | Iterable[str] = TRAIN_DEFAULT,
    *,
    dataset: Any = "digits",
    epochs: int = EPOCHS,
    plane: str = "pca",
    grid: int = GRID,
    span: float | None = None,
    seed: int = 0,
    center: str | None = None,
    points: Sequence[str] | None = None,
    keep_every: int | None = None,
    cache: bool | str | Path = True,
    progress: Progress | None = None,
    **train_options: Any,
):
    """Train the lecture's CNN once per optimizer (same start, same batches), pick a
    plane of its weight space, and evaluate the training loss on a grid over it.

    plane: "pca" (the paths' two principal directions about `center`: "start", the
    default, or an optimizer's final weights), "random" (two filter-normalised random
    directions about `center`, default the first optimizer's final weights) or
    "points" (through three of "start" and the optimizers' final weights; default
    the start and the first two optimizers). grid: points a side. span: the grid is
    [-span, span]^2 about the plane's origin; None: the paths' extent with a margin
    (and at least [-1, 1]^2 on the random plane). keep_every: record the weights
    every this many steps (None: about 100 snapshots a path). cache: True (the
    user's cache folder), a folder, or False. train_options: as `optviz.train`
    (batch_size, lr, hparams, dropout, weight_decay, augment, activation, init,
    clip, depth, norm, skip, data_dir, download). A batch-normalised network is
    evaluated on the plane in training mode: each evaluation chunk of the
    training set normalised by its own statistics (see `grid`).
    """
    from optviz.weightspace.compute import compute
    from optviz.weightspace.result import Landscape

    request = check_request(
        optimizers, dataset=dataset, epochs=epochs, plane=plane, grid=grid, span=span,
        seed=seed, center=center, points=points, keep_every=keep_every,
        train_options=train_options,
    )  # fmt: skip
    return Landscape(compute(request, cache_mod.folder_for(cache), progress))
