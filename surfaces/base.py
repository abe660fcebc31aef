"""The `Surface` value: an analytic 2-D loss landscape that carries its own answer."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

Array = jnp.ndarray
Point = tuple[float, float]


def split_xy(xy: Array) -> tuple[Array, Array]:
    """The x and y coordinates of a point (or of a stack of points, last axis 2).

    Integer input is promoted to JAX's default float, so `fn(jnp.array([1, 2]))`
    does not silently compute in integers.
    """
    xy = jnp.asarray(xy)
    if not jnp.issubdtype(xy.dtype, jnp.inexact):
        xy = xy.astype(jnp.result_type(float))
    return xy[..., 0], xy[..., 1]


@functools.lru_cache(maxsize=64)
def _on_points(fn: Callable[[Array], Array]) -> Callable[[np.ndarray], Array]:
    """`fn` over a stack of points as one compiled program (a picture's grid: one
    trace and one cache look-up, not one small program per operation)."""
    return jax.jit(jax.vmap(fn))


@dataclass(frozen=True)
class Minimum:
    """A known (global or local) minimum: location and value.

    found: located numerically (on a grid, then refined), not taken from the
    literature; pictures call it a "found minimum".
    """

    xy: Point
    value: float
    is_global: bool = True
    found: bool = False


@dataclass(frozen=True)
class Levels:
    """How to draw contour levels: log-spaced for surfaces spanning decades."""

    kind: str = "linear"  # "linear" or "log"
    n: int = 30
    # Values are measured relative to the lowest known minimum (log levels need
    # a positive offset); None means "from the values on the domain".
    vmin: float | None = None
    vmax: float | None = None


@dataclass(frozen=True)
class Surface:
    """A 2-D test function written in JAX, with its domain and known minima.

    `fn(xy) -> scalar` takes a length-2 array. Where the function is a sum of
    squares, `residuals(xy) -> vector` gives r with fn(xy) == sum(r**2); the
    K-FAC-style optimizer uses it for a Gauss-Newton curvature block.
    """

    name: str
    fn: Callable[[Array], Array]
    domain: tuple[Point, Point]  # ((xmin, xmax), (ymin, ymax))
    minima: tuple[Minimum, ...]
    starts: tuple[Point, ...]
    description: str
    reference: str
    formula: str
    residuals: Callable[[Array], Array] | None = None
    levels: Levels = field(default_factory=Levels)
    view: tuple[float, float] = (45.0, -60.0)  # 3-D camera (elev, azim), degrees
    saddles: tuple[Point, ...] = ()  # known saddle points worth marking
    # The part of the plane pictures show by default, where the default races happen
    # (None: the whole domain). Wider views: render's xlim/ylim.
    frame: tuple[Point, Point] | None = None

    def __call__(self, xy: Array) -> Array:
        return self.fn(xy)

    @property
    def start(self) -> Point:
        """The first default start point."""
        return self.starts[0]

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The surface sampled on an n x n grid over its domain: (X, Y, Z), numpy float64."""
        (x0, x1), (y0, y1) = self.domain
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        pts = np.stack([X.ravel(), Y.ravel()], axis=-1).astype(np.float32)
        Z = np.asarray(_on_points(self.fn)(pts), dtype=np.float64).reshape(X.shape)
        return X, Y, Z

    @property
    def global_min_value(self) -> float | None:
        values = [m.value for m in self.minima if m.is_global]
        return min(values) if values else None
