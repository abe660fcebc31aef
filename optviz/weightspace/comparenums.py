"""The numbers of a comparison: both landscapes, both sharpnesses, and the 1-D cut.

`compare_numbers` returns a flat dict of numpy arrays: "a.*" and "b.*" (each
side's landscape arrays, as `compute` makes them, from the landscape cache when
computed before, and its epochs), each side's sharpness record, and the line: "line.kind"
("interpolation" or "slices"), "line.t", "line.a", "line.b".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optviz.weightspace.api import Progress, Request

INTERP_T = np.arange(-10, 31) / 20  # -0.5 .. 1.5 by 0.05; 0 and 1 exactly


def same_function(cfg_a, cfg_b) -> bool:
    """The two networks compute the same function of the same weights (evaluation mode:
    dropout off; the init scheme only draws the start)."""
    return cfg_a.replace(dropout=0.0, init="he") == cfg_b.replace(dropout=0.0, init="he")


def interpolation(evaluator, theta_a: np.ndarray, theta_b: np.ndarray, ts, progress=None):
    """Training loss at (1 - t) θ_A + t θ_B for each t (Keskar et al. 2017), in float64
    before rounding to the network's float32."""
    a, b = np.asarray(theta_a, np.float64), np.asarray(theta_b, np.float64)
    ts = np.asarray(ts, np.float64)
    return evaluator.at((1 - ts)[:, None] * a[None] + ts[:, None] * b[None], progress)


def middle_row(arrays: dict) -> tuple[np.ndarray, np.ndarray]:
    """The grid's row through the solution (the plane's origin): (alphas, loss)."""
    betas = np.asarray(arrays["betas"])
    j = int(np.argmin(np.abs(betas)))
    return np.asarray(arrays["alphas"]), np.asarray(arrays["loss"])[j]


def side_sharpness(arrays: dict, cfg, data, seed: int):
    """`optviz.trainer.sharpness` at a side's final weights (nan if they diverged)."""
    from optviz.trainer.sharpness import SUBSET, Sharpness, sharpness
    from optviz.weightspace.grid import unraveler

    final = np.asarray(arrays["p0.final"], np.float32)
    if not np.isfinite(final).all():
        return Sharpness(float("nan"), 0, float("nan"), False, 0)
    params = unraveler(cfg)(final)
    x, y = data.x_train[:SUBSET], data.y_train[:SUBSET]
    return sharpness(params, cfg.replace(dropout=0.0), x, y, state=None, seed=seed)


def compare_numbers(
    knob, requests: tuple[Request, Request], folder: Path | None, progress: Progress | None
) -> dict:
    from optviz.weightspace.compute import _data_and_config, compute
    from optviz.weightspace.grid import LossEvaluator

    out: dict[str, np.ndarray] = {}
    sides, configs = [], []
    for side, request in zip("ab", requests, strict=True):

        def phase(name, done, total, side=side):
            if progress is not None:
                progress(f"{side}: {name}", done, total)

        arrays = compute(request, folder, phase)
        data, _, cfg = _data_and_config(request)
        found = side_sharpness(arrays, cfg, data, request.seed)
        out.update({f"{side}.{k}": v for k, v in arrays.items()})
        out[f"{side}.epochs"] = np.asarray(request.epochs)
        for k, v in found.record().items():
            out[f"{side}.sharpness.{k}"] = np.asarray(v)
        sides.append(arrays)
        configs.append(cfg)
    if same_function(*configs):
        evaluator = LossEvaluator(configs[0].replace(dropout=0.0), data.x_train, data.y_train)
        line = interpolation(
            evaluator, sides[0]["p0.final"], sides[1]["p0.final"], INTERP_T,
            None if progress is None else (lambda d, n: progress("line", d, n)),
        )  # fmt: skip
        out.update({"line.kind": np.asarray("interpolation"), "line.t": INTERP_T,
                    "line.a": line, "line.b": line})  # fmt: skip
    else:
        (ta, la), (tb, lb) = middle_row(sides[0]), middle_row(sides[1])
        out.update({"line.kind": np.asarray("slices"), "line.t": ta, "line.a": la,
                    "line.tb": tb, "line.b": lb})  # fmt: skip
    return out
