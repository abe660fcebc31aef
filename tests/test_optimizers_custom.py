"""Optimizer objects (optimizers/custom.py): an optax transformation or factory races as
the registry entry it equals, gets a label and a spare colour, is refused in one line
when it cannot run, and trains the CNN as the registry's name does."""

from __future__ import annotations

import numpy as np
import optax
import pytest

import optviz
from optviz import optimizers
from optviz.errors import OptvizError
from optviz.optimizers.registry import REGISTRY, SPARE_COLORS, SPARE_MARKER

KW = dict(starts=[(2.0, 1.7)], steps=60)


def test_objects_race_exactly_as_the_registry_entries_they_equal():
    """optax.sgd(lr, momentum=0.9) is the registry's momentum (the same paths, bit for bit)
    and the factory optax.adam is its adam (optax's defaults), in one race."""
    line_up = ["momentum", "adam", optax.sgd(1e-3, momentum=0.9), optax.adam]
    result = optviz.trajectories(line_up, "beale", lr={"momentum": 1e-3, "adam": 0.05,
                                                        "optax.adam": 0.05}, **KW)  # fmt: skip
    assert result.optimizers == ("momentum", "adam", "custom", "optax.adam")
    np.testing.assert_array_equal(result.positions[2], result.positions[0])
    # b1, b2, eps: traced numbers in the registry's, constants in optax.adam: float32 rounding
    np.testing.assert_allclose(result.positions[3], result.positions[1], rtol=1e-5)
    assert result.hparams["custom"] == {} and result.hparams["optax.adam"]["learning_rate"] == 0.05


def test_labels_colours_and_markers_are_assigned_deterministically():
    def my_adam(learning_rate=0.03, b1=0.8):
        return optax.adam(learning_rate, b1=b1)

    line_up = ["sgd", optax.sgd(0.01), optax.sgd(0.02), my_adam,
               optviz.optimizer(optax.sgd(0.03), name="mine"), "optax:adabelief"]  # fmt: skip
    names = optimizers.adopt(line_up)
    assert names == ["sgd", "custom", "custom (2)", "my_adam", "mine", "optax:adabelief"]
    specs = [optimizers.spec(n) for n in names]
    colours = [s.color for s in specs]
    assert len(set(colours)) == len(colours)  # distinct in the race
    registry = {s.color for s in REGISTRY.values()}
    assert all(
        c in {light for light, _ in SPARE_COLORS} and c not in registry for c in colours[1:5]
    )
    assert {s.marker for s in specs[1:5]} == {SPARE_MARKER}
    assert optimizers.adopt(line_up) == names  # the same line-up: the same names and colours
    assert [optimizers.spec(n).color for n in names] == colours
    assert optimizers.spec("my_adam").resolve() == {"learning_rate": 0.03}  # its own default
    assert optimizers.spec("my_adam").hyperparameters == ("learning_rate", "b1")


def test_a_new_object_under_the_same_name_is_not_served_a_stale_program():
    first = optviz.trajectory(optax.sgd(1e-3), "beale", **{"start": (2.0, 1.7), "steps": 20})
    second = optviz.trajectory(optax.sgd(2e-3), "beale", **{"start": (2.0, 1.7), "steps": 20})
    want = optviz.trajectory("sgd", "beale", start=(2.0, 1.7), steps=20, lr=2e-3)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(second, want)


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        (42, "got int"),
        (lambda lr: optax.sgd(lr), "must take learning_rate"),
        (optax.lbfgs(), "cannot run here"),
        (lambda learning_rate: 3, "cannot run here"),
    ],
)
def test_objects_that_cannot_race_are_one_line_errors(obj, words):
    with pytest.raises(OptvizError) as err:
        optviz.trajectories(["sgd", obj], "bowl", steps=5)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_a_name_must_be_a_short_line():
    with pytest.raises(OptvizError, match="1-40 characters"):
        optviz.optimizer(optax.sgd(0.1), name="x" * 41)
    with pytest.raises(OptvizError, match="one line"):
        optviz.optimizer(optax.sgd(0.1), name="a\nb")


def test_the_trainer_takes_an_optax_object_like_its_registry_name(short_run, small_digits):
    """SGD at the registry's training rate (0.1), as an object: the same curves."""
    from tests.train_fixtures import BATCH

    result = optviz.train(
        [optax.sgd(0.1)], dataset=small_digits, epochs=3, batch_size=BATCH, sharpness=False
    )
    assert result.optimizers == ["custom"]
    np.testing.assert_array_equal(
        result.curves["custom"].train_loss, short_run.result.curves["sgd"].train_loss
    )
    with pytest.raises(OptvizError, match="factory must take learning_rate"):
        optviz.train([lambda lr: optax.sgd(lr)], dataset=small_digits, epochs=1)


def test_the_explorer_offers_objects_and_formulas():
    pytest.importorskip("ipywidgets")
    tx = optax.sgd(1e-2)
    ex = optviz.explore("x**2 + 10*y**2", [tx, optax.adam], domain=((-3, 3), (-2, 2)),
                        steps=20, max_steps=40, interactive=False, size=(480, 320))  # fmt: skip
    assert ex.selected == ["custom", "optax.adam"]  # after the registry's (unticked)
    assert ex.surface_dropdown.value == "x**2 + 10*y**2"
    assert ex.lr_sliders["custom"].disabled and not ex.lr_sliders["optax.adam"].disabled
    assert ex.result.positions.shape == (2, 1, 21, 2)
    ex.lr_sliders["optax.adam"].value = 0.1
    want = optviz.trajectory(optax.adam, ex.surface, start=ex.start, steps=40, lr=0.1)
    np.testing.assert_allclose(ex.result.positions[1, 0], want[:21], rtol=1e-6)
