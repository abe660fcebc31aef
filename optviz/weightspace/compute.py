"""The numbers of a landscape: train and record, choose the plane, evaluate the loss.

`compute` returns a flat dict of numpy arrays (what the cache stores and
`Landscape` reads): the grid, and per optimizer i its snapshot steps, plane
coordinates, distances from the plane, true training loss, the plane's loss at
the projected points, and the loss along the line from the start to its end.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from optviz.errors import OptvizError
from optviz.weightspace import cache
from optviz.weightspace.api import INTERP_T, MARGIN, RANDOM_SPAN, START, Progress, Request
from optviz.weightspace.planes import Plane, pca_plane, points_plane, random_plane


def _data_and_config(request: Request):
    from optviz.trainer.checks import check_dataset
    from optviz.trainer.data import Dataset, load, parse_batch_size
    from optviz.trainer.model import config_for

    t = request.train
    dataset = t["dataset"]
    try:
        data = (
            dataset
            if isinstance(dataset, Dataset)
            else load(dataset, t["data_dir"], fetch=t["download"])
        )
    except OSError as err:  # a download that failed, a data file that cannot be read
        raise OptvizError(str(err)) from None
    check_dataset(data)
    size = parse_batch_size(t["batch_size"], len(data.x_train))
    cfg = config_for(
        data.image_shape, in_channels=data.x_train.shape[-1], n_classes=data.n_classes,
        activation=t["activation"], dropout=t["dropout"], init=t["init"],
        depth=t["depth"], norm=t["norm"], skip=t["skip"],
    )  # fmt: skip
    from optviz.trainer.api import check_fits

    check_fits(cfg, size)
    return data, size, cfg


def _plane(request: Request, rec) -> Plane:
    def weights(which: str) -> np.ndarray:
        w = rec.start if which == START else rec.final(which)
        if not np.isfinite(w).all():
            raise OptvizError(
                f"{which} diverged: its final weights are not finite and cannot place the "
                f"{request.plane} plane; choose another centre or points"
            )
        return w

    if request.plane == "pca":  # the finite part of each path (a diverged one stops)
        finite = [rec.weights[n][np.isfinite(rec.weights[n]).all(axis=1)] for n in rec.names]
        return pca_plane(finite, weights(request.center))
    if request.plane == "random":
        params = rec.unravel(np.asarray(weights(request.center), dtype=np.float32))
        return random_plane(params, request.seed)
    return points_plane(*(weights(p) for p in request.points))


def _box(request: Request, coords: list[np.ndarray]) -> tuple:
    """The grid's square box: [-span, span]^2, or the paths' extent with a margin."""
    if request.span is not None:
        s = request.span
        return (-s, s), (-s, s)
    pts = np.concatenate(coords)
    pts = pts[np.isfinite(pts).all(axis=1)]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2
    half = max(half * (1 + 2 * MARGIN), 1e-6)
    if request.plane == "random":
        lo = np.minimum(centre - half, -RANDOM_SPAN)
        hi = np.maximum(centre + half, RANDOM_SPAN)
        centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2
    return tuple((float(c - half), float(c + half)) for c in centre)


def compute(request: Request, folder: Path | None, progress: Progress | None) -> dict:
    """The landscape's arrays: from the cache when this request was computed before."""
    from optviz.weightspace import record as rec_mod
    from optviz.weightspace.grid import LossEvaluator, grid_axes, loss_grid

    data, size, cfg = _data_and_config(request)
    names = list(request.names)
    steps_per_epoch = len(data.x_train) // size
    total = request.epochs * steps_per_epoch
    keep_every = request.keep_every or rec_mod.keep_every_for(total)
    n_snap = rec_mod.snapshots_per_path(request.epochs, steps_per_epoch, keep_every)
    n_weights = rec_mod.n_params(cfg)
    memory = rec_mod.check_memory(len(names), n_snap, n_weights)

    described = dataclasses.asdict(request)
    described["train"] = {**request.train, "dataset": data.name, "batch_size": size}
    described.update(keep_every=keep_every, config=dataclasses.asdict(cfg))
    key = cache.digest(described, [data.x_train, data.y_train])
    found = cache.load(folder, key)
    if found is not None:
        return found

    def on_step(record: dict) -> None:
        if progress is not None and record["kind"] == "step":
            on_step.done += record["steps"]
            progress("training", on_step.done, total * len(names))

    on_step.done = 0
    t = request.train
    rec = rec_mod.record(
        data, names, cfg, keep_every=keep_every, callback=on_step, epochs=request.epochs,
        batch_size=size, seed=request.seed, hparams=t["hparams"],
        weight_decay=t["weight_decay"], clip=t["clip"], augment=t["augment"],
    )  # fmt: skip
    plane = _plane(request, rec)
    projected = [plane.project(rec.weights[n]) for n in names]
    coords = [c for c, _ in projected]
    box = _box(request, coords)
    start_xy = plane.project(rec.start)[0][0]
    (x0, x1), (y0, y1) = box
    if not (x0 <= start_xy[0] <= x1 and y0 <= start_xy[1] <= y1):
        raise OptvizError(
            f"the start lies at ({start_xy[0]:.3g}, {start_xy[1]:.3g}) on this plane, outside "
            f"the grid's span {request.span:g}; give a larger span, or none (the paths' extent)"
        )
    alphas, betas = grid_axes(box, request.grid)
    evaluator = LossEvaluator(cfg, data.x_train, data.y_train)

    def phase(name):
        return None if progress is None else (lambda done, n: progress(name, done, n))

    loss = loss_grid(evaluator, plane, alphas, betas, phase("grid"))
    stacked = np.concatenate([rec.weights[n] for n in names])
    lines = np.concatenate(
        [rec.start + INTERP_T[:, None] * (rec.final(n) - rec.start)[None] for n in names]
    )
    along = phase("paths")
    true_loss = evaluator.at(np.concatenate([stacked, lines]), along)
    plane_loss = evaluator.on_plane(np.concatenate(coords), plane.origin, plane.axes, along)
    out: dict[str, np.ndarray] = {
        "names": np.asarray(names),
        "dataset": np.asarray(data.name),
        "n_train": np.asarray(len(data.x_train)),
        "plane": np.asarray(plane.kind),
        "center": np.asarray(request.center),
        "points": np.asarray(request.points),
        "alphas": alphas,
        "betas": betas,
        "loss": loss,
        "start": start_xy,
        "explained_variance": np.asarray(plane.explained_variance or (np.nan, np.nan)),
        "interp_t": INTERP_T,
        "keep_every": np.asarray(keep_every),
        "n_weights": np.asarray(n_weights),
        "recorded_bytes": np.asarray(4 * sum(w.size for w in rec.weights.values())),
        "memory_bound": np.asarray(memory),
    }
    lo = 0
    for i, n in enumerate(names):
        k = len(rec.weights[n])
        out[f"p{i}.steps"] = rec.steps[n]
        out[f"p{i}.coords"] = coords[i]
        out[f"p{i}.distance"] = projected[i][1]
        out[f"p{i}.true_loss"] = true_loss[lo : lo + k]
        out[f"p{i}.plane_loss"] = plane_loss[lo : lo + k]
        out[f"p{i}.final"] = rec.final(n)
        lo += k
    for i, _ in enumerate(names):
        out[f"p{i}.interp"] = true_loss[lo : lo + len(INTERP_T)]
        lo += len(INTERP_T)
    cache.store(folder, key, out)
    return out
