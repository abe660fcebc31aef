"""The gallery: the spec parses, every entry renders, and the committed GIFs are current."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from optviz import gallery
from optviz.cli import app
from optviz.errors import OptvizError

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "gallery" / "gallery.toml"
ENTRIES = gallery.load(SPEC)
REQUIRED = {"saddle_point", "beales_function", "long_valley"}


def test_the_lecture_animations_are_in_the_spec():
    names = {e.name for e in ENTRIES}
    assert REQUIRED <= names
    views = {e.view for e in ENTRIES}
    assert {"2d", "3d", "both"} <= views
    assert any("kfac" in e.optimizers for e in ENTRIES)
    assert any(e.loss_panel for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_each_entry_renders_a_reduced_version(entry, tmp_path):
    info = gallery.render_entry(entry, tmp_path, frames=6)
    with Image.open(info.path) as im:
        assert im.size == tuple(entry.size)
        assert 2 <= im.n_frames <= 6


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_committed_gif_matches_the_spec(entry, tmp_path):
    committed = ROOT / "gallery" / entry.filename
    assert committed.exists(), f"run `optviz gallery --only {entry.name}` and commit the GIF"
    size = committed.stat().st_size
    assert size <= 1_000_000, f"{entry.filename} is {size} bytes; the gallery keeps GIFs <= 1 MB"
    assert entry.size[0] >= 640 and entry.size[1] >= 480
    fresh = gallery.render_entry(entry, tmp_path)
    assert fresh.path.read_bytes() == committed.read_bytes(), (
        f"gallery/{entry.filename} is stale: run `optviz gallery --only {entry.name}`"
    )


def test_the_command_for_an_entry_makes_the_same_file(tmp_path, monkeypatch):
    # an entry with its own start points; the spec's animations use the registry's
    # learning rates, so give it one of its own to cover --hp as well
    entry = next(e for e in ENTRIES if e.starts)
    hparams = {entry.optimizers[0]: {"learning_rate": 0.01}}
    small = gallery.Entry(**{**entry.__dict__, "frames": 5, "hparams": hparams})
    expected = gallery.render_entry(small, tmp_path).path.read_bytes()
    (tmp_path / small.filename).unlink()
    monkeypatch.chdir(tmp_path)
    args = [*shlex.split(gallery.command_for(small))[1:], "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / small.filename).read_bytes() == expected


def test_gallery_readme_shows_every_gif_with_its_caption():
    text = (ROOT / "gallery" / "README.md").read_text(encoding="utf-8")
    assert text == gallery.readme_text(ENTRIES), "stale gallery/README.md: run `optviz gallery`"
    for entry in ENTRIES:
        assert f"({entry.filename})" in text
        assert entry.caption in text
        assert f"optviz gallery --only {entry.name}" in text


def test_bad_specs_are_reported(tmp_path):
    bad = tmp_path / "g.toml"
    bad.write_text('[[animation]]\nname = "x"\nsurface = "beale"\noptimizers = ["adam"]\n')
    with pytest.raises(OptvizError, match="missing caption"):
        gallery.load(bad)
    bad.write_text(
        '[[animation]]\nname = "x"\nsurface = "beale"\noptimizers = ["adam"]\n'
        'caption = "c"\nframe = 3\n'
    )
    with pytest.raises(OptvizError, match=r"unknown key 'frame'.*did you mean 'frames'"):
        gallery.load(bad)
    result = CliRunner().invoke(app, ["gallery", "--spec", str(SPEC), "--only", "sadle_point"])
    assert result.exit_code == 2 and "did you mean 'saddle_point'" in result.output
