"""Data augmentation: small random shifts and rotations, inside the jitted step.

Each image gets its own affine warp (bilinear resampling, zeros outside) drawn
from a key; the trainer derives the key from the seed and the step number, so
every optimizer sees the same augmented batches and reruns are identical.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.ndimage import map_coordinates

MAX_ANGLE = jnp.pi / 12  # 15 degrees
MAX_SHIFT = 0.1  # of the image side


def _warp(image: jax.Array, angle: jax.Array, shift: jax.Array) -> jax.Array:
    h, w, c = image.shape
    rows, cols = jnp.meshgrid(jnp.arange(h), jnp.arange(w), indexing="ij")
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    # Inverse map: for each output pixel, where to read in the input.
    y, x = rows - cy - shift[0], cols - cx - shift[1]
    src_y = cos * y - sin * x + cy
    src_x = sin * y + cos * x + cx
    channels = [
        map_coordinates(image[..., i], [src_y, src_x], order=1, mode="constant", cval=0.0)
        for i in range(c)
    ]
    return jnp.stack(channels, axis=-1)


def augment(key: jax.Array, images: jax.Array) -> jax.Array:
    """Randomly rotate (up to ±15°) and shift (up to 10% of the side) each NHWC image."""
    n, h, w, _ = images.shape
    k_angle, k_shift = jax.random.split(key)
    angles = jax.random.uniform(k_angle, (n,), minval=-MAX_ANGLE, maxval=MAX_ANGLE)
    side = jnp.array([h, w], jnp.float32)
    shifts = jax.random.uniform(k_shift, (n, 2), minval=-MAX_SHIFT, maxval=MAX_SHIFT) * side
    return jax.vmap(_warp)(images, angles, shifts)
