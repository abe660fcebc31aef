"""The interactive explorer for notebooks (needs the `notebook` extra: ipywidgets).

>>> ex = optviz.explore("beale")   # doctest: +SKIP

The picture is `optviz.render.live.LiveFigure`, drawn by the same figure engine as
the animations. The widgets load only when `explore` is called.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from optviz.errors import OptvizError
from optviz.optimizers import EXPLORE_DEFAULT

if TYPE_CHECKING:
    from optviz.explorer.widgets import Explorer

__all__ = ["explore"]

MISSING = "the explorer needs ipywidgets: pip install 'optviz[notebook]'"


def explore(
    surface: Any = "beale", optimizers: Sequence[Any] = EXPLORE_DEFAULT, **options: Any
) -> Explorer:
    """Sliders for each optimizer's learning rate (and its main other hyperparameter),
    the surface, the start point and the step count, over a live picture of the paths.

    surface and optimizers: as in `optviz.race` (a formula or a function with
    ``domain=``; optimizer objects, which get a learning-rate slider if they take one).

    options: those of `Explorer` (steps, max_steps, start, size, theme, interactive).
    Paths always run `max_steps` steps (the steps slider's maximum) and are cut to
    `steps`, so moving any slider reuses the compiled code. With ipympl installed a
    click on the contour plot sets the start point (`interactive=False` turns the
    clickable canvas off, for frontends without ipympl's extension).
    """
    try:
        importlib.import_module("ipywidgets")
    except ImportError:
        raise OptvizError(MISSING) from None
    from optviz.explorer.widgets import Explorer

    return Explorer(surface, optimizers, **options)
