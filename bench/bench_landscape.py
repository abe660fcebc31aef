"""Benchmark the landscape grid: the digits CNN's training loss on a 41 x 41 grid.

Run: python bench/bench_landscape.py [grid]   (default 41)

Three ways, measured in the same run, repeats interleaved:

* optviz: `LossEvaluator.on_plane` (one jitted program for a block of grid points,
  the block's forward pass written out in pool-major layouts, the plane's first layer
  from three shared maps, the second convolution as one row product a point, scanned
  over the training set in chunks, sharded over the JAX devices);
* per-point loop: the trainer's loss (`model.forward` over chunks of 128 images,
  loss-landscape's default batch) jitted for ONE weight vector, called from a
  Python loop point by point (the way loss-landscape evaluates);
* vmap of that loss over blocks of 8 points (optviz's first design), for the record;
* matmul: a jitted 1024 x 1024 float32 matrix product, the machine's practical
  GFLOP/s for dense work.

GFLOP/s counts multiply-adds (2 FLOPs each) of the products actually computed:
for the loop, the network's (convolutions as im2col products, dense layers); for
optviz, its layout's (`blockforward.multiply_adds`: the plane's shared first-layer
maps, their combination, the second convolution's row products, 4/3 of the
network's, the dense layers). Activations, pooling and the softmax are left out.

The ceiling (`ceiling`): in the same run, the GFLOP/s of the second convolution's
products (212 of the 264 MFLOP a point) in each layout and of the dense layer, next
to the matmul, and optviz's evaluator with its second convolution cut out (what the
rest of its pass costs); from them, the best ratio over the loop possible.
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
from optviz.weightspace import blockforward
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


def timed(run) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    t, c = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - t, time.process_time() - c


def ceiling_kernels(cfg, n_examples: int, points: int, chunk: int) -> dict:
    """name -> (jitted run, FLOPs it counts, unit): the second convolution's products in each
    layout (inputs made beforehand, so only the product is timed), summed over the training
    set for `points` points, the dense layer, a matmul."""
    rng = np.random.default_rng(0)

    def arr(*shape):
        return jnp.asarray(rng.standard_normal(shape), jnp.float32)

    def scanned(
        body,
    ):  # body(chunk) -> array, summed whole (a slice of it would be all XLA computes)
        def run(xs, *ws):
            step = lambda c, x: (c + body(x, *ws).sum(), None)  # noqa: E731
            return lax.scan(step, jnp.float32(0.0), xs)[0]

        return jax.jit(run)

    (h, w), c1, c2 = cfg.blocks[1].side, cfg.blocks[1].in_channels, cfg.blocks[1].channels
    k2, px = cfg.kernel**2, h * w
    conv2 = 2.0 * px * k2 * c1 * c2  # the network's conv2 FLOPs an example
    k, kl = -(-n_examples // chunk), -(-n_examples // LOOP_CHUNK)
    n_all = k * chunk * points  # example-points a block kernel covers
    dims = ("NHWC", "HWIO", "NHWC")
    rows_k = cfg.kernel * w * c1  # conv2_rows' inner dimension
    out = {
        "conv2, loop's shape: one point, (128 x 16, 144) @ (144, 32)": (
            scanned(lambda x, wt: x @ wt), (arr(kl, LOOP_CHUNK * px, k2 * c1), arr(k2 * c1, c2)),
            kl * LOOP_CHUNK * conv2),
        "conv2, one point, whole set as one (23008, 144) @ (144, 32)": (
            jax.jit(lambda x, wt: (x @ wt).sum()),
            (arr(n_examples * px, k2 * c1), arr(k2 * c1, c2)), n_examples * conv2),
        f"conv2, block im2col: {points} x ({chunk} x 16, 144) @ (144, 32)": (
            scanned(lambda x, wt: jnp.einsum("pmk,pko->pmo", x, wt)),
            (arr(k, points, chunk * px, k2 * c1), arr(points, k2 * c1, c2)), n_all * conv2),
        f"conv2, block rows (optviz): {points} x ({chunk} x 4, {rows_k}) @ ({rows_k}, 128)": (
            scanned(lambda x, wt: jnp.einsum("pmk,pko->pmo", x, wt)),
            (arr(k, points, chunk * h, rows_k), arr(points, rows_k, w * c2)), n_all * conv2),
        f"conv2, block 9 taps: {points} x 9 x ({chunk} x 16, 16) @ (16, 32)": (
            scanned(lambda x, wt: sum(jnp.einsum("pmi,pio->pmo", x, wt[:, t]) for t in range(9))),
            (arr(k, points, chunk * px, c1), arr(points, 9, c1, c2)), n_all * conv2),
        f"conv2, lax.conv, {points} points as feature groups, batch {chunk}": (
            scanned(lambda x, wt: lax.conv_general_dilated(
                x, wt, (1, 1), "SAME", dimension_numbers=dims, feature_group_count=points)),
            (arr(k, chunk, h, w, points * c1), arr(3, 3, c1, points * c2)), n_all * conv2),
        f"dense1: {points} x ({chunk}, 128) @ (128, {cfg.hidden})": (
            scanned(lambda x, wt: jnp.einsum("pnf,pfo->pno", x, wt)),
            (arr(k, points, chunk, cfg.flat_features), arr(points, cfg.flat_features, cfg.hidden)),
            n_all * 2.0 * cfg.flat_features * cfg.hidden),
        "matmul 1024 x 1024 float32": (
            jax.jit(lambda a: a @ a), (arr(1024, 1024),), 2.0 * 1024**3),
    }  # fmt: skip
    for run, args, _ in out.values():
        run(*args).block_until_ready()
    return out


def without_conv2(cfg, x, y, coords, plane) -> float:
    """CPU seconds a point of optviz's evaluator with its second convolution replaced by a
    slice of its input (the rest of the pass: first layer, pools, dense layers, loss)."""
    real = blockforward.conv2_rows

    def cut(h, kernel, b, act):
        return h.reshape(h.shape[0], h.shape[1], -1)[..., : cfg.flat_features] + b[:, None, :1]

    blockforward.conv2_rows = cut
    grid_mod._program.cache_clear()
    try:
        ev = grid_mod.LossEvaluator(cfg, x, y)
        ev.on_plane(coords, plane.origin, plane.axes)  # compile
        cpus = [timed(lambda: ev.on_plane(coords, plane.origin, plane.axes))[1]
                for _ in range(5)]  # fmt: skip
    finally:
        blockforward.conv2_rows = real
        grid_mod._program.cache_clear()
    return statistics.median(cpus) / len(coords)


def ceiling(cfg, n_examples: int, loop_cpu: float, optviz_cpu: float, rest: float) -> None:
    """Print the ceiling table and the best ratio over the loop it allows (CPU time)."""
    kernels = ceiling_kernels(cfg, n_examples, grid_mod.POINTS_PER_DEVICE, grid_mod.DATA_CHUNK)
    wall = {name: [] for name in kernels}
    cpu = {name: [] for name in kernels}
    for _ in range(5):
        for name, (run, args, fl) in kernels.items():
            w, c = timed(lambda run=run, args=args: run(*args).block_until_ready())
            wall[name].append(fl / w / 1e9)
            cpu[name].append(fl / c / 1e9)
    rate = {name: statistics.median(v) for name, v in wall.items()}
    per_cpu = {name: statistics.median(v) for name, v in cpu.items()}
    names = list(kernels)
    mm, mm_cpu = rate[names[-1]], per_cpu[names[-1]]
    print("\nCeiling: the second convolution's products alone, counting the network's conv2 "
          "FLOPs (212 of 264 MFLOP a point), same run, medians of 5\n")  # fmt: skip
    print("| kernel | GFLOP/s | vs matmul | GFLOP per CPU-second | vs matmul, CPU |")
    print("|---|---|---|---|---|")
    for name in names:
        print(f"| {name} | {rate[name]:.1f} | {rate[name] / mm:.0%} | "
              f"{per_cpu[name]:.1f} | {per_cpu[name] / mm_cpu:.0%} |")  # fmt: skip
    best = max((n for n in names if n.startswith("conv2")), key=lambda n: per_cpu[n])
    conv2 = 2.0 * n_examples * np.prod(cfg.blocks[1].side) * cfg.kernel**2
    conv2 *= cfg.blocks[1].in_channels * cfg.blocks[1].channels
    dense = 2.0 * n_examples * (cfg.flat_features * cfg.hidden + cfg.hidden * cfg.n_classes)
    t_conv2 = conv2 / (per_cpu[best] * 1e9)
    t_dense = dense / (per_cpu[names[-2]] * 1e9)
    t_loop, t_opt = 1.0 / loop_cpu, 1.0 / optviz_cpu
    print(f"\nCPU time a point: the loop {t_loop * 1e3:.2f} ms, optviz {t_opt * 1e3:.2f} ms "
          f"({t_loop / t_opt:.2f}x), optviz without its second convolution {rest * 1e3:.2f} ms. "
          f"The best conv2 layout ({best.split(':')[0]}) runs {per_cpu[best]:.1f} GFLOP per "
          f"CPU-second: conv2 alone {t_conv2 * 1e3:.2f} ms, the dense layers at their rate "
          f"{t_dense * 1e3:.2f} ms. Ratios over the loop possible: "
          f"{t_loop / t_conv2:.2f}x if all but conv2 were free, "
          f"{t_loop / (t_conv2 + t_dense):.2f}x with the dense layers, "
          f"{t_loop / (t_conv2 + rest):.2f}x with the rest of optviz's pass as measured. "
          f"3x the loop leaves {t_loop / 3 * 1e3:.2f} ms a point; optviz's other work "
          f"({rest * 1e3:.2f} ms) leaves conv2 {max(t_loop / 3 - rest, 0) * 1e3:.2f} ms: "
          f"{conv2 / max(t_loop / 3 - rest, 1e-9) / 1e9:.0f} GFLOP per CPU-second "
          f"({conv2 / max(t_loop / 3 - rest, 1e-9) / 1e9 / mm_cpu:.0%} of the matmul's "
          f"{mm_cpu:.0f}).")  # fmt: skip


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
    n = len(data.x_train)
    network = flops_per_example(cfg) * n  # a point, as the loop computes it
    done = 2.0 * blockforward.multiply_adds(cfg, grid_mod.POINTS_PER_DEVICE) * n  # optviz's
    flops = {"optviz": done, "loop": network, "vmap": network}

    # warm up (compile) everything first
    ev.on_plane(coords[: ev.block], plane.origin, plane.axes)
    w0 = plane.point(coords[:1])[0].astype(np.float32)
    one(w0).block_until_ready()
    vmapped(plane.point(coords[:8]).astype(np.float32)).block_until_ready()
    print(f"devices: {jax.device_count()}, block {ev.block} points, data chunk "
          f"{grid_mod.DATA_CHUNK} (loop: {LOOP_CHUNK}), {n} examples; a point: the "
          f"network {network / 1e6:.0f} MFLOP, optviz's layout {done / 1e6:.0f} MFLOP")  # fmt: skip

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
            w, c = timed(run)
            wall[name].append(count / w)
            cpu[name].append(count / c)
        mm_wall, mm_cpu = matmul_gflops()
        wall["matmul"].append(mm_wall)
        cpu["matmul"].append(mm_cpu)
    whole, whole_cpu = timed(lambda: ev.on_plane(coords, plane.origin, plane.axes))
    grid = ev.on_plane(coords[: ev.block], plane.origin, plane.axes)
    assert np.isfinite(grid).all()

    rate = {name: statistics.median(values) for name, values in wall.items()}
    per_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    mm, mm_cpu = rate["matmul"], per_cpu["matmul"]
    print(f"\n{side} x {side} grid over the {n} digits training images: {whole:.1f} s whole "
          f"({side * side / whole:.1f} points/s; {whole_cpu:.1f} s of CPU)\n")  # fmt: skip
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
        r, c, fl = rate[name], per_cpu[name], flops[name]
        print(f"| {label} | {r:.1f} | {r * fl / 1e9:.1f} | {r * fl / 1e9 / mm:.0%} | "
              f"{r / rate['loop']:.2f}x | {c:.1f} | {c * fl / 1e9:.1f} | "
              f"{c * fl / 1e9 / mm_cpu:.0%} | {c / per_cpu['loop']:.2f}x |")  # fmt: skip
    print(f"| matmul 1024 x 1024 float32 | - | {mm:.1f} | 100% | - | - | {mm_cpu:.1f} "
          "| 100% | - |")  # fmt: skip
    rest = without_conv2(cfg, data.x_train, data.y_train, sample, plane)
    ceiling(cfg, n, per_cpu["loop"], per_cpu["optviz"], rest)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 41)
