"""The landscape's written-out block forward pass (`weightspace.blockforward`): its
pool-major layouts against a numpy float64 convolution and pool, and the loss of a block
of points against the trainer's own forward pass, on the digits' 8 x 8 images and on
sizes that take the other branches (an odd map the pool trims, a map too wide for the
row products)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from optviz.trainer.model import config_for, cross_entropy, forward, init_params
from optviz.weightspace import blockforward as bf


def random_points(cfg, n: int, rng) -> dict:
    """n He-scaled weight dicts of ``cfg``'s shapes stacked (leading n), biases non-zero
    (drawn in numpy: no eager JAX initialisation to compile)."""
    shapes = jax.eval_shape(lambda key: init_params(key, cfg), jax.random.PRNGKey(0))

    def draw(leaf):
        std = (2.0 / np.prod(leaf.shape[:-1])) ** 0.5 if leaf.ndim > 1 else 0.1
        return (rng.normal(size=(n, *leaf.shape)) * std).astype(np.float32)

    return jax.tree_util.tree_map(draw, shapes)


def conv_pool_relu64(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Textbook 'same' cross-correlation, bias, ReLU, 2x2 max-pool (trailing row/column
    dropped) in float64: x (N, H, W, Cin), w (k, k, Cin, Cout) -> (N, H//2, W//2, Cout)."""
    n, h, wd, _ = x.shape
    k = w.shape[0]
    p = k // 2
    padded = np.pad(x.astype(np.float64), ((0, 0), (p, k - 1 - p), (p, k - 1 - p), (0, 0)))
    out = np.zeros((n, h, wd, w.shape[-1]))
    for i in range(h):
        for j in range(wd):
            patch = padded[:, i : i + k, j : j + k, :]
            out[:, i, j] = np.einsum("nrsc,rscd->nd", patch, w.astype(np.float64)) + b
    out = np.maximum(out, 0.0)[:, : h // 2 * 2, : wd // 2 * 2]
    return out.reshape(n, h // 2, 2, wd // 2, 2, -1).max(axis=(2, 4))


@pytest.mark.parametrize("side", [4, 5])
def test_the_row_product_is_a_convolution_then_the_pool(side):
    """`conv2_rows` with `rows_kernel`: the kept rows' products, pooled by slices (the pool
    before bias and ReLU), flattened (row, column, channel): the textbook result, also on
    an odd map whose last row and column the pool drops."""
    rng = np.random.default_rng(side)
    h = rng.normal(size=(2, 3, side, side, 5)).astype(np.float32)  # (P, N, H, W, Cin)
    w = rng.normal(size=(2, 3, 3, 5, 4)).astype(np.float32)
    b = rng.normal(size=(2, 4)).astype(np.float32)
    got = jax.jit(lambda h, w, b: bf.conv2_rows(h, bf.rows_kernel(w, side), b, "relu"))(h, w, b)
    for p in range(2):
        expected = conv_pool_relu64(h[p], w[p], b[p]).reshape(3, -1)
        np.testing.assert_allclose(np.asarray(got[p]), expected, rtol=1e-5, atol=1e-5)


def test_the_first_layer_on_a_plane_is_each_points_convolution(side=7):
    """`block_conv1` on a plane (three maps combined per point, pooled as slabs) and with
    each point's own kernels: the textbook convolution of the point's weights (on an odd
    image, whose last row and column the pool drops)."""
    rng = np.random.default_rng(side)
    x = rng.normal(size=(3, side, side, 2)).astype(np.float32)
    basis_w = rng.normal(size=(3, 3, 3, 2, 6)).astype(np.float32)
    basis_b = rng.normal(size=(3, 6)).astype(np.float32)
    coefs = np.array([[1.0, 0.3, -0.7], [1.0, -1.2, 0.4]], np.float32)
    w = np.einsum("pt,tijkc->pijkc", coefs.astype(np.float64), basis_w)
    b = coefs.astype(np.float64) @ basis_b

    def both(c, bw, bb, w, b, x):
        return bf.block_conv1(c, bw, bb, x, "relu"), bf.block_conv1(None, w, b, x, "relu")

    plane, own = jax.jit(both)(
        coefs, basis_w, basis_b, w.astype(np.float32), b.astype(np.float32), x
    )
    for p in range(2):
        expected = conv_pool_relu64(x, w[p], b[p])
        np.testing.assert_allclose(np.asarray(plane[p]), expected, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.asarray(own[p]), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("shape", "rows", "act"),
    [((8, 8), True, "relu"), ((9, 10), True, "sigmoid"), ((8, 14), False, "tanh")],
    ids=["digits", "odd-sigmoid", "taps-7-tanh"],
)
def test_a_blocks_loss_is_the_trainers_loss(shape, rows, act):
    """The whole block (first layer, `prepare`, `block_nll`) at two points: each point's
    summed cross-entropy as the trainer's forward pass gives it; the padded example
    left out. 8 x 8 (digits), 9 x 10 (both pools trim: conv2 on a 4 x 5 map) and 8 x 14
    (conv2 7 wide: the nine-tap products) images; the pools taken before the
    activation, also for sigmoid and tanh."""
    cfg = config_for(shape, activation=act)
    assert bf.supports(cfg) and bf.row_product(cfg) is rows
    rng = np.random.default_rng(shape[1])
    x = rng.uniform(size=(5, *shape, 1)).astype(np.float32)
    y = np.array([3, 1, 4, 1, 5], np.int32)
    keep = np.array([1, 1, 1, 1, 0], np.float32)
    stacked = random_points(cfg, 2, rng)

    def block(params, x, y, keep):
        h1 = bf.block_conv1(None, params["conv1"]["w"], params["conv1"]["b"], x, act)
        got = bf.block_nll(bf.prepare(params, cfg), h1, y, keep, act)
        trainers = jax.vmap(lambda p: cross_entropy(forward(p, x[:4], cfg)[0], y[:4]) * 4)
        return got, trainers(params)

    got, expected = jax.jit(block)(stacked, x, y, keep)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5)
    assert abs(float(got[0]) - float(got[1])) > 1e-3  # two different points


def test_the_flop_count_follows_the_layout():
    """multiply_adds for the digits network, blocks of 8: the plane's three shared maps
    (3 x 9216 / 8) and their combination (3 x 1024), conv2 as four rows of
    (192 x 128) products, the dense layers (128 x 64 + 64 x 10)."""
    cfg = config_for((8, 8))
    expected = 3 * 9216 / 8 + 3 * 1024 + 4 * 192 * 128 + 128 * 64 + 64 * 10
    assert bf.multiply_adds(cfg, 8) == expected
    assert bf.multiply_adds(config_for((8, 14)), 8) > 4 * 7 * 9 * 16 * 32  # nine taps
