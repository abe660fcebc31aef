"""The lecture's small CNN as pure functions over a parameter dict.

conv -> activation -> max-pool -> conv -> activation -> max-pool -> flatten
-> dense -> activation -> dropout -> dense -> softmax cross-entropy.

Parameters are a plain dict ``{layer: {"w": ..., "b": ...}}`` with convolution
kernels in HWIO layout and dense weights as (inputs, outputs) matrices, so any
optax optimizer (and our K-FAC) can walk them as a pytree.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp

LAYERS = ("conv1", "conv2", "dense1", "dense2")
CONV_LAYERS = ("conv1", "conv2")
ACTIVATIONS = ("relu", "sigmoid", "tanh")
INITS = ("he", "glorot", "lecun", "normal")


@dataclass(frozen=True)
class ModelConfig:
    """Shape and knobs of the network (a pure description: hashable, static under jit)."""

    image_shape: tuple[int, int] = (8, 8)
    in_channels: int = 1
    channels: tuple[int, int] = (16, 32)
    kernel: int = 3
    hidden: int = 64
    n_classes: int = 10
    activation: str = "relu"
    dropout: float = 0.0
    init: str = "he"

    def replace(self, **changes) -> ModelConfig:
        return dataclasses.replace(self, **changes)

    @property
    def flat_features(self) -> int:
        h, w = self.image_shape
        return (h // 4) * (w // 4) * self.channels[1]


def config_for(image_shape: tuple[int, int], **knobs) -> ModelConfig:
    """Default sizes: small for 8x8 digits, a little wider for 28x28 MNIST."""
    if max(image_shape) <= 16:
        return ModelConfig(image_shape=tuple(image_shape), **knobs)
    return ModelConfig(image_shape=tuple(image_shape), channels=(16, 32), hidden=128, **knobs)


def _std(init: str, fan_in: int, fan_out: int) -> float:
    if init == "he":
        return (2.0 / fan_in) ** 0.5
    if init == "glorot":
        return (2.0 / (fan_in + fan_out)) ** 0.5
    if init == "lecun":
        return (1.0 / fan_in) ** 0.5
    if init == "normal":
        return 0.05
    raise ValueError(f"unknown init {init!r}; choose from: {', '.join(INITS)}")


def init_params(key: jax.Array, cfg: ModelConfig) -> dict:
    """Weights drawn from a normal with the scheme's standard deviation; biases zero."""
    k = cfg.kernel
    c1, c2 = cfg.channels
    shapes = {
        "conv1": ((k, k, cfg.in_channels, c1), k * k * cfg.in_channels, k * k * c1),
        "conv2": ((k, k, c1, c2), k * k * c1, k * k * c2),
        "dense1": ((cfg.flat_features, cfg.hidden), cfg.flat_features, cfg.hidden),
        "dense2": ((cfg.hidden, cfg.n_classes), cfg.hidden, cfg.n_classes),
    }
    stds = [_std(cfg.init, fan_in, fan_out) for _, fan_in, fan_out in shapes.values()]
    kernels = tuple(shape for shape, _, _ in shapes.values())
    return _draw(key, kernels, jnp.asarray(stds, jnp.float32))


@partial(jax.jit, static_argnums=1)
def _draw(key: jax.Array, shapes: tuple, stds: jax.Array) -> dict:
    """One compile per set of shapes: the init scheme and the activation are not baked in.

    Each kernel is drawn as a flat vector and reshaped: the same numbers as a
    shaped draw, and several times faster to compile on XLA:CPU.
    """
    params = {}
    keys = jax.random.split(key, len(LAYERS))
    for i, (name, shape) in enumerate(zip(LAYERS, shapes, strict=True)):
        flat = jax.random.normal(keys[i], (math.prod(shape),), jnp.float32)
        params[name] = {
            "w": stds[i] * flat.reshape(shape),
            "b": jnp.zeros(shape[-1], jnp.float32),
        }
    return params


def activate(x: jax.Array, name: str) -> jax.Array:
    if name == "relu":
        return jax.nn.relu(x)
    if name == "sigmoid":
        return jax.nn.sigmoid(x)
    if name == "tanh":
        return jnp.tanh(x)
    raise ValueError(f"unknown activation {name!r}; choose from: {', '.join(ACTIVATIONS)}")


def patches(x: jax.Array, kernel: int) -> jax.Array:
    """im2col: every k x k neighbourhood of a 'same'-padded NHWC image, flattened.

    Output (N, H, W, k*k*C), features ordered (row, column, channel) like a
    reshaped HWIO kernel, so a convolution is one matrix product.
    """
    _, h, w, _ = x.shape
    p = kernel // 2
    padded = jnp.pad(x, ((0, 0), (p, kernel - 1 - p), (p, kernel - 1 - p), (0, 0)))
    cols = [padded[:, i : i + h, j : j + w, :] for i in range(kernel) for j in range(kernel)]
    return jnp.concatenate(cols, axis=-1)


def conv2d(x: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """Stride-1, 'same'-padded convolution (cross-correlation) of NHWC images, HWIO kernel."""
    return patches(x, w.shape[0]) @ w.reshape(-1, w.shape[-1]) + b


def max_pool(x: jax.Array, size: int = 2) -> jax.Array:
    """Non-overlapping size x size max-pooling; trailing rows/columns that don't fit drop."""
    n, h, w, c = x.shape
    h, w = h // size * size, w // size * size
    blocks = x[:, :h, :w, :].reshape(n, h // size, size, w // size, size, c)
    return blocks.max(axis=(2, 4))


def forward(
    params: dict,
    x: jax.Array,
    cfg: ModelConfig,
    *,
    key: jax.Array | None = None,
    taps: dict | None = None,
) -> tuple[jax.Array, dict]:
    """Logits for a batch of NHWC images, and each layer's input (for K-FAC).

    ``key`` turns dropout on (training); ``taps`` are zeros added to each layer's
    pre-activation output, so the gradient with respect to a tap is the gradient
    with respect to that pre-activation (how K-FAC reads its G statistics).
    """
    taps = taps if taps is not None else {}
    inputs = {}

    def tap(name, s):
        return s + taps[name] if name in taps else s

    h = x
    for name in CONV_LAYERS:
        inputs[name] = h
        s = tap(name, conv2d(h, params[name]["w"], params[name]["b"]))
        h = max_pool(activate(s, cfg.activation))
    h = h.reshape(h.shape[0], -1)
    inputs["dense1"] = h
    h = activate(tap("dense1", h @ params["dense1"]["w"] + params["dense1"]["b"]), cfg.activation)
    if key is not None and cfg.dropout > 0:
        keep = jax.random.bernoulli(key, 1.0 - cfg.dropout, h.shape)
        h = jnp.where(keep, h / (1.0 - cfg.dropout), 0.0)
    inputs["dense2"] = h
    logits = tap("dense2", h @ params["dense2"]["w"] + params["dense2"]["b"])
    return logits, inputs


def tap_zeros(cfg: ModelConfig, batch: int) -> dict:
    """Zero taps of each layer's pre-activation shape for a batch."""
    h, w = cfg.image_shape
    c1, c2 = cfg.channels
    return {
        "conv1": jnp.zeros((batch, h, w, c1)),
        "conv2": jnp.zeros((batch, h // 2, w // 2, c2)),
        "dense1": jnp.zeros((batch, cfg.hidden)),
        "dense2": jnp.zeros((batch, cfg.n_classes)),
    }


@partial(jax.jit, static_argnums=2)
def feature_maps(params: dict, x: jax.Array, cfg: ModelConfig) -> dict:
    """The lecture's pictures for a batch: after convolution, activation and pooling."""
    maps = {}
    h = x
    for i, name in enumerate(CONV_LAYERS, start=1):
        s = conv2d(h, params[name]["w"], params[name]["b"])
        a = activate(s, cfg.activation)
        h = max_pool(a)
        maps[f"conv{i}"], maps[f"act{i}"], maps[f"pool{i}"] = s, a, h
    return maps


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy against integer labels."""
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))


def accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    return jnp.mean(jnp.argmax(logits, axis=1) == labels)
