"""Tune the registry's per-surface learning rates (the numbers in optviz/optimizers/registry.py).

Two passes, printed side by side with the registry's current values:

1. Plain: for every optimizer and surface with a known minimum, the smallest
   learning rate on a log grid (5 per decade) that cuts the gap to the minimum
   a thousandfold by the end of 500 steps (mean over the last 10%) without
   diverging or leaving the domain: smooth paths that arrive, rather than the
   jumpiest lucky one. Where none does (multimodal surfaces), the one that
   ends lowest. Beale and the saddle take instead the settings of the public
   reproduction of Radford's animations (`LECTURE`). The registry started from
   these (see its docstring for the caps on the multimodal surfaces).
2. Lesson: every surface states a lesson, checked by its story in
   tests/test_stories.py. For the optimizers the story names, starting from
   the registry's current values, search a fine grid (80 per decade) for
   learning rates at which the story holds, also one grid step either side of
   each (and of all at once, as the test checks), and which pass
   tests/test_defaults.py's checks (finite, in view, downhill over 500 steps);
   among them keep the ones nearest the current values in log scale, so a
   learning rate moves only as far as the lesson needs. One optimizer at a
   time, then pairs where the story couples two (one must arrive before the
   other); Momentum and NAG move together (`SHARED`). Run on values that
   already tell every story, it changes nothing.

    python bench/tune_defaults.py [--only SURFACE ...]

It takes tens of minutes on two cores (thousands of story checks per surface).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

import optviz
from optviz import optimizers, surfaces

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.test_stories import STORIES, Race

# leovan's optimizers.py, the public reproduction of Radford's 2014 animations
# (see shared notes): SGD, momentum and NAG 5e-4 on Beale, 1e-2 on the saddle;
# Adagrad and RMSProp 2e-2; Adadelta 1.
LECTURE = {
    "beale": {"sgd": 5e-4, "momentum": 5e-4, "nag": 5e-4, "adagrad": 2e-2, "adadelta": 1.0,
              "rmsprop": 2e-2},
    "saddle": {"sgd": 1e-2, "momentum": 1e-2, "nag": 1e-2, "adagrad": 2e-2, "adadelta": 1.0,
               "rmsprop": 2e-2},
}  # fmt: skip
PLAIN_GRID = np.round(np.logspace(-4, 1, 26), 6)
FINE_GRID = np.array([float(f"{v:.3g}") for v in np.logspace(-4, 1, 401)])  # 80 per decade
# Optimizers that share one learning rate, so that their race shows their different
# dynamics rather than different step sizes (NAG is momentum with a look-ahead).
SHARED = (("momentum", "nag"),)
CHECK_STEPS = 500  # tests/test_defaults.py's run
ESCAPES = {"saddle"}  # tests/test_defaults.py: leaving the view is the point there


def plain(name: str, surface: surfaces.Surface, steps: int = CHECK_STEPS) -> float:
    """Pass 1: the smallest learning rate that arrives (or the lowest-ending one)."""
    if surface.name in LECTURE:
        return LECTURE[surface.name].get(name, float("nan"))
    s = optviz.sweep(name, surface, steps=steps, lr=PLAIN_GRID)
    ok = admissible(surface, s.positions[:, 0], s.losses[:, 0], s.diverged_step[:, 0])
    with np.errstate(over="ignore", invalid="ignore"):
        tail = s.losses[:, 0, -max(1, steps // 10) :] - surface.global_min_value
        score = np.where(ok, tail.mean(axis=1), np.inf)
    if not np.isfinite(score).any():
        return float("nan")
    gap0 = s.losses[0, 0, 0] - surface.global_min_value
    arrived = np.flatnonzero(score <= 1e-3 * gap0)  # grid is ascending
    return float(PLAIN_GRID[arrived[0] if arrived.size else int(np.argmin(score))])


def admissible(surface, xy, loss, diverged) -> np.ndarray:
    """tests/test_defaults.py's checks over its 500 steps, one flag per grid value."""
    xy, loss = xy[:, : CHECK_STEPS + 1], loss[:, : CHECK_STEPS + 1]
    with np.errstate(invalid="ignore"):
        ok = loss[:, -1] < loss[:, 0]
    if surface.name in ESCAPES:
        return ok
    (x0, x1), (y0, y1) = surface.domain
    inside = (xy[..., 0] >= x0) & (xy[..., 0] <= x1) & (xy[..., 1] >= y0) & (xy[..., 1] <= y1)
    return ok & inside.all(axis=1) & ((diverged < 0) | (diverged > CHECK_STEPS))


def lesson(surface: surfaces.Surface, current: dict[str, float]):
    """Pass 2: learning rates that tell the surface's story robustly, nearest the current ones.

    Returns the learning rates, what is still wrong with the story there, and
    whether it also holds one grid step (6%) either side of each of them.
    """
    story = STORIES[surface.name]
    units = [g for g in SHARED if set(g) <= set(story.optimizers)]
    units += [(n,) for n in story.optimizers if not any(n in g for g in units)]
    grid = {u: np.unique(np.append(FINE_GRID, current[u[0]])) for u in units}
    paths, ok = {}, {}  # name -> (grid, starts, steps + 1, 2); name -> (grid,) admissible
    for u in units:
        for n in u:
            s = optviz.sweep(n, surface, steps=story.steps, lr=grid[u])
            paths[n] = np.asarray(s.positions, dtype=np.float64)
            ok[n] = admissible(surface, s.positions[:, 0], s.losses[:, 0], s.diverged_step[:, 0])

    def failures(choice: dict[tuple, int]) -> list[str]:
        races = [
            Race(surface, {n: paths[n][choice[u], k] for u in units for n in u})
            for k in range(len(surface.starts))
        ]
        return story.check(races)

    def fails(choice: dict[tuple, int]) -> float:
        if not all(ok[n][choice[u]] for u in units for n in u):
            return np.inf
        return len(failures(choice))

    def moved(choice: dict[tuple, int]) -> float:
        return sum(abs(np.log(grid[u][k] / current[u[0]])) for u, k in choice.items())

    def fragile(choice: dict[tuple, int]) -> float:
        """Failures one grid step away from the choice, in any one unit or in all at
        once (tests/test_stories.py checks the latter), summed."""
        last = {u: len(grid[u]) - 1 for u in units}

        def step(c, u, d):
            return min(max(c[u] + d, 0), last[u])

        near = [{**choice, u: step(choice, u, d)} for u in units for d in (-1, 1)]
        near += [{u: step(choice, u, d) for u in units} for d in (-1, 1)]
        return sum(fails(c) for c in near)

    def score(choice: dict[tuple, int]) -> tuple[float, float, float]:
        """Lexicographic: the story holds, then it holds nearby too, then moves least."""
        wrong = fails(choice)
        return (wrong, fragile(choice) if wrong == 0 else 0.0, moved(choice))

    pick = {u: int(np.flatnonzero(grid[u] == current[u[0]])[0]) for u in units}
    best = score(pick)
    for _ in range(8):
        before = best
        # one unit at a time, the others held
        for u in units:
            f = np.array([fails({**pick, u: k}) for k in range(len(grid[u]))])
            for k in np.argsort(f, kind="stable")[: max(1, int((f == f.min()).sum()))]:
                if (s := score(trial := {**pick, u: int(k)})) < best:
                    pick, best = trial, s
        if best[0] > 0:
            # the lesson couples two units (one must arrive before the other, ...):
            # try pairs, one on its whole grid and the other on every eighth value
            found = None
            for a, b in itertools.permutations(units, 2):
                for i in range(len(grid[a])):
                    for j in range(0, len(grid[b]), 8):
                        trial = {**pick, a: i, b: j}
                        if (s := (fails(trial), moved(trial))) < (found or (best[0], np.inf)):
                            found, pick_pair = s, trial
            if found is not None:
                pick, best = pick_pair, score(pick_pair)
        if best[0] == 0 and best[1] > 0:
            # holds, but not one step away: nudge two units at once by up to three steps
            last = {u: len(grid[u]) - 1 for u in units}
            for a, b in itertools.combinations(units, 2):
                for da, db in itertools.product(range(-3, 4), repeat=2):
                    trial = {**pick, a: min(max(pick[a] + da, 0), last[a])}
                    trial[b] = min(max(pick[b] + db, 0), last[b])
                    if (s := score(trial)) < best:
                        pick, best = trial, s
        if best == before:
            break
    values = {n: float(grid[u][k]) for u, k in pick.items() for n in u}
    return values, failures(pick), fragile(pick) == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="surfaces to tune")
    args = parser.parse_args()
    names = [n for n in optimizers.names() if n != "kfac"]
    for sname in args.only or surfaces.names():
        surface = surfaces.get(sname)
        story = STORIES.get(sname)
        current = {n: optimizers.spec(n).resolve(sname)["learning_rate"] for n in names}
        print(f"\n{sname}{'' if story else ' (no story)'}")
        told, wrong, steady = lesson(surface, current) if story else ({}, [], True)
        for n in names:
            first = plain(n, surface) if surface.global_min_value is not None else float("nan")
            new = told.get(n, current[n])
            mark = "  <- lesson" if new != current[n] else ""
            values = f"plain {first:<9.3g} current {current[n]:<9.3g} default {new:<9.3g}"
            print(f"  {n:<10} {values}{mark}")
        if story:
            verdict = "holds" if not wrong else f"FAILS: {'; '.join(wrong)}"
            print(f"  story {verdict}{'' if steady or wrong else ' (but not one grid step away)'}")


if __name__ == "__main__":
    main()
