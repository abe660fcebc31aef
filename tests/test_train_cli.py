"""`optviz train` / `optviz layers` through typer's CliRunner."""

import json

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from optviz.cli.train_cmds import layers, train

app = typer.Typer()
app.command()(train)
app.command()(layers)
runner = CliRunner()


def test_train_writes_files(tmp_path):
    result = runner.invoke(
        app,
        [
            "train",
            "--optimizers",
            "sgd,adam",
            "--epochs",
            "1",
            "--lr",
            "sgd=0.05",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "test acc" in result.output
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert {r["optimizer"] for r in records} == {"sgd", "adam"}
    with Image.open(tmp_path / "curves.png") as png:
        assert png.size[0] > 100
    with Image.open(tmp_path / "curves.gif") as gif:
        assert gif.n_frames == 2


def test_layers_draws_feature_maps(tmp_path):
    trained = runner.invoke(
        app, ["train", "--optimizers", "adam", "--epochs", "1", "--quiet", "--out", str(tmp_path)]
    )
    assert trained.exit_code == 0, trained.output
    out = tmp_path / "layers.png"
    result = runner.invoke(
        app, ["layers", "--params", str(tmp_path / "params_adam.npz"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with Image.open(out) as png:
        assert png.size[0] > png.size[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--optimizers", "adma"], "did you mean 'adam'"),
        (["train", "--batch-size", "0"], "batch size"),
        (["train", "--lr", "adam"], "NAME=VALUE"),
        (["train", "--dataset", "mnist", "--data-dir", "/nonexistent/x"], "does not exist"),
        (["train", "--dataset", "mnist"], "--data-dir"),
        (["layers", "--params", "/nonexistent/p.npz"], "no saved model"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, args, message):
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_help_does_not_import_jax():
    import subprocess
    import sys

    code = (
        "import sys, typer; from optviz.cli.train_cmds import train, layers; "
        "assert 'jax' not in sys.modules and 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
