"""The CNN's pieces against textbook numpy loops (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optviz.trainer.model import (
    ModelConfig,
    config_for,
    conv2d,
    cross_entropy,
    feature_maps,
    forward,
    init_params,
    max_pool,
)

jit_forward = jax.jit(forward, static_argnums=2)


def conv_loop(x, w, b):
    """'same' cross-correlation by explicit loops: x (N,H,W,C), w (k,k,C,O)."""
    n, h, wd, c = x.shape
    k, o = w.shape[0], w.shape[-1]
    p = k // 2
    xp = np.zeros((n, h + k - 1, wd + k - 1, c))
    xp[:, p : p + h, p : p + wd] = x
    out = np.zeros((n, h, wd, o))
    for i in range(n):
        for r in range(h):
            for s in range(wd):
                for q in range(o):
                    out[i, r, s, q] = np.sum(xp[i, r : r + k, s : s + k, :] * w[..., q]) + b[q]
    return out


def pool_loop(x, size=2):
    n, h, w, c = x.shape
    out = np.zeros((n, h // size, w // size, c))
    for r in range(h // size):
        for s in range(w // size):
            out[:, r, s, :] = x[:, r * size : (r + 1) * size, s * size : (s + 1) * size].max(
                axis=(1, 2)
            )
    return out


@pytest.mark.parametrize("k", [3, 5])
def test_conv_matches_loops(k):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 6, 3))
    w = rng.normal(size=(k, k, 3, 4))
    b = rng.normal(size=4)
    got = jax.jit(conv2d)(
        jnp.asarray(x, jnp.float32), jnp.asarray(w, jnp.float32), jnp.asarray(b, jnp.float32)
    )
    assert got.shape == (2, 5, 6, 4)
    np.testing.assert_allclose(np.asarray(got), conv_loop(x, w, b), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(2, 4, 6, 3), (1, 7, 7, 2)])
def test_max_pool_matches_loops(shape):
    x = np.random.default_rng(1).normal(size=shape)
    got = max_pool(jnp.asarray(x, jnp.float32))
    np.testing.assert_allclose(np.asarray(got), pool_loop(x), rtol=1e-6)


def test_cross_entropy_matches_numpy():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 10)) * 3
    labels = rng.integers(0, 10, 6)
    z = logits - logits.max(axis=1, keepdims=True)
    expected = np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(6), labels])
    got = cross_entropy(jnp.asarray(logits, jnp.float32), jnp.asarray(labels))
    assert float(got) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("shape", [(8, 8), (28, 28)])
def test_forward_and_feature_map_shapes(shape):
    cfg = config_for(shape)
    params = init_params(jax.random.PRNGKey(0), cfg)
    x = jnp.ones((3, *shape, 1))
    logits, inputs = jit_forward(params, x, cfg)
    assert logits.shape == (3, 10)
    assert inputs["dense1"].shape == (3, cfg.flat_features)
    maps = feature_maps(params, x, cfg)
    h, w = shape
    assert maps["conv1"].shape == (3, h, w, cfg.channels[0])
    assert maps["act1"].shape == (3, h, w, cfg.channels[0])
    assert maps["pool1"].shape == (3, h // 2, w // 2, cfg.channels[0])
    assert maps["pool2"].shape == (3, h // 4, w // 4, cfg.channels[1])
    assert float(jnp.min(maps["act1"])) >= 0.0


def test_dropout_only_with_a_key():
    cfg = ModelConfig(dropout=0.5)
    params = init_params(jax.random.PRNGKey(0), cfg)
    x = jax.random.uniform(jax.random.PRNGKey(1), (3, 8, 8, 1))
    clean, _ = jit_forward(params, x, cfg)
    plain, _ = jit_forward(params, x, cfg.replace(dropout=0.0))
    dropped, _ = jit_forward(params, x, cfg, key=jax.random.PRNGKey(2))
    np.testing.assert_array_equal(np.asarray(clean), np.asarray(plain))  # no key: no dropout
    assert not np.allclose(np.asarray(clean), np.asarray(dropped))


@pytest.mark.parametrize("init", ["he", "glorot", "lecun", "normal"])
def test_inits_scale(init):
    cfg = ModelConfig(init=init)
    params = init_params(jax.random.PRNGKey(0), cfg)
    std = float(jnp.std(params["dense1"]["w"]))
    fan_in, fan_out = params["dense1"]["w"].shape
    expected = {
        "he": (2 / fan_in) ** 0.5,
        "glorot": (2 / (fan_in + fan_out)) ** 0.5,
        "lecun": (1 / fan_in) ** 0.5,
        "normal": 0.05,
    }[init]
    assert std == pytest.approx(expected, rel=0.1)
    assert float(jnp.abs(params["dense1"]["b"]).max()) == 0.0
