"""The lecture's small CNN as pure functions over a parameter dict.

conv -> activation -> max-pool -> conv -> activation -> max-pool -> flatten
-> dense -> activation -> dropout -> dense -> softmax cross-entropy.

The knobs: ``depth`` conv blocks (the pools spread over them, see
`blocks.plan`), a normalisation after each convolution (`norms`) and residual
connections.

Parameters are a plain dict ``{layer: {"w": ..., "b": ...}}`` with convolution
kernels in HWIO layout (``conv{i}``, and ``skip{i}`` for 1x1 skip projections)
and dense weights as (inputs, outputs) matrices, plus ``norm{i}`` entries for
normalisation parameters, so any optax optimizer (and our K-FAC) can walk them
as a pytree. Batch norm's running statistics are separate model state.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp

from optviz.trainer import norms
from optviz.trainer.blocks import Block, plan

LAYERS = ("conv1", "conv2", "dense1", "dense2")  # the default network's layers
CONV_LAYERS = ("conv1", "conv2")
ACTIVATIONS = ("relu", "sigmoid", "tanh")
INITS = ("he", "glorot", "lecun", "normal")


@dataclass(frozen=True)
class ModelConfig:
    """Shape and knobs of the network (a pure description: hashable, static under jit).

    ``depth`` conv blocks; ``channels`` per stage (the blocks between two pools),
    the last repeated for later stages; ``norm`` after each convolution;
    ``skip`` residual connections around each block.
    """

    image_shape: tuple[int, int] = (8, 8)
    in_channels: int = 1
    channels: tuple[int, int] = (16, 32)
    kernel: int = 3
    hidden: int = 64
    n_classes: int = 10
    activation: str = "relu"
    dropout: float = 0.0
    init: str = "he"
    depth: int = 2
    norm: str = "none"
    skip: bool = False

    def replace(self, **changes) -> ModelConfig:
        return dataclasses.replace(self, **changes)

    @property
    def blocks(self) -> tuple[Block, ...]:
        return plan(self)

    @property
    def flat_features(self) -> int:
        last = self.blocks[-1]
        h, w = last.out_side
        return h * w * last.channels

    @property
    def conv_layers(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.blocks)

    @property
    def kronecker_layers(self) -> tuple[tuple[str, int | None], ...]:
        """(name, kernel) of every weight matrix: convs, 1x1 skip projections, dense (None)."""
        out = [(b.name, self.kernel) for b in self.blocks]
        out += [(b.projection, 1) for b in self.blocks if b.projection]
        return (*out, ("dense1", None), ("dense2", None))

    @property
    def norm_layers(self) -> tuple[str, ...]:
        """The ``norm{i}`` entries holding normalisation parameters (scale/shift or g)."""
        return () if self.norm == "none" else tuple(f"norm{b.index}" for b in self.blocks)


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
    """Weights drawn from a normal with the scheme's standard deviation; biases zero.

    The convs and the dense layers take ``split(key, depth + 2)`` in order (the
    default network draws exactly as before the knobs); skip projections draw
    from ``fold_in(key, 1)``; normalisation parameters start at the identity.
    """
    k = cfg.kernel
    main = [((k, k, b.in_channels, b.channels), k * k * b.in_channels, k * k * b.channels)
            for b in cfg.blocks]  # fmt: skip
    main.append(((cfg.flat_features, cfg.hidden), cfg.flat_features, cfg.hidden))
    main.append(((cfg.hidden, cfg.n_classes), cfg.hidden, cfg.n_classes))
    names = [*cfg.conv_layers, "dense1", "dense2"]
    params = _layers(key, names, main, cfg.init)
    projected = [b for b in cfg.blocks if b.projection]
    if projected:
        shapes = [((1, 1, b.in_channels, b.channels), b.in_channels, b.channels)
                  for b in projected]  # fmt: skip
        names = [b.projection for b in projected]
        params.update(_layers(jax.random.fold_in(key, 1), names, shapes, cfg.init))
    if cfg.norm != "none":
        for b in cfg.blocks:
            params[f"norm{b.index}"] = norms.init_norm(cfg.norm, params[b.name]["w"])
    return params


def init_state(cfg: ModelConfig) -> dict:
    """The model's state besides its parameters: batch norm's running statistics."""
    if cfg.norm != "batch":
        return {}
    return {f"norm{b.index}": norms.init_state("batch", b.channels) for b in cfg.blocks}


def _layers(key: jax.Array, names: list[str], shapes: list[tuple], init: str) -> dict:
    stds = [_std(init, fan_in, fan_out) for _, fan_in, fan_out in shapes]
    kernels = tuple(shape for shape, _, _ in shapes)
    drawn = _draw(key, kernels, jnp.asarray(stds, jnp.float32))
    return dict(zip(names, drawn, strict=True))


@partial(jax.jit, static_argnums=1)
def _draw(key: jax.Array, shapes: tuple, stds: jax.Array) -> list:
    """One compile per set of shapes: the init scheme and the activation are not baked in.

    Each kernel is drawn as a flat vector and reshaped: the same numbers as a
    shaped draw, and several times faster to compile on XLA:CPU.
    """
    layers = []
    keys = jax.random.split(key, len(shapes))
    for i, shape in enumerate(shapes):
        flat = jax.random.normal(keys[i], (math.prod(shape),), jnp.float32)
        layers.append({"w": stds[i] * flat.reshape(shape), "b": jnp.zeros(shape[-1], jnp.float32)})
    return layers


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
    if kernel == 1:
        return x
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
    state: dict | None = None,
    train: bool = False,
    mask: jax.Array | None = None,
) -> tuple[jax.Array, dict]:
    """Logits for a batch of NHWC images, and each layer's input (for K-FAC).

    ``key`` turns dropout on (training); ``taps`` are zeros added to each layer's
    pre-activation output, so the gradient with respect to a tap is the gradient
    with respect to that pre-activation (how K-FAC reads its G statistics).
    Batch norm: ``train=True`` normalises by the batch; otherwise by the running
    statistics in ``state`` (`init_state`'s shape), or by the batch without them.
    ``mask`` (N,) of 0/1: batch statistics over the marked examples only.
    `apply` also returns the updated statistics.
    """
    logits, inputs, _ = apply(
        params, x, cfg, key=key, taps=taps, state=state, train=train, mask=mask
    )
    return logits, inputs


def apply(
    params: dict,
    x: jax.Array,
    cfg: ModelConfig,
    *,
    key: jax.Array | None = None,
    taps: dict | None = None,
    state: dict | None = None,
    train: bool = False,
    maps: dict | None = None,
    mask: jax.Array | None = None,
) -> tuple[jax.Array, dict, dict]:
    """`forward`, and the model state after this batch (batch norm's running statistics).

    Each block: s = conv(h) (tap ``conv{i}``); z = norm(s) (batch/layer: tap
    ``norm{i}`` on scale * x̂ + shift); with skip, z + h, or z + a 1x1
    projection of h (tap ``skip{i}``) where the channels change; then the
    activation, then the pool. The skip spans conv, norm and activation and the
    pool comes after it, so the pool never changes the size inside a skip.
    ``inputs`` also holds, under ``norm{i}``, x̂ (batch/layer) or the output of
    the unit-norm filters v/||v|| without bias (weight norm). ``maps``, if given,
    is filled with the lecture's pictures: conv{i}, act{i}, pool{i}.
    """
    taps = taps if taps is not None else {}
    inputs, new_state = {}, dict(state or {})

    def tap(name, s):
        return s + taps[name] if name in taps else s

    h = x
    for block in cfg.blocks:
        name, norm_name = block.name, f"norm{block.index}"
        layer = params[name]
        inputs[name] = h
        if cfg.norm == "weight":
            g = params[norm_name]["g"]
            u = conv2d(h, norms.unit_filters(layer["w"]), jnp.zeros_like(layer["b"]))
            inputs[norm_name] = u
            s = tap(name, g * u + layer["b"])
        else:
            s = tap(name, conv2d(h, layer["w"], layer["b"]))
        z = s
        if cfg.norm in ("batch", "layer"):
            own = (state or {}).get(norm_name)
            xhat, stats = norms.standardise(s, cfg.norm, own, train, mask)
            if stats:
                new_state[norm_name] = stats
            inputs[norm_name] = xhat
            z = tap(norm_name, params[norm_name]["scale"] * xhat + params[norm_name]["shift"])
        if cfg.skip:
            if block.projection:
                inputs[block.projection] = h
                proj = params[block.projection]
                z = z + tap(block.projection, conv2d(h, proj["w"], proj["b"]))
            else:
                z = z + h
        a = activate(z, cfg.activation)
        h = max_pool(a) if block.pool else a
        if maps is not None:
            i = block.index
            maps[f"conv{i}"], maps[f"act{i}"] = s, a
            if block.pool:
                maps[f"pool{i}"] = h
    h = h.reshape(h.shape[0], -1)
    inputs["dense1"] = h
    h = activate(tap("dense1", h @ params["dense1"]["w"] + params["dense1"]["b"]), cfg.activation)
    if key is not None and cfg.dropout > 0:
        keep = jax.random.bernoulli(key, 1.0 - cfg.dropout, h.shape)
        h = jnp.where(keep, h / (1.0 - cfg.dropout), 0.0)
    inputs["dense2"] = h
    logits = tap("dense2", h @ params["dense2"]["w"] + params["dense2"]["b"])
    return logits, inputs, new_state


def tap_zeros(cfg: ModelConfig, batch: int) -> dict:
    """Zero taps of each layer's pre-activation shape for a batch."""
    taps = {}
    for b in cfg.blocks:
        shape = (batch, *b.side, b.channels)
        taps[b.name] = jnp.zeros(shape)
        if cfg.norm in ("batch", "layer"):
            taps[f"norm{b.index}"] = jnp.zeros(shape)
        if b.projection:
            taps[b.projection] = jnp.zeros(shape)
    taps["dense1"] = jnp.zeros((batch, cfg.hidden))
    taps["dense2"] = jnp.zeros((batch, cfg.n_classes))
    return taps


@partial(jax.jit, static_argnums=2)
def feature_maps(params: dict, x: jax.Array, cfg: ModelConfig, state: dict | None = None) -> dict:
    """The lecture's pictures for a batch: after convolution, activation and pooling.

    Evaluation mode: batch norm by the running statistics in ``state``.
    """
    maps: dict = {}
    apply(params, x, cfg, state=state, maps=maps)
    return maps


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy against integer labels."""
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))


def accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    return jnp.mean(jnp.argmax(logits, axis=1) == labels)
