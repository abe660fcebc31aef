"""The network's forward pass for a block of P weight vectors at once, written out.

The same arithmetic as `optviz.trainer.model.forward` (no dropout) for the
lecture's network (`supports`: two conv blocks, each pooled, no normalisation or
skips), up to float32 rounding, but with the points axis explicit instead of
`vmap`ped and each layer laid out for XLA:CPU, where small element-wise passes cost
as much as the products (bench/README.md, "Landscape grid"):

* every convolution's outputs are ordered pool-major: the four pixels a 2x2
  max-pool compares are four slabs (or halves, or neighbouring rows), so the pool
  is a maximum of slices fused with the activation, not a reduction over a reshape;
* the pool comes before the bias and the activation: ``act(max(s) + b)`` equals
  ``max(act(s + b))`` bit for bit for ReLU (rounding and ReLU are monotone), up
  to their own rounding for sigmoid and tanh, on a quarter of the elements;
* the first convolution's input is shared by every point: im2col patches of the
  images times all P kernels, or, on a plane, three maps (the plane's origin and
  two axes) combined per point, ``s = m0 + alpha m1 + beta m2`` (the weights are
  affine in the plane coordinates, so the pre-activations are);
* the second convolution, on a narrow map (at most ROW_PRODUCT_WIDTH columns), is
  ONE batched product per point: each output row from the three padded input rows
  around it (``rows_kernel``: the kernel's taps and the row's 'same' padding laid
  into a (3 W Cin, W Cout) matrix), 4/3 of the convolution's multiply-adds for a
  4-wide map, no im2col copy nine times the input; wider maps (MNIST) use nine
  shifted products accumulated in place (`conv_same`);
* the dense layers are batched products over the points axis, and the loss is
  ``logsumexp - logit of the label``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from optviz.trainer.model import LAYERS, ModelConfig, activate

ROW_PRODUCT_WIDTH = 6  # widest map whose conv runs as rows_kernel products (<= 2x the work)


def supports(cfg: ModelConfig) -> bool:
    """Whether ``cfg`` is the network written out here: conv-pool-conv-pool, dense, dense,
    no normalisation, no skips (the trainer's default; its other knobs use `model.forward`)."""
    plain = cfg.depth == 2 and cfg.norm == "none" and not cfg.skip
    return (
        plain
        and all(block.pool for block in cfg.blocks)
        and set(LAYERS) == {*cfg.conv_layers, "dense1", "dense2"}
    )


def row_product(cfg: ModelConfig) -> bool:
    """Whether the second convolution runs as one row product (`rows_kernel`)."""
    return cfg.blocks[1].side[1] <= ROW_PRODUCT_WIDTH


def pooled_patches(x: jax.Array, kernel: int) -> jax.Array:
    """im2col of 'same'-padded images x (..., H, W, C), only the pixels a 2x2 pool keeps,
    pool-major: (..., 4, H//2 * W//2, k*k*C), slab (di, dj) holding the output pixels
    (2 i + di, 2 j + dj) in row-major order, features ordered like a reshaped HWIO kernel."""
    *lead, h, w, _ = x.shape
    p, hh, ww = kernel // 2, h // 2, w // 2
    pad = [(0, 0)] * len(lead) + [(p, kernel - 1 - p), (p, kernel - 1 - p), (0, 0)]
    padded = jnp.pad(x, pad)
    slabs = []
    for di in range(2):
        for dj in range(2):
            taps = [
                padded[..., di + r : di + r + 2 * hh - 1 : 2, dj + s : dj + s + 2 * ww - 1 : 2, :]
                for r in range(kernel)
                for s in range(kernel)
            ]
            slabs.append(jnp.concatenate(taps, axis=-1).reshape(*lead, hh * ww, -1))
    return jnp.stack(slabs, axis=len(lead))


def pool_slabs(s: jax.Array, axis: int) -> jax.Array:
    """Max over the four pool-major slabs along ``axis`` (which then disappears)."""
    a, b, c, d = (jnp.take(s, i, axis=axis) for i in range(4))
    return jnp.maximum(jnp.maximum(a, b), jnp.maximum(c, d))


def block_conv1(coefs, w: jax.Array, b: jax.Array, x: jax.Array, act: str) -> jax.Array:
    """The first block's pooled activations (P, N, H//2, W//2, C1) of the shared images
    x (N, H, W, Cin).

    coefs None: w (P, k, k, Cin, C1), b (P, C1) are the points' own kernels.
    coefs (P, 3): w (3, ...), b (3, C1) are the plane's origin and axes; point p's
    kernel is ``coefs[p] @ (w, b)``, so its pre-activations are ``coefs[p] @ maps``.
    """
    n, h, wd = x.shape[0], x.shape[1] // 2, x.shape[2] // 2
    cols = pooled_patches(x, w.shape[1])  # (N, 4, h*wd, k*k*Cin)
    kernels = w.reshape(w.shape[0], -1, w.shape[-1])
    if coefs is None:
        s = jnp.einsum("nsqk,pkc->pnsqc", cols, kernels)
        pooled = pool_slabs(s, axis=2) + b[:, None, None, :]
    else:  # the bias is in the maps: combined per point like the kernels
        maps = jnp.einsum("nsqk,tkc->tnsqc", cols, kernels) + b[:, None, None, None, :]
        pooled = pool_slabs(jnp.einsum("pt,tnsqc->pnsqc", coefs, maps), axis=2)
    return activate(pooled, act).reshape(pooled.shape[0], n, h, wd, -1)


def rows_kernel(w: jax.Array, width: int) -> jax.Array:
    """Kernels w (P, k, k, Cin, Cout) as (P, k * width * Cin, 2 * (width // 2) * Cout): one
    output row of a 'same' convolution from the k padded input rows around it (the
    columns' padding as zeros), output columns ordered (dj, j, Cout) for pixel 2 j + dj:
    the pool over columns is the maximum of the two halves."""
    k, cin, cout = w.shape[1], w.shape[3], w.shape[4]
    outs = [2 * j + dj for dj in range(2) for j in range(width // 2)]
    taps = np.zeros((k, width, len(outs)), np.float32)  # column tap s: input j -> output o
    for o, col in enumerate(outs):
        for s in range(k):
            if 0 <= col + s - k // 2 < width:
                taps[s, col + s - k // 2, o] = 1.0
    t = jnp.einsum("sjo,prscd->prjcod", jnp.asarray(taps), w)
    return t.reshape(w.shape[0], k * width * cin, len(outs) * cout)


def conv2_rows(h: jax.Array, kernel: jax.Array, b: jax.Array, act: str) -> jax.Array:
    """Pooled activations (P, N, H//2 * W//2 * Cout), flattened (row, column, channel) as
    the trainer flattens, of each point's 'same' convolution of h (P, N, H, W, Cin) with
    kernel = `rows_kernel` (P, k * W * Cin, ...) of its weights."""
    pts, n, hh, ww, cin = h.shape
    k = kernel.shape[1] // (ww * cin)
    p = k // 2
    rows = jnp.pad(h.reshape(pts, n, hh, ww * cin), ((0, 0), (0, 0), (p, k - 1 - p), (0, 0)))
    kept = 2 * (hh // 2)  # the output rows the pool keeps
    cols = jnp.concatenate([rows[:, :, r : r + kept] for r in range(k)], axis=-1)
    s = jnp.einsum("pnrk,pko->pnro", cols, kernel)  # (P, N, kept, 2 * half)
    s = jnp.maximum(s[:, :, 0::2], s[:, :, 1::2])  # pool over row pairs
    half = s.shape[-1] // 2
    s = jnp.maximum(s[..., :half], s[..., half:])  # ... and over column pairs
    s = s.reshape(pts, n, hh // 2, ww // 2, -1) + b[:, None, None, None, :]
    return activate(s, act).reshape(pts, n, -1)


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


def pool(h: jax.Array, size: int = 2) -> jax.Array:
    """`model.max_pool` over the last three axes (..., H, W, C) of any leading shape."""
    *lead, hh, ww, c = h.shape
    hh, ww = hh // size * size, ww // size * size
    blocks = h[..., :hh, :ww, :].reshape(*lead, hh // size, size, ww // size, size, c)
    return blocks.max(axis=(-4, -2))


def prepare(params: dict, cfg: ModelConfig) -> dict:
    """The points' weights as the block forward pass uses them (made once per block, outside
    the loop over data chunks): the second convolution's `rows_kernel` if it has one."""
    if not row_product(cfg):
        return params
    conv2 = params["conv2"]
    rows = rows_kernel(conv2["w"], cfg.blocks[1].side[1])
    return {**params, "conv2": {"rows": rows, "b": conv2["b"]}}


def block_nll(params: dict, h1: jax.Array, y: jax.Array, keep: jax.Array, act: str):
    """(P,) summed cross-entropy over the kept examples, from the first block's pooled
    activations h1 (P, N, H, W, C1); params are the points' weight dicts (leading P),
    through `prepare`."""
    conv2, b2 = params["conv2"], params["conv2"]["b"]
    if "rows" in conv2:
        h = conv2_rows(h1, conv2["rows"], b2, act)
    else:
        h = pool(activate(conv_same(h1, conv2["w"], b2), act))
        h = h.reshape(h.shape[0], h.shape[1], -1)
    d1, d2 = params["dense1"], params["dense2"]
    h = activate(jnp.einsum("pnf,pfo->pno", h, d1["w"]) + d1["b"][:, None, :], act)
    logits = jnp.einsum("pnf,pfo->pno", h, d2["w"]) + d2["b"][:, None, :]
    label = y[None, :, None] == jnp.arange(logits.shape[-1])
    nll = jax.nn.logsumexp(logits, axis=-1) - jnp.sum(jnp.where(label, logits, 0.0), axis=-1)
    return jnp.sum(jnp.where(keep > 0, nll, 0.0), axis=1)


def multiply_adds(cfg: ModelConfig, points: int) -> float:
    """Multiply-adds a point costs per example in this layout (blocks of ``points`` on a
    plane), for honest FLOP counts: the plane's three first-layer maps shared by the
    block plus the per-point combination, the second convolution as `conv2_rows` (or
    nine taps), the dense layers."""
    first, second = cfg.blocks
    (h, w), (h2, w2) = first.side, second.side
    k2 = cfg.kernel**2
    kept = (h // 2) * (w // 2) * first.channels  # pooled outputs of layer 1, x4 combined
    conv1 = 3 * h * w * k2 * first.in_channels * first.channels / points + 3 * 4 * kept
    if row_product(cfg):
        inner, outs = cfg.kernel * w2 * second.in_channels, 2 * (w2 // 2) * second.channels
        conv2 = 2 * (h2 // 2) * inner * outs  # the kept rows' products
    else:
        conv2 = h2 * w2 * k2 * second.in_channels * second.channels
    dense = cfg.flat_features * cfg.hidden + cfg.hidden * cfg.n_classes
    return float(conv1 + conv2 + dense)
