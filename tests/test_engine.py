"""The trajectory engine: shapes, batching, divergence, compile-once, hyperparameter routing."""

from __future__ import annotations

import numpy as np
import pytest

import optviz
from optviz import optimizers
from optviz.errors import OptvizError, UnknownNameError
from tests.compiles import engine_traces

BOWL_MIN = np.array([1.0, 0.5])  # surfaces.get("bowl"): the minimum is at c = (1, 0.5)


def test_trajectory_shape_and_start_row():
    path = optviz.trajectory("adam", "beale", start=(1.0, 1.5), steps=300, lr=0.01)
    assert path.shape == (301, 2)
    np.testing.assert_allclose(path[0], [1.0, 1.5])
    assert np.isfinite(path).all()


def test_trajectories_result_holds_every_path():
    starts = [(1.0, 1.5), (2.0, 2.0), (-1.0, -1.0)]
    r = optviz.trajectories(["sgd", "adam"], "beale", starts=starts, steps=50)
    assert r.positions.shape == (2, 3, 51, 2)
    assert r.losses.shape == (2, 3, 51)
    assert r.diverged_step.shape == (2, 3)
    np.testing.assert_allclose(r.positions[:, :, 0], np.broadcast_to(starts, (2, 3, 2)))
    # losses are the surface's values at the positions (oracle: Beale by hand, float64)
    x, y = r.positions[..., 0].astype(np.float64), r.positions[..., 1].astype(np.float64)
    beale = (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
    np.testing.assert_allclose(r.losses, beale, rtol=1e-4, atol=1e-4)


ALL = [*optimizers.names(), "optax:lamb"]
STARTS = [(1.0, 1.5), (2.0, 2.0), (-1.0, -1.0)]


@pytest.fixture(scope="module")
def race_of_all():
    """Every optimizer in one race: one compiled program for all of them."""
    return optviz.trajectories(ALL, "beale", starts=STARTS, steps=30, lr=1e-3)


@pytest.fixture(scope="module")
def other_races():
    """Each optimizer again, in a race with other neighbours (every second one of the
    list, backwards) and from each start alone: four programs in all, not two per name."""
    halves = [ALL[0::2][::-1], ALL[1::2][::-1]]
    races = [optviz.trajectories(h, "beale", starts=STARTS, steps=30, lr=1e-3) for h in halves]
    alone = [optviz.trajectories(ALL, "beale", starts=[s], steps=30, lr=1e-3) for s in STARTS]
    return {name: r for r in races for name in r.optimizers}, alone


@pytest.mark.parametrize("name", ALL)
def test_batched_paths_equal_paths_computed_alone(name, race_of_all, other_races):
    neighbours, alone = other_races
    k = ALL.index(name)
    # catches any coupling between start points (elementwise batching, norms)
    for i, single in enumerate(alone):
        np.testing.assert_allclose(
            race_of_all.positions[k, i], single.positions[k, 0], rtol=1e-5, atol=1e-6
        )
    # ... and between optimizers: a path does not depend on who else is in the race
    r = neighbours[name]
    j = r.optimizers.index(name)
    np.testing.assert_array_equal(race_of_all.positions[k], r.positions[j])
    np.testing.assert_array_equal(race_of_all.losses[k], r.losses[j])
    np.testing.assert_array_equal(race_of_all.diverged_step[k], r.diverged_step[j])
    assert race_of_all.hparams[name] == r.hparams[name]


def test_a_single_trajectory_is_its_path_in_a_race(race_of_all):
    k = ALL.index("adam")
    alone = optviz.trajectory("adam", "beale", start=STARTS[1], steps=30, lr=1e-3)
    np.testing.assert_allclose(race_of_all.positions[k, 1], alone, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def bowl_race():
    """Every optimizer from the bowl's default start, 6000 steps, as one race (one compile)."""
    return optviz.trajectories(optimizers.names(), "bowl", steps=6000)


@pytest.mark.parametrize("name", optimizers.names())
def test_every_optimizer_reaches_the_minimum_of_the_convex_bowl(name, bowl_race):
    path = bowl_race.positions[bowl_race.optimizers.index(name), 0]
    # sign-based (Lion) and ratio-based (Adadelta) steps hover around the
    # minimum at a distance set by the step size: their average sits on it
    tail = path[-300:]
    assert np.linalg.norm(tail.mean(axis=0) - BOWL_MIN) < 2e-3, tail.mean(axis=0)
    assert np.linalg.norm(path[-1] - BOWL_MIN) < 0.1, path[-1]


def test_divergence_is_detected_frozen_and_reported():
    r = optviz.trajectories(["sgd", "adam"], "beale", steps=200, lr={"sgd": 10.0, "adam": 0.01})
    step = r.diverged("sgd")
    assert step is not None and 1 <= step <= 200
    frozen = r.positions[0, 0]
    assert np.isfinite(frozen).all() and np.isfinite(r.losses).all()
    # the path stops at its last finite point: every row from the divergence on repeats it
    np.testing.assert_array_equal(
        frozen[step:], np.broadcast_to(frozen[step - 1], frozen[step:].shape)
    )
    assert not np.array_equal(frozen[step - 1], frozen[0])
    assert r.diverged("adam") is None  # the other path is untouched
    assert r.paths()[0].diverged_at == step


def test_divergence_to_an_infinite_position_with_a_finite_loss_is_caught():
    # bounded at infinity: at an infinite position the loss is a finite 0
    import jax.numpy as jnp

    from optviz.surfaces import Surface

    well = Surface(
        name="well",
        fn=lambda xy: -100.0 * jnp.exp(-0.5 * (xy**2).sum()),
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        minima=(),
        starts=((2.5, 0.0),),
        description="test",
        reference="test",
        formula="test",
    )
    # the largest float32 learning rate: step 1 overflows to x = -inf (the gradient
    # there is 11), where the loss is -0.0
    r = optviz.trajectories(["sgd"], well, steps=10, lr=3.4e38)
    assert r.diverged("sgd") == 1
    np.testing.assert_array_equal(r.positions[0, 0], np.tile([2.5, 0.0], (11, 1)))
    assert np.isfinite(r.losses).all()


def test_a_repeated_call_does_not_recompile():
    optviz.trajectories(["momentum"], "himmelblau", steps=77, lr=0.001)
    before = engine_traces()
    optviz.trajectories(["momentum"], "himmelblau", steps=77, lr=0.002)
    optviz.trajectories(["momentum"], "himmelblau", steps=77, lr=0.003, momentum=0.5)
    optviz.trajectories(["momentum"], "himmelblau", starts=[(1.0, 1.0), (2, 0)], steps=77)
    assert engine_traces() == before
    optviz.trajectories(["momentum"], "himmelblau", steps=78)  # a new step count compiles
    assert engine_traces() == before + 1


def test_a_race_is_one_program():
    names = ["sgd", "momentum", "nag", "adagrad", "adadelta", "rmsprop"]
    before = engine_traces()
    r = optviz.trajectories(names, "himmelblau", steps=79)
    assert engine_traces() == before + 1  # not one per optimizer
    optviz.trajectories(names, "himmelblau", steps=79, lr={"sgd": 1e-3}, momentum=0.5)
    assert engine_traces() == before + 1
    assert r.positions.shape == (6, len(r.starts), 80, 2)


def test_sweep_vmaps_a_hyperparameter_grid():
    s = optviz.sweep("momentum", "bowl", steps=40, lr=[0.01, 0.05], momentum=[0.0, 0.9])
    assert s.positions.shape == (4, 1, 41, 2)
    for i, hp in enumerate(s.grid):
        alone = optviz.trajectory(
            "momentum", "bowl", steps=40, lr=hp["learning_rate"], momentum=hp["momentum"]
        )
        np.testing.assert_allclose(s.positions[i, 0], alone, rtol=1e-5, atol=1e-6)
    assert len({tuple(p[0, -1]) for p in s.positions}) == 4  # four different endings


def test_hyperparameters_route_to_the_optimizers_that_take_them():
    r = optviz.trajectories(["sgd", "momentum"], "bowl", steps=5, lr={"sgd": 0.01}, momentum=0.5)
    assert r.hparams["sgd"] == {"learning_rate": 0.01}
    assert r.hparams["momentum"]["momentum"] == 0.5
    assert (
        r.hparams["momentum"]["learning_rate"]
        == optimizers.spec("momentum").resolve("bowl")["learning_rate"]
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: optviz.trajectory("adma", "beale"), UnknownNameError, "did you mean 'adam'"),
        (lambda: optviz.trajectory("adam", "beal"), UnknownNameError, "did you mean 'beale'"),
        (lambda: optviz.trajectory("adam", "beale", steps=0), OptvizError, "positive whole"),
        (lambda: optviz.trajectory("adam", "beale", start=(1.0,)), OptvizError, "x, y"),
        (lambda: optviz.trajectory("adam", "beale", start=(np.nan, 1)), OptvizError, "finite"),
        (lambda: optviz.trajectory("sgd", "beale", momentum=0.9), OptvizError, "takes 'momentum'"),
        (
            lambda: optviz.trajectories(["sgd"], "beale", lr={"adam": 0.1}),
            OptvizError,
            "not among the optimizers",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
