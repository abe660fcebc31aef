"""Planes through weight space: where a 2-D picture of a network's loss is taken.

A `Plane` is an origin and two directions. A weight vector w maps to the plane
coordinates c that bring ``origin + c @ axes`` closest to it (least squares, so
directions need not be orthogonal), and its distance from the plane is what that
leaves over. All arithmetic is numpy float64.

* `pca_plane`: the two principal directions of every optimizer's path together,
  measured from one centre (the shared start, or a chosen point); orthonormal, so
  plane coordinates are distances in weight space. Its `explained_variance` says
  how much of the paths' spread (about the centre) the picture keeps.
* `random_plane`: two Gaussian directions, filter-normalised as in Li et al. (2018):
  each filter (a convolution's output channel, a dense layer's output unit) of a
  direction is scaled to the norm of the same filter of the centre's weights;
  biases get no direction (zero), as in their ``--xignore biasbn``.
* `points_plane`: the plane through three weight vectors, the first its origin,
  axes orthonormalised (Gram-Schmidt).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import numpy as np

from optviz.errors import OptvizError

PLANES = ("pca", "random", "points")
BLOCK = 1 << 16  # weights per block when forming the Gram matrix


@dataclass(frozen=True)
class Plane:
    kind: str
    origin: np.ndarray  # (D,) float64
    axes: np.ndarray  # (2, D) float64
    explained_variance: tuple[float, float] | None = None  # pca: share of each axis

    def project(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, D) weights -> (n, 2) plane coordinates and (n,) distances from the plane."""
        w = np.atleast_2d(np.asarray(weights, dtype=np.float64)) - self.origin
        gram = self.axes @ self.axes.T
        coords = np.linalg.solve(gram, self.axes @ w.T).T
        distance = np.linalg.norm(w - coords @ self.axes, axis=1)
        return coords, distance

    def point(self, coords: np.ndarray) -> np.ndarray:
        """(n, 2) plane coordinates -> (n, D) weights."""
        return self.origin + np.atleast_2d(np.asarray(coords, dtype=np.float64)) @ self.axes


def pca_plane(paths: Sequence[np.ndarray], centre: np.ndarray) -> Plane:
    """The plane of the two largest principal directions of the stacked paths' offsets
    from `centre`: the right singular vectors of ``M = stack(paths) - centre``, found
    through the small Gram matrix M M^T (n x n, n = all snapshots), so memory stays
    O(n^2 + n D). Each axis points so that the paths' mean coordinate is >= 0."""
    centre = np.asarray(centre, dtype=np.float64)
    stacked = [np.asarray(p) for p in paths]
    n = sum(len(p) for p in stacked)
    d = centre.shape[0]
    gram = np.zeros((n, n))
    for lo in range(0, d, BLOCK):
        m = np.concatenate([p[:, lo : lo + BLOCK] for p in stacked]).astype(np.float64)
        m -= centre[lo : lo + BLOCK]
        gram += m @ m.T
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    if values.size < 2 or values[1] <= 0.0:
        raise OptvizError("the paths do not span a plane (fewer than two directions moved)")
    axes = np.zeros((2, d))
    for lo in range(0, d, BLOCK):  # V = M^T U / s
        m = np.concatenate([p[:, lo : lo + BLOCK] for p in stacked]).astype(np.float64)
        m -= centre[lo : lo + BLOCK]
        axes[:, lo : lo + BLOCK] = (vectors[:, :2].T @ m) / np.sqrt(values[:2])[:, None]
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    for i in range(2):
        if vectors[:, i].sum() < 0:  # the coordinates are M v_i = s_i u_i
            axes[i] = -axes[i]
    share = values[:2] / values.sum()
    return Plane("pca", centre, axes, (float(share[0]), float(share[1])))


def filter_normalized(direction: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """`direction` with each filter (slice along the last axis: output channel or unit)
    scaled to the norm of the same filter of `weights`; zero for a bias (ndim <= 1)."""
    if direction.ndim <= 1:
        return np.zeros_like(direction)
    axes = tuple(range(direction.ndim - 1))
    d_norm = np.sqrt((direction**2).sum(axis=axes, keepdims=True))
    w_norm = np.sqrt((weights**2).sum(axis=axes, keepdims=True))
    return direction * w_norm / np.where(d_norm > 0, d_norm, 1.0)


def random_plane(params: dict, seed: int) -> Plane:
    """Two filter-normalised Gaussian directions around `params` (a weight pytree);
    the directions are flattened in `ravel_pytree`'s order."""
    leaves = [np.asarray(x, dtype=np.float64) for x in jax.tree_util.tree_leaves(params)]
    rng = np.random.default_rng(seed)
    axes = []
    for _ in range(2):
        parts = [filter_normalized(rng.standard_normal(w.shape), w) for w in leaves]
        axes.append(np.concatenate([p.ravel() for p in parts]))
    origin = np.concatenate([w.ravel() for w in leaves])
    return Plane("random", origin, np.stack(axes))


def points_plane(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray) -> Plane:
    """The plane through three weight vectors: origin p0, first axis towards p1, the
    second the part of p2 - p0 orthogonal to it (both unit length)."""
    p0, p1, p2 = (np.asarray(p, dtype=np.float64) for p in (p0, p1, p2))
    u = p1 - p0
    if np.linalg.norm(u) == 0.0:
        raise OptvizError("the plane's first two points are the same weights")
    u /= np.linalg.norm(u)
    v = (p2 - p0) - u * (u @ (p2 - p0))
    if np.linalg.norm(v) <= 1e-9 * max(np.linalg.norm(p2 - p0), 1e-30):
        raise OptvizError("the plane's three points lie on one line")
    return Plane("points", p0, np.stack([u, v / np.linalg.norm(v)]))
