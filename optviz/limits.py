"""How big a run or a picture may be, from this machine's memory, checked before any work.

Every limit names itself in its error, with what would fit. Pure Python: no JAX,
numpy or matplotlib, so anything may import it.
"""

from __future__ import annotations

import os

from optviz.errors import OptvizError

MEMORY_SHARE = 0.5  # what one run may take of the memory available when it starts
INT32_MAX = 2**31 - 1  # XLA counts loop trips and array sizes in 32-bit integers
MAX_SIDE = 16384  # pixels: Agg's largest canvas side (matplotlib's own limit is 2**16)


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), else the physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not on Linux
        return 8 * 2**30


def budget() -> int:
    """The bytes one run may use."""
    return int(available_memory() * MEMORY_SHARE)


def _gb(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_steps(steps: int, paths: int) -> None:
    """`steps` optimizer steps for `paths` paths fit in memory and in XLA's counters.

    The engine records, per path and step, a position (2 float32) and a loss (float32),
    held twice at most (device and host): 24 bytes a step."""
    per_step = 24 * max(int(paths), 1)
    limit = min(INT32_MAX - 1, budget() // per_step - 1)
    if steps > limit:
        need = (steps + 1) * per_step
        raise OptvizError(
            f"{steps:,} steps for {paths} path(s) need {_gb(need)} to record; the limit here "
            f"is {limit:,} steps ({_gb(budget())}, half of the memory available)"
        )


def check_size(width: int, height: int) -> None:
    """A `width` x `height` picture fits: each side at most MAX_SIDE pixels, and the
    figure's buffers (about eight RGBA copies of a frame) within the memory budget."""
    if width > MAX_SIDE or height > MAX_SIDE:
        raise OptvizError(
            f"size {width}x{height} is too large: each side may be at most {MAX_SIDE} pixels"
        )
    need = 8 * 4 * width * height
    if need > budget():
        raise OptvizError(
            f"size {width}x{height} needs about {_gb(need)} to draw; the limit here is "
            f"{_gb(budget())} (half of the memory available)"
        )


def check_map(pixels: int, bytes_per_pixel: int, what: str = "map") -> None:
    """A map of `pixels` runs, each keeping `bytes_per_pixel` of results (held twice at
    most: device and host), fits in memory and in XLA's 32-bit sizes."""
    need = 2 * int(pixels) * int(bytes_per_pixel)
    if pixels > INT32_MAX or need > budget():
        side = int((budget() / (2 * bytes_per_pixel)) ** 0.5)
        raise OptvizError(
            f"a {what} of {pixels:,} runs needs {_gb(need)} to keep its results; the limit "
            f"here is {_gb(budget())} (half of the memory available), about {side:,} x "
            f"{side:,} runs"
        )
