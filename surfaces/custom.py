"""Bring your own surface: a `Surface` from a formula string or from a JAX function.

>>> s = surface("x**2 + 10*y**2", domain=((-3, 3), (-2, 2)))
>>> s.start, s.minima[0].found
((-1.8, 1.2), True)

What a made surface carries:

* the domain you give (required: a formula or a function says nothing about
  where to look);
* start points: yours, or by default the point a fifth of the way in from the
  domain's top-left corner, ``(xmin + w/5, ymax - h/5)``, unless a found minimum is
  within a twentieth of the domain's diagonal of it: then the same point from the top
  right, bottom left or bottom right corner (and if the function is not finite
  there, the finite grid point nearest to it);
* minima found numerically: the interior local minima of the function on a
  161 x 161 grid over the domain, each refined by 30 damped Newton
  (Levenberg-Marquardt) steps, then those within 0.1% of the grid's range of the
  lowest, one per basin, at most four; marked ``found=True``, which pictures
  label "found minimum" (a numerical answer: the true minimum may lie outside
  the domain, or in a dip narrower than the grid);
* contour levels log-spaced when the values on the grid span decades (the
  highest is more than 100 times the 10th percentile, both measured from the
  lowest), linear otherwise.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from optviz.errors import OptvizError, UnknownNameError

from .base import Levels, Minimum, Surface
from .formula import NAMES, check_text, compile_formula
from .registry import REGISTRY, names

GRID = 161
MAX_MINIMA = 4
CANDIDATES = 16  # grid minima refined before the lowest are kept
DOMAIN_LIMIT = 1e15  # a float32 grid across a wider box has no resolution left
LOG_SPAN = 100  # the top of the grid's values over their 10th percentile: above it, log levels
DOMAIN_HINT = "domain=((xmin, xmax), (ymin, ymax))"


def surface(
    source: str | Callable | Surface,
    domain: Sequence[Sequence[float]] | None = None,
    *,
    name: str | None = None,
    starts: Sequence[Sequence[float]] | None = None,
    minima: Sequence[Minimum] | None = None,
    residuals: Callable | None = None,
) -> Surface:
    """A `Surface` from a registry name, a formula in x and y, or a function ``f(xy)``.

    source: a `Surface` (returned as it is, or over `domain` if one is given), a
        surface name (see ``optviz list``), a formula (``"x**2 + 10*y**2"``), or any
        JAX-traceable function of a length-2 array returning a scalar.
    domain: ((xmin, xmax), (ymin, ymax)); required for formulas and functions.
    starts: default start points (see the module docstring for the default).
    minima: known minima (`Minimum`); none given: found numerically, see above.
    residuals: for a sum of squares, r(xy) with f(xy) == sum(r**2): K-FAC then uses
        Gauss-Newton curvature (without it, the empirical Fisher).
    """
    box = None if domain is None else check_domain(domain)
    if isinstance(source, Surface):
        return source if box is None else dataclasses.replace(source, domain=box, frame=None)
    if isinstance(source, str):
        text = check_text(source)  # short, one line: before it is echoed in any message
        if text.isidentifier() and text not in NAMES:
            if text not in REGISTRY:
                raise UnknownNameError("surface", text, names())
            return surface(REGISTRY[text], domain)
        if box is None:
            raise OptvizError(f"a formula needs a domain: {DOMAIN_HINT}")
        return _from_formula(text, box, _points(starts), _minima(minima), residuals)
    if callable(source):
        if box is None:
            raise OptvizError(f"a surface from a function needs a domain: {DOMAIN_HINT}")
        label = name or getattr(source, "__name__", "") or "function"
        if label == "<lambda>":
            label = "function"
        return build(label, source, box, _points(starts), _minima(minima), residuals, formula="")
    raise OptvizError(
        f"a surface is a name (see optviz list), a formula, a function f(xy) or a Surface, "
        f"got {type(source).__name__}"
    )


def check_domain(domain: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """((xmin, xmax), (ymin, ymax)) as floats, each finite, min < max; else one line."""
    try:
        box = np.asarray(domain, dtype=np.float64)
    except (TypeError, ValueError):
        raise OptvizError(f"a domain is {DOMAIN_HINT}, got {domain!r}") from None
    if box.shape != (2, 2):
        raise OptvizError(f"a domain is {DOMAIN_HINT}, got an array of shape {box.shape}")
    if not (np.isfinite(box).all() and np.abs(box).max() <= DOMAIN_LIMIT):
        raise OptvizError(f"a domain's bounds must be finite, within ±{DOMAIN_LIMIT:g}")
    for (lo, hi), axis in zip(box, "xy", strict=True):
        if not lo < hi or np.float32(lo) == np.float32(hi):
            raise OptvizError(
                f"the domain's {axis} range must go from low to high, got {lo:g}, {hi:g}"
            )
    return tuple((float(lo), float(hi)) for lo, hi in box)  # type: ignore[return-value]


def _points(starts) -> tuple | None:
    if starts is None:
        return None
    try:
        pts = np.asarray(starts, dtype=np.float64)
    except (TypeError, ValueError):
        raise OptvizError(f"start points must be (x, y) pairs of numbers, got {starts!r}") from None
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0 or not np.isfinite(pts).all():
        raise OptvizError("start points must be finite (x, y) pairs")
    return tuple((float(x), float(y)) for x, y in pts)


def _minima(minima) -> tuple | None:
    if minima is None:
        return None
    out = tuple(minima)
    if not all(isinstance(m, Minimum) for m in out):
        raise OptvizError("minima must be optviz.surfaces.Minimum values")
    return out


@functools.lru_cache(maxsize=32)
def _from_formula(text, box, starts, minima, residuals) -> Surface:
    """One Surface per formula and settings, so a second race on it compiles nothing."""
    fn = compile_formula(text)
    desc = f"f(x, y) = {text}"
    return build(text, fn, box, starts, minima, residuals, formula=text, description=desc)


def build(
    label: str,
    fn: Callable,
    box,
    starts: tuple | None,
    minima: tuple | None,
    residuals: Callable | None,
    *,
    formula: str,
    description: str = "a function given in Python",
) -> Surface:
    """Sample `fn` once on a grid: check it, pick the start, levels and (found) minima."""
    (x0, x1), (y0, y1) = box
    X, Y = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    corners = _corners(box)  # the default start's candidates, sampled with the grid
    pts = np.concatenate([np.stack([X.ravel(), Y.ravel()], axis=-1), corners]).astype(np.float32)
    try:
        Z = np.asarray(jax.jit(jax.vmap(fn))(pts), dtype=np.float64)
    except OptvizError:
        raise
    except Exception as err:  # the user's function: any failure is theirs, said in one line
        first = (str(err).splitlines() or [""])[0][:160]
        raise OptvizError(
            f"surface {label!r} cannot be computed by JAX: {type(err).__name__}: {first}"
        ) from None
    if Z.shape != (len(pts),):
        raise OptvizError(
            f"surface {label!r} must return one number per point, got shape {Z.shape[1:]}"
        )
    Z, at_corners = Z[: -len(corners)].reshape(X.shape), Z[-len(corners) :]
    finite = np.isfinite(Z)
    if not finite.any():
        raise OptvizError(f"surface {label!r} is not finite anywhere on its domain")
    if minima is None:
        minima = _found_minima(fn, X, Y, Z, box)
    if starts is None:
        starts = (_default_start(box, corners, at_corners, X, Y, Z, minima),)
    return Surface(
        name=label,
        fn=fn,
        domain=box,
        minima=minima,
        starts=starts,
        description=description,
        reference="given by the user",
        formula=formula,
        residuals=residuals,
        levels=_levels(Z[finite], minima),
    )


def _corners(box) -> np.ndarray:
    """The points a fifth of the way in from the corners: top left, top right, bottom
    left, bottom right."""
    (x0, x1), (y0, y1) = box
    w, h = x1 - x0, y1 - y0
    return np.array([(x0 + w / 5, y1 - h / 5), (x1 - w / 5, y1 - h / 5),
                     (x0 + w / 5, y0 + h / 5), (x1 - w / 5, y0 + h / 5)])  # fmt: skip


def _default_start(box, corners, at_corners, X, Y, Z, minima) -> tuple[float, float]:
    """The first of `corners` not next to a minimum (a twentieth of the domain's diagonal
    away), else the first; the finite grid point nearest to it if the function is not
    finite there."""
    (x0, x1), (y0, y1) = box
    near = 0.05 * math.hypot(x1 - x0, y1 - y0)
    far = [i for i, c in enumerate(corners) if all(math.dist(c, m.xy) >= near for m in minima)]
    i = (far or [0])[0]
    xy = (float(corners[i][0]), float(corners[i][1]))
    if np.isfinite(at_corners[i]):
        return xy
    ok = np.isfinite(Z)
    d = np.where(ok, (X - xy[0]) ** 2 + (Y - xy[1]) ** 2, np.inf)
    j = np.unravel_index(np.argmin(d), d.shape)
    return float(X[j]), float(Y[j])


def _levels(values: np.ndarray, minima) -> Levels:
    low = min([float(values.min()), *(m.value for m in minima)])
    offset = values - low
    positive = offset[offset > 0]
    if positive.size and float(offset.max()) > LOG_SPAN * float(np.percentile(positive, 10)):
        return Levels(kind="log", n=30)
    return Levels(kind="linear", n=30)


def _found_minima(fn, X, Y, Z, box) -> tuple[Minimum, ...]:
    """The lowest interior grid minima (<= 8 neighbours), refined; see the module docstring."""
    inner = np.where(np.isfinite(Z), Z, np.inf)
    core = inner[1:-1, 1:-1]
    is_min = np.isfinite(core)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                is_min &= (
                    core
                    <= inner[1 + dy : inner.shape[0] - 1 + dy, 1 + dx : inner.shape[1] - 1 + dx]
                )
    rows, cols = np.nonzero(is_min)
    if not len(rows):
        return ()
    values = core[rows, cols]
    order = np.argsort(values, kind="stable")
    finite = Z[np.isfinite(Z)]
    spread = float(finite.max()) - float(finite.min())
    (x0, x1), (y0, y1) = box
    cell = np.array([(x1 - x0) / (GRID - 1), (y1 - y0) / (GRID - 1)])
    # candidates: the lowest grid minima (a wide net: a flat valley floor has several)
    picked = [k for k in order[:CANDIDATES] if values[k] <= values[order[0]] + 1e-2 * spread]
    grid_xy = np.stack([[X[rows[k] + 1, cols[k] + 1], Y[rows[k] + 1, cols[k] + 1]] for k in picked])
    xy, vals = _refine(fn, grid_xy, box)
    keep: list[int] = []
    for i in np.argsort(vals, kind="stable"):
        if vals[i] > vals.min() + 1e-3 * spread or len(keep) == MAX_MINIMA:
            break
        if all(np.max(np.abs(xy[i] - xy[j]) / cell) > 4 for j in keep):  # one per basin
            keep.append(int(i))
    return tuple(
        Minimum((float(xy[i, 0]), float(xy[i, 1])), float(vals[i]), is_global=True, found=True)
        for i in keep
    )


def _refine(fn: Callable, xy: np.ndarray, box) -> tuple[np.ndarray, np.ndarray]:
    """30 damped Newton (Levenberg-Marquardt) steps from each point, on the host, with one
    jitted function for the values, gradients and Hessians of all points (one compile,
    smaller than a compiled loop). A step is taken only where it lowers the value and
    stays finite and inside the domain; the damping shrinks after a step, grows after a
    refusal. Returns the points and their values (float64 arrays)."""

    def three(p):
        return fn(p), jax.grad(fn)(p), jax.hessian(fn)(p)

    at = jax.jit(jax.vmap(three))
    (x0, x1), (y0, y1) = box
    lo, hi = np.array([x0, y0]), np.array([x1, y1])
    value, grad, hess = (np.asarray(a, np.float64) for a in at(xy.astype(np.float32)))
    lam = 1e-3 * np.nan_to_num(np.abs(hess).max(axis=(1, 2)), nan=1.0) + 1e-12
    eye = np.eye(2)
    for _ in range(30):
        system = hess + lam[:, None, None] * eye
        ok = np.isfinite(system).all(axis=(1, 2)) & np.isfinite(grad).all(axis=1)
        system[~ok], grad[~ok] = eye, 0.0
        step = np.linalg.solve(system, grad[..., None])[..., 0]
        new = np.clip(xy - step, lo, hi)
        v2, g2, h2 = (np.asarray(a, np.float64) for a in at(new.astype(np.float32)))
        better = ok & np.isfinite(v2) & (v2 <= value)
        xy = np.where(better[:, None], new, xy)
        value, grad = np.where(better, v2, value), np.where(better[:, None], g2, grad)
        hess = np.where(better[:, None, None], h2, hess)
        lam = np.where(better, lam / 3, lam * 4)
    return xy, value
