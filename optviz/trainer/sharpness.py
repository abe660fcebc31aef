"""Sharpness: the largest eigenvalue of the training loss's Hessian at trained weights.

The loss is the mean cross-entropy (no weight-decay penalty, which would add
its coefficient to every eigenvalue) of the model in evaluation mode (no
dropout; batch norm by its running statistics, so the loss is a function of
the weights alone) over a fixed subset: the first ``SUBSET`` training
examples (all of them when there are fewer), the same for every optimizer.

Hessian-vector products are forward-over-reverse (``jax.jvp`` of
``jax.grad``), one jit-compiled program per model. Lanczos with full
reorthogonalisation (in float64 on the host) from a start vector drawn from
``seed`` finds the largest eigenvalue: it stops when the top Ritz pair (θ, u)
has residual ``||H u - θ u|| <= TOL * |θ|`` (then an eigenvalue of H lies
within that distance of θ; the top Ritz value approaches λ_max from below),
or after ``MAX_ITER`` products, and says whether it converged.
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
MAX_ITER = 60  # Hessian-vector products at most


@dataclass(frozen=True)
class Sharpness:
    value: float  # the largest Hessian eigenvalue found (nan if the weights diverged)
    iterations: int  # Hessian-vector products used
    residual: float  # ||H u - θ u|| of the reported pair
    converged: bool
    examples: int

    def record(self) -> dict:
        return {
            "sharpness": self.value,
            "iterations": self.iterations,
            "residual": self.residual,
            "converged": self.converged,
            "examples": self.examples,
            "tol": TOL,
        }


@functools.lru_cache(maxsize=8)
def _hvp(cfg: ModelConfig) -> Callable:
    """Jitted ``(params, tangent, state, x, y) -> H @ tangent`` (pytrees like params)."""

    def loss(params, state, x, y):
        logits, _ = forward(params, x, cfg, state=state)
        return cross_entropy(logits, y)

    @jax.jit
    def hvp(params, tangent, state, x, y):
        grad = jax.grad(loss)
        return jax.jvp(lambda p: grad(p, state, x, y), (params,), (tangent,))[1]

    return hvp


def hessian_matvec(
    params: dict, cfg: ModelConfig, x, y, state: dict | None = None
) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    """``v -> H v`` on flat float64 vectors, and the number of parameters."""
    flat, unravel = ravel_pytree(params)
    hvp = _hvp(cfg.replace(dropout=0.0, init="he"))  # neither changes the evaluated loss
    x, y = jnp.asarray(x), jnp.asarray(y)
    state = state or {}

    def matvec(v: np.ndarray) -> np.ndarray:
        tangent = unravel(jnp.asarray(v, flat.dtype))
        out, _ = ravel_pytree(hvp(params, tangent, state, x, y))
        return np.asarray(out, np.float64)

    return matvec, flat.size


def top_eigenvalue(
    matvec: Callable[[np.ndarray], np.ndarray],
    dim: int,
    *,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
    seed: int = 0,
) -> tuple[float, int, float, bool]:
    """Lanczos for the largest eigenvalue of a symmetric operator: (θ, products, residual, ok)."""
    rng = np.random.default_rng(seed)
    steps = min(max_iter, dim)
    basis = np.zeros((steps + 1, dim))
    q = rng.standard_normal(dim)
    basis[0] = q / np.linalg.norm(q)
    alphas: list[float] = []
    betas: list[float] = []
    theta, residual = math.nan, math.inf
    for j in range(steps):
        interrupt.check()
        w = matvec(basis[j])
        if not np.isfinite(w).all():
            return math.nan, j + 1, math.nan, False
        alphas.append(float(basis[j] @ w))
        w -= alphas[-1] * basis[j]
        if j:
            w -= betas[-1] * basis[j - 1]
        for _ in range(2):  # full reorthogonalisation, twice is enough
            w -= basis[: j + 1].T @ (basis[: j + 1] @ w)
        beta = float(np.linalg.norm(w))
        t = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        values, vectors = np.linalg.eigh(t)
        theta, residual = float(values[-1]), beta * abs(float(vectors[-1, -1]))
        if residual <= tol * max(abs(theta), 1e-12) or j + 1 == dim:
            return theta, j + 1, residual, True
        betas.append(beta)
        basis[j + 1] = w / beta
    return theta, steps, residual, False


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
) -> Sharpness:
    """The largest Hessian eigenvalue of the mean cross-entropy on (x, y) at ``params``."""
    matvec, dim = hessian_matvec(params, cfg, x, y, state)
    value, iterations, residual, converged = top_eigenvalue(
        matvec, dim, tol=tol, max_iter=max_iter, seed=seed
    )
    return Sharpness(value, iterations, residual, converged, len(x))
