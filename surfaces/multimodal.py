"""Multimodal benchmarks: six-hump camel, Styblinski-Tang, Rastrigin, Ackley.

Many local minima: the race here is about which basin an optimizer ends in,
not how fast it gets there. Global minima follow the published tables
(Surjanovic & Bingham, sfu.ca/~ssurjano; Jamil & Yang 2013); where those give
only four digits, the location is refined here by Newton's method in float64
(the published digits are kept, more digits appended).
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from .base import Array, Levels, Minimum, Surface, split_xy


def six_hump_camel(xy: Array) -> Array:
    x, y = split_xy(xy)
    return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2


SIX_HUMP_CAMEL = Surface(
    name="six_hump_camel",
    fn=six_hump_camel,
    domain=((-3.0, 3.0), (-2.0, 2.0)),
    # Two global minima, point-symmetric about the origin; published as
    # (±0.0898, ∓0.7126), f = -1.0316.
    minima=(
        Minimum((0.08984201, -0.71265640), -1.03162845),
        Minimum((-0.08984201, 0.71265640), -1.03162845),
    ),
    saddles=((0.0, 0.0),),  # Hessian diag(8, -8) plus xy coupling: a saddle
    # From (-2, 1.5), gradient descent and Adam (lr ~0.02 / 0.1) settle in the side
    # local minimum near (-1.70, 0.80) while momentum carries over to a global
    # one; from (-1, -1) the optimizers split between the two global minima.
    starts=((-2.0, 1.5), (-1.0, -1.0)),
    description="Six humps, two global minima: Momentum rolls over a hump into a global one, SGD "
    "stops in the side minimum it starts in.",
    reference="Dixon & Szegő (1978), Towards Global Optimisation 2, North-Holland; "
    "Surjanovic & Bingham (sfu.ca/~ssurjano/camel6.html)",
    formula="(4 - 2.1x^2 + x^4/3) x^2 + xy + (-4 + 4y^2) y^2",
    levels=Levels(kind="log", n=30, vmin=1e-2, vmax=2e2),
    view=(45.0, -50.0),
)


def styblinski_tang(xy: Array) -> Array:
    x, y = split_xy(xy)
    return 0.5 * ((x**4 - 16.0 * x**2 + 5.0 * x) + (y**4 - 16.0 * y**2 + 5.0 * y))


# The 1-D factor's minimum: the root of 4x^3 - 32x + 5 near -2.9035.
_ST_X = -2.903534
_ST_MIN = -78.332331  # 2 x -39.1661657; ssurjano prints -39.16599 per dimension (a rounding slip)

STYBLINSKI_TANG = Surface(
    name="styblinski_tang",
    fn=styblinski_tang,
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(Minimum((_ST_X, _ST_X), _ST_MIN),),
    # On the slope of the shallower local minimum near (2.75, 2.75): only an
    # optimizer with enough momentum crosses the ridge to the global minimum.
    starts=((4.5, 4.5), (0.5, 4.5)),
    description="Four basins of unequal depth: Momentum crosses a ridge into the deepest, SGD "
    "stops in the one it starts in.",
    reference="Styblinski & Tang (1990), Experiments in nonconvex optimization, Neural "
    "Networks 3(4):467-483; Surjanovic & Bingham (sfu.ca/~ssurjano/stybtang.html)",
    formula="((x^4 - 16x^2 + 5x) + (y^4 - 16y^2 + 5y)) / 2",
    levels=Levels(kind="linear", n=30),
    view=(40.0, -125.0),
)


def rastrigin(xy: Array) -> Array:
    x, y = split_xy(xy)
    two_pi = 2.0 * math.pi
    return 20.0 + (x**2 - 10.0 * jnp.cos(two_pi * x)) + (y**2 - 10.0 * jnp.cos(two_pi * y))


RASTRIGIN = Surface(
    name="rastrigin",
    fn=rastrigin,
    domain=((-5.12, 5.12), (-5.12, 5.12)),
    minima=(Minimum((0.0, 0.0), 0.0),),
    starts=((-3.7, 4.3),),  # between lattice minima, far from the global one
    description="An egg crate of local minima on a bowl: every classic optimizer stops in the "
    "dip it starts in.",
    reference="Rastrigin (1974), Systems of Extremal Control, Nauka; Mühlenbein, Schomisch "
    "& Born (1991), Parallel Computing 17:619-632",
    formula="20 + (x^2 - 10 cos(2πx)) + (y^2 - 10 cos(2πy))",
    levels=Levels(kind="linear", n=30),
    view=(55.0, -60.0),
)


def ackley(xy: Array) -> Array:
    """Ackley's function (a=20, b=0.2, c=2π).

    The first term is a cone at the origin, ~ a*b*r/sqrt(2), so the minimum is
    not differentiable, and jnp.sqrt there has an infinite derivative: grad
    would give NaN. The double `where` evaluates sqrt only where r^2 > 0 and
    picks 0 at the origin, so the value is exact everywhere and the gradient at
    the minimum is 0, a valid subgradient of the cone.
    """
    x, y = split_xy(xy)
    a, b, c = 20.0, 0.2, 2.0 * math.pi
    mean_sq = 0.5 * (x**2 + y**2)
    positive = mean_sq > 0
    rms = jnp.where(positive, jnp.sqrt(jnp.where(positive, mean_sq, 1.0)), 0.0)
    mean_cos = 0.5 * (jnp.cos(c * x) + jnp.cos(c * y))
    # Grouped as a (1 - exp(-b rms)) + (e - exp(mean_cos)) so the value at the
    # origin is exactly 0 in float32 rather than a rounding residue.
    return -a * jnp.expm1(-b * rms) + (math.e - jnp.exp(mean_cos))


ACKLEY = Surface(
    name="ackley",
    fn=ackley,
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(Minimum((0.0, 0.0), 0.0),),
    starts=((3.7, -4.2),),
    description="A dimpled plateau around one deep funnel: every classic optimizer stops in the "
    "dimple it starts in.",
    reference="Ackley (1987), A Connectionist Machine for Genetic Hillclimbing, Kluwer "
    "(a=20, b=0.2, c=2π); Surjanovic & Bingham (sfu.ca/~ssurjano/ackley.html)",
    formula="-20 exp(-0.2 sqrt((x^2 + y^2)/2)) - exp((cos 2πx + cos 2πy)/2) + 20 + e",
    levels=Levels(kind="linear", n=30),
    view=(35.0, -60.0),
)
