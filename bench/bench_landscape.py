"""Benchmark the landscape grid: the digits CNN's training loss on a 41 x 41 grid.

Run: python bench/bench_landscape.py [grid]   (default 41)

Three ways, measured in the same run, repeats interleaved:

* optviz: `LossEvaluator` (one jitted program, vmapped over a block of grid points,
  scanned over the training set in chunks, sharded over the JAX devices);
* per-point loop: the same loss (the same forward pass over the same chunks) jitted
  for ONE weight vector, called from a Python loop point by point (the way
  loss-landscape evaluates);
* matmul: a jitted 1024 x 1024 float32 matrix product, the machine's practical
  GFLOP/s for dense work.

GFLOP/s of a grid counts the network's multiply-adds (2 FLOPs each) of the
convolutions (as im2col products) and dense layers over the whole training set;
activations, pooling and the softmax are left out, so it is a floor.
Rates are medians over blocks (and repeats); the 41 x 41 grid is also timed whole.
"""

from __future__ import annotations

import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from optviz.trainer.data import load_digits
from optviz.trainer.model import config_for, forward, init_params
from optviz.weightspace import grid as grid_mod
from optviz.weightspace.planes import random_plane


def flops_per_example(cfg) -> float:
    h, w = cfg.image_shape
    k2 = cfg.kernel**2
    c1, c2 = cfg.channels
    conv1 = h * w * k2 * cfg.in_channels * c1
    conv2 = (h // 2) * (w // 2) * k2 * c1 * c2
    dense = cfg.flat_features * cfg.hidden + cfg.hidden * cfg.n_classes
    return 2.0 * (conv1 + conv2 + dense)


def matmul_gflops(n: int = 1024, repeats: int = 7) -> float:
    a = jnp.asarray(np.random.default_rng(0).standard_normal((n, n)), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f(a).block_until_ready()
        times.append(time.perf_counter() - t)
    return 2.0 * n**3 / statistics.median(times) / 1e9


def single_point_loss(cfg, ev):
    """The evaluator's loss for one weight vector, jitted alone (no vmap)."""
    unravel = grid_mod.unraveler(cfg)

    @jax.jit
    def loss(w, xs, ys, mask):
        params = unravel(w)

        def body(total, batch):
            x, y, keep = batch
            logits, _ = forward(params, x, cfg)
            nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1)[:, 0]
            return total + jnp.sum(nll * keep), None

        return lax.scan(body, jnp.float32(0.0), (xs, ys, mask))[0]

    return lambda w: loss(w, *ev.data)


def main(side: int = 41) -> None:
    data = load_digits()
    cfg = config_for(data.image_shape)
    params = init_params(jax.random.PRNGKey(0), cfg)
    plane = random_plane(params, seed=0)
    ev = grid_mod.LossEvaluator(cfg, data.x_train, data.y_train)
    axis = np.linspace(-1.0, 1.0, side)
    A, B = np.meshgrid(axis, axis)
    coords = np.column_stack([A.ravel(), B.ravel()])
    one = single_point_loss(cfg, ev)
    fl = flops_per_example(cfg) * len(data.x_train)  # per grid point

    # warm up (compile) everything first
    ev.on_plane(coords[: ev.block], plane.origin, plane.axes)
    w0 = plane.point(coords[:1])[0].astype(np.float32)
    one(w0).block_until_ready()
    print(f"devices: {jax.device_count()}, block {ev.block} points, data chunk "
          f"{grid_mod.DATA_CHUNK}, {len(data.x_train)} examples, "
          f"{fl / 1e6:.0f} MFLOP a point")  # fmt: skip

    rates = {"optviz": [], "loop": [], "matmul": []}
    sample = coords[: 4 * ev.block]
    for _ in range(3):  # interleaved repeats
        t = time.perf_counter()
        ev.on_plane(sample, plane.origin, plane.axes)
        rates["optviz"].append(len(sample) / (time.perf_counter() - t))
        ws = plane.point(sample[:16]).astype(np.float32)
        t = time.perf_counter()
        for w in ws:
            one(w).block_until_ready()
        rates["loop"].append(len(ws) / (time.perf_counter() - t))
        rates["matmul"].append(matmul_gflops())
    t = time.perf_counter()
    grid = ev.on_plane(coords, plane.origin, plane.axes)
    whole = time.perf_counter() - t
    assert np.isfinite(grid).all()

    opt, loop = statistics.median(rates["optviz"]), statistics.median(rates["loop"])
    mm = statistics.median(rates["matmul"])
    print(f"\n{side} x {side} grid over the {len(data.x_train)} digits training images: "
          f"{whole:.1f} s whole ({side * side / whole:.1f} points/s)\n")  # fmt: skip
    print("| method | grid points/s | GFLOP/s | vs matmul | vs per-point loop |")
    print("|---|---|---|---|---|")
    print(f"| optviz (vmap + scan + sharding) | {opt:.1f} | {opt * fl / 1e9:.1f} | "
          f"{opt * fl / 1e9 / mm:.0%} | {opt / loop:.2f}x |")  # fmt: skip
    print(f"| per-point Python loop, same jitted loss | {loop:.1f} | {loop * fl / 1e9:.1f} | "
          f"{loop * fl / 1e9 / mm:.0%} | 1.00x |")  # fmt: skip
    print(f"| matmul 1024 x 1024 float32 | - | {mm:.1f} | 100% | - |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 41)
