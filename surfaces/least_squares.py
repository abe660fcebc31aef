"""Classic least-squares test problems: Beale, Rosenbrock, Himmelblau, Booth.

Each is a sum of squared residuals, so each also carries `residuals` with
fn(xy) == sum(residuals(xy) ** 2); the Gauss-Newton curvature the K-FAC-style
optimizer needs comes from the residuals' Jacobian. Minima are taken from the
published tables: Surjanovic & Bingham, Virtual Library of Simulation
Experiments (sfu.ca/~ssurjano), and Jamil & Yang (2013).
"""

from __future__ import annotations

import jax.numpy as jnp

from .base import Array, Levels, Minimum, Surface, split_xy

JAMIL_YANG = (
    "Jamil & Yang (2013), A literature survey of benchmark functions for global "
    "optimisation problems, Int. J. Math. Modelling Numer. Optim. 4(2):150-194"
)


def _sum_squares(r: Array) -> Array:
    return jnp.sum(r**2, axis=-1)


def beale_residuals(xy: Array) -> Array:
    x, y = split_xy(xy)
    return jnp.stack(
        [1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3],
        axis=-1,
    )


def beale(xy: Array) -> Array:
    return _sum_squares(beale_residuals(xy))


BEALE = Surface(
    name="beale",
    fn=beale,
    residuals=beale_residuals,
    domain=((-4.5, 4.5), (-4.5, 4.5)),
    minima=(Minimum((3.0, 0.5), 0.0),),
    # Starts on the ridge above the valley that curls into (3, 0.5): plain
    # gradient descent heads down the steep wall, adaptive methods turn earlier.
    starts=((2.0, 1.7),),
    description="Beale's flat, curved valley: RMSProp arrives first, Momentum overshoots and "
    "loops back, SGD and Adagrad still crawl at step 1000.",
    reference="Beale (1958), Tech. Rep. 25, Statistical Techniques Research Group, Princeton; "
    + JAMIL_YANG,
    formula="(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
    levels=Levels(kind="log", n=35, vmin=1e-1, vmax=1e5),
    view=(50.0, -140.0),
    # the races curl from (2, 1.7) into (3, 0.5) within x 0.8-3, y -1.3-1.7: the
    # whole domain would leave them a sixth of the picture
    frame=((-0.5, 4.5), (-2.25, 2.75)),
)


def rosenbrock_residuals(xy: Array) -> Array:
    x, y = split_xy(xy)
    return jnp.stack([1.0 - x, 10.0 * (y - x**2)], axis=-1)


def rosenbrock(xy: Array) -> Array:
    x, y = split_xy(xy)
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


ROSENBROCK = Surface(
    name="rosenbrock",
    fn=rosenbrock,
    residuals=rosenbrock_residuals,
    domain=((-2.0, 2.0), (-1.0, 3.0)),
    minima=(Minimum((1.0, 1.0), 0.0),),
    starts=((-1.2, 1.0),),  # Rosenbrock's own start (1960)
    description="The banana: a curved, nearly flat valley, easy to find and hard to follow.",
    reference="Rosenbrock (1960), An automatic method for finding the greatest or least value "
    "of a function, The Computer Journal 3(3):175-184 (a=1, b=100)",
    formula="(1 - x)^2 + 100 (y - x^2)^2",
    levels=Levels(kind="log", n=30, vmin=1e-2, vmax=3e3),
    view=(40.0, -120.0),
)


def himmelblau_residuals(xy: Array) -> Array:
    x, y = split_xy(xy)
    return jnp.stack([x**2 + y - 11.0, x + y**2 - 7.0], axis=-1)


def himmelblau(xy: Array) -> Array:
    x, y = split_xy(xy)
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


HIMMELBLAU = Surface(
    name="himmelblau",
    fn=himmelblau,
    residuals=himmelblau_residuals,
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    # All four global minima (value 0), to the published six decimals.
    minima=(
        Minimum((3.0, 2.0), 0.0),
        Minimum((-2.805118, 3.131312), 0.0),
        Minimum((-3.779310, -3.283186), 0.0),
        Minimum((3.584428, -1.848126), 0.0),
    ),
    # Beside the local maximum at (-0.270845, -0.923039): nearby starts and
    # different optimizers fall into different ones of the four basins.
    starts=((-0.5, -1.5), (0.0, -0.5)),
    description="Four equal minima around one local maximum: nearby starts end in different "
    "basins.",
    reference="Himmelblau (1972), Applied Nonlinear Programming, McGraw-Hill; " + JAMIL_YANG,
    formula="(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    levels=Levels(kind="log", n=30, vmin=1e-1, vmax=1e3),
    view=(45.0, -60.0),
)


def booth_residuals(xy: Array) -> Array:
    x, y = split_xy(xy)
    return jnp.stack([x + 2.0 * y - 7.0, 2.0 * x + y - 5.0], axis=-1)


def booth(xy: Array) -> Array:
    x, y = split_xy(xy)
    return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2


BOOTH = Surface(
    name="booth",
    fn=booth,
    residuals=booth_residuals,
    domain=((-10.0, 10.0), (-10.0, 10.0)),
    minima=(Minimum((1.0, 3.0), 0.0),),
    # Offset mostly along the shallow eigenvector (1, -1) (curvature 2 vs 18):
    # a mildly ill-conditioned quadratic, the gentle warm-up race.
    starts=((-8.0, 8.0),),
    description="A tilted quadratic bowl (condition number 9): the easy warm-up, where every "
    "classic optimizer arrives.",
    reference="Surjanovic & Bingham, Virtual Library of Simulation Experiments "
    "(sfu.ca/~ssurjano/booth.html); " + JAMIL_YANG,
    formula="(x + 2y - 7)^2 + (2x + y - 5)^2",
    levels=Levels(kind="log", n=30, vmin=1e-1, vmax=3e3),
    view=(35.0, -50.0),
)
