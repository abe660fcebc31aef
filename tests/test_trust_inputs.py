"""Generated input against every parser and the public functions' argument checks: each
call either works or raises `OptvizError` with one line; nothing else ever escapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optviz
from optviz.cli import parse
from optviz.errors import OptvizError
from optviz.render import make_stage

FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
ANY_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["640x480", "16:9", "1,2", "adam", "all", "adam=0.1", "adam.b1=0.8"])
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(allow_nan=True),
    st.text(max_size=12), st.lists(st.integers(-3, 3), max_size=3),
)  # fmt: skip


def one_line(err: OptvizError) -> None:
    message = str(err)
    assert message and "\n" not in message and "Traceback" not in message


def works_or_one_line(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except OptvizError as err:
        one_line(err)
        return None


@FAST
@given(ANY_TEXT)
def test_sizes(text):
    size = works_or_one_line(parse.parse_size, text)
    if size is not None:
        w, h = size
        assert isinstance(w, int) and isinstance(h, int) and 64 <= min(w, h) <= max(w, h) <= 4096


@FAST
@given(ANY_TEXT)
def test_points(text):
    point = works_or_one_line(parse.parse_point, text)
    if point is not None:
        assert len(point) == 2 and all(math.isfinite(v) for v in point)


@FAST
@given(ANY_TEXT)
def test_optimizer_lists(text):
    names = works_or_one_line(parse.parse_names, text)
    if names is not None:
        assert names and all(optviz.optimizers.spec(n) for n in names)


@FAST
@given(st.lists(ANY_TEXT, max_size=3), st.lists(ANY_TEXT, max_size=3))
def test_learning_rates_and_hyperparameters(lr, hp):
    names = ["sgd", "adam"]
    out = works_or_one_line(parse.parse_hparams, names, lr, hp)
    if out is not None:
        for param, per in out.items():
            for name, value in per.items():
                assert name in names and param in optviz.optimizers.spec(name).hyperparameters
                assert math.isfinite(value)


@FAST
@given(
    optimizer=st.one_of(JUNK, st.sampled_from(["sgd", "adamm", "optax:lbfgs"])),
    surface=st.one_of(JUNK, st.sampled_from(["bowl", "bowll"])),
    steps=st.one_of(JUNK, st.sampled_from([3, 0, -1, 2**31, 10**12])),
    lr=st.one_of(JUNK, st.sampled_from([0.1, "0.1", float("nan"), float("inf")])),
    start=st.one_of(JUNK, st.sampled_from([(0.5, 0.5), (1e39, 0.0), ((1, 2), (3, 4))])),
)
def test_trajectory_arguments(optimizer, surface, steps, lr, start):
    path = works_or_one_line(optviz.trajectory, optimizer, surface, start=start, steps=steps, lr=lr)
    if path is not None:
        assert path.shape == (steps + 1, 2)


@FAST
@given(lr=st.lists(st.one_of(st.floats(1e-4, 1.0), JUNK), max_size=3))
def test_sweep_values(lr):
    grid = works_or_one_line(optviz.sweep, "sgd", "bowl", steps=3, lr=lr)
    if grid is not None:
        assert grid.positions.shape == (len(lr), 1, 4, 2)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(size=st.one_of(JUNK, st.tuples(st.integers(-10, 10**6), st.integers(-10, 10**6))))
def test_picture_sizes_are_checked_before_drawing(size):
    stage = works_or_one_line(make_stage, optviz.surfaces.get("bowl"), [], size=size)
    if stage is not None:
        w, h = size
        assert 64 <= w <= 16384 and 64 <= h <= 16384


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: optviz.trajectory(123, "beale"), "an optimizer is a name"),
        (lambda: optviz.trajectory("adam", 42), "a surface is a name"),
        (lambda: optviz.trajectory("adam", "beale", lr="0.1"), "must be a number"),
        (lambda: optviz.trajectory("optax:sgd", "bowl", nesterov=1.0), "is a flag"),
        (lambda: optviz.sweep("sgd", "bowl", lr=[]), "lr has no values"),
        (lambda: optviz.trajectory("adam", "beale", steps=10**12), "the limit here is"),
        (lambda: optviz.trajectory("optax:lbfgs", "beale"), "needs more than the gradient"),
        (lambda: optviz.trajectory("adam", "beale", start=np.ones((3, 3))), "shape (1, 3, 3)"),
        (lambda: optviz.race("adam", "bowl", steps=2).save("x.gif", fps=0.001), "from 0.01 to"),
        (lambda: optviz.race("adam", "bowl", steps=2).save("x.webp", fps=5000), "from 0.01 to"),
    ],
)
def test_api_errors_name_the_problem(call, message):
    with pytest.raises(OptvizError) as err:
        call()
    one_line(err.value)
    assert message in str(err.value)


def test_all_is_accepted_wherever_optimizer_names_are():
    every = tuple(optviz.optimizers.names())
    assert optviz.trajectories("all", "bowl", steps=2).optimizers == every
    assert optviz.race("all", "bowl", steps=2).optimizers == every
    with pytest.raises(OptvizError, match="did you mean 'adam'"):
        optviz.trajectories(["adamm"], "bowl", steps=2)
    with pytest.raises(OptvizError, match="named twice"):
        optviz.trajectories(["sgd", "sgd"], "bowl", steps=2)
