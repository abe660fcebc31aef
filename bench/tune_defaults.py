"""Tune the registry's per-surface learning rates (the numbers in optviz/optimizers/registry.py).

For every optimizer and surface with a known minimum (except `beale` and
`saddle`, which keep the lecture reproduction's settings), sweep the learning
rate over a log grid in one vmapped call. Among paths that neither diverge nor
leave the surface's domain, keep the *smallest* learning rate that cuts the gap
to the minimum a thousandfold by the end (mean over the last 10% of steps):
smooth paths that arrive, rather than the jumpiest lucky one. Where none does
(multimodal surfaces), keep the one that ends lowest.

    python bench/tune_defaults.py [--steps 500]
"""

from __future__ import annotations

import argparse

import numpy as np

import optviz
from optviz import optimizers, surfaces

KEEP = {"beale", "saddle"}  # lecture reproduction settings, see registry.py


def tune(name: str, surface: surfaces.Surface, steps: int, grid: np.ndarray) -> float:
    s = optviz.sweep(name, surface, steps=steps, lr=grid)
    (x0, x1), (y0, y1) = surface.domain
    xy = s.positions[:, 0]
    inside = (
        (xy[..., 0] >= x0) & (xy[..., 0] <= x1) & (xy[..., 1] >= y0) & (xy[..., 1] <= y1)
    ).all(axis=1)
    ok = inside & (s.diverged_step[:, 0] < 0)
    with np.errstate(over="ignore"):
        tail = s.losses[:, 0, -max(1, steps // 10) :] - surface.global_min_value
    score = np.where(ok, tail.mean(axis=1), np.inf)
    if not np.isfinite(score).any():
        return float("nan")
    gap0 = s.losses[0, 0, 0] - surface.global_min_value
    arrived = np.flatnonzero(score <= 1e-3 * gap0)  # grid is ascending
    return float(grid[arrived[0]] if arrived.size else grid[int(np.argmin(score))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    grid = np.round(np.logspace(-4, 1, 26), 6)
    names = [n for n in optimizers.names() if n != "kfac"]
    print(f"{'surface':<16}" + "".join(f"{n:>10}" for n in names))
    for sname in surfaces.names():
        surface = surfaces.get(sname)
        if sname in KEEP or surface.global_min_value is None:
            continue
        row = [tune(n, surface, args.steps, grid) for n in names]
        print(f"{sname:<16}" + "".join(f"{lr:>10.3g}" for lr in row))


if __name__ == "__main__":
    main()
