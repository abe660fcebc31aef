"""One optimizer's path as plain numpy: what the renderer draws.

Numbers flow one way: trajectory (JAX) -> `Path` (numpy) -> frames -> file.
This module imports numpy only, so rendering code never depends on optax.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Path:
    """A path to draw.

    xy: (steps + 1, 2) positions, row 0 the start; after divergence the rows
        repeat the last finite point (the engine freezes diverged paths).
    loss: (steps + 1,) surface value at each row.
    diverged_at: the step at which the path went non-finite, or None.
    """

    label: str
    color: str
    xy: np.ndarray
    loss: np.ndarray
    diverged_at: int | None = None

    @property
    def legend_label(self) -> str:
        if self.diverged_at is None:
            return self.label
        return f"{self.label} (diverged at step {self.diverged_at})"
