"""The real CNN's loss on planes of its weight space (`optviz.landscape`).

record.py trains and keeps the weights, planes.py chooses a plane, grid.py
evaluates the loss (sharded over every JAX device), cache.py keeps the numbers,
compute.py ties them together, result.py is the `Landscape` a notebook shows.
compare.py (knobs.py, comparenums.py, comparison.py): two landscapes that differ in
one training knob, side by side (`optviz.compare_landscapes`).
"""

from optviz.weightspace.api import landscape
from optviz.weightspace.compare import compare_landscapes
from optviz.weightspace.comparison import Comparison
from optviz.weightspace.result import Landscape

__all__ = ["Comparison", "Landscape", "compare_landscapes", "landscape"]
