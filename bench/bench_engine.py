"""Engine throughput: optimizer steps per second for many start points.

10,000 start points x 1,000 steps on Beale, three ways in one run:
- optviz: `optviz.trajectories` (one jit-compiled lax.scan, vmapped over starts,
  with divergence freezing and the full path and losses recorded);
- optax + lax.scan: a plain scan written here over a (10000, 2) parameter
  array that records what optviz records (every position and its loss), with
  no divergence checks; and the same scan recording positions only;
- optax + Python loop: a jitted optax step called from a Python loop (final
  positions only, nothing recorded).

Compilation is excluded (one warm-up call each); times are medians of repeats.

    python bench/bench_engine.py [--starts 10000] [--steps 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import optviz
from optviz import optimizers, surfaces


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up: compile
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="optviz engine throughput")
    parser.add_argument("--starts", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--optimizers", default="sgd,momentum,adam,kfac")
    args = parser.parse_args()

    surf = surfaces.get("beale")
    rng = np.random.default_rng(0)
    # Starts in the basin around the minimum, where no path diverges with the
    # default learning rates: freezing diverged paths is extra work optviz does
    # (and the baselines do not), proportional to how many diverge.
    (x0, x1), (y0, y1) = (-1.0, 4.0), (-1.5, 1.5)
    starts = np.stack(
        [rng.uniform(x0, x1, args.starts), rng.uniform(y0, y1, args.starts)], axis=1
    ).astype(np.float32)

    def batch_loss(p):
        values = jax.vmap(surf.fn)(p)
        return values.sum(), values

    value_and_grad = jax.value_and_grad(batch_loss, has_aux=True)
    n = args.starts * args.steps

    print(f"{args.starts} start points x {args.steps} steps on beale, median of {args.repeats}")
    print(
        "| optimizer | optviz (M steps/s) | optax scan, same records (M/s) "
        "| optax scan, positions only (M/s) | optax loop (M/s) "
        "| optviz vs scan same | optviz vs scan positions | optviz vs loop |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in args.optimizers.split(","):
        t_ours = median_time(
            lambda name=name: optviz.trajectories([name], surf, starts=starts, steps=args.steps),
            args.repeats,
        )
        if name == "kfac":  # optax has no K-FAC: no optax baseline
            print(f"| {name} | {n / t_ours / 1e6:.1f} | - | - | - | - | - | - |")
            continue
        tx = optimizers.get(name, surface=surf)

        def make_scan(record_loss, tx=tx):
            @jax.jit
            def scan_run(init):
                def step(carry, _):
                    p, s = carry
                    (_, values), g = value_and_grad(p)
                    u, s = tx.update(g, s, p)
                    return (optax.apply_updates(p, u), s), ((p, values) if record_loss else p)

                _, ys = jax.lax.scan(step, (init, tx.init(init)), None, length=args.steps + 1)
                return ys

            return scan_run

        @jax.jit
        def one_step(p, s, tx=tx):
            _, g = value_and_grad(p)
            u, s = tx.update(g, s, p)
            return optax.apply_updates(p, u), s

        def loop_run(p0, one_step=one_step, tx=tx):
            p, s = p0, tx.init(p0)
            for _ in range(args.steps):
                p, s = one_step(p, s)
            return jax.block_until_ready(p)

        p0 = jnp.asarray(starts)
        same, positions = make_scan(True), make_scan(False)
        t_same = median_time(lambda f=same, p0=p0: jax.block_until_ready(f(p0)), args.repeats)
        t_pos = median_time(lambda f=positions, p0=p0: jax.block_until_ready(f(p0)), args.repeats)
        t_loop = median_time(lambda f=loop_run, p0=p0: f(p0), args.repeats)
        rates = " | ".join(f"{n / t / 1e6:.1f}" for t in (t_ours, t_same, t_pos, t_loop))
        # > 1: optviz is faster (baseline time / optviz time)
        ratios = " | ".join(f"{t / t_ours:.2f}x" for t in (t_same, t_pos, t_loop))
        print(f"| {name} | {rates} | {ratios} |")


if __name__ == "__main__":
    main()
