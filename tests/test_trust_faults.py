"""Faults from outside, on the real command in a subprocess: a full disk (a file-size
limit) and SIGINT/SIGTERM at several moments. Each ends with one line and a non-zero
exit, leaves no temporary file, and an old output survives byte for byte."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.cli_process import run_cli

ANIMATE = ["animate", "sgd,adam", "beale", "--steps", "200", "--frames", "40", "-q"]
OLD = b"an old output the user wants to keep\n"


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def check_one_line(stderr: str) -> None:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("optviz: "), stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("name", ["x.gif", "x.webp", "x.png", "x.mp4"])
def test_a_full_disk_fails_in_one_line_and_keeps_the_old_file(tmp_path, name):
    if name.endswith(".mp4"):
        pytest.importorskip("imageio_ffmpeg")
    out = tmp_path / name
    out.write_bytes(OLD)
    proc = run_cli([*ANIMATE, "--out", name], tmp_path, blocks=40)  # 20 KB or 40 KB
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    check_one_line(err)
    assert f"cannot write {name}" in err
    assert out.read_bytes() == OLD
    assert leftovers(tmp_path, {name}) == []


# Each signal once, each at another moment (the handler is the same for both).
@pytest.mark.parametrize(
    ("sig", "delay"),
    [(signal.SIGINT, 0.8), (signal.SIGTERM, 2.5)],
    ids=["SIGINT-early", "SIGTERM-late"],
)
def test_a_signal_leaves_the_old_file_or_a_whole_new_one(tmp_path, sig, delay):
    out = tmp_path / "x.gif"
    out.write_bytes(OLD)
    proc = run_cli([*ANIMATE, "--out", "x.gif", "--size", "960x720"], tmp_path)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert leftovers(tmp_path, {"x.gif"}) == []
    if proc.returncode == -sig and out.read_bytes() == OLD:
        return  # it came before optviz had started: nothing written
    if proc.returncode in (
        0,
        -sig,
    ):  # finished (the signal came during shutdown)  # it finished first: the new file is whole
        with Image.open(out) as im:
            im.seek(im.n_frames - 1)
        return
    assert proc.returncode == 128 + sig, err
    check_one_line(err)
    if out.read_bytes() != OLD:  # the signal came after the new file was moved in
        with Image.open(out) as im:
            im.seek(im.n_frames - 1)  # ... and it is whole
