"""Surfaces brought by the user (surfaces/custom.py): from a formula or a function, with
found minima checked against the published ones, and the same paths as the registry's
surface where the function is the same; the command line's formula and --domain."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

import optviz
from optviz.cli import app
from optviz.errors import OptvizError
from optviz.i18n import text
from optviz.surfaces import get, surface
from optviz.surfaces.least_squares import rosenbrock_residuals

HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"
ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
BOX = ((-5.0, 5.0), (-5.0, 5.0))


def test_found_minima_are_the_published_ones_marked_found():
    made = surface(HIMMELBLAU, domain=BOX)
    known = get("himmelblau").minima  # Himmelblau's four, from the literature
    assert len(made.minima) == 4 and all(m.found for m in made.minima)
    for k in known:
        nearest = min(made.minima, key=lambda m: math.dist(m.xy, k.xy))
        assert math.dist(nearest.xy, k.xy) < 1e-3
        assert nearest.value < 1e-6
    rosen = surface(ROSENBROCK, domain=((-2, 2), (-1, 3)))  # a flat valley floor: one minimum
    [m] = rosen.minima
    assert math.dist(m.xy, (1.0, 1.0)) < 1e-3


def test_default_start_levels_and_domain_as_documented():
    bowl = surface("x**2 + 10*y**2", domain=((-3, 3), (-2, 2)))
    assert bowl.start == pytest.approx((-1.8, 1.2))  # a fifth in from the top-left corner
    assert bowl.levels.kind == "linear"
    assert surface(ROSENBROCK, domain=((-2, 2), (-1, 3))).levels.kind == "log"  # decades
    # Himmelblau has a minimum near the top-left fifth point: the top-right one is used
    assert surface(HIMMELBLAU, domain=BOX).start == pytest.approx((3.0, 3.0))
    # not finite there (log of a negative number): the nearest finite grid point
    start = surface("log(x)", domain=((-1, 1), (-1, 1))).start
    assert start[0] > 0 and np.isfinite(float(jnp.log(start[0])))


def test_same_function_same_paths_as_the_registry_surface():
    """A function of Rosenbrock gives the registry's paths bit for bit (given the same
    hyperparameters: tuned defaults are the registry surface's own); with its
    residuals, K-FAC's Gauss-Newton steps are the registry's too."""
    reg = get("rosenbrock")
    kw = dict(starts=[(-1.5, 2.0)], steps=40, lr={"sgd": 1e-3, "kfac": 0.5}, damping=1.0)
    want = optviz.trajectories(["sgd", "kfac"], "rosenbrock", **kw)
    own = surface(reg.fn, domain=reg.domain, residuals=rosenbrock_residuals)
    got = optviz.trajectories(["sgd", "kfac"], own, **kw)
    np.testing.assert_array_equal(got.positions, want.positions)
    assert got.surface == "rosenbrock"  # the function's __name__


BOWL, BOWL_BOX = "x**2 + 10*y**2", ((-3, 3), (-2, 2))


def test_race_on_a_formula_kfac_by_empirical_fisher_found_minimum_in_the_legend():
    from optviz.render import make_stage

    race = optviz.race(["adam", "kfac"], BOWL, domain=BOWL_BOX, steps=200)
    made = race.surface
    assert made.name == BOWL and made.domain == ((-3.0, 3.0), (-2.0, 2.0))
    assert made.minima[0].found and made.minima[0].xy == pytest.approx((0, 0), abs=1e-4)
    # no residuals: K-FAC's empirical-Fisher settings from the registry, and it arrives
    assert race.result.hparams["kfac"]["damping"] == 10.0
    assert race.diverged["kfac"] is None
    assert race.losses["kfac"][-1] < 1e-2 * race.losses["kfac"][0]
    stage, _ = make_stage(made, race.drawn_paths(), view="2d", size=(480, 360))
    labels = [t.get_text() for t in stage.fig.legends[0].get_texts()]
    assert labels == ["Adam", "K-FAC", "found minimum"]
    assert text("found_minimum", "ja") == "数値で求めた最小点"
    stage, _ = make_stage(get("beale"), [], view="2d", size=(480, 360))
    assert stage.fig.legends == []  # known minima: no legend entry


def test_race_takes_a_function_and_a_domain():
    def bowl(xy):
        return xy[0] ** 2 + 10 * xy[1] ** 2

    made = surface(bowl, domain=BOWL_BOX)
    assert made.name == "bowl" and made.start == pytest.approx((-1.8, 1.2))
    with pytest.raises(OptvizError, match="needs a domain"):
        optviz.race("adam", bowl)


@pytest.mark.parametrize(
    ("source", "domain", "words"),
    [
        ("x**2", None, "needs a domain"),
        (lambda xy: xy[0], None, "needs a domain"),
        ("x**2", ((1, 0), (0, 1)), "from low to high"),
        ("x**2", ((0, math.inf), (0, 1)), "finite"),
        ("x**2", (1, 2, 3), "shape"),
        ("bael", None, "did you mean 'beale'"),
        ("log(-1 - x**2)", ((0, 1), (0, 1)), "not finite anywhere"),
        (lambda xy: xy, ((0, 1), (0, 1)), "one number per point"),
        (lambda xy: xy.foo, ((0, 1), (0, 1)), "cannot be computed by JAX: AttributeError"),
        (42, None, "got int"),
    ],
)
def test_bad_surfaces_are_one_line_errors(source, domain, words):
    with pytest.raises(OptvizError) as err:
        surface(source, domain=domain)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_cli_animates_a_formula(tmp_path):
    out = tmp_path / "bowl.gif"
    args = ["animate", "adam,kfac", BOWL, "--domain", "-3,3,-2,2"]  # the race above's
    result = CliRunner().invoke(app, [*args, "--steps", "200", "--frames", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    from PIL import Image

    with Image.open(out) as gif:
        assert gif.n_frames == 5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["animate", "adam", "x**2 + 10*y**2"], "a formula needs a domain: --domain"),
        (["animate", "adam", "x**2 + * y", "--domain", "-1,1,-1,1"], "column 8"),
        (["animate", "adam", "sn(x)", "--domain", "-1,1,-1,1"], "did you mean 'sin'"),
        (["animate", "adam", "x.__class__", "--domain", "-1,1,-1,1"], "attribute access"),
        (["animate", "adam", "x**2", "--domain", "-1,1,-1"], "XMIN,XMAX,YMIN,YMAX"),
        (["show", "x**2", "--domain", "1,-1,-1,1"], "from low to high"),
        (["trajectory", "adam", "x**2"], "needs a domain"),
    ],
)
def test_cli_bad_formula_or_domain_is_one_line_exit_2(args, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert any(words in line for line in result.output.splitlines())  # on one line
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_cli_trajectory_and_show_take_formulas(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["trajectory", "adam,kfac", BOWL, "--domain", "-3,3,-2,2", "--steps", "200"]
    result = runner.invoke(app, [*args, "--every", "100"])  # the race above's numbers
    assert result.exit_code == 0, result.output
    want = optviz.trajectories(["adam", "kfac"], BOWL, domain=BOWL_BOX, steps=200)
    for i, (x, y) in enumerate(want.positions[:, 0, -1]):
        assert f"({x:8.4f},{y:8.4f})" in result.output.splitlines()[-1], i
    result = runner.invoke(app, ["show", "x**2 + y**2", "--domain", "-2,2,-2,2", "--view", "2d"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x_2_y_2.png").is_file()
