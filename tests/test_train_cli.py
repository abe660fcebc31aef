"""`optviz train` / `optviz layers`: end to end, what the options pass on, and every error."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from optviz import optimizers
from optviz.cli import app, main
from optviz.trainer.model import ModelConfig
from optviz.trainer.result import save_params

runner = CliRunner()


def test_train_writes_files(cli_run):
    output, out = cli_run
    assert "test acc" in output
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert {r["optimizer"] for r in records} == {"sgd", "adam"}
    assert max(r["epoch"] for r in records) == 1
    with Image.open(out / "curves.png") as png:
        assert png.size[0] > 100
    with Image.open(out / "curves.gif") as gif:
        assert gif.n_frames == 2  # epoch 0 and epoch 1


def test_layers_draws_feature_maps(cli_run):
    _, folder = cli_run
    out = folder / "layers.png"
    result = runner.invoke(
        app, ["layers", "--params", str(folder / "params_adam.npz"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with Image.open(out) as png:
        assert png.size[0] > png.size[1]


@pytest.fixture
def captured(monkeypatch):
    """Run `optviz train` with the trainer replaced by a recorder of what it was asked."""
    calls: list[tuple] = []

    def fake_train(names, **kwargs):
        calls.append((names, kwargs))

    monkeypatch.setattr("optviz.trainer.api.train", fake_train)

    def run(*args: str) -> tuple[list[str], dict]:
        result = runner.invoke(app, ["train", *args, "--quiet", "--out", "unused"])
        assert result.exit_code == 0, result.output
        (call,) = calls
        calls.clear()
        return call

    return run


def test_default_optimizers_come_from_the_registry(captured):
    names, _ = captured()
    assert names == list(optimizers.TRAIN_DEFAULT)


def test_all_means_every_optimizer_that_can_train(captured, monkeypatch):
    names, _ = captured("--optimizers", "all")
    assert names == optimizers.names()  # today every registry optimizer can train
    lion = optimizers.REGISTRY["lion"]
    monkeypatch.setitem(optimizers.REGISTRY, "lion", dataclasses.replace(lion, train_lr=None))
    names, _ = captured("--optimizers", "all")
    assert names == [n for n in optimizers.names() if n != "lion"]


def test_nonconvexity_is_asked_for(captured):
    assert captured()[1]["nonconvexity"] is False
    assert captured("--nonconvexity")[1]["nonconvexity"] is True


def test_lr_and_hp_use_the_animate_grammar(captured):
    _, kw = captured("--optimizers", "sgd,adam", "--lr", "0.01")
    assert kw["hparams"] == {"sgd": {"learning_rate": 0.01}, "adam": {"learning_rate": 0.01}}
    _, kw = captured("--optimizers", "sgd,adam", "--lr", "all=0.2", "--lr", "adam=0.003")
    assert kw["hparams"] == {"sgd": {"learning_rate": 0.2}, "adam": {"learning_rate": 0.003}}
    _, kw = captured(
        "--optimizers", "adam,kfac", "--hp", "adam.b1=0.8", "--hp", "kfac.inverse_every=5",
        "--hp", "kfac.damping=0.3",
    )  # fmt: skip
    assert kw["hparams"] == {"adam": {"b1": 0.8}, "kfac": {"inverse_every": 5.0, "damping": 0.3}}
    _, kw = captured("--optimizers", "momentum")
    assert kw["hparams"] == {}  # the registry's train_lr applies


def fails(capsys, *args: str) -> str:
    """Run the real entry point; return its one stderr line after checking exit code 2."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("optviz: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--optimizers", "adma"], "unknown optimizer 'adma'; did you mean 'adam'"),
        (["--optimizers", "sgd,sgd"], "named twice"),
        (["--optimizers", ","], "no optimizer given"),
        (["--batch-size", "0"], "batch size must be at least 1"),
        (["--batch-size", "many"], "batch size must be a positive integer or 'full'"),
        (["--lr", "adam"], "--lr must be a number, got 'adam'"),
        (["--lr", "adam=fast"], "--lr must be a number"),
        (["--optimizers", "adam", "--lr", "sgd=0.1"], "unknown optimizer 'sgd' in --lr"),
        (["--optimizers", "adam", "--hp", "adam=0.1"], "--hp must be NAME.PARAM=VALUE"),
        (
            ["--optimizers", "adam", "--hp", "adam.beta=0.9"],
            "unknown hyperparameter 'beta' of adam in --hp",
        ),
        (["--optimizers", "kfac", "--hp", "kfac.inverse_every=0"], "inverse_every must be"),
        (["--optimizers", "kfac", "--hp", "kfac.ema=2"], "kfac ema must be in [0, 1]"),
        (["--dataset", "mnsit"], "unknown dataset 'mnsit'; did you mean 'mnist'"),
        (["--dataset", "mnist"], "needs --data-dir"),
        (["--dataset", "mnist", "--data-dir", "/nonexistent/x"], "does not exist"),
        (["--activation", "gelu"], "unknown activation 'gelu'"),
        (["--init", "xavier"], "unknown init 'xavier'"),
        (["--dropout", "1.5"], "dropout must be in [0, 1)"),
        (["--epochs", "-1"], "epochs must be at least 0"),
        (["--clip", "0"], "clip must be positive"),
        (["--epochs", "x"], "Invalid value for '--epochs'"),
    ],
)
def test_train_bad_input_is_one_line_exit_2(capsys, tmp_path, args, message):
    out = tmp_path / "o"
    line = fails(capsys, "train", *args, "--out", str(out), "--quiet")
    assert message in line
    assert not out.exists()  # nothing written


def test_an_optimizer_that_cannot_train_is_one_line(capsys, tmp_path, monkeypatch):
    lion = optimizers.REGISTRY["lion"]
    monkeypatch.setitem(optimizers.REGISTRY, "lion", dataclasses.replace(lion, train_lr=None))
    line = fails(capsys, "train", "--optimizers", "lion", "--out", str(tmp_path / "o"))
    assert "optimizer 'lion' cannot train the CNN" in line


def test_train_out_must_be_a_writable_folder(capsys, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("keep")
    assert "is a file; give a folder" in fails(capsys, "train", "--out", str(a_file))
    line = fails(capsys, "train", "--epochs", "0", "--out", str(a_file / "sub"))
    assert "is a file, not a folder" in line  # refused before any work
    assert a_file.read_text() == "keep"


def test_layers_bad_input_is_one_line_exit_2(capsys, tmp_path):
    out = str(tmp_path / "l.png")
    missing = str(tmp_path / "p.npz")
    assert "no saved model" in fails(capsys, "layers", "--params", missing, "--out", out)
    assert "index must be in 0.." in fails(capsys, "layers", "--index", "-1", "--out", out)
    assert "--channels must be a positive" in fails(
        capsys, "layers", "--channels", "0", "--out", out
    )
    assert "unknown dataset" in fails(capsys, "layers", "--dataset", "emnist", "--out", out)
    # Weights for 28x28 images do not fit the 8x8 digits.
    cfg = ModelConfig(image_shape=(28, 28))
    params = {"dense2": {"w": np.zeros((2, 2), np.float32), "b": np.zeros(2, np.float32)}}
    wrong = save_params(tmp_path / "wrong.npz", params, cfg)
    line = fails(capsys, "layers", "--params", str(wrong), "--out", out)
    assert "was trained on (28, 28) images, the dataset has (8, 8)" in line
    assert not (tmp_path / "l.png").exists()


def test_help_does_not_import_jax():
    code = (
        "import sys, typer; from optviz.cli.train_cmds import train, layers; "
        "assert 'jax' not in sys.modules and 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
