"""Whole-process times of a six-optimizer `optviz animate`, cold and warm, against the floor.

Each command runs as a fresh process in a temporary folder, timed from start to
exit; medians of repeats, the rows taken in turn within each repeat so that a
busy spell on a shared machine hits them all alike. The floor is a process that
only imports JAX and matplotlib: what any JAX + matplotlib tool pays before
doing anything. Every process finds its Python bytecode compiled, as on a user's
machine (see `PYCACHE`).

- empty cache: ``OPTVIZ_CACHE_DIR`` is a new, empty folder each time (compile
  everything, then write it to the cache);
- warm cache: the same folder every time, filled by one run before timing;
- cache off: ``OPTVIZ_CACHE_DIR=off`` (compile everything, write nothing).

A second table says where the time goes inside one animate process: imports,
the engine (`optviz.race`) and the renderer (`Race.save`), and within them (as
`jax.monitoring` reports it) tracing, lowering and compiling, or with a warm
cache fetching, JAX programs.

    python bench/bench_cold.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_WARM_OVER_FLOOR_S = 0.8
RACE = "sgd,momentum,nag,adagrad,adadelta,rmsprop"
ANIMATE = ["animate", RACE, "beale", "--frames", "150", "--size", "600x450", "-q"]


# Runs the command line in-process and reports how long it spent importing,
# in `optviz.race` (the engine) and in `Race.save` (the renderer), and, through
# jax.monitoring, how long JAX spent tracing, lowering and compiling or fetching
# programs from the cache.
PROBE = """
import collections, json, sys, time
t0 = time.perf_counter()
import jax.monitoring
spent = collections.defaultdict(float)
def listen(event, duration, **kwargs):
    program = kwargs.get("fun_name", "")
    who = "engine" if program in ("optviz_paths", "jit(optviz_paths)") else "other"
    spent[event.rsplit("/", 1)[-1] + " " + who] += duration
jax.monitoring.register_event_duration_secs_listener(listen)
from optviz import racing
from optviz.cli import main
spent["imports"] = time.perf_counter() - t0
def timed(key, fn):
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - start
    return run
racing.race = timed("race", racing.race)
racing.Race.save = timed("save", racing.Race.save)
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(spent))
"""
PHASES = {
    "imports (jax, matplotlib, optax, typer, optviz)": ["imports"],
    "optviz.race (the engine)": ["race"],
    "- of which tracing the engine's program": ["jaxpr_trace_duration engine"],
    "- of which lowering it": ["jaxpr_to_mlir_module_duration engine"],
    "- of which compiling it or fetching it from the cache": ["backend_compile_duration engine"],
    "Race.save (the renderer)": ["save"],
    "- of which eager JAX ops (trace, lower, compile or fetch)": [
        "jaxpr_trace_duration other",
        "jaxpr_to_mlir_module_duration other",
        "backend_compile_duration other",
    ],
}


# Python's compiled bytecode, cached as a user's Python caches it (in a folder of this
# run's, so nothing is written beside the sources). Some environments turn caching off
# (PYTHONDONTWRITEBYTECODE=1): then every process compiles optviz's editable sources
# anew (~0.1 s for animate), while jax and matplotlib come precompiled by pip, and the
# comparison with the floor would not be like with like.
PYCACHE: dict[str, str] = {}


def environment(cache: str | None) -> dict[str, str]:
    """This environment without JAX or optviz settings, bytecode cached in `PYCACHE`;
    OPTVIZ_CACHE_DIR=`cache` if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "OPTVIZ_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(PYCACHE)
    if cache is not None:
        env["OPTVIZ_CACHE_DIR"] = cache
    return env


def run_s(cmd: list[str], cwd: str, cache: str | None) -> tuple[float, float]:
    """Seconds from start to exit of `cmd`, and the CPU seconds (user + system) it used,
    with OPTVIZ_CACHE_DIR=`cache` (None: unset)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=environment(cache), check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def phases(cwd: str, cache: str) -> dict[str, float]:
    """Seconds JAX spent per phase in one `optviz animate` process (see PHASES)."""
    cmd = [sys.executable, "-c", PROBE, *ANIMATE]
    proc = subprocess.run(cmd, cwd=cwd, env=environment(cache), check=True, capture_output=True)
    spent = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return {name: sum(spent.get(k, 0.0) for k in keys) for name, keys in PHASES.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    optviz = [sys.executable, "-m", "optviz"]
    floor = [sys.executable, "-c", "import jax, matplotlib.pyplot"]
    with tempfile.TemporaryDirectory() as tmp:
        warm = str(Path(tmp) / "warm-cache")
        PYCACHE["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "bytecode")
        run_s(floor, tmp, None)  # compiles the floor's bytecode where this run keeps it
        run_s([*optviz, *ANIMATE], tmp, warm)  # fills the warm cache, and optviz's bytecode
        rows = {
            "python -c 'import jax, matplotlib.pyplot' (floor)": lambda i: run_s(floor, tmp, None),
            "optviz --help": lambda i: run_s([*optviz, "--help"], tmp, "off"),
            "animate, empty cache": lambda i: run_s(
                [*optviz, *ANIMATE], tmp, str(Path(tmp) / f"empty-{i}")
            ),
            "animate, warm cache": lambda i: run_s([*optviz, *ANIMATE], tmp, warm),
            "animate, cache off": lambda i: run_s([*optviz, *ANIMATE], tmp, "off"),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        spent: dict[str, list[dict[str, float]]] = {"empty cache": [], "warm cache": []}
        for i in range(args.repeats):
            for name, run in rows.items():
                times[name].append(run(i))
            spent["empty cache"].append(phases(tmp, str(Path(tmp) / f"probe-{i}")))
            spent["warm cache"].append(phases(tmp, warm))
    med = {name: statistics.median(w for w, _ in ts) for name, ts in times.items()}
    cpu = {name: statistics.median(c for _, c in ts) for name, ts in times.items()}
    floor_row = "python -c 'import jax, matplotlib.pyplot' (floor)"
    base, base_cpu = med[floor_row], cpu[floor_row]
    print(f"optviz animate {RACE} beale --frames 150 --size 600x450")
    print(f"whole processes, median of {args.repeats} (min-max in brackets); CPU = user + system")
    print("| command | wall (s) | over the floor (s) | CPU (s) | CPU over the floor (s) |")
    print("|---|---|---|---|---|")
    for name, ts in times.items():
        spread = f"{min(w for w, _ in ts):.2f}-{max(w for w, _ in ts):.2f}"
        print(
            f"| {name} | {med[name]:.2f} ({spread}) | {med[name] - base:+.2f} "
            f"| {cpu[name]:.2f} | {cpu[name] - base_cpu:+.2f} |"
        )
    print(f"\ninside one animate process: seconds spent, median of {args.repeats}")
    print("| phase | empty cache | warm cache |")
    print("|---|---|---|")
    for phase in PHASES:
        cells = [statistics.median(run[phase] for run in spent[c]) for c in spent]
        print(f"| {phase} | {cells[0]:.2f} | {cells[1]:.2f} |")
    over = med["animate, warm cache"] - base
    verdict = "met" if over <= TARGET_WARM_OVER_FLOOR_S else "not met"
    print(
        f"\nwarm cache: {over:.2f} s over the floor against a target of "
        f"{TARGET_WARM_OVER_FLOOR_S:.1f} s ({verdict}); "
        f"empty cache / warm cache: {med['animate, empty cache'] / med['animate, warm cache']:.2f}x"
    )


if __name__ == "__main__":
    main()
