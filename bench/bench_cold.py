"""Cold-process times: `optviz animate adam beale` and `optviz --help`.

Each command runs as a fresh process in a temporary folder; medians of
repeats. The floor is a process that only imports JAX and matplotlib, measured
in the same run: what any JAX + matplotlib tool pays before doing anything.

    python bench/bench_cold.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_ANIMATE_S = 3.0


def median_time(cmd: list[str], repeats: int, cwd: str) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    optviz = [sys.executable, "-m", "optviz"]
    with tempfile.TemporaryDirectory() as tmp:
        floor = [sys.executable, "-c", "import jax, matplotlib.pyplot"]
        rows = [
            ("python: import jax, matplotlib (floor)", floor),
            ("optviz --help", [*optviz, "--help"]),
            ("optviz animate adam beale", [*optviz, "animate", "adam", "beale", "-q"]),
        ]
        print(f"cold processes, median of {args.repeats}")
        print("| command | time (s) |")
        print("|---|---|")
        results = {}
        for name, cmd in rows:
            results[name] = median_time(cmd, args.repeats, tmp)
            print(f"| {name} | {results[name]:.2f} |")
        size = (Path(tmp) / "adam_beale.gif").stat().st_size
    animate = results["optviz animate adam beale"]
    print(
        f"\nanimate: {animate:.2f} s against a target of {TARGET_ANIMATE_S:.1f} s "
        f"({animate / TARGET_ANIMATE_S:.2f}x of the target); GIF {size / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
