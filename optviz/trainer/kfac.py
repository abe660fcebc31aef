"""K-FAC for the trainer's CNN: Kronecker-factored natural-gradient steps.

For every layer with weights W (inputs x outputs, bias as an extra input row)
the Fisher block is approximated by a Kronecker product A ⊗ G (Martens &
Grosse 2015; for convolutions Grosse & Martens 2016, "KFC"):

* A: second moment of the layer's input with a homogeneous 1 appended for
  the bias. Dense: ``E_n[a a^T]``. Conv: the inputs are the k x k x C patches
  at every output position t, and ``A = E_n[Σ_t a_t a_t^T]`` (summed over
  the positions, averaged over the examples).
* G: second moment of the gradient of the loss with respect to the layer's
  pre-activation output. Dense: ``E_n[g g^T]``. Conv: ``G = E_n[(1/T) Σ_t g_t g_t^T]``
  (averaged over the T positions). The gradients are per-example gradients of
  ``-log p(y|x)`` at labels ``y`` *sampled from the model's predictive
  distribution* (``fisher="true"``, an unbiased Fisher estimate) or at the true
  labels (``fisher="empirical"``).

Both factors are exponential moving averages (``ema``; the first step takes
the batch statistics as they are). Damping is factored Tikhonov: with
``π = sqrt((tr A / dim A) / (tr G / dim G))`` the factors become
``A + π sqrt(λ) I`` and ``G + sqrt(λ)/π I`` (``pi_adjust=False``: sqrt(λ) on
both). Their inverses (via Cholesky) are refreshed every ``inverse_every`` steps.
The step for a gradient matrix V is ``Δ = (A + ·)^-1 V (G + ·)^-1`` (the same
as ``(G + ·)^-1 V^T (A + ·)^-1`` in the outputs x inputs layout), scaled by
the KL clip ``ν = min(1, sqrt(κ / (lr² Σ_layers <Δ, V>)))``, then heavy-ball
momentum: ``v <- μ v - lr ν Δ``, ``W <- W + v``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from optviz.trainer.model import CONV_LAYERS, LAYERS, ModelConfig, forward, patches, tap_zeros


class KFACState(NamedTuple):
    step: jax.Array
    A: dict
    G: dict
    A_inv: dict
    G_inv: dict
    velocity: dict


def input_matrix(layer_input: jax.Array, kernel: int | None) -> jax.Array:
    """Rows of layer inputs with a trailing 1: (N, d+1) dense, (N*T, k*k*C+1) conv patches."""
    if kernel is None:
        rows = layer_input
    else:
        rows = patches(layer_input, kernel)
        rows = rows.reshape(-1, rows.shape[-1])
    return jnp.concatenate([rows, jnp.ones((rows.shape[0], 1), rows.dtype)], axis=1)


def weight_matrix(layer: dict) -> jax.Array:
    """A layer's (w, b) as one (inputs + 1, outputs) matrix; conv HWIO -> (k*k*C + 1, O)."""
    w = layer["w"]
    return jnp.concatenate([w.reshape(-1, w.shape[-1]), layer["b"][None, :]], axis=0)


def unweight_matrix(matrix: jax.Array, like: dict) -> dict:
    """Inverse of ``weight_matrix``: back to a {"w", "b"} dict shaped like ``like``."""
    return {"w": matrix[:-1].reshape(like["w"].shape), "b": matrix[-1]}


def factors(rows: jax.Array, grads: jax.Array, n_examples: int) -> tuple[jax.Array, jax.Array]:
    """(A, G) of one layer from input rows (M, d+1) and pre-activation gradient rows (M, o).

    M = N * T rows for N examples at T positions (T = 1 for dense layers):
    ``A = Σ rows rows^T / N`` and ``G = Σ grads grads^T / M``.
    """
    a = rows.T @ rows / n_examples
    g = grads.T @ grads / grads.shape[0]
    return a, g


def damped_inverses(a, g, damping: float, pi_adjust: bool = True):
    """Inverses of the Tikhonov-damped factors (A + π√λ I)^-1, (G + √λ/π I)^-1, and π."""
    da, dg = a.shape[0], g.shape[0]
    if pi_adjust:
        pi = jnp.sqrt((jnp.trace(a) / da) / jnp.maximum(jnp.trace(g) / dg, 1e-30))
        pi = jnp.clip(jnp.nan_to_num(pi, nan=1.0), 1e-4, 1e4)
    else:
        pi = jnp.asarray(1.0, a.dtype)
    root = jnp.sqrt(damping)
    return _spd_inverse(a + pi * root * jnp.eye(da)), _spd_inverse(g + root / pi * jnp.eye(dg)), pi


def _spd_inverse(m: jax.Array) -> jax.Array:
    """Inverse of a symmetric positive definite matrix: M = L L^T, M^-1 = L^-T L^-1.

    (One triangular solve against I; on XLA:CPU this is far faster than cho_solve.)
    """
    chol = jnp.linalg.cholesky((m + m.T) / 2)
    chol_inv = jax.scipy.linalg.solve_triangular(
        chol, jnp.eye(m.shape[0], dtype=m.dtype), lower=True
    )
    return chol_inv.T @ chol_inv


def precondition(grads: dict, a_inv: dict, g_inv: dict) -> dict:
    """Per layer: A^-1 V G^-1 on the (inputs + 1, outputs) gradient matrix V."""
    out = {}
    for name in LAYERS:
        v = weight_matrix(grads[name])
        out[name] = unweight_matrix(a_inv[name] @ v @ g_inv[name], grads[name])
    return out


@dataclass(frozen=True)
class KFAC:
    """K-FAC for the trainer's CNN, as an (init, step) pair of pure functions.

    ``step(params, state, x, y, key)`` does the forward and backward pass itself
    (it needs the layer inputs and pre-activation gradients, not only the
    gradient), so it takes the batch rather than a gradient.
    """

    cfg: ModelConfig
    learning_rate: float = 0.01
    momentum: float = 0.9
    damping: float = 1e-1
    ema: float = 0.95
    inverse_every: int = 10
    kl_clip: float | None = 1e-3
    fisher: str = "true"
    pi_adjust: bool = True
    weight_decay: float = 0.0
    clip: float | None = None

    def __post_init__(self):
        if self.fisher not in ("true", "empirical"):
            raise ValueError(f"fisher must be 'true' or 'empirical', not {self.fisher!r}")
        if self.inverse_every < 1:
            raise ValueError("inverse_every must be at least 1")

    def _kernel(self, name: str) -> int | None:
        return self.cfg.kernel if name in CONV_LAYERS else None

    def init(self, params: dict) -> KFACState:
        a, g = {}, {}
        for name in LAYERS:
            d_in, d_out = weight_matrix(params[name]).shape
            a[name], g[name] = jnp.eye(d_in), jnp.eye(d_out)
        velocity = jax.tree.map(jnp.zeros_like, params)
        return KFACState(jnp.zeros((), jnp.int32), a, g, a, g, velocity)

    def statistics(self, params, x, y, key) -> tuple:
        """Loss, accuracy, gradient, and this batch's (A, G) factors per layer."""
        n = x.shape[0]
        dropout_key, sample_key = jax.random.split(key)
        use_key = dropout_key if self.cfg.dropout > 0 else None

        def f(p, taps):
            return forward(p, x, self.cfg, key=use_key, taps=taps)

        logits, vjp_fn, inputs = jax.vjp(f, params, tap_zeros(self.cfg, n), has_aux=True)
        probs = jax.nn.softmax(logits)
        onehot = jax.nn.one_hot(y, logits.shape[-1])
        logp = jax.nn.log_softmax(logits)
        loss = -jnp.mean(jnp.sum(onehot * logp, axis=1))
        acc = jnp.mean(jnp.argmax(logits, axis=1) == y)
        grads, _ = vjp_fn((probs - onehot) / n)
        if self.fisher == "true":
            sampled = jax.random.categorical(sample_key, lax.stop_gradient(logits))
            target = jax.nn.one_hot(sampled, logits.shape[-1])
        else:
            target = onehot
        _, tap_grads = vjp_fn(probs - target)  # per-example gradients
        a_hat, g_hat = {}, {}
        for name in LAYERS:
            rows = input_matrix(inputs[name], self._kernel(name))
            g_rows = tap_grads[name].reshape(-1, tap_grads[name].shape[-1])
            a_hat[name], g_hat[name] = factors(rows, g_rows, n)
        return loss, acc, grads, a_hat, g_hat

    def step(self, params, state: KFACState, x, y, key):
        loss, acc, grads, a_hat, g_hat = self.statistics(params, x, y, key)
        t = state.step
        rho = jnp.minimum(self.ema, t / (t + 1.0))
        a = jax.tree.map(lambda old, new: rho * old + (1 - rho) * new, state.A, a_hat)
        g = jax.tree.map(lambda old, new: rho * old + (1 - rho) * new, state.G, g_hat)

        def refresh(_):
            inv = {n: damped_inverses(a[n], g[n], self.damping, self.pi_adjust) for n in LAYERS}
            return {n: inv[n][0] for n in LAYERS}, {n: inv[n][1] for n in LAYERS}

        a_inv, g_inv = lax.cond(
            t % self.inverse_every == 0, refresh, lambda _: (state.A_inv, state.G_inv), None
        )
        if self.weight_decay:
            grads = jax.tree.map(lambda gr, p: gr + self.weight_decay * p, grads, params)
        if self.clip is not None:
            norm = jnp.sqrt(sum(jnp.sum(v**2) for v in jax.tree.leaves(grads)))
            grads = jax.tree.map(lambda v: v * jnp.minimum(1.0, self.clip / (norm + 1e-12)), grads)
        delta = precondition(grads, a_inv, g_inv)
        lr = self.learning_rate
        if self.kl_clip is not None:
            pairs = zip(jax.tree.leaves(delta), jax.tree.leaves(grads), strict=True)
            quad = sum(jnp.vdot(d, v) for d, v in pairs)
            nu = jnp.minimum(1.0, jnp.sqrt(self.kl_clip / jnp.maximum(lr**2 * quad, 1e-30)))
        else:
            nu = 1.0
        velocity = jax.tree.map(lambda v, d: self.momentum * v - lr * nu * d, state.velocity, delta)
        params = jax.tree.map(jnp.add, params, velocity)
        return params, KFACState(t + 1, a, g, a_inv, g_inv, velocity), loss, acc
