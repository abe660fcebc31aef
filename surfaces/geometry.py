"""Teaching surfaces, each isolating one piece of geometry: saddle, bowl, long valley.

These are the shapes behind the usual explanations of momentum and adaptive
step sizes: a saddle point, an ill-conditioned quadratic, and a long narrow
valley with a gentle floor.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from .base import Array, Levels, Minimum, Surface, split_xy


def saddle(xy: Array) -> Array:
    x, y = split_xy(xy)
    return x**2 - y**2


SADDLE = Surface(
    name="saddle",
    fn=saddle,
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    minima=(),  # unbounded below along y
    saddles=((0.0, 0.0),),
    # Almost on the ridge y = 0: plain SGD slides to the saddle and lingers,
    # since the escaping component grows only by a factor (1 + 2 lr) per step
    # from 1e-3; sign-normalising methods (Adam, RMSprop) escape at once.
    starts=((-1.5, 1e-3),),
    description="The saddle x^2 - y^2: SGD stalls at the saddle point, the adaptive methods "
    "escape first, Momentum overshoots it before it escapes.",
    reference="Dauphin et al. (2014), Identifying and attacking the saddle point problem in "
    "high-dimensional non-convex optimization, NeurIPS; Radford (2014), optimizer animations",
    formula="x^2 - y^2",
    levels=Levels(kind="linear", n=30),
    view=(30.0, -60.0),
)


# Ill-conditioned bowl: H = R diag(1, 20) R^T with R the rotation by 30 degrees.
_BOWL_CENTER = (1.0, 0.5)
_BOWL_CURVATURES = (1.0, 20.0)
_COS30, _SIN30 = math.cos(math.pi / 6), math.sin(math.pi / 6)


def _bowl_coords(xy: Array) -> tuple[Array, Array]:
    """u = R^T (p - c): coordinates along the shallow and the steep axis."""
    x, y = split_xy(xy)
    dx, dy = x - _BOWL_CENTER[0], y - _BOWL_CENTER[1]
    return _COS30 * dx + _SIN30 * dy, -_SIN30 * dx + _COS30 * dy


def bowl(xy: Array) -> Array:
    u, v = _bowl_coords(xy)
    return 0.5 * (_BOWL_CURVATURES[0] * u**2 + _BOWL_CURVATURES[1] * v**2)


def bowl_residuals(xy: Array) -> Array:
    u, v = _bowl_coords(xy)
    scale = math.sqrt(0.5)
    return jnp.stack(
        [scale * math.sqrt(_BOWL_CURVATURES[0]) * u, scale * math.sqrt(_BOWL_CURVATURES[1]) * v],
        axis=-1,
    )


BOWL = Surface(
    name="bowl",
    fn=bowl,
    residuals=bowl_residuals,
    domain=((-3.0, 3.0), (-3.0, 3.0)),
    minima=(Minimum(_BOWL_CENTER, 0.0),),
    # Offset (-3.5, -1.0) from the centre: u ≈ -3.53 along the shallow axis,
    # v ≈ 0.88 along the steep one, so gradient descent zig-zags across the
    # steep axis while creeping along the shallow one.
    starts=((-2.5, -0.5),),
    description="A convex quadratic with condition number 20, rotated 30°: SGD zig-zags across "
    "it on its way to the minimum.",
    reference="Nocedal & Wright (2006), Numerical Optimization, 2nd ed., §3.3 (steepest "
    "descent on quadratics); Goh (2017), Why Momentum Really Works, Distill",
    formula="0.5 (p - c)^T R diag(1, 20) R^T (p - c),  R = rot(30°), c = (1, 0.5)",
    levels=Levels(kind="log", n=30, vmin=1e-3, vmax=1e2),
    view=(50.0, -70.0),
)


# Long valley: f = a y^2 + b (sqrt(1 + (x - x0)^2) - 1).
_VALLEY_A = 5.0  # wall steepness: curvature across the valley is 2a = 10
_VALLEY_B = 0.5  # floor slope: |df/dx| -> b far from x0 (pseudo-Huber)
_VALLEY_X0 = 4.0


def long_valley(xy: Array) -> Array:
    """a y^2 + b (sqrt(1 + (x - x0)^2) - 1), with a = 5, b = 0.5, x0 = 4.

    Across the valley the curvature is 2a = 10, so a learning rate near the
    stability limit 2/10 makes plain SGD bounce from wall to wall. Along the
    floor the pseudo-Huber term has a nearly constant slope b far from x0, so
    SGD creeps at about lr * b per step while momentum builds up to
    lr * b / (1 - beta); near x0 the floor turns into a smooth quadratic bottom
    (curvature b), so the minimum at (x0, 0) is well defined.

    The floor term is evaluated as b d^2 / (1 + sqrt(1 + d^2)), d = x - x0,
    which is the same function without float32 cancellation near the minimum.
    """
    x, y = split_xy(xy)
    d = x - _VALLEY_X0
    return _VALLEY_A * y**2 + _VALLEY_B * d**2 / (1.0 + jnp.sqrt(1.0 + d**2))


def long_valley_residuals(xy: Array) -> Array:
    """(sqrt(a) y, sqrt(b) d / sqrt(1 + sqrt(1 + d^2))).

    The second residual is the signed square root of the floor term: smooth at
    the minimum (no sqrt of zero), so its Jacobian is finite everywhere.
    """
    x, y = split_xy(xy)
    d = x - _VALLEY_X0
    floor = math.sqrt(_VALLEY_B) * d / jnp.sqrt(1.0 + jnp.sqrt(1.0 + d**2))
    return jnp.stack([math.sqrt(_VALLEY_A) * y, floor], axis=-1)


LONG_VALLEY = Surface(
    name="long_valley",
    fn=long_valley,
    residuals=long_valley_residuals,
    domain=((-6.0, 6.0), (-2.0, 2.0)),
    minima=(Minimum((_VALLEY_X0, 0.0), 0.0),),
    # Far up the valley and up one wall: SGD oscillates across and creeps
    # along; momentum damps the oscillation and accelerates along the floor.
    starts=((-5.0, 1.0),),
    description="A long narrow valley with a gentle floor: SGD zig-zags, momentum runs.",
    reference="After Radford (2014), 'Long valley' optimizer animation; floor is the "
    "pseudo-Huber loss, Hartley & Zisserman (2003), Multiple View Geometry, App. 6.8",
    formula="5 y^2 + 0.5 (sqrt(1 + (x - 4)^2) - 1)",
    levels=Levels(kind="log", n=30, vmin=1e-2, vmax=3e1),
    view=(30.0, -60.0),
)
