"""The `optviz` command line: end to end, and every bad-input path."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from optviz.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_animate_writes_the_default_file_and_reports_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("animate", "adam", "beale", "--frames", "12", "--steps", "60", "-q")
    assert result.exit_code == 0, result.output
    gif = tmp_path / "adam_beale.gif"
    assert "wrote adam_beale.gif: 12 frames, 640x480 px" in result.output
    with Image.open(gif) as im:
        assert im.size == (640, 480) and im.n_frames == 12
    umask = os.umask(0)
    os.umask(umask)
    assert gif.stat().st_mode & 0o777 == 0o666 & ~umask  # not a private temp file


def test_animate_options_reach_the_file(tmp_path):
    out = tmp_path / "race.webp"
    result = run(
        "animate", "sgd,momentum", "saddle", "--out", str(out), "--size", "16:9",
        "--frames", "8", "--steps", "40", "--start", "-1.5,0.01", "--start", "-1,-0.1",
        "--lr", "sgd=0.02", "--hp", "momentum.momentum=0.5", "--theme", "dark",
        "--view", "both", "--loss-panel", "--title", "Saddle", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Image.open(out) as im:
        assert im.format == "WEBP" and im.size == (960, 540)
        corner = np.asarray(im.convert("RGB"))[2, 2]
    assert corner.max() < 100  # dark theme


def test_animate_is_byte_identical_on_rerun(tmp_path):
    a, b = tmp_path / "a.gif", tmp_path / "b.gif"
    for out in (a, b):
        result = run(
            "animate", "nag,rmsprop", "himmelblau", "--out", str(out), "--frames", "10", "-q"
        )
        assert result.exit_code == 0, result.output
    assert a.read_bytes() == b.read_bytes()


def test_png_format_is_the_last_frame_as_a_still(tmp_path):
    out = tmp_path / "still.png"
    result = run("animate", "adam", "rosenbrock", "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (640, 480)


def test_show_writes_a_still_of_the_surface(tmp_path):
    out = tmp_path / "camel.png"
    result = run("show", "six_hump_camel", "--out", str(out))
    assert result.exit_code == 0, result.output
    with Image.open(out) as im:
        assert im.size == (640, 480)


def test_diverged_path_is_reported(tmp_path):
    out = tmp_path / "d.gif"
    result = run("animate", "sgd", "beale", "--lr", "10", "--out", str(out), "--frames", "5", "-q")
    assert result.exit_code == 0, result.output
    assert "sgd diverged at step" in result.output


def test_list_shows_every_surface_and_optimizer():
    from optviz import optimizers, surfaces

    result = run("list")
    assert result.exit_code == 0
    for name in [*surfaces.names(), *optimizers.names()]:
        assert name in result.output


def test_list_surface_shows_the_defaults_used_there():
    from optviz import optimizers

    result = run("list", "long_valley")
    assert result.exit_code == 0
    for name in optimizers.names():
        lr = optimizers.spec(name).resolve("long_valley")["learning_rate"]
        assert f"{name:<10} learning_rate={lr:g}" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["animate", "adma", "beale"], "unknown optimizer 'adma'; did you mean 'adam'"),
        (["animate", "adam", "beal"], "unknown surface 'beal'; did you mean 'beale'"),
        (["animate", "adam,sgdd", "beale"], "did you mean 'sgd'"),
        (["animate", "adam", "beale", "--size", "big"], "--size must be WxH"),
        (["animate", "adam", "beale", "--size", "10x10"], "--size must be WxH"),
        (["animate", "adam", "beale", "--start", "1;2"], "--start must be x,y"),
        (["animate", "adam", "beale", "--start", "1,nan"], "--start must be finite"),
        (["animate", "adam", "beale", "--lr", "adam=fast"], "--lr must be a number"),
        (["animate", "adam", "beale", "--lr", "sgd=0.1"], "unknown optimizer 'sgd' in --lr"),
        (
            ["animate", "adam", "beale", "--hp", "adam.beta=0.1"],
            "unknown hyperparameter 'beta' of adam in --hp; choose from: b1, b2, eps",
        ),
        (["animate", "adam", "beale", "--hp", "adam.b3=0.1"], "did you mean 'b2' or 'b1'"),
        (["animate", "adam", "beale", "--hp", "adam=0.1"], "--hp must be NAME.PARAM=VALUE"),
        (["animate", "adam", "beale", "--steps", "0"], "--steps must be a positive"),
        (["animate", "adam", "beale", "--frames", "-3"], "--frames must be a positive"),
        (["animate", "adam", "beale", "--view", "4d"], "unknown view '4d'"),
        (["animate", "adam", "beale", "--theme", "neon"], "theme"),
        (["animate", "adam", "beale", "--format", "avi"], "unknown format 'avi'"),
        (["animate", "adam", "beale", "--out", "x.bmp"], "cannot tell the format"),
        (["animate", "adam", "beale", "--out", "/nonexistent/x.gif"], "does not exist"),
        (["animate", "adam", "beale", "--fps", "0"], "fps must be a positive number"),
        (["show", "beale", "--out", "x.gif"], "writes a .png still"),
    ],
)
def test_bad_input_is_one_clear_line_with_exit_code_2(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []  # nothing written, no temp file left


def test_a_failed_render_leaves_an_existing_file_untouched(tmp_path):
    out = tmp_path / "keep.gif"
    out.write_bytes(b"precious")
    result = run("animate", "adam", "beale", "--out", str(out), "--fps", "-1", "-q")
    assert result.exit_code == 2
    assert out.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.gif"]


def test_real_command_prints_one_line_and_exits_2():
    proc = subprocess.run(
        [sys.executable, "-m", "optviz", "animate", "adma", "beale"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith("optviz: error: unknown optimizer 'adma'")


@pytest.mark.parametrize("args, code", [(["trajectory", "sgd", "bowl", "--steps", "2"], 0),
                                        (["animate", "adma", "beale"], 2)])  # fmt: skip
def test_the_process_ends_with_its_output_flushed_and_exit_handlers_run(args, code):
    """The command line leaves without the interpreter's teardown (cli/app.py `_leave`):
    what it printed, the exit code and the exit handlers must all survive that."""
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('exit handler ran', flush=True))\n"
        f"sys.argv = ['optviz', *{args!r}]\n"
        "from optviz.cli import main\n"
        "main()\n"
        "print('not reached')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == code, proc.stderr
    assert proc.stdout.endswith("exit handler ran\n") and "not reached" not in proc.stdout
    if code == 0:  # the path's table, printed in full before the handler's line
        assert proc.stdout.count("\n") > 2 and proc.stderr == ""
    else:
        assert proc.stderr.startswith("optviz: error: unknown optimizer 'adma'")


def test_help_does_not_import_jax_or_matplotlib():
    code = (
        "import sys; from optviz.cli import app; from typer.testing import CliRunner; "
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0; "
        "heavy = [m for m in ('jax', 'matplotlib', 'optax') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# reading the mp4 back starts ffmpeg in a subprocess, which JAX warns about
@pytest.mark.filterwarnings(r"ignore:os\.fork\(\) was called:RuntimeWarning")
def test_mp4_is_written_deterministically_and_reads_back(tmp_path):
    pytest.importorskip("imageio_ffmpeg")  # the optional mp4 extra (in the test extra)
    import imageio

    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    for out in (a, b):
        result = run("animate", "sgd,adam", "beale", "--out", str(out), "--frames", "12", "-q")
        assert result.exit_code == 0, result.output
    assert a.read_bytes() == b.read_bytes()
    reader = imageio.get_reader(a)
    try:
        assert reader.count_frames() == 12 + 2 * 30  # the last frame held 2 s at 30 fps
        assert tuple(reader.get_meta_data()["size"]) == (640, 480)
    finally:
        reader.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "b.mp4"]  # no temp files
