"""K-FAC for the trainer's CNN: a Kronecker-factored preconditioner as an optax transform.

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

``kfac_gradients`` measures one batch's factors during the forward and
backward pass; ``scale_by_kfac`` is the preconditioner, an optax
``GradientTransformationExtraArgs`` that takes them as the extra argument
``kfac_factors``. Both factors are exponential moving averages (``ema``; the
first step takes the batch statistics as they are). Damping is factored
Tikhonov: with ``π = sqrt((tr A / dim A) / (tr G / dim G))`` the factors
become ``A + π sqrt(λ) I`` and ``G + sqrt(λ)/π I`` (``pi_adjust=False``:
sqrt(λ) on both). Their inverses (via Cholesky) are refreshed every
``inverse_every`` steps. The direction for a gradient matrix V is
``Δ = (A + ·)^-1 V (G + ·)^-1`` (the same as ``(G + ·)^-1 V^T (A + ·)^-1`` in
the outputs x inputs layout), scaled by the KL clip
``ν = min(1, sqrt(κ / (lr² Σ_layers <Δ, V>)))``.

Normalisation parameters (batch/layer norm's per-channel scale and shift,
weight norm's per-filter g; the ``norm{i}`` entries) have no Kronecker
structure; they get a diagonal Fisher: ``D = E_n[(∂ℓ_n/∂θ)²]`` from the same
per-example back-propagation as the G factors (per-example gradients of
scale, shift and g are sums over positions of the tapped output gradient
times x̂, 1 and the unit-filter output), averaged like A and G, and the
direction ``V / (D + λ)``, counted in the KL clip with the rest. (With batch
norm the examples of a batch are coupled through its statistics; the
per-example gradients, here and in G, ignore that coupling.) A weight-norm
layer's direction v is preconditioned with the Kronecker factors of its
effective weight w = g v/||v|| (A from its inputs, G from its output).

``kfac`` chains it with optax's own pieces into the whole method:
``chain(scale_by_kfac, trace(μ), scale_by_learning_rate(lr))``, which is
heavy-ball momentum ``v <- μ v - lr ν Δ``, ``W <- W + v``. The trainer puts
``add_decayed_weights`` and ``clip_by_global_norm`` in front (optim.py), so V
is the decayed, clipped gradient, as for every other optimizer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax

from optviz.errors import OptvizError
from optviz.trainer.model import ModelConfig, apply, patches, tap_zeros

FISHERS = ("true", "empirical")


class KFACFactors(NamedTuple):
    """Kronecker factors per layer: ``A[name]`` (inputs + 1 square), ``G[name]`` (outputs)."""

    A: dict
    G: dict


class KFACState(NamedTuple):
    step: jax.Array
    A: dict
    G: dict
    A_inv: dict
    G_inv: dict
    D: dict | None = None


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
    for name in a_inv:
        v = weight_matrix(grads[name])
        out[name] = unweight_matrix(a_inv[name] @ v @ g_inv[name], grads[name])
    return out


def is_kronecker(layer: dict) -> bool:
    """A layer with a weight matrix (``w`` and ``b``); others (normalisation) are diagonal."""
    return set(layer) == {"w", "b"}


def _check(damping, ema, inverse_every, kl_clip) -> int:
    if not damping > 0:
        raise OptvizError(f"kfac damping must be positive, not {damping}")
    if not 0 <= ema <= 1:
        raise OptvizError(f"kfac ema must be in [0, 1], not {ema}")
    if inverse_every != int(inverse_every) or inverse_every < 1:
        raise OptvizError(f"kfac inverse_every must be a whole number >= 1, not {inverse_every}")
    if kl_clip is not None and not kl_clip > 0:
        raise OptvizError(f"kfac kl_clip must be positive (None turns it off), not {kl_clip}")
    return int(inverse_every)


def scale_by_kfac(
    learning_rate: float = 0.01,
    damping: float = 1e-1,
    ema: float = 0.95,
    inverse_every: int = 10,
    kl_clip: float | None = 1e-3,
    pi_adjust: bool = True,
) -> optax.GradientTransformationExtraArgs:
    """The K-FAC preconditioner: updates V -> ν (A + ·)^-1 V (G + ·)^-1, layer by layer.

    ``update(updates, state, params, *, kfac_factors, kfac_diagonal)`` takes this
    batch's `KFACFactors` and diagonal Fisher (from `kfac_gradients`).
    ``learning_rate`` only sets the KL clip ν (the step it bounds is ``lr ν Δ``);
    scale by it afterwards. Parameters are a dict of layers: ``{"w": (...,
    outputs), "b": (outputs,)}`` (Kronecker-factored) or normalisation
    parameters (any other keys; diagonal, needing ``kfac_diagonal``).
    """
    inverse_every = _check(damping, ema, inverse_every, kl_clip)

    def init_fn(params: dict) -> KFACState:
        a, g, d = {}, {}, {}
        for name, layer in params.items():
            if not is_kronecker(layer):
                d[name] = jax.tree.map(jnp.zeros_like, layer)
                continue
            d_in, d_out = weight_matrix(layer).shape
            a[name], g[name] = jnp.eye(d_in), jnp.eye(d_out)
        return KFACState(jnp.zeros((), jnp.int32), a, g, a, g, d)

    def update_fn(
        updates: dict,
        state: KFACState,
        params: dict | None = None,
        *,
        kfac_factors: KFACFactors | None = None,
        kfac_diagonal: dict | None = None,
        **extra_args: Any,
    ) -> tuple[dict, KFACState]:
        del params, extra_args
        if kfac_factors is None:
            raise ValueError("scale_by_kfac needs this batch's factors: update(..., kfac_factors=)")
        t = state.step
        rho = jnp.minimum(ema, t / (t + 1.0))

        def average(old, new):
            return rho * old + (1 - rho) * new

        a = jax.tree.map(average, state.A, kfac_factors.A)
        g = jax.tree.map(average, state.G, kfac_factors.G)
        d = jax.tree.map(average, state.D or {}, kfac_diagonal or {})

        def refresh(_):
            inv = {n: damped_inverses(a[n], g[n], damping, pi_adjust) for n in a}
            return {n: inv[n][0] for n in a}, {n: inv[n][1] for n in a}

        a_inv, g_inv = lax.cond(
            t % inverse_every == 0, refresh, lambda _: (state.A_inv, state.G_inv), None
        )
        delta = precondition(updates, a_inv, g_inv)
        for name in d:  # normalisation parameters: the damped diagonal Fisher
            delta[name] = jax.tree.map(lambda v, f: v / (f + damping), updates[name], d[name])
        if kl_clip is not None:
            pairs = zip(jax.tree.leaves(delta), jax.tree.leaves(updates), strict=True)
            quad = sum(jnp.vdot(d, v) for d, v in pairs)
            lr2 = learning_rate**2
            nu = jnp.minimum(1.0, jnp.sqrt(kl_clip / jnp.maximum(lr2 * quad, 1e-30)))
            delta = jax.tree.map(lambda d: nu * d, delta)
        return delta, KFACState(t + 1, a, g, a_inv, g_inv, d)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def kfac(
    learning_rate: float = 0.01,
    momentum: float = 0.9,
    damping: float = 1e-1,
    ema: float = 0.95,
    inverse_every: int = 10,
    kl_clip: float | None = 1e-3,
    pi_adjust: bool = True,
) -> optax.GradientTransformationExtraArgs:
    """K-FAC with heavy-ball momentum: the preconditioner chained with optax's momentum and lr."""
    return optax.chain(
        scale_by_kfac(learning_rate, damping, ema, inverse_every, kl_clip, pi_adjust),
        optax.trace(momentum),
        optax.scale_by_learning_rate(learning_rate),
    )


def check_fisher(fisher: str) -> None:
    if fisher not in FISHERS:
        raise OptvizError(f"kfac fisher must be 'true' or 'empirical', not {fisher!r}")


def kfac_gradients(cfg: ModelConfig, fisher: str = "true") -> Callable:
    """``(params, x, y, key, model_state=None) -> ((loss, accuracy), gradient, extra)``.

    ``extra``: ``{"kfac_factors": ..., "kfac_diagonal": ..., "model_state": ...}``
    (the normalisation layers' diagonal Fisher; batch norm's updated running
    statistics, which the trainer keeps and does not hand to the chain).
    One forward pass (training mode) and two backward passes: the gradient of
    the mean cross-entropy, and per-example pre-activation gradients at sampled
    (``fisher="true"``) or true (``"empirical"``) labels for the G factors and
    the normalisation layers' diagonal Fisher.
    """
    check_fisher(fisher)

    def gradients(params, x, y, key, model_state=None):
        n = x.shape[0]
        dropout_key, sample_key = jax.random.split(key)
        use_key = dropout_key if cfg.dropout > 0 else None

        def f(p, taps):
            logits, inputs, new_state = apply(
                p, x, cfg, key=use_key, taps=taps, state=model_state, train=True
            )
            return logits, (inputs, new_state)

        logits, vjp_fn, (inputs, new_state) = jax.vjp(f, params, tap_zeros(cfg, n), has_aux=True)
        probs = jax.nn.softmax(logits)
        onehot = jax.nn.one_hot(y, logits.shape[-1])
        logp = jax.nn.log_softmax(logits)
        loss = -jnp.mean(jnp.sum(onehot * logp, axis=1))
        acc = jnp.mean(jnp.argmax(logits, axis=1) == y)
        grads, _ = vjp_fn((probs - onehot) / n)
        if fisher == "true":
            sampled = jax.random.categorical(sample_key, lax.stop_gradient(logits))
            target = jax.nn.one_hot(sampled, logits.shape[-1])
        else:
            target = onehot
        _, tap_grads = vjp_fn(probs - target)  # per-example gradients
        a_hat, g_hat = {}, {}
        for name, kernel in cfg.kronecker_layers:
            rows = input_matrix(inputs[name], kernel)
            g_rows = tap_grads[name].reshape(-1, tap_grads[name].shape[-1])
            a_hat[name], g_hat[name] = factors(rows, g_rows, n)
        d_hat = norm_fisher(cfg, inputs, tap_grads)
        extra = {"kfac_factors": KFACFactors(a_hat, g_hat), "kfac_diagonal": d_hat}
        extra["model_state"] = new_state
        return (loss, acc), grads, extra

    return gradients


def norm_fisher(cfg: ModelConfig, inputs: dict, tap_grads: dict) -> dict:
    """Diagonal Fisher ``mean_n (∂ℓ_n/∂θ)²`` of each ``norm{i}``'s parameters.

    Batch/layer norm (output ``scale * x̂ + shift``, tapped): per example,
    ∂ℓ/∂shift = Σ_positions g and ∂ℓ/∂scale = Σ_positions g x̂. Weight norm
    (conv output ``g * u + b``, u = the unit filters' output, tapped at the
    conv): ∂ℓ/∂g = Σ_positions g_conv u.
    """
    out = {}
    for name in cfg.norm_layers:
        block = "conv" + name.removeprefix("norm")

        def second_moment(per_position):
            return jnp.mean(jnp.sum(per_position, axis=(1, 2)) ** 2, axis=0)

        if cfg.norm == "weight":
            out[name] = {"g": second_moment(tap_grads[block] * inputs[name])}
        else:
            grad = tap_grads[name]
            out[name] = {
                "scale": second_moment(grad * inputs[name]),
                "shift": second_moment(grad),
            }
    return out
