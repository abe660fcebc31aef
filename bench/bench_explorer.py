"""How fast the explorer follows a slider, against rebuilding the figure each time.

Six optimizers (SGD, Momentum, NAG, Adagrad, RMSProp, Adam) on Beale's function,
500 steps shown (runs of max_steps = 1000, cut to 500), 880x440 px picture with a
loss panel. Each row times one kind of user action, from setting the widget's value
to fresh PNG bytes in the image widget (recompute + redraw + encode), as the median
of repeated changes. The baseline does the same recompute but then builds the figure
from scratch (new Figure, contours, lines, legend) and encodes it: what a notebook
that re-plots on every slider callback does. Also checks that no change compiled.

    python bench/bench_explorer.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import time

import jax
import numpy as np

import optviz
from optviz.render.live import LiveFigure

NAMES = ("sgd", "momentum", "nag", "adagrad", "rmsprop", "adam")
STEPS, MAX_STEPS = 500, 1000

# Programs JAX traced (= compiled), by function name, reported through jax.monitoring.
TRACES: collections.Counter[str] = collections.Counter()


def count_traces(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/jaxpr_trace_duration":
        TRACES[kwargs.get("fun_name", "")] += 1


def median_ms(action, values) -> float:
    times = []
    for v in values:
        t0 = time.perf_counter()
        action(v)
        times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    n = args.repeats
    jax.monitoring.register_event_duration_secs_listener(count_traces)
    ex = optviz.explore("beale", NAMES, steps=STEPS, max_steps=MAX_STEPS)
    # warm up: every code path once (compiles nothing new afterwards)
    ex.lr_sliders["adam"].value = 0.03
    ex.step_slider.value = 100
    ex.step_slider.value = STEPS
    traces = TRACES.total()

    lrs = np.geomspace(5e-3, 5e-2, n)
    starts = np.linspace(1.6, 2.4, n)
    rows = []

    def set_lr(v):
        ex.lr_sliders["adam"].value = float(v)

    rows.append(("lr slider (recompute 1 optimizer + redraw)", median_ms(set_lr, lrs)))

    def set_momentum(v):
        ex.extra_sliders["momentum"].value = float(v)

    rows.append(("momentum slider (1 optimizer + redraw)", median_ms(set_momentum, 0.8 + lrs)))

    def set_start(v):
        ex.start_x.value = float(v)

    rows.append(("start x (recompute all 6 + redraw)", median_ms(set_start, starts)))

    def scrub(v):
        ex.step_slider.value = int(v)

    rows.append(("step scrubber (redraw only)", median_ms(scrub, np.linspace(10, STEPS, n))))
    compiled = TRACES.total() - traces

    def rebuild(v):
        ex.lr_sliders["adam"].value = float(v)  # the same recompute (and a redraw) ...
        view = LiveFigure(ex.surface, size=ex.size, title=ex.surface.name)
        view.show(ex.result.paths(), ex.step_slider.value, start=ex.start)
        view.png()  # ... then the whole figure again, from scratch

    baseline = median_ms(rebuild, lrs[::-1])
    rows.append(("baseline: lr slider + rebuild the figure", baseline))

    print(
        f"explorer, {len(NAMES)} optimizers x {STEPS} steps on beale, 880x440 px, "
        f"median of {n} changes; compilations during the changes: {compiled}"
    )
    print(f"| {'action':<46} | {'ms':>7} | {'vs baseline':>11} |")
    print(f"|{'-' * 48}|{'-' * 9}|{'-' * 13}|")
    for name, ms in rows:
        print(f"| {name:<46} | {ms:7.1f} | {baseline / ms:10.1f}x |")


if __name__ == "__main__":
    main()
