"""Every surface tells its lesson with the registry's defaults.

A surface's one-line lesson (`Surface.description`, shown by `optviz list` and
in the README's "What is inside" table) is a claim about what the classic
optimizers (Radford's six) do there with the per-surface defaults of
`optviz/optimizers/registry.py`, from the surface's own start points. Each
`Story` below is that claim as a check on the paths: distances to the known
minima, the known valley floors and axes, and, where a path is said to stop
in a local minimum, that minimum found again in numpy float64 from the
textbook formula (`tests/test_surfaces.py`'s oracles).

`STORIES` is also what `bench/tune_defaults.py` searches learning rates for,
and the gallery's captions are held to the same checks through the claims
written beside them in `gallery/gallery.toml`.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import optviz
from optviz import gallery, surfaces
from optviz.surfaces import Surface
from tests.test_surfaces import ORACLES

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = ("sgd", "momentum", "nag", "adagrad", "adadelta", "rmsprop")
ADAPTIVE = ("adagrad", "adadelta", "rmsprop")
HEAVY_BALL = ("momentum", "nag")
# The steps `optviz animate` runs by default: a lesson must show within them.
STEPS = 1000


# --- Measurements ----------------------------------------------------------------------


def first(mask: np.ndarray) -> int | None:
    """The first index where `mask` holds, or None."""
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def crossings(u: np.ndarray, tol: float) -> int:
    """How often `u` changes sign, counting only samples farther than `tol` from zero."""
    signs = np.sign(u[np.abs(u) > tol])
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


def zigzags(u: np.ndarray, tol: float) -> int:
    """Steps where `u` changes sign and straight back (+ - + or - + -), all three
    samples farther than `tol` from zero: a zig-zag, not a slow wave."""
    far = np.abs(u) > tol
    s = np.sign(u)
    turns = (s[:-2] * s[1:-1] < 0) & (s[1:-1] * s[2:] < 0) & far[:-2] & far[1:-1] & far[2:]
    return int(np.count_nonzero(turns))


def _grad_hess(f: Callable, p: np.ndarray, h: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of f at p in float64."""
    e = np.eye(2) * h
    g = np.array([(f(*(p + e[i])) - f(*(p - e[i]))) / (2 * h) for i in range(2)])
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            H[i, j] = (
                f(*(p + e[i] + e[j]))
                - f(*(p + e[i] - e[j]))
                - f(*(p - e[i] + e[j]))
                + f(*(p - e[i] - e[j]))
            ) / (4 * h * h)
    return g, H


def basin_bottom(f: Callable, p: Sequence[float], iters: int = 200) -> tuple[np.ndarray, bool]:
    """Slide from p to the bottom of its basin of f (damped Newton, backtracking), float64.

    Returns the point and whether it is a strict local minimum (gradient ~ 0,
    Hessian positive definite).
    """
    p = np.asarray(p, dtype=np.float64)
    for _ in range(iters):
        g, H = _grad_hess(f, p)
        if np.linalg.norm(g) < 1e-9:
            break
        curv = np.linalg.eigvalsh(H)
        step = -np.linalg.solve(H, g) if curv.min() > 0 else -g / max(abs(curv).max(), 1.0)
        t = 1.0
        while f(*(p + t * step)) > f(*p) and t > 1e-12:
            t /= 2
        p = p + t * step
    g, H = _grad_hess(f, p)
    scale = max(1.0, abs(np.linalg.eigvalsh(H)).max())
    return p, bool(np.linalg.norm(g) < 1e-6 * scale and np.linalg.eigvalsh(H).min() > 0)


@functools.cache
def _start_basin(surface: str, start: tuple[float, float]) -> tuple[np.ndarray, bool]:
    return basin_bottom(ORACLES[surface], start)


@dataclass(frozen=True)
class Race:
    """The paths of one race from one start point: optimizer name -> (steps + 1, 2) float64."""

    surface: Surface
    xy: Mapping[str, np.ndarray]

    @property
    def near(self) -> float:
        """One percent of the picture: closer than this looks like "there"."""
        (x0, x1), (y0, y1) = self.surface.domain
        return 0.01 * max(x1 - x0, y1 - y0)

    @property
    def gap(self) -> int:
        """A twentieth of the race: the lead that reads as "first" in an animation."""
        return (len(next(iter(self.xy.values()))) - 1) // 20

    def f(self, name: str) -> np.ndarray:
        """The surface along a path, from the textbook formula in float64."""
        xy = self.xy[name]
        return ORACLES[self.surface.name](xy[:, 0], xy[:, 1])

    def distance(self, name: str, point: Sequence[float]) -> np.ndarray:
        xy = self.xy[name]
        return np.hypot(xy[:, 0] - point[0], xy[:, 1] - point[1])

    def arrival(self, name: str, point: Sequence[float] | None = None) -> int | None:
        """The first step within `near` of `point` (default: of any global minimum)."""
        points = [point] if point is not None else self.global_minima
        return first(np.min([self.distance(name, p) for p in points], axis=0) < self.near)

    @property
    def global_minima(self) -> list[tuple[float, float]]:
        return [m.xy for m in self.surface.minima if m.is_global]

    def left(self, name: str) -> int | None:
        """The first step outside the plotted domain."""
        (x0, x1), (y0, y1) = self.surface.domain
        x, y = self.xy[name].T
        return first((x < x0) | (x > x1) | (y < y0) | (y > y1))

    def ends_at(self, name: str) -> tuple[float, float] | None:
        """The global minimum the path ends at (within `near`), or None."""
        end = self.xy[name][-1]
        for p in self.global_minima:
            if math.hypot(end[0] - p[0], end[1] - p[1]) < self.near:
                return p
        return None

    def stays(self, name: str) -> bool:
        """The path ends where it started: at the bottom of its start point's basin, a
        local minimum that is not a global one (both found again in float64)."""
        xy = self.xy[name]
        if not np.isfinite(xy[-1]).all():
            return False
        bottom, is_min = _start_basin(self.surface.name, tuple(xy[0]))
        not_global = min(math.dist(bottom, p) for p in self.global_minima) > self.near
        return is_min and not_global and math.dist(bottom, xy[-1]) < self.near


def arrive_in_order(r: Race, groups: Sequence[Sequence[str]]) -> list[str]:
    """Each group arrives a visible while (`r.gap`) before every member of the next.

    The first group must arrive; later, a path that never arrives counts as last.
    """
    at = {n: r.arrival(n) for group in groups for n in group}
    wrong = [f"{n} never arrives" for n in groups[0] if at[n] is None]
    if wrong:
        return wrong
    for early, late in itertools.pairwise(groups):
        for a, b in itertools.product(early, late):
            if at[a] is None or (at[b] is not None and at[a] + r.gap > at[b]):
                wrong.append(f"{a} (step {at[a]}) is not clearly ahead of {b} (step {at[b]})")
    return wrong


def never_arrive(r: Race, names: Sequence[str]) -> list[str]:
    return [f"{n} arrives (step {r.arrival(n)})" for n in names if r.arrival(n) is not None]


def must_arrive(r: Race, names: Sequence[str]) -> list[str]:
    return [f"{n} never arrives" for n in names if r.arrival(n) is None]


# --- The stories -----------------------------------------------------------------------

Check = Callable[[Sequence[Race]], list[str]]


@dataclass(frozen=True)
class Story:
    """A surface's lesson and the check that the default paths tell it.

    `check` gets one `Race` per start point and returns what is wrong (empty:
    the story holds).
    """

    surface: str
    lesson: str
    optimizers: tuple[str, ...]
    check: Check
    steps: int = STEPS


def _saddle(races: Sequence[Race]) -> list[str]:
    r = races[0]
    wrong = []
    left = {n: r.left(n) for n in r.xy}
    wrong += [f"{n} never leaves the picture" for n in ADAPTIVE if left[n] is None]
    if wrong:
        return wrong
    last = max(left[n] for n in ADAPTIVE)
    for n in HEAVY_BALL:
        if left[n] is None:
            wrong.append(f"{n} never escapes")
        elif left[n] < last + r.gap:
            wrong.append(f"{n} leaves (step {left[n]}) with the adaptive methods ({last})")
        # from x < 0 it runs past the saddle to x > 0 before it turns away
        if r.xy[n][: left[n], 0].max() < r.near:
            wrong.append(f"{n} does not overshoot the saddle")
    d = float(r.distance("sgd", (0.0, 0.0))[last])
    if d > 10 * r.near:
        wrong.append(f"sgd is {d:.2f} from the saddle when the adaptive methods have left")
    return wrong


def _beale(races: Sequence[Race]) -> list[str]:
    r = races[0]
    wrong = arrive_in_order(r, [("rmsprop",), (*HEAVY_BALL, "adadelta")])
    wrong += must_arrive(r, HEAVY_BALL) + never_arrive(r, ("sgd", "adagrad"))
    for n in HEAVY_BALL:
        # overshooting: on its way down, the loss climbs back up by a visible amount
        f = r.f(n)
        rise = np.max(f - np.minimum.accumulate(f))
        if rise < 0.01 * (f[0] - f.min()):
            wrong.append(f"{n} never climbs back up (largest rise {rise:.2g})")
    return wrong


def _long_valley(races: Sequence[Race]) -> list[str]:
    r = races[0]
    height = np.ptp(r.surface.domain[1])
    # the floor is y = 0; count crossings farther than 1% of the picture's height from it
    tol = 0.01 * height
    cross = crossings(r.xy["sgd"][:, 1], tol)
    wrong = [f"sgd crosses the floor only {cross} times"] if cross < 10 else []
    # momentum may sway across the valley (a slow wave), but never zig-zags
    wrong += [f"{n} zig-zags" for n in HEAVY_BALL if zigzags(r.xy[n][:, 1], tol)]
    wrong += arrive_in_order(r, [HEAVY_BALL, ("sgd", *ADAPTIVE)]) + must_arrive(r, ("sgd",))
    if not wrong and max(r.arrival(n) for n in HEAVY_BALL) > r.arrival("sgd") / 2:
        wrong.append("momentum and nag take more than half the steps sgd takes")
    return wrong


def _rosenbrock(races: Sequence[Race]) -> list[str]:
    r = races[0]
    wrong = []
    for n in r.xy:
        x, y = r.xy[n].T
        found = first(np.abs(y - x**2) < r.near)  # the valley floor is y = x^2
        arrived = r.arrival(n)
        # easy to find: on the floor within the first twentieth of the race;
        # hard to follow: not at the minimum within the first half
        if found is None or found > len(x) // 20:
            wrong.append(f"{n} reaches the valley floor only at step {found}")
        if arrived is not None and arrived < len(x) // 2:
            wrong.append(f"{n} follows the valley to the minimum by step {arrived}")
    if r.arrival("sgd") is not None:
        wrong.append(f"sgd reaches the minimum (step {r.arrival('sgd')})")
    return wrong


def _himmelblau(races: Sequence[Race]) -> list[str]:
    wrong = []
    for n in races[0].xy:
        ends = [r.ends_at(n) for r in races[:2]]
        if None in ends:
            wrong.append(f"{n} does not end at a minimum from both starts: {ends}")
        elif ends[0] == ends[1]:
            wrong.append(f"{n} ends at {ends[0]} from both starts")
    return wrong


def _every_one_arrives(races: Sequence[Race]) -> list[str]:
    return must_arrive(races[0], list(races[0].xy))


def _bowl(races: Sequence[Race]) -> list[str]:
    r = races[0]
    # steep-axis coordinate of the formula: R(30°)^T (p - c), second row
    x, y = r.xy["sgd"].T
    t = math.radians(30.0)
    v = -math.sin(t) * (x - 1.0) + math.cos(t) * (y - 0.5)
    wrong = []
    if crossings(v, r.near) < 10:
        wrong.append(f"sgd crosses the bowl's long axis only {crossings(v, r.near)} times")
    return wrong + must_arrive(r, ("sgd",))


def _rolls_over(races: Sequence[Race], rolls: Sequence[str], stops: Sequence[str]) -> list[str]:
    r = races[0]
    wrong = [f"{n} does not end at a global minimum" for n in rolls if r.ends_at(n) is None]
    wrong += [f"{n} does not stop in its start's basin" for n in stops if not r.stays(n)]
    return wrong


def _every_one_stays(races: Sequence[Race]) -> list[str]:
    r = races[0]
    return [f"{n} does not stop in its start's basin" for n in r.xy if not r.stays(n)]


STORIES: dict[str, Story] = {
    s.surface: s
    for s in (
        Story(
            "saddle",
            "The saddle x^2 - y^2: SGD stalls at the saddle point, the adaptive methods "
            "escape first, Momentum overshoots it before it escapes.",
            CLASSIC,
            _saddle,
        ),
        Story(
            "bowl",
            "A convex quadratic with condition number 20, rotated 30°: SGD zig-zags "
            "across it on its way to the minimum.",
            ("sgd",),
            _bowl,
        ),
        Story(
            "long_valley",
            "A long narrow valley with a gentle floor: SGD zig-zags, momentum runs.",
            CLASSIC,
            _long_valley,
        ),
        Story(
            "beale",
            "Beale's flat, curved valley: RMSProp arrives first, Momentum overshoots and "
            "loops back, SGD and Adagrad still crawl at step 1000.",
            CLASSIC,
            _beale,
        ),
        Story(
            "rosenbrock",
            "The banana: a curved, nearly flat valley, easy to find and hard to follow.",
            CLASSIC,
            _rosenbrock,
        ),
        Story(
            "himmelblau",
            "Four equal minima around one local maximum: nearby starts end in different basins.",
            CLASSIC,
            _himmelblau,
        ),
        Story(
            "booth",
            "A tilted quadratic bowl (condition number 9): the easy warm-up, where every "
            "classic optimizer arrives.",
            CLASSIC,
            _every_one_arrives,
        ),
        Story(
            "six_hump_camel",
            "Six humps, two global minima: Momentum rolls over a hump into a global one, "
            "SGD stops in the side minimum it starts in.",
            ("sgd", "momentum"),
            functools.partial(_rolls_over, rolls=("momentum",), stops=("sgd",)),
        ),
        Story(
            "styblinski_tang",
            "Four basins of unequal depth: Momentum crosses a ridge into the deepest, SGD "
            "stops in the one it starts in.",
            ("sgd", "momentum"),
            functools.partial(_rolls_over, rolls=("momentum",), stops=("sgd",)),
        ),
        Story(
            "rastrigin",
            "An egg crate of local minima on a bowl: every classic optimizer stops in the "
            "dip it starts in.",
            CLASSIC,
            _every_one_stays,
        ),
        Story(
            "ackley",
            "A dimpled plateau around one deep funnel: every classic optimizer stops in the "
            "dimple it starts in.",
            CLASSIC,
            _every_one_stays,
        ),
    )
}


def races_of(result: optviz.Trajectories, steps: int | None = None) -> list[Race]:
    """One `Race` per start point, cut at `steps` (default: all of it)."""
    surface = surfaces.get(result.surface)
    stop = None if steps is None else steps + 1
    return [
        Race(
            surface,
            {
                n: np.asarray(result.positions[i, s, :stop], dtype=np.float64)
                for i, n in enumerate(result.optimizers)
            },
        )
        for s in range(len(result.starts))
    ]


# --- Running the races -----------------------------------------------------------------

# One step of bench/tune_defaults.py's grid: a story must not hang on one exact number.
NUDGE = 10 ** (1 / 80)


@functools.cache
def _race(surface: str, names: tuple, starts: tuple | None, steps: int, hp: tuple) -> tuple:
    """Races of `names` from every start; `hp` is ((param, ((optimizer, value), ...)), ...).

    Every registry optimizer runs beside them (a path does not depend on the others in
    its race: tests/test_engine.py), so the story races and tests/test_defaults.py's
    races of the defaults are one compiled program per surface."""
    everyone = list(dict.fromkeys([*optviz.optimizers.names(), *names]))
    result = optviz.trajectories(
        everyone, surface, starts=starts, steps=steps, **{k: dict(v) for k, v in hp}
    )
    return tuple(Race(r.surface, {n: r.xy[n] for n in names}) for r in races_of(result))


def _frozen(hparams: Mapping[str, Mapping[str, float]]) -> tuple:
    """{param: {optimizer: value}} as a hashable key."""
    return tuple(sorted((k, tuple(sorted(v.items()))) for k, v in hparams.items()))


def default_races(story: Story, scale: float = 1.0, **lr: float) -> tuple[Race, ...]:
    """The story's race with the registry's defaults from the surface's own starts;
    `scale` multiplies every learning rate, `lr` replaces some."""
    if scale == 1.0 and not lr:
        return _race(story.surface, story.optimizers, None, story.steps, ())
    rates = {
        n: lr.get(n, scale * optviz.optimizers.spec(n).resolve(story.surface)["learning_rate"])
        for n in story.optimizers
    }
    return _race(story.surface, story.optimizers, None, story.steps, _frozen({"lr": rates}))


# --- The tests -------------------------------------------------------------------------


def test_measurements_on_paths_with_known_answers():
    assert first(np.array([False, False, True, True])) == 2
    assert first(np.zeros(3, bool)) is None
    assert crossings(np.array([1.0, -1.0, 1.0, -0.5]), 0.1) == 3
    # wiggles closer to the line than the tolerance are not crossings
    assert crossings(np.array([1.0, 0.05, -0.05, 1.0, -1.0]), 0.1) == 1
    assert zigzags(np.array([1.0, -1.0, 1.0, -1.0]), 0.1) == 2
    # a slow wave crosses as often but never turns straight back
    assert zigzags(np.sin(np.arange(40) * 2 * np.pi / 9), 0.1) == 0
    bottom, is_min = basin_bottom(ORACLES["himmelblau"], (2.5, 1.5))
    np.testing.assert_allclose(bottom, (3.0, 2.0), atol=1e-7)
    assert is_min
    # the saddle point is stationary but not a minimum
    assert not basin_bottom(ORACLES["six_hump_camel"], (0.0, 0.0))[1]
    # a path that ends where it started, in Rastrigin's dip next to (-4, 4)
    xy = np.array([[-3.7, 4.3], [-3.9, 4.1], [-3.98, 3.98]])
    r = Race(surfaces.get("rastrigin"), {"a": xy, "b": xy[::-1]})
    assert r.stays("a") and not r.stays("b")
    assert r.arrival("a", (-3.98, 3.98)) == 2 and r.arrival("a") is None


def test_every_surface_states_the_lesson_its_story_checks():
    assert set(STORIES) == set(surfaces.names())
    for name, story in STORIES.items():
        assert surfaces.get(name).description == story.lesson, name


def test_readme_table_states_each_lesson():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## What is inside", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+?) \|$", table, re.M))
    assert rows == {name: story.lesson for name, story in STORIES.items()}


@pytest.mark.parametrize("surface", list(STORIES))
def test_each_story_holds_with_the_defaults(surface):
    story = STORIES[surface]
    assert story.check(default_races(story)) == []


@pytest.mark.parametrize("surface", list(STORIES))
def test_each_story_holds_a_step_either_side_of_the_defaults(surface):
    story = STORIES[surface]
    for scale in (1 / NUDGE, NUDGE):
        assert story.check(default_races(story, scale)) == [], scale


# Settings under which a lesson is false, so its check must fail: the defaults before
# the stories were checked (each told another story) and, where those already told it,
# a learning rate that breaks it.
BROKEN = {
    "saddle": {"adagrad": 0.02},  # old default: Adagrad barely moves
    "bowl": {"sgd": 0.01},  # old default: SGD slides down without a zig-zag
    "long_valley": {"sgd": 0.063, "momentum": 6.3e-3, "nag": 6.3e-3},  # old: the opposite
    "beale": {"momentum": 5e-4, "nag": 5e-4},  # old default: Momentum never arrives
    "six_hump_camel": {"sgd": 0.063},  # old default: SGD's first step jumps the hump
    "styblinski_tang": {"sgd": 0.04},  # old default: likewise, across the ridge
    "ackley": {"sgd": 0.1},  # old default: SGD hops from dimple to dimple
    "booth": {"sgd": 1e-4},  # too small a step to arrive in 1000 steps
    "rastrigin": {"sgd": 0.01},  # large enough to hop out of its dip
}


@pytest.mark.parametrize("surface", list(BROKEN))
def test_each_check_fails_where_its_lesson_is_false(surface):
    story = STORIES[surface]
    assert story.check(default_races(story, **BROKEN[surface]))


def test_rosenbrock_check_fails_on_a_path_that_follows_the_valley_fast():
    # from the start straight onto the floor y = x^2, then along it in 40 steps
    x = np.concatenate([[-1.2], np.linspace(-1.2, 1.0, 40), np.ones(STEPS - 40)])
    xy = np.stack([x, x**2], axis=1)
    xy[0, 1] = 1.0
    race = Race(surfaces.get("rosenbrock"), dict.fromkeys(CLASSIC, xy))
    wrong = STORIES["rosenbrock"].check([race])
    assert "momentum follows the valley to the minimum by step 40" in wrong


def test_himmelblau_check_fails_when_both_starts_share_a_basin():
    story = STORIES["himmelblau"]
    starts = ((-0.5, -1.5), (-1.0, -2.0))  # both below the local maximum's saddle ring
    races = _race("himmelblau", story.optimizers, starts, story.steps, ())
    assert "sgd ends at (-3.77931, -3.283186) from both starts" in story.check(races)


# --- The gallery's captions ------------------------------------------------------------
# gallery/gallery.toml writes what each caption claims as data beside it, in a
# [claims.NAME] table (see the comment there); here each claim is checked on the
# entry's own settings.

SPEC = ROOT / "gallery" / "gallery.toml"
ENTRIES = {e.name: e for e in gallery.load(SPEC)}
CLAIMS = tomllib.loads(SPEC.read_text(encoding="utf-8")).get("claims", {})


def claim_failures(r: Race, claims: Mapping) -> list[str]:
    """What is wrong with a gallery entry's claims on its race `r`."""
    wrong = []
    if claims.get("story"):
        wrong += STORIES[r.surface.name].check([r])
    if "order" in claims:
        wrong += arrive_in_order(r, claims["order"])
        wrong += must_arrive(r, [n for group in claims["order"] for n in group])
    wrong += never_arrive(r, claims.get("not_arrived", ()))
    for n, steps in claims.get("arrive_within", {}).items():
        if r.arrival(n) is None or r.arrival(n) > steps:
            wrong.append(f"{n} arrives at step {r.arrival(n)}, not within {steps}")
    for a, b in claims.get("same_path", ()):
        apart = float(np.max(np.hypot(*(r.xy[a] - r.xy[b]).T)))
        if apart >= r.near:
            wrong.append(f"{a} and {b} part by {apart:.3g}")
    for n in [*claims.get("settles", ()), *claims.get("hovers", ())]:
        tail = r.xy[n][-(len(r.xy[n]) // 10) :]
        travel = float(np.sum(np.hypot(*np.diff(tail, axis=0).T)))
        settles = travel < r.near
        if settles != (n in claims.get("settles", ())):
            verb = "keeps moving" if not settles else "settles"
            wrong.append(f"{n} {verb}: {travel:.3g} in the last tenth")
    wrong += must_arrive(r, claims.get("hovers", ()))
    for n, point in claims.get("basins", {}).items():
        bottom, _ = basin_bottom(ORACLES[r.surface.name], r.xy[n][-1])
        if math.dist(bottom, point) >= r.near:
            wrong.append(f"{n} ends in the basin of {tuple(bottom.round(3))}, not {point}")
    return wrong


def entry_race(entry: gallery.Entry) -> Race:
    """The entry's race, from its own settings (run for at least the story steps and
    cut: a scan's first steps do not depend on how many follow)."""
    by_param: dict[str, dict[str, float]] = {}
    for optimizer, params in entry.hparams.items():
        for param, value in params.items():
            by_param.setdefault(param, {})[optimizer] = value
    steps = max(entry.steps, STEPS)
    races = _race(entry.surface, entry.optimizers, entry.starts, steps, _frozen(by_param))
    assert len(races) == 1, "a gallery claim is about one start point"
    return Race(races[0].surface, {n: xy[: entry.steps + 1] for n, xy in races[0].xy.items()})


def test_every_gallery_entry_has_claims():
    assert set(CLAIMS) == set(ENTRIES)
    known = {"story", "order", "not_arrived", "arrive_within", "same_path", "settles",
             "hovers", "basins"}  # fmt: skip
    for name, claims in CLAIMS.items():
        assert claims and set(claims) <= known, name


@pytest.mark.parametrize("name", list(ENTRIES))
def test_gallery_captions_hold(name):
    assert claim_failures(entry_race(ENTRIES[name]), CLAIMS[name]) == []


def test_the_lecture_animations_use_the_defaults():
    for name in ("saddle_point", "beales_function", "long_valley"):
        assert not ENTRIES[name].hparams, name
        assert CLAIMS[name].get("story"), name
