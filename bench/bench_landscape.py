"""Benchmark the landscape grid: the digits CNN's training loss on a 41 x 41 grid.

Run: python bench/bench_landscape.py [grid]   (default 41)

Three ways, measured in the same run, repeats interleaved:

* optviz: `LossEvaluator.on_plane` (one jitted program for a block of grid points,
  the block's forward pass written out, the plane's first layer from three shared
  maps, scanned over the training set in chunks, sharded over the JAX devices);
* per-point loop: the trainer's loss (`model.forward` over chunks of 128 images,
  loss-landscape's default batch) jitted for ONE weight vector, called from a
  Python loop point by point (the way loss-landscape evaluates);
* vmap of that loss over blocks of 8 points (optviz's first design), for the record;
* matmul: a jitted 1024 x 1024 float32 matrix product, the machine's practical
  GFLOP/s for dense work.

GFLOP/s of a grid counts the network's multiply-adds (2 FLOPs each) of the
convolutions (as im2col products) and dense layers over the whole training set;
activations, pooling and the softmax are left out, so it is a floor.
Rates are medians over 5 interleaved repeats, in wall time and in this process's CPU
time (the latter less sensitive to other jobs on a shared machine); the 41 x 41 grid
is also timed whole.
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


def matmul_gflops(n: int = 1024, repeats: int = 7) -> tuple[float, float]:
    """GFLOP per second of wall time, and per second of this process's CPU time."""
    a = jnp.asarray(np.random.default_rng(0).standard_normal((n, n)), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    times, cpus = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        f(a).block_until_ready()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return 2.0 * n**3 / statistics.median(times) / 1e9, 2.0 * n**3 / statistics.median(cpus) / 1e9


LOOP_CHUNK = 128  # images a step of the per-point loop (loss-landscape's default batch)


def chunked(x, y, chunk: int):
    """The training set in `chunk`-image pieces, the last padded and masked out."""
    k = -(-len(x) // chunk)
    pad = k * chunk - len(x)
    xs = np.concatenate([x, np.zeros((pad, *x.shape[1:]), x.dtype)])
    ys = np.concatenate([y, np.zeros(pad, y.dtype)])
    mask = np.concatenate([np.ones(len(x), np.float32), np.zeros(pad, np.float32)])
    shaped = (xs.reshape(k, chunk, *x.shape[1:]), ys.reshape(k, chunk), mask.reshape(k, chunk))
    return tuple(jnp.asarray(a) for a in shaped)


def point_losses(cfg, x, y):
    """The trainer's summed loss for one weight vector (jitted alone), and its vmap over a
    block of vectors (jitted), both over the training set in LOOP_CHUNK pieces."""
    unravel = grid_mod.unraveler(cfg)
    data = chunked(x, y, LOOP_CHUNK)

    def loss(w, xs, ys, mask):
        params = unravel(w)

        def body(total, batch):
            x, y, keep = batch
            logits, _ = forward(params, x, cfg)
            nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1)[:, 0]
            return total + jnp.sum(nll * keep), None

        return lax.scan(body, jnp.float32(0.0), (xs, ys, mask))[0]

    one, block = jax.jit(loss), jax.jit(jax.vmap(loss, in_axes=(0, None, None, None)))
    return (lambda w: one(w, *data)), (lambda ws: block(ws, *data))


def main(side: int = 41) -> None:
    data = load_digits()
    cfg = config_for(data.image_shape)
    params = init_params(jax.random.PRNGKey(0), cfg)
    plane = random_plane(params, seed=0)
    ev = grid_mod.LossEvaluator(cfg, data.x_train, data.y_train)
    axis = np.linspace(-1.0, 1.0, side)
    A, B = np.meshgrid(axis, axis)
    coords = np.column_stack([A.ravel(), B.ravel()])
    one, vmapped = point_losses(cfg, data.x_train, data.y_train)
    fl = flops_per_example(cfg) * len(data.x_train)  # per grid point

    # warm up (compile) everything first
    ev.on_plane(coords[: ev.block], plane.origin, plane.axes)
    w0 = plane.point(coords[:1])[0].astype(np.float32)
    one(w0).block_until_ready()
    vmapped(plane.point(coords[:8]).astype(np.float32)).block_until_ready()
    print(f"devices: {jax.device_count()}, block {ev.block} points, data chunk "
          f"{grid_mod.DATA_CHUNK} (loop: {LOOP_CHUNK}), {len(data.x_train)} examples, "
          f"{fl / 1e6:.0f} MFLOP a point")  # fmt: skip

    sample = coords[: 4 * ev.block]
    ws = plane.point(sample[:16]).astype(np.float32)
    work = {
        "optviz": (lambda: ev.on_plane(sample, plane.origin, plane.axes), len(sample)),
        "loop": (lambda: [one(w).block_until_ready() for w in ws], len(ws)),
        "vmap": (lambda: [vmapped(ws[i : i + 8]).block_until_ready() for i in (0, 8)], len(ws)),
    }
    wall = {name: [] for name in (*work, "matmul")}
    cpu = {name: [] for name in (*work, "matmul")}
    for _ in range(5):  # interleaved repeats
        for name, (run, count) in work.items():
            t, c = time.perf_counter(), time.process_time()
            run()
            wall[name].append(count / (time.perf_counter() - t))
            cpu[name].append(count / (time.process_time() - c))
        mm_wall, mm_cpu = matmul_gflops()
        wall["matmul"].append(mm_wall)
        cpu["matmul"].append(mm_cpu)
    t = time.perf_counter()
    grid = ev.on_plane(coords, plane.origin, plane.axes)
    whole = time.perf_counter() - t
    assert np.isfinite(grid).all()

    rate = {name: statistics.median(values) for name, values in wall.items()}
    per_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    mm, mm_cpu = rate["matmul"], per_cpu["matmul"]
    print(f"\n{side} x {side} grid over the {len(data.x_train)} digits training images: "
          f"{whole:.1f} s whole ({side * side / whole:.1f} points/s)\n")  # fmt: skip
    labels = {
        "optviz": "optviz (block forward + scan + sharding)",
        "loop": "per-point Python loop, trainer's jitted loss",
        "vmap": "vmap of that loss, blocks of 8 (first design)",
    }
    print("| method | grid points/s | GFLOP/s | vs matmul | vs per-point loop "
          "| points per CPU-second | GFLOP per CPU-second | vs matmul, CPU "
          "| vs loop, CPU |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for name, label in labels.items():
        r, c = rate[name], per_cpu[name]
        print(f"| {label} | {r:.1f} | {r * fl / 1e9:.1f} | {r * fl / 1e9 / mm:.0%} | "
              f"{r / rate['loop']:.2f}x | {c:.1f} | {c * fl / 1e9:.1f} | "
              f"{c * fl / 1e9 / mm_cpu:.0%} | {c / per_cpu['loop']:.2f}x |")  # fmt: skip
    print(f"| matmul 1024 x 1024 float32 | - | {mm:.1f} | 100% | - | - | {mm_cpu:.1f} "
          "| 100% | - |")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 41)
