"""The real CNN's loss on planes of its weight space (`optviz.landscape`).

record.py trains and keeps the weights, planes.py chooses a plane, grid.py
evaluates the loss (sharded over every JAX device), cache.py keeps the numbers,
compute.py ties them together, result.py is the `Landscape` a notebook shows.
"""

from optviz.weightspace.api import landscape
from optviz.weightspace.result import Landscape

__all__ = ["Landscape", "landscape"]
