"""Each registered optimizer against its textbook update in numpy float64."""

from __future__ import annotations

import numpy as np
import pytest

import optviz
from optviz import optimizers
from optviz.errors import OptvizError, UnknownNameError
from tests import oracles

START = (-1.2, 1.0)  # Rosenbrock's classic start: large, unequal gradients
STEPS = 8

# name -> (oracle, [hyperparameter settings]); settings use optax's names.
CASES = {
    "sgd": (oracles.sgd, [{"learning_rate": 1e-3}, {"learning_rate": 2e-4}]),
    "momentum": (
        oracles.momentum,
        [{"learning_rate": 1e-4, "momentum": 0.9}, {"learning_rate": 5e-4, "momentum": 0.5}],
    ),
    "nag": (
        lambda *a, **k: oracles.momentum(*a, nesterov=True, **k),
        [{"learning_rate": 1e-4, "momentum": 0.9}, {"learning_rate": 5e-4, "momentum": 0.5}],
    ),
    "adagrad": (
        oracles.adagrad,
        [
            {"learning_rate": 0.1, "initial_accumulator_value": 0.1, "eps": 1e-7},
            {"learning_rate": 0.5, "initial_accumulator_value": 1.0, "eps": 1e-3},
        ],
    ),
    "adadelta": (
        oracles.adadelta,
        [
            {"learning_rate": 1.0, "rho": 0.95, "eps": 1e-6},
            {"learning_rate": 3.0, "rho": 0.9, "eps": 1e-4},
        ],
    ),
    "rmsprop": (
        oracles.rmsprop,
        [
            {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-8},
            {"learning_rate": 0.05, "decay": 0.99, "eps": 1e-4},
        ],
    ),
    "adam": (
        oracles.adam,
        [
            {"learning_rate": 0.02, "b1": 0.9, "b2": 0.999, "eps": 1e-8},
            {"learning_rate": 0.1, "b1": 0.5, "b2": 0.9, "eps": 1e-3},
        ],
    ),
    "adamw": (
        lambda *a, **k: oracles.adam(*a, **k),
        [{"learning_rate": 0.02, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "weight_decay": 0.1}],
    ),
    "nadam": (
        lambda *a, **k: oracles.adam(*a, kind="nadam", **k),
        [
            {"learning_rate": 0.02, "b1": 0.9, "b2": 0.999, "eps": 1e-8},
            {"learning_rate": 0.1, "b1": 0.7, "b2": 0.9, "eps": 1e-3},
        ],
    ),
    "amsgrad": (
        lambda *a, **k: oracles.adam(*a, kind="amsgrad", **k),
        [
            {"learning_rate": 0.02, "b1": 0.9, "b2": 0.999, "eps": 1e-8},
            {"learning_rate": 0.1, "b1": 0.7, "b2": 0.9, "eps": 1e-3},
        ],
    ),
    "lion": (
        oracles.lion,
        [
            {"learning_rate": 0.01, "b1": 0.9, "b2": 0.99, "weight_decay": 0.0},
            {"learning_rate": 0.03, "b1": 0.5, "b2": 0.9, "weight_decay": 0.5},
        ],
    ),
}


def test_every_registered_optimizer_has_an_oracle_or_its_own_tests():
    # kfac is ours and is checked against numpy in tests/test_kfac.py
    assert set(CASES) | {"kfac"} == set(optimizers.names())


@pytest.mark.parametrize(
    ("name", "hp"), [(n, hp) for n, (_, hps) in CASES.items() for hp in hps], ids=str
)
def test_first_steps_match_textbook_update(name, hp):
    oracle = CASES[name][0]
    expected = oracle(START, oracles.rosenbrock_grad, STEPS, **hp)
    got = optviz.trajectory(name, "rosenbrock", start=START, steps=STEPS, **hp)
    assert got.shape == (STEPS + 1, 2)
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-5)
    assert not np.allclose(got[-1], got[0])  # it moved: the check is not vacuous


def test_lr_is_an_alias_of_learning_rate():
    a = optviz.trajectory("adam", "beale", steps=20, lr=0.05)
    b = optviz.trajectory("adam", "beale", steps=20, learning_rate=0.05)
    c = optviz.trajectory("adam", "beale", steps=20, learning_rate=0.01)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_get_returns_an_optax_transformation_that_steps():
    tx = optimizers.get("momentum", lr=0.1, momentum=0.5)
    params = np.array([1.0, -2.0], dtype=np.float32)
    state = tx.init(params)
    grad = np.array([2.0, 4.0], dtype=np.float32)
    updates, state = tx.update(grad, state, params)
    np.testing.assert_allclose(updates, -0.1 * grad)  # first momentum step = sgd step


def test_adadelta_goes_downhill():
    # optax.adadelta without a learning rate walks uphill; the registry always passes one.
    path = optviz.trajectory("adadelta", "bowl", steps=200)
    f = optviz.surfaces.get("bowl").fn
    assert float(f(path[-1])) < 0.5 * float(f(path[0]))


def test_unknown_names_list_close_matches():
    with pytest.raises(UnknownNameError, match="did you mean 'adam'"):
        optimizers.get("adma")
    with pytest.raises(UnknownNameError, match="adabelief"):
        optimizers.get("optax:adabelif")
    with pytest.raises(OptvizError, match="adam has no hyperparameter 'momentum'"):
        optimizers.get("adam", momentum=0.9)


def test_optax_aliases_are_reachable():
    path = optviz.trajectory("optax:adabelief", "bowl", steps=300, learning_rate=0.05, b1=0.8)
    assert np.linalg.norm(path[-1] - np.array([1.0, 0.5])) < 0.1
    spec = optimizers.spec("optax:adabelief")
    assert spec.color.startswith("#") and "b1" in spec.hyperparameters


def test_registry_metadata_is_complete_and_colours_distinct():
    specs = [optimizers.spec(n) for n in optimizers.names()]
    colors = [s.color for s in specs]
    assert len(set(colors)) == len(colors)
    for s in specs:
        assert s.display and s.formula and s.source
        assert len(s.color) == 7 and s.color.startswith("#")
        assert "learning_rate" in s.defaults
        assert set(s.defaults) <= set(s.hyperparameters)
