"""Checks of a map's request, before any work: its axes and its size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from optviz import limits
from optviz import optimizers as _optimizers
from optviz.errors import OptvizError, UnknownNameError
from optviz.maps.axes import Axis

MAX_GRID = 46340  # pixels per side: a square map of at most 2**31 runs


def check_grid(n: int, bytes_per_pixel: int, what: str) -> None:
    """`n` x `n` pixels: a whole number from 2, whose results fit in memory."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise OptvizError(f"grid must be a whole number of pixels per side, at least 2; got {n!r}")
    if n > MAX_GRID:
        raise OptvizError(f"grid {n} is too large: at most {MAX_GRID} pixels per side")
    limits.check_map(n * n, bytes_per_pixel, f"{what} of {n} x {n}")


def map_axes(
    optimizer: str, bounds: Mapping[str, Sequence[float]], log: Sequence[str], n: int
) -> tuple[Axis, Axis]:
    """The two axes of a hyperparameter map of `optimizer`: names checked against what
    it takes (close matches), LO < HI, positive bounds on a log axis."""
    if not isinstance(bounds, Mapping) or len(bounds) != 2:
        raise OptvizError("a hyperparameter map needs exactly two NAME=LO:HI ranges")
    takes = _optimizers.spec(optimizer).hyperparameters
    axes, names = [], []
    for key, pair in bounds.items():
        name = _optimizers.ALIASES.get(key, key)
        if name not in takes:
            aliases = [a for a, canonical in _optimizers.ALIASES.items() if canonical in takes]
            raise UnknownNameError("hyperparameter", key, [*takes, *aliases], f"of {optimizer}")
        try:
            lo, hi = (float(v) for v in pair)
        except (TypeError, ValueError):
            raise OptvizError(
                f"{key}: give a range (LO, HI) of two numbers, got {pair!r}"
            ) from None
        if not lo < hi:
            raise OptvizError(f"{key}: LO must be below HI, got {lo:g}:{hi:g}")
        is_log = key in log or name in log
        if is_log and lo <= 0:
            raise OptvizError(f"{key} is on a log axis: its bounds must be positive, got {lo:g}")
        axes.append(Axis(name, lo, hi, n, is_log))
        names += [key, name]
    unknown = [k for k in log if k not in names]
    if unknown:
        raise UnknownNameError("log axis", unknown[0], list(bounds), "(--log names a --map axis)")
    if axes[0].name == axes[1].name:
        raise OptvizError(f"the map names {axes[0].name} twice")
    return axes[0], axes[1]
