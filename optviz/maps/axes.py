"""A map's two axes and the outcomes of its pixels: plain data, no JAX."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Outcome codes of a pixel; 0, 1, ... are the surface's known minima, in its order.
NOT_CONVERGED = -1  # finite, in the domain, near no known minimum at the end
LEFT = -2  # left the domain at some step and ended near no known minimum
DIVERGED = -3  # the loss or the position went non-finite
NEVER = -1  # a step that did not happen (e.g. never diverged)

OUTCOME_NAMES = {NOT_CONVERGED: "not converged", LEFT: "left the domain", DIVERGED: "diverged"}


@dataclass(frozen=True)
class Axis:
    """One axis of a map: `n` samples from `lo` to `hi` (both included), linear or log."""

    name: str
    lo: float
    hi: float
    n: int
    log: bool = False

    @property
    def values(self) -> np.ndarray:
        if self.log:
            return np.logspace(np.log10(self.lo), np.log10(self.hi), self.n)
        return np.linspace(self.lo, self.hi, self.n)

    def index(self, value: float) -> int:
        """The sample nearest to `value` (in log distance on a log axis)."""
        v = self.values
        if self.log:
            return int(np.argmin(np.abs(np.log(v) - np.log(value))))
        return int(np.argmin(np.abs(v - value)))


def mesh(x: Axis, y: Axis) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) of shape (y.n, x.n): row i holds y.values[i] (row 0 at the bottom)."""
    return np.meshgrid(x.values, y.values)


@dataclass(frozen=True)
class Outcomes:
    """What every pixel of one map came to (arrays of shape (ny, nx, ...)).

    outcome: a known minimum's index (0, 1, ...) or NOT_CONVERGED, LEFT, DIVERGED.
    step: the step of that outcome (first within tolerance of the minimum it ended
        near, first outside the domain, first non-finite; `steps` if none).
    first_hit: (ny, nx, n_minima) the first step within tolerance of each minimum.
    left, diverged: the first step outside the domain / non-finite, or NEVER.
    final_xy, final_loss: where each run ended (NaN where it diverged).
    """

    outcome: np.ndarray
    step: np.ndarray
    first_hit: np.ndarray
    left: np.ndarray
    diverged: np.ndarray
    final_xy: np.ndarray
    final_loss: np.ndarray


def classify(
    first_hit: np.ndarray,
    left: np.ndarray,
    diverged: np.ndarray,
    final_xy: np.ndarray,
    minima: np.ndarray,
    tol: float,
    steps: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(outcome, step) per pixel from the records of the scan (see `Outcomes`).

    A run that ends within `tol` of a minimum reached it (at its first visit there);
    otherwise it left the domain if it ever did, else it did not converge; a run that
    went non-finite diverged, whatever came before.
    """
    d2 = None
    if len(minima):
        with np.errstate(over="ignore", invalid="ignore"):  # far-away and NaN end points
            diff = final_xy[..., None, :].astype(np.float64) - minima
            d2 = (diff**2).sum(-1)
    outcome = np.full(final_xy.shape[:-1], NOT_CONVERGED, np.int8)
    step = np.full(final_xy.shape[:-1], steps, np.int32)
    if d2 is not None:
        nearest = np.argmin(np.where(np.isfinite(d2), d2, np.inf), axis=-1)
        near = np.take_along_axis(d2, nearest[..., None], -1)[..., 0] <= tol * tol
        outcome = np.where(near, nearest, outcome).astype(np.int8)
        hit = np.take_along_axis(first_hit, nearest[..., None], -1)[..., 0]
        step = np.where(near, hit, step)
    went = (outcome == NOT_CONVERGED) & (left != NEVER)
    outcome = np.where(went, LEFT, outcome).astype(np.int8)
    step = np.where(went, left, step)
    bad = diverged != NEVER
    outcome = np.where(bad, DIVERGED, outcome).astype(np.int8)
    step = np.where(bad, diverged, step).astype(np.int32)
    return outcome, step
