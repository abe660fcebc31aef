"""Map-mode throughput (`optviz.atlas`), against the plain ways of doing the same work.

1. Basins on Himmelblau, 10^6 start points (a 1000 x 1000 grid) x 1000 steps, for SGD,
   momentum and Adam (the registry's Himmelblau settings):
   - optviz: `optviz.maps.basins.start_map` (the engine behind `optviz.atlas`): one
     lax.scan per chunk of the grid, recording the first step near each minimum, the
     first step outside the domain, the divergence step, the final point and loss;
   - baseline: a jitted optax step over the same (10^6, 2) array, called from a Python
     loop (final positions only, nothing recorded).
2. The trainability map, 256 x 256 networks x 500 steps:
   - optviz: `optviz.maps.fractal.trainability_map` (the paper's readout kept in the
     scan's carry, chunked so the activations stay in cache);
   - the paper's approach (Sohl-Dickstein/fractal, re-implemented here): a Python loop
     of a jitted, vmapped gradient-descent step over the whole grid, the losses of
     every step stacked, the readout computed at the end. Both in float32.

Compilation is excluded (one warm-up call each, on a smaller problem of the same shape
where it matters); times are medians of repeats.

    python bench/bench_atlas.py [--side 1000] [--steps 1000] [--repeats 3]
        [--fractal-side 256] [--fractal-steps 500] [--fractal-repeats 1]
        [--skip-basins] [--skip-fractal]

Both tables also give the process's CPU time (all threads): on a shared machine the
wall-clock ratios are what the targets name, and the CPU figures tell how much of the
machine each side actually got.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optviz import optimizers, surfaces
from optviz.maps import basins, fractal
from optviz.maps.axes import Axis


def timed(fn, repeats: int, keep: list | None = None, cpu: list | None = None) -> float:
    """Median wall seconds of `repeats` calls; `keep` receives the last call's result,
    `cpu` the median process CPU seconds (all threads) of a call."""
    times, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    if keep is not None:
        keep.append(result)
    if cpu is not None:
        cpu.append(statistics.median(cpus))
    return statistics.median(times)


def load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def bench_basins(side: int, steps: int, repeats: int) -> list[tuple]:
    surf = surfaces.get("himmelblau")
    (x0, x1), (y0, y1) = surf.domain
    x, y = Axis("x", x0, x1, side), Axis("y", y0, y1, side)
    X, Y = np.meshgrid(x.values, y.values)
    starts = jnp.asarray(np.stack([X.ravel(), Y.ravel()], -1), jnp.float32)
    grad = jax.vmap(jax.grad(surf.fn))
    rows = []
    for name in ("sgd", "momentum", "adam"):
        hp = optimizers.spec(name).resolve("himmelblau")
        tol = basins.default_tol(surf)

        def ours(name=name, hp=hp, tol=tol):
            return basins.start_map(name, surf, x, y, steps, hp, tol=tol)

        tx = optimizers.get(name, surface="himmelblau")

        @jax.jit
        def step(p, state, tx=tx):
            updates, state = tx.update(grad(p), state, p)
            return optax.apply_updates(p, updates), state

        def loop(tx=tx, step=step):
            p, state = starts, tx.init(starts)
            for _ in range(steps):
                p, state = step(p, state)
            return jax.block_until_ready(p)

        ours()  # warm-up: compile
        step(starts, tx.init(starts))
        c_ours, c_loop = [], []
        t_ours, t_loop = timed(ours, repeats, cpu=c_ours), timed(loop, repeats, cpu=c_loop)
        n = side * side * steps
        rows.append((name, n / t_ours / 1e6, n / t_loop / 1e6, t_loop / t_ours,
                     c_ours[0] / t_ours, c_loop[0] / t_loop))  # fmt: skip
    return rows


def paper_approach(side: int, steps: int, lo: float, hi: float):
    """The paper's method: a jitted, vmapped step in a Python loop; losses stacked."""
    p = fractal.problem()
    w1, w2 = jnp.asarray(p["w1"]), jnp.asarray(p["w2"])
    data_x, data_y = jnp.asarray(p["x"]), jnp.asarray(p["y"])
    g = jnp.logspace(math.log10(lo), math.log10(hi), side)
    a, b = jnp.meshgrid(g, g)
    lrs = jnp.stack([a.ravel(), b.ravel()], -1).astype(jnp.float32)

    def train_step(theta, lr):
        value, grads = jax.value_and_grad(lambda t: fractal.loss(*t, data_x, data_y))(theta)
        return (theta[0] - lr[0] * grads[0], theta[1] - lr[1] * grads[1]), value

    step = jax.jit(jax.vmap(train_step), donate_argnums=(0,))

    def measure(v, max_val=1e6):
        fin = jnp.isfinite(v)
        v = jnp.where(fin, v, max_val) / v[0]
        v = jnp.minimum(v, max_val)
        converged = jnp.mean(v[-20:]) < 1
        return jnp.where(converged, -jnp.sum(v), jnp.sum(1 / v))

    readout = jax.jit(jax.vmap(measure))

    def run():
        n = lrs.shape[0]
        theta = (jnp.tile(w1, (n, 1, 1)), jnp.tile(w2, (n, 1, 1)))
        losses = []
        for _ in range(steps):
            theta, value = step(theta, lrs)
            losses.append(value)
        return jax.block_until_ready(readout(jnp.stack(losses, -1)))

    return run


def bench_fractal(side: int, steps: int, repeats: int) -> tuple[float, float, float, list]:
    lo, hi = fractal.DEFAULT_RANGE
    x = Axis(fractal.X_NAME, lo, hi, side, True)
    y = Axis(fractal.Y_NAME, lo, hi, side, True)

    def ours():
        return fractal.trainability_map(x, y, steps)

    small = Axis(fractal.X_NAME, lo, hi, 8, True)
    fractal.trainability_map(small, small, steps)  # compile (same chunk shape)
    theirs = paper_approach(side, steps, lo, hi)
    paper_approach(side, 2, lo, hi)()  # compile its step at the full grid's shape
    mine, paper, cpu = [], [], []
    t_ours = timed(ours, repeats, mine, cpu)
    t_theirs = timed(theirs, repeats, paper, cpu)
    # agreement: the sign of the readout (converged or not) per pixel
    agree = float(np.mean(np.sign(mine[0]["measure"].ravel()) == np.sign(np.asarray(paper[0]))))
    return t_ours, t_theirs, agree, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description="optviz atlas throughput")
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fractal-side", type=int, default=256)
    parser.add_argument("--fractal-steps", type=int, default=500)
    parser.add_argument("--fractal-repeats", type=int, default=1)
    parser.add_argument("--skip-fractal", action="store_true")
    parser.add_argument("--skip-basins", action="store_true")
    args = parser.parse_args()
    print(f"devices: {jax.devices()}; {load()}")
    if not args.skip_basins:
        basins_table(args)
    if not args.skip_fractal:
        fractal_table(args)
    print(f"\n{load()}")


def basins_table(args) -> None:
    print(f"\nBasins on Himmelblau: {args.side ** 2:,} starts x {args.steps} steps, "
          f"median of {args.repeats}")  # fmt: skip
    print("| optimizer | optviz map mode (M steps/s) | optax step in a Python loop (M/s) "
          "| optviz vs loop | cores used (map, loop) |")  # fmt: skip
    print("|---|---|---|---|---|")
    rows = bench_basins(args.side, args.steps, args.repeats)
    for name, ours, loop, ratio, c_ours, c_loop in rows:
        print(f"| {name} | {ours:.1f} | {loop:.1f} | {ratio:.2f}x | {c_ours:.2f}, {c_loop:.2f} |")


def fractal_table(args) -> None:
    s, n = args.fractal_side, args.fractal_steps
    t_ours, t_theirs, agree, cpu = bench_fractal(s, n, args.fractal_repeats)
    print(f"\nTrainability map: {s} x {s} networks x {n} steps, median of "
          f"{args.fractal_repeats}")  # fmt: skip
    print("| method | time (s) | CPU time (s) | network steps/s |")
    print("|---|---|---|---|")
    print(f"| optviz (scan, readout in the carry, chunked) | {t_ours:.1f} | {cpu[0]:.1f} | "
          f"{s * s * n / t_ours:,.0f} |")  # fmt: skip
    print(f"| the paper's approach (Python loop, vmapped step) | {t_theirs:.1f} | {cpu[1]:.1f} | "
          f"{s * s * n / t_theirs:,.0f} |")  # fmt: skip
    print(f"| ratio | {t_theirs / t_ours:.2f}x | {cpu[1] / cpu[0]:.2f}x | "
          f"converged/diverged agree on {agree:.1%} |")  # fmt: skip


if __name__ == "__main__":
    main()
