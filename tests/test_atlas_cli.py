"""`optviz atlas`: the four command forms write their files; bad input is one line, exit
code 2, before any work."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from optviz.cli import app
from optviz.maps import shard


def invoke(*args: str):
    return CliRunner().invoke(app, ["atlas", *args])


@pytest.fixture
def no_work(monkeypatch):
    """Any map computed from here on fails the test: errors must come first."""

    def refuse(*a, **k):
        raise AssertionError("work started before the input was checked")

    monkeypatch.setattr(shard, "run", refuse)


@pytest.mark.parametrize(
    "args, message",
    [
        (["momentum", "rosenbrock", "--map", "lrr=1e-5:1e-1,momentum=0:0.99"],
         "unknown hyperparameter 'lrr' of momentum; did you mean 'lr'"),
        (["momentum", "rosenbrock", "--map", "lr=1e-1:1e-5,momentum=0:0.99"],
         "LO must be below HI"),
        (["momentum", "rosenbrock", "--map", "lr=0:1e-1,momentum=0:0.99", "--log", "lr"],
         "on a log axis: its bounds must be positive"),
        (["momentum", "rosenbrock", "--map", "lr=1e-5:1e-1,momentum=0:0.99", "--log", "momentun"],
         "did you mean 'momentum'"),
        (["momentum", "rosenbrock", "--map", "lr=1e-5"], "NAME=LO:HI"),
        (["sgd", "himmelblau", "--grid", "100000"], "too large"),
        (["--trainability", "--grid", "30000"], "the limit here is"),
        (["--trainability", "adam"], "--trainability takes no optimizers"),
        (["adam", "himmelblau", "--zoom", "2"], "--zoom is for --trainability"),
        (["adam", "himmelblau", "--out", "x.gif"], "a .gif is a zoom"),
        (["adam", "himmelblau", "--out", "x.jpg"], "--out must end in"),
        (["adam", "himmelbla"], "did you mean 'himmelblau'"),
        (["adma", "himmelblau"], "did you mean 'adam'"),
        ([], "name the optimizers and a surface"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_exit_2(no_work, monkeypatch, tmp_path, args, message):
    """(The one-line `optviz: error:` form comes from `main`, checked in test_cli.)"""
    from optviz import limits

    monkeypatch.setattr(limits, "budget", lambda: 4 * 2**30)
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_basins_and_hparam_maps_write_png_and_npz(tmp_path):
    png = tmp_path / "b.png"
    result = invoke("sgd,adam", "himmelblau", "--grid", "11", "--steps", "150", "--lr",
                    "sgd=0.01", "--out", str(png), "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"wrote {png}: 11x11 runs of 150 steps" in result.output
    assert "sgd: " in result.output and "(3, 2) " in result.output
    with Image.open(png) as im:
        assert im.size[0] > im.size[1]  # two panels side by side
    npz = tmp_path / "h.npz"
    result = invoke("momentum", "bowl", "--map", "lr=0.01:0.3,momentum=0:0.9", "--grid", "5",
                    "--steps", "30", "--out", str(npz))  # fmt: skip
    assert result.exit_code == 0, result.output
    with np.load(npz) as f:
        assert f["momentum/outcome"].shape == (5, 5)
        np.testing.assert_allclose(f["x"], np.linspace(0.01, 0.3, 5))


def test_trainability_prints_the_box_counting_dimension(tmp_path):
    out = tmp_path / "t.png"
    result = invoke("--trainability", "--grid", "12", "--steps", "30", "--out", str(out))
    assert result.exit_code == 0, result.output
    line = next(s for s in result.output.splitlines() if s.startswith("box-counting"))
    assert 0.0 < float(line.split(": ")[1].split(";")[0]) <= 2.0
    assert out.exists()


def test_distributed_without_a_coordinator_is_refused(no_work, tmp_path, monkeypatch):
    for env in ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"):
        monkeypatch.delenv(env, raising=False)
    out = tmp_path / "b.npz"
    r = invoke("sgd", "himmelblau", "--grid", "4", "--out", str(out), "--distributed")
    assert r.exit_code == 2, r.output
    assert "--distributed: set JAX_COORDINATOR_ADDRESS" in r.output
    assert not out.exists()
