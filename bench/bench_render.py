"""optviz's renderer against the usual FuncAnimation + PillowWriter recipe.

Same picture both ways: the six classic optimizers' paths (3000 steps each, from
optviz.trajectories) on Beale's function, 600x450 px, 150 frames, filled log
contours, minimum marked, legend, step counter. Prints wall time and file size of
each, and the ratios; times are medians of three runs.

    python bench/bench_render.py [--repeats 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path as FsPath

import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import optviz as optviz_api
from optviz import surfaces
from optviz.paths import Path
from optviz.render import render
from optviz.render.labels import color_of, legend_texts
from optviz.surfaces.base import Surface

SIZE, FRAMES, FPS, STEPS = (600, 450), 150, 30, 3000
OPTIMIZERS = ("sgd", "momentum", "nag", "adagrad", "adadelta", "rmsprop")


def race() -> tuple[Surface, list[Path]]:
    """The six classic optimizers on Beale from its default start, with the registry's
    default hyperparameters: real trajectories, computed once and drawn both ways."""
    result = optviz_api.trajectories(list(OPTIMIZERS), "beale", steps=STEPS - 1)
    return surfaces.get("beale"), result.paths()


def baseline(surface: Surface, paths: list[Path], out: FsPath) -> None:
    """The tutorial recipe: FuncAnimation updating line data, saved with PillowWriter."""
    w, h = SIZE
    fig = Figure(figsize=(w / 100, h / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    X, Y, Z = surface.grid(300)
    levels = np.geomspace(Z.max() * 1e-5, Z.max(), 35)
    ax.contourf(
        X, Y, np.clip(Z, levels[0] / 2, None), levels=levels, cmap="bone", norm="log", extend="both"
    )
    ax.contour(X, Y, Z, levels=levels, colors="grey", linewidths=0.7, alpha=0.45)
    ax.plot(3.0, 0.5, "*", ms=18, color="#ffc400", mec="k")
    colors, texts = [color_of(p) for p in paths], legend_texts(paths)
    lines = [
        ax.plot([], [], lw=2.5, color=c, label=t)[0] for c, t in zip(colors, texts, strict=True)
    ]
    heads = [ax.plot([], [], "o", ms=10, color=c, mec="w")[0] for c in colors]
    counter = ax.text(0.98, 0.98, "", transform=ax.transAxes, ha="right", va="top")
    ax.set(xlim=(-4.5, 4.5), ylim=(-4.5, 4.5), xlabel="x", ylabel="y", title="Beale")
    ax.legend(loc="upper left", fontsize=9)
    steps = np.rint(np.linspace(0, STEPS - 1, FRAMES)).astype(int)

    def animate(k):
        s = steps[k]
        for p, line, head in zip(paths, lines, heads, strict=True):
            line.set_data(p.xy[: s + 1, 0], p.xy[: s + 1, 1])
            head.set_data(p.xy[s : s + 1, 0], p.xy[s : s + 1, 1])
        counter.set_text(f"step {s}")
        return [*lines, *heads, counter]

    anim = FuncAnimation(fig, animate, frames=FRAMES, blit=True)
    anim.save(out, writer=PillowWriter(fps=FPS))


def optviz(surface: Surface, paths: list[Path], out: FsPath) -> None:
    render(surface, paths, out, view="2d", frames=FRAMES, fps=FPS, size=SIZE, title="Beale")


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--keep", type=FsPath, default=None, help="folder to keep the GIFs in")
    args = ap.parse_args()
    surface, paths = race()  # JAX start-up and the trajectories are not the renderer's cost
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or FsPath(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = {}
        for name, fn in (
            ("matplotlib FuncAnimation + PillowWriter", baseline),
            ("optviz.render", optviz),
        ):
            out = folder / f"{name.split()[0].split('.')[0]}.gif"
            times = [timed(fn, surface, paths, out) for _ in range(args.repeats)]
            rows[name] = (statistics.median(times), out.stat().st_size)
    (tb, sb), (to, so) = rows.values()
    print(
        f"{FRAMES} frames, {SIZE[0]}x{SIZE[1]} px, {len(paths)} paths x {STEPS} steps, "
        f"Beale; median of {args.repeats} runs"
    )
    print(f"| {'method':<40} | {'time (s)':>8} | {'size (KB)':>9} |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 11}|")
    for name, (t, s) in rows.items():
        print(f"| {name:<40} | {t:8.2f} | {s / 1024:9.0f} |")
    print(f"| {'ratio (baseline / optviz)':<40} | {tb / to:7.1f}x | {sb / so:8.1f}x |")


if __name__ == "__main__":
    main()
