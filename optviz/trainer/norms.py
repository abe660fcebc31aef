"""Normalisation of a conv block's output: batch, layer and weight normalisation.

* batch (Ioffe & Szegedy 2015): each channel standardised over the batch and
  positions, then ``scale * x̂ + shift``. Training uses the batch's statistics
  and updates running ones (``mean``, ``var``: exponential moving averages with
  ``BN_MOMENTUM``, the biased batch variance); evaluation uses the running ones.
  They are *model state*, not parameters: no optimizer touches them.
* layer (Ba et al. 2016): each example standardised over all its positions and
  channels, then a per-channel ``scale * x̂ + shift``; the same in training and
  evaluation.
* weight (Salimans & Kingma 2016): the kernel is ``w = g * v / ||v||`` per output
  filter; ``v`` is the layer's ``w`` parameter, ``g`` lives in ``norm{i}``.
  It starts at ``||v||``, so the initial network equals the unnormalised one.

Every function here is pure and works on NHWC arrays.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

NORMS = ("none", "batch", "layer", "weight")
BN_MOMENTUM = 0.9  # running = m * running + (1 - m) * batch: a few dozen steps to settle
EPS = 1e-5


def init_norm(norm: str, kernel: jax.Array) -> dict:
    """The normalisation's own parameters for a conv layer with HWIO ``kernel``."""
    channels = kernel.shape[-1]
    if norm in ("batch", "layer"):
        return {"scale": jnp.ones(channels, jnp.float32), "shift": jnp.zeros(channels, jnp.float32)}
    if norm == "weight":
        return {"g": filter_norms(kernel)}
    return {}


def init_state(norm: str, channels: int) -> dict:
    """Running statistics (batch norm only): mean 0, variance 1."""
    if norm != "batch":
        return {}
    return {"mean": jnp.zeros(channels, jnp.float32), "var": jnp.ones(channels, jnp.float32)}


def filter_norms(kernel: jax.Array) -> jax.Array:
    """||v|| of each output filter of an HWIO kernel (or an (inputs, outputs) matrix)."""
    return jnp.sqrt(jnp.sum(kernel.reshape(-1, kernel.shape[-1]) ** 2, axis=0))


def unit_filters(kernel: jax.Array) -> jax.Array:
    """v / ||v|| per output filter."""
    return kernel / filter_norms(kernel)


def standardise(
    s: jax.Array, norm: str, state: dict | None, train: bool, mask: jax.Array | None = None
) -> tuple[jax.Array, dict | None]:
    """x̂ of a conv output ``s`` for batch or layer norm, and the updated running statistics.

    Batch norm uses the batch's statistics when training or when no running ones
    are given (then nothing is updated), else the running ones. ``mask`` (N,) of
    0/1: the batch's statistics over the examples marked 1 only (a padded batch).
    """
    if norm == "layer":
        mean = jnp.mean(s, axis=(1, 2, 3), keepdims=True)
        var = jnp.var(s, axis=(1, 2, 3), keepdims=True)
        return (s - mean) * jax.lax.rsqrt(var + EPS), state
    if norm != "batch":
        raise ValueError(f"unknown norm {norm!r} to standardise by")
    if train or not state:
        if mask is None:
            mean, var = jnp.mean(s, axis=(0, 1, 2)), jnp.var(s, axis=(0, 1, 2))
        else:
            w = mask.astype(s.dtype)[:, None, None, None]
            count = jnp.sum(w) * s.shape[1] * s.shape[2]
            mean = jnp.sum(s * w, axis=(0, 1, 2)) / count
            var = jnp.sum(jnp.square(s - mean) * w, axis=(0, 1, 2)) / count
        if train and state:
            m = BN_MOMENTUM
            state = {"mean": m * state["mean"] + (1 - m) * mean,
                     "var": m * state["var"] + (1 - m) * var}  # fmt: skip
    else:
        mean, var = state["mean"], state["var"]
    return (s - mean) * jax.lax.rsqrt(var + EPS), state
