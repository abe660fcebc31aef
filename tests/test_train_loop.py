"""Training runs: learning, determinism, interruption, and the knobs."""

import json

import numpy as np
import pytest

from optviz.errors import OptvizError, UnknownNameError
from optviz.trainer import train
from optviz.trainer.data import load_digits
from optviz.trainer.result import load_params, read_metrics


@pytest.fixture(scope="module")
def small_digits():
    return load_digits().take(400, 200)


def test_short_run_learns_well_above_chance(small_digits):
    result = train(["adam", "sgd"], dataset=small_digits, epochs=3, batch_size=16)
    for name in ("adam", "sgd"):
        c = result.curves[name]
        assert c.epoch == [0, 1, 2, 3]
        assert c.test_acc[0] < 0.3
        assert c.test_acc[-1] > 0.6
    assert result.curves["adam"].test_acc[-1] > 0.8
    assert result.curves["adam"].train_loss[-1] < result.curves["adam"].train_loss[0]
    # Same start for everyone.
    assert result.curves["adam"].test_loss[0] == result.curves["sgd"].test_loss[0]


def test_same_seed_same_numbers(small_digits, tmp_path):
    kw = dict(dataset=small_digits.take(200, 100), epochs=2, batch_size=32, dropout=0.2, seed=3)
    a = train(["adam"], augment=True, out=tmp_path / "a", plots=False, **kw)
    b = train(["adam"], augment=True, out=tmp_path / "b", plots=False, **kw)

    def numbers(path):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in read_metrics(path)]

    assert numbers(tmp_path / "a" / "metrics.jsonl") == numbers(tmp_path / "b" / "metrics.jsonl")
    assert a.curves["adam"].test_loss == b.curves["adam"].test_loss
    np.testing.assert_array_equal(a.params["adam"]["dense2"]["w"], b.params["adam"]["dense2"]["w"])


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
        batch_size=40,
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
    full = train(
        ["sgd"], dataset=small_digits, epochs=2, batch_size="full", out=tmp_path, plots=False
    )
    assert full.steps_per_epoch == 1 and full.batch_size == 400
    steps = [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["kind"] == "step"]
    assert [r["step"] for r in steps] == [1, 2]
    online = train(["sgd"], dataset=small_digits.take(50, 20), epochs=1, batch_size=1, log_every=7)
    assert online.steps_per_epoch == 50
    assert online.curves["sgd"].batch_step == [7, 14, 21, 28, 35, 42, 49, 50]


def test_knobs_run(small_digits):
    result = train(
        ["nag"],
        dataset=small_digits.take(64, 32),
        epochs=1,
        batch_size=16,
        activation="tanh",
        init="glorot",
        weight_decay=1e-3,
        clip=1.0,
        dropout=0.3,
        augment=True,
        lr={"nag": 0.05},
    )
    assert np.isfinite(result.curves["nag"].train_loss[-1])


def test_saved_params_round_trip(small_digits, tmp_path):
    result = train(["adam"], dataset=small_digits.take(64, 32), epochs=1, out=tmp_path, plots=False)
    params, cfg = load_params(tmp_path / "params_adam.npz")
    assert cfg == result.config
    np.testing.assert_array_equal(
        params["conv1"]["w"], np.asarray(result.params["adam"]["conv1"]["w"])
    )


def test_bad_input(small_digits):
    with pytest.raises(UnknownNameError, match="did you mean 'adam'"):
        train(["adma"], dataset=small_digits)
    with pytest.raises(OptvizError, match="batch size"):
        train(["sgd"], dataset=small_digits, batch_size="zero")
    with pytest.raises(OptvizError, match="not being trained"):
        train(["sgd"], dataset=small_digits, lr={"adam": 0.1})
    with pytest.raises(UnknownNameError):
        train(["sgd"], dataset=small_digits, activation="gelu")


def test_metrics_lines_are_json(small_digits, tmp_path):
    train(["sgd"], dataset=small_digits.take(64, 32), epochs=1, out=tmp_path, plots=False)
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    kinds = [json.loads(line)["kind"] for line in lines]
    assert kinds[0] == "epoch" and "step" in kinds and kinds[-1] == "epoch"


@pytest.mark.slow
def test_kfac_trains(small_digits):
    result = train(["kfac"], dataset=small_digits, epochs=3, batch_size=32)
    assert result.curves["kfac"].test_acc[-1] > 0.8
