"""optviz: see how optimizers move on loss landscapes.

>>> import optviz
>>> path = optviz.trajectory("adam", "beale", start=(1.0, 1.5), steps=300, lr=0.01)
>>> path.shape
(301, 2)

Public names load lazily (PEP 562), so `optviz --help` does not import JAX.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "trajectory": "optviz.engine",
    "trajectories": "optviz.engine",
    "sweep": "optviz.engine",
    "Trajectories": "optviz.engine",
    "Sweep": "optviz.engine",
    "Path": "optviz.paths",
    "OptvizError": "optviz.errors",
    "race": "optviz.racing",
    "Race": "optviz.racing",
    "atlas": "optviz.atlases",
    "Atlas": "optviz.atlases",
    "explore": "optviz.explorer",
    "train": "optviz.trainer",
    "TrainResult": "optviz.trainer",
    "surface": "optviz.surfaces",  # bring your own: a formula or a function as a Surface
    "optimizer": "optviz.optimizers",  # an optax / PyTorch optimizer object with a name
    "landscape": "optviz.weightspace",
    "Landscape": "optviz.weightspace",
    "compare_landscapes": "optviz.weightspace",
    "Comparison": "optviz.weightspace",
}
_SUBMODULES = ("surfaces", "optimizers", "engine", "paths", "errors", "render", "trainer")

__all__ = [*_LAZY, *_SUBMODULES, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"optviz.{name}")
    else:
        raise AttributeError(f"module 'optviz' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
