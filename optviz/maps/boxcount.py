"""Box-counting (Minkowski-Bouligand) dimension of a boundary drawn on a pixel grid.

Cover the grid with boxes of side s = 1, 2, 4, ... pixels and count N(s), the boxes
that hold a boundary pixel; the dimension is the slope of log N(s) against
log(1/s), fitted by least squares over the sizes that leave at least `MIN_BOXES`
boxes along the shorter side. A smooth curve gives 1, a region filled with boundary
gives 2. As in Sohl-Dickstein (2024), the boundary of a trainability map is where
the signed measure changes sign (converged on one side, diverged on the other).
The estimate from one finite image is rough: a few hundredths to a tenth.
"""

from __future__ import annotations

import numpy as np

MIN_BOXES = 4


def sign_edges(measure: np.ndarray) -> np.ndarray:
    """(ny - 1, nx - 1) bool: the 2x2 windows of `measure` holding both signs."""
    m = np.asarray(measure, dtype=np.float64)
    windows = np.stack([m[1:, 1:], m[:-1, 1:], m[1:, :-1], m[:-1, :-1]], axis=-1)
    return windows.max(axis=-1) * windows.min(axis=-1) < 0


def box_counts(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sizes, counts): for box sides 1, 2, 4, ..., the boxes holding a True pixel."""
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"box counting needs a 2-D mask, got shape {mask.shape}")
    sizes, counts = [], []
    s = 1
    while min(mask.shape) // s >= MIN_BOXES:
        ny, nx = -(-mask.shape[0] // s) * s, -(-mask.shape[1] // s) * s
        padded = np.zeros((ny, nx), bool)
        padded[: mask.shape[0], : mask.shape[1]] = mask
        boxes = padded.reshape(ny // s, s, nx // s, s).any(axis=(1, 3))
        sizes.append(s)
        counts.append(int(boxes.sum()))
        s *= 2
    return np.asarray(sizes), np.asarray(counts)


def dimension(mask: np.ndarray) -> float:
    """The box-counting dimension of the True pixels of `mask` (NaN if there are none
    or the grid is too small for two box sizes)."""
    sizes, counts = box_counts(mask)
    keep = counts > 0
    if keep.sum() < 2:
        return float("nan")
    slope = np.polyfit(np.log(1.0 / sizes[keep]), np.log(counts[keep]), 1)[0]
    return float(slope)
