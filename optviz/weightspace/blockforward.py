"""The network's forward pass for a block of P weight vectors at once, written out.

The same arithmetic as `optviz.trainer.model.forward` (no dropout) for the
lecture's network (`supports`: two conv blocks, each pooled, no normalisation or
skips), but with the points axis explicit instead of `vmap`ped, so each layer is
laid out for XLA:CPU:

* the first convolution's input is shared by every point: either one product of
  the shared im2col patches with all P kernels, or, on a plane, three maps (the
  plane's origin and two axes) combined per point, ``s = m0 + alpha m1 + beta m2``
  (the weights are affine in the plane coordinates, so the pre-activations are);
* the second convolution is nine shifted, batched products (one per kernel tap)
  accumulated in place, not an im2col copy nine times the size of its input: with
  small data chunks the block's activations stay in cache;
* the dense layers are batched products over the points axis.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from optviz.trainer.model import LAYERS, ModelConfig, activate, patches


def supports(cfg: ModelConfig) -> bool:
    """Whether ``cfg`` is the network written out here: conv-pool-conv-pool, dense, dense,
    no normalisation, no skips (the trainer's default; its other knobs use `model.forward`)."""
    plain = cfg.depth == 2 and cfg.norm == "none" and not cfg.skip
    return (
        plain
        and all(block.pool for block in cfg.blocks)
        and set(LAYERS) == {*cfg.conv_layers, "dense1", "dense2"}
    )


def pool(h: jax.Array, size: int = 2) -> jax.Array:
    """`model.max_pool` over the last three axes (..., H, W, C) of any leading shape."""
    *lead, hh, ww, c = h.shape
    hh, ww = hh // size * size, ww // size * size
    blocks = h[..., :hh, :ww, :].reshape(*lead, hh // size, size, ww // size, size, c)
    return blocks.max(axis=(-4, -2))


def block_conv1(coefs, w: jax.Array, b: jax.Array, x: jax.Array) -> jax.Array:
    """First-layer pre-activations (P, N, H, W, C1) of the shared images x (N, H, W, Cin).

    coefs None: w (P, k, k, Cin, C1), b (P, C1) are the points' own kernels.
    coefs (P, 3): w (3, ...), b (3, C1) are the plane's origin and axes; point p's
    kernel is ``coefs[p] @ (w, b)``, so its maps are ``coefs[p] @ maps``.
    """
    cols = patches(x, w.shape[1])  # (N, H, W, k*k*Cin)
    kernels = w.reshape(w.shape[0], -1, w.shape[-1])
    maps = jnp.einsum("nhwq,pqc->pnhwc", cols, kernels) + b[:, None, None, None, :]
    if coefs is None:
        return maps
    return jnp.einsum("pt,tnhwc->pnhwc", coefs, maps)


def conv_same(h: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """'same' convolution of each point's own images h (P, N, H, W, Cin) with its kernel
    w (P, k, k, Cin, Cout): the sum over kernel taps of shifted batched products."""
    k, hh, ww = w.shape[1], h.shape[2], h.shape[3]
    p = k // 2
    padded = jnp.pad(h, ((0, 0), (0, 0), (p, k - 1 - p), (p, k - 1 - p), (0, 0)))
    taps = [
        jnp.einsum("pnhwi,pio->pnhwo", padded[:, :, i : i + hh, j : j + ww, :], w[:, i, j])
        for i in range(k)
        for j in range(k)
    ]
    return sum(taps[1:], taps[0]) + b[:, None, None, None, :]


def block_nll(params: dict, s1: jax.Array, y: jax.Array, keep: jax.Array, act: str):
    """(P,) summed cross-entropy over the kept examples, from the first layer's
    pre-activations s1 (P, N, H, W, C1); params are the points' weight dicts (leading P)."""
    h = pool(activate(s1, act))
    h = pool(activate(conv_same(h, params["conv2"]["w"], params["conv2"]["b"]), act))
    h = h.reshape(h.shape[0], h.shape[1], -1)
    d1, d2 = params["dense1"], params["dense2"]
    h = activate(jnp.einsum("pnf,pfo->pno", h, d1["w"]) + d1["b"][:, None, :], act)
    logits = jnp.einsum("pnf,pfo->pno", h, d2["w"]) + d2["b"][:, None, :]
    logp = jax.nn.log_softmax(logits)
    labels = jnp.broadcast_to(y[None, :, None], (*logp.shape[:2], 1))
    nll = -jnp.take_along_axis(logp, labels, axis=2)[..., 0]
    return jnp.sum(jnp.where(keep > 0, nll, 0.0), axis=1)
