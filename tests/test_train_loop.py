"""Training runs: learning, determinism, interruption, the knobs, and one compile per setup."""

import json

import numpy as np
import pytest

from optviz import optimizers
from optviz.errors import OptvizError, UnknownNameError
from optviz.trainer import loop, train
from optviz.trainer.optim import make_stepper, resolve_hparams
from optviz.trainer.result import load_params, read_metrics
from tests.train_fixtures import BATCH


def test_short_run_learns_well_above_chance(short_run):
    result = short_run.result
    for name in ("adam", "sgd"):
        c = result.curves[name]
        assert c.epoch == [0, 1, 2, 3]
        assert c.test_acc[0] < 0.3
        assert c.test_acc[-1] > 0.6
    assert result.curves["adam"].test_acc[-1] > 0.8
    assert result.curves["adam"].train_loss[-1] < result.curves["adam"].train_loss[0]
    # Same start for everyone.
    assert result.curves["adam"].test_loss[0] == result.curves["sgd"].test_loss[0]


def test_metrics_lines_are_json(short_run):
    lines = (short_run.out / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records == short_run.records  # the file holds exactly what the callback saw
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "epoch" and "step" in kinds and kinds[-3] == "epoch"
    assert kinds[-2:] == ["sharpness", "sharpness"]  # one per optimizer, after training


def test_saved_params_round_trip(short_run):
    result = short_run.result
    params, cfg = load_params(short_run.out / "params_adam.npz")
    assert cfg == result.config
    for layer, arrays in result.params["adam"].items():
        for key, value in arrays.items():
            np.testing.assert_array_equal(params[layer][key], np.asarray(value))


@pytest.fixture(scope="module")
def knob_runs(small_digits, tmp_path_factory):
    """Every knob at once, run twice with one seed and once with another."""
    out = tmp_path_factory.mktemp("knobs")
    kw = dict(
        dataset=small_digits.take(200, 100),
        epochs=2,
        batch_size=BATCH,
        activation="tanh",
        init="glorot",
        weight_decay=1e-3,
        clip=1.0,
        dropout=0.3,
        augment=True,
        lr={"nag": 0.05},
        plots=False,
        sharpness=False,  # measured by the runs that test it
    )
    runs = {
        tag: train(["nag"], seed=seed, out=out / tag, **kw)
        for tag, seed in (("a", 3), ("b", 3), ("other", 4))
    }
    return runs, out, kw


def test_knobs_run(knob_runs):
    runs, _, _ = knob_runs
    assert np.isfinite(runs["a"].curves["nag"].train_loss[-1])
    assert runs["a"].config.activation == "tanh" and runs["a"].config.dropout == 0.3


def test_same_seed_same_numbers(knob_runs):
    runs, out, _ = knob_runs

    def numbers(tag):
        records = read_metrics(out / tag / "metrics.jsonl")
        return [{k: v for k, v in r.items() if k != "seconds"} for r in records]

    assert numbers("a") == numbers("b")
    a, b = runs["a"], runs["b"]
    assert a.curves["nag"].test_loss == b.curves["nag"].test_loss
    np.testing.assert_array_equal(a.params["nag"]["dense2"]["w"], b.params["nag"]["dense2"]["w"])
    # ... and the seed matters (weights, batch order, dropout and augmentation).
    assert numbers("other") != numbers("a")


def test_a_second_run_does_not_recompile(knob_runs):
    runs, _, kw = knob_runs
    cfg = runs["a"].config
    stepper = make_stepper(
        "nag", cfg, {"learning_rate": 0.05}, weight_decay=kw["weight_decay"], clip=kw["clip"]
    )
    runner = loop._chunk_runner(stepper, True)
    assert runner._cache_size() == 1  # three runs, one compiled program
    evaluate = loop._eval_batch(cfg.replace(dropout=0.0))
    assert evaluate._cache_size() == 1  # train and test splits too


def test_ctrl_c_keeps_log_and_plots(small_digits, tmp_path):
    seen = []

    def interrupt(record):
        seen.append(record)
        if record["kind"] == "step" and record["epoch"] == 2:
            raise KeyboardInterrupt

    result = train(
        ["sgd", "adam"],
        dataset=small_digits,
        epochs=5,
        batch_size=BATCH,
        out=tmp_path,
        callback=interrupt,
    )
    assert result.interrupted
    records = read_metrics(tmp_path / "metrics.jsonl")
    assert len(records) == len(seen)
    epochs = [r for r in records if r["kind"] == "epoch"]
    assert {(r["optimizer"], r["epoch"]) for r in epochs} == {
        (n, e) for n in ("sgd", "adam") for e in (0, 1)
    }
    assert result.curves["adam"].epoch == [0, 1]
    assert result.summary()[0]["epochs"] == 1
    for name in ("curves.png", "curves.gif", "params_sgd.npz", "params_adam.npz"):
        assert (tmp_path / name).stat().st_size > 0


def test_batch_modes_and_step_log(small_digits, tmp_path):
    n = len(small_digits.x_train)
    full = train(
        ["sgd"],
        dataset=small_digits,
        epochs=2,
        batch_size="full",
        out=tmp_path,
        plots=False,
        sharpness=False,
    )
    assert full.steps_per_epoch == 1 and full.batch_size == n
    steps = [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["kind"] == "step"]
    assert [r["step"] for r in steps] == [1, 2]
    online = train(
        ["sgd"], dataset=small_digits, epochs=1, batch_size=1, log_every=7, sharpness=False
    )
    assert online.steps_per_epoch == n
    # Chunks of 7 steps, and a short last chunk.
    assert online.curves["sgd"].batch_step == [*range(7, n, 7), n]
    assert n % 7 != 0


@pytest.mark.slow
def test_kfac_trains(small_digits):
    result = train(["kfac"], dataset=small_digits, epochs=3, batch_size=32, sharpness=False)
    assert result.curves["kfac"].test_acc[-1] > 0.8


def test_learning_rates_come_from_the_registry():
    for name in ("sgd", "adam", "kfac"):
        assert resolve_hparams(name)["learning_rate"] == optimizers.spec(name).train_lr
    assert resolve_hparams("adam", {"lr": 0.5})["learning_rate"] == 0.5
    assert resolve_hparams("kfac", {"inverse_every": 5.0})["inverse_every"] == 5.0


def test_bad_input(small_digits):
    with pytest.raises(UnknownNameError, match="did you mean 'adam'"):
        train(["adma"], dataset=small_digits)
    with pytest.raises(OptvizError, match="batch size"):
        train(["sgd"], dataset=small_digits, batch_size="zero")
    with pytest.raises(OptvizError, match="not being trained"):
        train(["sgd"], dataset=small_digits, lr={"adam": 0.1})
    with pytest.raises(OptvizError, match="sgd has no hyperparameter 'b1'"):
        train(["sgd"], dataset=small_digits, hparams={"sgd": {"b1": 0.9}})
    with pytest.raises(OptvizError, match="kfac damping must be positive"):
        train(["kfac"], dataset=small_digits, hparams={"kfac": {"damping": -1.0}})
    with pytest.raises(UnknownNameError):
        train(["sgd"], dataset=small_digits, activation="gelu")
