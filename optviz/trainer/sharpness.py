"""Sharpness and non-convexity: the extreme eigenvalues of the training loss's Hessian.

The loss is the mean cross-entropy (no weight-decay penalty, which would add
its coefficient to every eigenvalue) of the model in evaluation mode (no
dropout; batch norm by its running statistics, so the loss is a function of
the weights alone) over a fixed subset: the first ``SUBSET`` training
examples (all of them when there are fewer), the same for every optimizer.

Hessian-vector products are forward-over-reverse (``jax.jvp`` of
``jax.grad``), one jit-compiled program per model. Lanczos with full
reorthogonalisation (in float64 on the host) from a start vector drawn from
``seed`` builds one Krylov space of H; its tridiagonal's largest and smallest
Ritz values approach λ_max from below and λ_min from above. Each end has its
own residual ``||H u - θ u||`` (an eigenvalue of H lies within it of θ) and
converged flag: the top when its residual is at most ``TOL * |θ_max|``, the
bottom when at most ``MIN_TOL * |θ_min|`` (or ``TOL**2 * |θ_max|``, for a
λ_min that is all but zero). Lanczos stops when both have converged (when
the top has, if the smallest is not asked for: `sharpness(smallest=False)`,
the trainer's default), or after ``MAX_ITER`` products. Li et al. (2018)
measure non-convexity by ``|λ_min / λ_max|``.

Why one run and no second Lanczos on -H (or on a shifted H): from the same
start vector, -H and H - σI span the very same Krylov space, so their Ritz
values are this run's, negated or shifted; a second run would repeat the
products and find nothing new. What λ_min needs is more products: it sits at
the edge of the dense cluster of eigenvalues near zero, not apart from the
rest as λ_max does, so it converges more slowly. On the gallery's depth-20
networks λ_max converged within ~10 products and λ_min within ~35-40 (to
1e-2 relative). The bottom's tolerance is relative to |θ_min|, not to
λ_max: early in the run the smallest Ritz value often sits near zero with a
residual small next to λ_max, yet far from a negative λ_min found later.
As for λ_max, no residual proves that no eigenvalue lies further out (the
start vector may miss one); the flags say the reported pairs are accurate.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from optviz import interrupt
from optviz.trainer.model import ModelConfig, cross_entropy, forward

SUBSET = 1000  # training examples the loss is measured on
TOL = 1e-3  # relative residual of the top Ritz pair
MIN_TOL = 1e-2  # relative residual of the bottom Ritz pair
MAX_ITER = 60  # Hessian-vector products at most


@dataclass(frozen=True)
class Sharpness:
    value: float  # the largest Hessian eigenvalue found (nan if the weights diverged)
    iterations: int  # Hessian-vector products used
    residual: float  # ||H u - θ u|| of the reported top pair
    converged: bool
    examples: int
    min_value: float = math.nan  # the smallest Hessian eigenvalue found
    min_residual: float = math.nan  # ||H u - θ u|| of the reported bottom pair
    min_converged: bool = False
    smallest: bool = True  # whether the smallest was sought (else the min_ fields are nan)

    @property
    def nonconvexity(self) -> float:
        """Li et al.'s |λ_min / λ_max| (nan when either is unknown)."""
        if not (math.isfinite(self.value) and math.isfinite(self.min_value)) or not self.value:
            return math.nan
        return abs(self.min_value / self.value)

    def record(self) -> dict:
        top = {
            "sharpness": self.value,
            "iterations": self.iterations,
            "residual": self.residual,
            "converged": self.converged,
        }
        bottom = {
            "min_eigenvalue": self.min_value,
            "min_residual": self.min_residual,
            "min_converged": self.min_converged,
            "nonconvexity": self.nonconvexity,
        }
        tols = {"tol": TOL, "min_tol": MIN_TOL} if self.smallest else {"tol": TOL}
        return {**top, **(bottom if self.smallest else {}), "examples": self.examples, **tols}


@dataclass(frozen=True)
class Extremes:
    """Both ends of one Lanczos run: (θ, residual, converged) at the top and bottom."""

    top: float
    top_residual: float
    top_converged: bool
    bottom: float
    bottom_residual: float
    bottom_converged: bool
    products: int


@functools.lru_cache(maxsize=8)
def _linearise(cfg: ModelConfig) -> Callable:
    """Jitted ``(params, state, x, y) -> (v -> H v)`` on flat vectors like params'.

    The gradient is linearised once (``jax.linearize``: forward and backward pass
    done, what the tangent pass needs kept), so each product costs the tangent pass
    alone; the returned function is a ``jax.tree_util.Partial`` holding those
    arrays, applied by `_apply` in one compiled call."""

    def loss(params, state, x, y):
        logits, _ = forward(params, x, cfg, state=state)
        return cross_entropy(logits, y)

    @jax.jit
    def linearise(params, state, x, y):
        flat, unravel = ravel_pytree(params)

        def flat_grad(v):
            return ravel_pytree(jax.grad(loss)(unravel(v), state, x, y))[0]

        return jax.linearize(flat_grad, flat)[1]

    return linearise


@jax.jit
def _apply(linear: Callable, v: jax.Array) -> jax.Array:
    return linear(v)


def hessian_matvec(
    params: dict, cfg: ModelConfig, x, y, state: dict | None = None
) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    """``v -> H v`` on flat float64 vectors, and the number of parameters."""
    flat, _ = ravel_pytree(params)
    linearise = _linearise(cfg.replace(dropout=0.0, init="he"))  # neither changes the loss
    linear = linearise(params, state or {}, jnp.asarray(x), jnp.asarray(y))

    def matvec(v: np.ndarray) -> np.ndarray:
        return np.asarray(_apply(linear, jnp.asarray(v, flat.dtype)), np.float64)

    return matvec, flat.size


def extreme_eigenvalues(
    matvec: Callable[[np.ndarray], np.ndarray],
    dim: int,
    *,
    tol: float = TOL,
    min_tol: float = MIN_TOL,
    max_iter: int = MAX_ITER,
    seed: int = 0,
    smallest: bool = True,
) -> Extremes:
    """Lanczos for the largest and smallest eigenvalues of a symmetric operator; smallest
    False: it stops once the largest has converged (the smallest then as it stands)."""
    rng = np.random.default_rng(seed)
    steps = min(max_iter, dim)
    basis = np.zeros((steps + 1, dim))
    q = rng.standard_normal(dim)
    basis[0] = q / np.linalg.norm(q)
    alphas: list[float] = []
    betas: list[float] = []
    nan = math.nan
    found = Extremes(nan, math.inf, False, nan, math.inf, False, 0)
    for j in range(steps):
        interrupt.check()
        w = matvec(basis[j])
        if not np.isfinite(w).all():
            return Extremes(nan, nan, False, nan, nan, False, j + 1)
        alphas.append(float(basis[j] @ w))
        w -= alphas[-1] * basis[j]
        if j:
            w -= betas[-1] * basis[j - 1]
        for _ in range(2):  # full reorthogonalisation, twice is enough
            w -= basis[: j + 1].T @ (basis[: j + 1] @ w)
        beta = float(np.linalg.norm(w))
        t = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        values, vectors = np.linalg.eigh(t)
        top, bottom = float(values[-1]), float(values[0])
        r_top, r_bottom = beta * abs(float(vectors[-1, -1])), beta * abs(float(vectors[-1, 0]))
        whole = j + 1 == dim  # the Krylov space is the whole space: exact
        found = Extremes(
            top, r_top, whole or r_top <= tol * max(abs(top), 1e-12),
            bottom, r_bottom,
            whole or r_bottom <= max(min_tol * abs(bottom), tol * tol * abs(top), 1e-12),
            j + 1,
        )  # fmt: skip
        if found.top_converged and (found.bottom_converged or not smallest):
            return found
        betas.append(beta)
        basis[j + 1] = w / beta
    return found


def sharpness(
    params: dict,
    cfg: ModelConfig,
    x,
    y,
    *,
    state: dict | None = None,
    seed: int = 0,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
    smallest: bool = True,
) -> Sharpness:
    """The largest Hessian eigenvalue of the mean cross-entropy on (x, y) at ``params``
    and, if ``smallest``, the smallest (which takes 3-5 times the products)."""
    matvec, dim = hessian_matvec(params, cfg, x, y, state)
    e = extreme_eigenvalues(matvec, dim, tol=tol, max_iter=max_iter, seed=seed, smallest=smallest)
    if not smallest:
        return Sharpness(e.top, e.products, e.top_residual, e.top_converged, len(x),
                         smallest=False)  # fmt: skip
    return Sharpness(e.top, e.products, e.top_residual, e.top_converged, len(x),
                     e.bottom, e.bottom_residual, e.bottom_converged)  # fmt: skip
