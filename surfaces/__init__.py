"""Analytic 2-D test surfaces (installed as optviz.surfaces).

>>> from optviz import surfaces
>>> s = surfaces.get("beale")
>>> s.minima[0].xy, s.start
((3.0, 0.5), (2.0, 1.7))
"""

from .base import Levels, Minimum, Surface
from .custom import surface
from .registry import REGISTRY, get, names

__all__ = ["REGISTRY", "Levels", "Minimum", "Surface", "get", "names", "surface"]
