"""One optimizer's path as plain numpy: what the renderer draws.

Numbers flow one way: trajectory (JAX) -> `Path` (numpy) -> frames -> file.
A path carries identities as fields (which optimizer, which start point, where it
diverged); the words of its legend are made only when drawing, in the language of
the picture (`optviz.render.labels`). Nothing here is ever parsed back from text.
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
    optimizer: the registry name (``"adam"``, ``"optax:lamb"``) or None for a path
        of the user's own; its legend name, colour and marker come from the registry.
    label: the legend text, drawn as written in every language (None: the
        optimizer's name in the picture's language).
    color, marker: override the registry's (None: the registry's).
    start_index, start: which of the race's start points the path began at.
    diverged_at: the step at which the path went non-finite, or None.
    plane_loss: (steps + 1,) the loss of the drawn surface at xy, where it is not
        `loss` (a path projected onto a plane of a higher-dimensional space): the
        loss panel draws it dashed and the 3-D view puts the path on it (None: `loss`).
    """

    xy: np.ndarray
    loss: np.ndarray
    optimizer: str | None = None
    label: str | None = None
    color: str | None = None
    marker: str | None = None
    start_index: int = 0
    start: tuple[float, float] | None = None
    diverged_at: int | None = None
    plane_loss: np.ndarray | None = None
