"""The interactive explorer for notebooks (needs the `notebook` extra: ipywidgets).

>>> ex = optviz.explore("beale")   # doctest: +SKIP

`optviz.explorer.figure` (the updatable picture) needs only matplotlib; `Race.plot`
uses it too. The widgets load only when `explore` is called.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from optviz.errors import OptvizError

if TYPE_CHECKING:
    from optviz.explorer.widgets import Explorer

__all__ = ["explore"]

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nag", "adagrad", "rmsprop", "adam")
MISSING = "the explorer needs ipywidgets: pip install 'optviz[notebook]'"


def explore(
    surface: str = "beale",
    optimizers: Sequence[str] = DEFAULT_OPTIMIZERS,
    *,
    steps: int = 300,
    max_steps: int = 1000,
    start: Sequence[float] | None = None,
    size: tuple[int, int] = (880, 440),
    theme: str = "light",
) -> Explorer:
    """Sliders for each optimizer's learning rate (and its main other hyperparameter),
    the surface, the start point and the step count, over a live picture of the paths.

    Paths always run `max_steps` steps (the steps slider's maximum) and are cut to
    `steps`, so moving any slider reuses the compiled code.
    """
    try:
        importlib.import_module("ipywidgets")
    except ImportError:
        raise OptvizError(MISSING) from None
    from optviz.explorer.widgets import Explorer

    return Explorer(
        surface, optimizers, steps=steps, max_steps=max_steps, start=start, size=size, theme=theme
    )
