"""One optimizer's path as plain numpy: what the renderer draws.

Numbers flow one way: trajectory (JAX) -> `Path` (numpy) -> frames -> file.
This module imports numpy (and the pure-Python string table) only, so rendering
code never depends on optax.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.i18n import path_label


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
        """The English legend text (`i18n.path_label` gives it in other languages)."""
        return path_label(self.label, "en", self.diverged_at)
