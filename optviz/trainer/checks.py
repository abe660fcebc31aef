"""Every argument of a training run, checked before any work: one `OptvizError` line each.

Numbers must be real and finite (a bool is not a number), whole numbers whole,
names known (with close matches), and a data set must have examples in both
splits, images of one finite shape and labels within its classes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from optviz.errors import OptvizError, UnknownNameError

SEED_MAX = 2**32 - 1  # jax.random.key and numpy's generator both take 0..2**32-1 alike
MIN_SIDE = 4  # two 2x2 max-pools must leave at least one pixel


def number(value: Any, what: str, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False) -> float:  # fmt: skip
    """`value` as a float, if it is a finite real number within [low, high] (or open ends)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise OptvizError(f"{what} must be a number, not {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise OptvizError(f"{what} must be a real number, not {value!r}") from None
    if not math.isfinite(x):
        raise OptvizError(f"{what} must be finite, not {value!r}")
    too_low = low is not None and (x < low or (low_open and x == low))
    too_high = high is not None and (x > high or (high_open and x == high))
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        span = f"{'(' if low_open else '['}{lo}, {hi}{')' if high_open else ']'}"
        if high is None:
            span = f"> {lo}" if low_open else f">= {lo}"
            raise OptvizError(f"{what} must be {span}, not {value!r}")
        raise OptvizError(f"{what} must be in {span}, not {value!r}")
    return x


def whole(value: Any, what: str, *, low: int = 0, high: int | None = None) -> int:
    """`value` as an int, if it is a whole number within [low, high]."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise OptvizError(f"{what} must be a whole number, not {value!r}")
    n = int(value)
    if n < low or (high is not None and n > high):
        want = f"at least {low}" if high is None else f"in {low}..{high}"
        raise OptvizError(f"{what} must be {want}, not {n}")
    return n


def flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise OptvizError(f"{what} must be True or False, not {value!r}")
    return bool(value)


def name_in(value: Any, kind: str, known) -> str:
    if not isinstance(value, str):
        raise OptvizError(f"{kind} must be a name, not {value!r}")
    if value not in known:
        raise UnknownNameError(kind, value, known)
    return value


def path_or_none(value: Any, what: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str | Path):
        raise OptvizError(f"{what} must be a path, not {value!r}")
    return Path(value)


def per_optimizer(value: Any, what: str, names: list[str]) -> dict:
    """A mapping keyed by optimizers being trained (close matches for a misspelt one)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise OptvizError(f"{what} must map optimizer names to values, not {value!r}")
    for key in value:
        if key not in names:
            raise UnknownNameError("optimizer", str(key), names, f"in {what} (not being trained)")
    return dict(value)


def check_dataset(data) -> None:
    """A data set the trainer can learn from and evaluate, or one line saying what is wrong."""
    n_classes = whole(data.n_classes, f"{data.name}: n_classes", low=2)
    for split in ("train", "test"):
        x = getattr(data, f"x_{split}")
        y = getattr(data, f"y_{split}")
        where = f"{data.name} {split} set"
        if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
            raise OptvizError(f"{where}: images and labels must be numpy arrays")
        if x.ndim != 4 or y.ndim != 1 or len(x) != len(y):
            raise OptvizError(
                f"{where}: images must be (N, H, W, C) and labels (N,), got {x.shape} and {y.shape}"
            )
        if len(x) == 0:
            raise OptvizError(f"{where} is empty")
        if not np.issubdtype(x.dtype, np.floating) or not np.isfinite(x).all():
            raise OptvizError(f"{where}: images must be finite floating-point numbers")
        if not np.issubdtype(y.dtype, np.integer):
            raise OptvizError(f"{where}: labels must be whole numbers, not {y.dtype}")
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= n_classes:
            raise OptvizError(f"{where}: labels must be in 0..{n_classes - 1}, found {low}..{high}")
    if data.x_train.shape[1:] != data.x_test.shape[1:]:
        raise OptvizError(
            f"{data.name}: train images {data.x_train.shape[1:]} and test images "
            f"{data.x_test.shape[1:]} differ in shape"
        )
    if min(data.x_train.shape[1:3]) < MIN_SIDE:
        raise OptvizError(
            f"{data.name}: images must be at least {MIN_SIDE}x{MIN_SIDE}, "
            f"not {data.x_train.shape[1]}x{data.x_train.shape[2]}"
        )
