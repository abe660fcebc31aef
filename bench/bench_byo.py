"""Bring your own: what a formula surface and a PyTorch optimizer cost against the registry.

    python bench/bench_byo.py

Rows (medians of 5 repeats, after one warm-up run that compiles):
* a race of Adam, 1,000 steps from 1 and from 16 start points, on the registry's
  Rosenbrock and on the same function given as a formula (the surface built once;
  building it, grid + found minima, is timed on its own, cold);
* torch:Adam (stepped on the host, one torch optimizer per path) against optax's Adam
  (one compiled scan) at the same settings.
Ratios above 1 mean the brought-your-own form is slower.
"""

from __future__ import annotations

import statistics
import time

import optviz
from optviz.surfaces import custom

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
DOMAIN = ((-2.0, 2.0), (-1.0, 3.0))
STEPS = 1000
REPEATS = 5


def median_seconds(fn) -> float:
    fn()  # compile, warm caches
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    t0 = time.perf_counter()
    formula = custom.surface(ROSENBROCK, domain=DOMAIN)
    build = time.perf_counter() - t0
    print(f"building the formula surface (parse, 161x161 grid, found minima): {build:.2f} s")
    print()
    print("| race | starts | baseline (ms) | brought (ms) | ratio |")
    print("|---|---|---|---|---|")
    for n in (1, 16):
        starts = [(-1.5 + 0.1 * i, 2.0) for i in range(n)]
        kw = dict(starts=starts, steps=STEPS, lr=0.01)
        base = median_seconds(lambda kw=kw: optviz.trajectories(["adam"], "rosenbrock", **kw))
        mine = median_seconds(lambda kw=kw: optviz.trajectories(["adam"], formula, **kw))
        print(f"| adam: formula vs registry | {n} | {base * 1e3:.1f} | {mine * 1e3:.1f} | "
              f"{mine / base:.2f}x |")  # fmt: skip
        torch = median_seconds(
            lambda kw=kw: optviz.trajectories(["torch:Adam"], "rosenbrock", **kw)
        )
        print(f"| torch:Adam vs adam (optax) | {n} | {base * 1e3:.1f} | {torch * 1e3:.1f} | "
              f"{torch / base:.1f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
