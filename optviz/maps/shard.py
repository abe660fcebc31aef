"""Spread a map's pixels over every JAX device, a chunk at a time.

A map is a function of independent pixels, so its inputs are split along one axis:
a one-axis `Mesh` over `jax.devices()` (every device of every process) and a
`NamedSharding` that cuts the pixel axis into equal parts; `jit` partitions the
work. Each chunk is padded to a multiple of the device count (the padding repeats
the last pixel and is dropped again), so the same compiled program serves every
chunk. Chunks stream through: only one chunk's working set lives on the devices.

Across hosts (`start_distributed()` first, see the README) `jax.devices()` lists the
devices of every process: each process builds the same full input and hands its own
devices only their slices (`jax.make_array_from_callback`); the results are gathered
back to every process (`multihost_utils.process_allgather`), so each one holds the
whole map. tests/test_atlas_distributed.py runs two processes on one machine.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from optviz import interrupt
from optviz.errors import OptvizError

AXIS = "grid"
# Pixels per chunk and device: small enough that a chunk's carry stays in the CPU's
# caches across the steps of the scan, big enough to amortise a call.
CHUNK_PER_DEVICE = 16384

Progress = Callable[[int, int], None]


def start_distributed() -> None:
    """Join a multi-process JAX job (`jax.distributed.initialize`) before any other JAX
    work. The coordinator's host:port comes from JAX_COORDINATOR_ADDRESS, the number of
    processes and this one's rank from JAX_NUM_PROCESSES and JAX_PROCESS_ID; whatever
    is unset JAX detects itself on SLURM, Open MPI, Kubernetes and cloud TPUs."""
    kw = {}
    for env, key in (("JAX_NUM_PROCESSES", "num_processes"), ("JAX_PROCESS_ID", "process_id")):
        value = os.environ.get(env)
        if value:
            try:
                kw[key] = int(value)
            except ValueError:
                raise OptvizError(f"{env} must be a whole number; got {value!r}") from None
    try:
        jax.distributed.initialize(**kw)
    except (ValueError, RuntimeError) as e:
        raise OptvizError(
            "--distributed: set JAX_COORDINATOR_ADDRESS (host:port of process 0), "
            f"JAX_NUM_PROCESSES and JAX_PROCESS_ID, or run under SLURM or Open MPI ({e})"
        ) from None


def sharding() -> NamedSharding:
    """The pixel axis split over every device (of every process)."""
    return NamedSharding(Mesh(np.asarray(jax.devices()), (AXIS,)), PartitionSpec(AXIS))


def chunk_size(n: int, per_device: int = CHUNK_PER_DEVICE, fixed: bool = False) -> int:
    """Pixels per call, a multiple of the device count: `per_device` on each device if
    `fixed`, else the power of two that holds n / devices, at most `per_device` (so maps
    of similar size share one compiled program)."""
    ndev = jax.device_count()
    if fixed:
        return per_device * ndev
    need = math.ceil(n / ndev)
    return min(per_device, 1 << max(need - 1, 0).bit_length()) * ndev


def _place(a: np.ndarray, where: NamedSharding) -> jax.Array:
    return jax.make_array_from_callback(a.shape, where, lambda index: a[index])


def _fetch(a: jax.Array) -> np.ndarray:
    if jax.process_count() == 1:
        return np.asarray(a)
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(a, tiled=True))


def run(
    fn: Callable[[dict[str, jax.Array]], dict[str, jax.Array]],
    inputs: Mapping[str, np.ndarray],
    *,
    per_device: int = CHUNK_PER_DEVICE,
    fixed: bool = False,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """`fn` over all pixels: inputs and outputs are dicts of arrays whose first axis is
    the pixel. Returns numpy arrays holding every pixel, in order.

    fixed: every device gets exactly `per_device` pixels a call, however many devices
    and pixels there are. A pixel whose arithmetic depends on the batch's shape (a
    matrix product across pixels may be blocked differently) then comes out bit for
    bit the same on any number of devices."""
    n = len(next(iter(inputs.values())))
    size = chunk_size(n, per_device, fixed)
    where = sharding()
    parts: dict[str, list[np.ndarray]] = {}
    for lo in range(0, n, size):
        interrupt.check()
        hi = min(lo + size, n)
        chunk = {}
        for key, a in inputs.items():
            piece = np.asarray(a[lo:hi])
            if hi - lo < size:  # pad the last chunk with copies of its last pixel
                pad = np.repeat(piece[-1:], size - (hi - lo), axis=0)
                piece = np.concatenate([piece, pad])
            chunk[key] = _place(np.ascontiguousarray(piece), where)
        out = fn(chunk)
        for key, a in out.items():
            parts.setdefault(key, []).append(_fetch(a)[: hi - lo])
        if progress is not None:
            progress(hi, n)
    return {key: np.concatenate(p) for key, p in parts.items()}
