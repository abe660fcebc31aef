"""A gallery spec is checked whole before anything is written: wrong types, names that
would escape the folder and empty specs are one-line errors, and a bad entry never
lets an earlier entry's file or the gallery README be rewritten."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from optviz.cli import app
from optviz.errors import OptvizError

GOOD = """
[[animation]]
name = "one"
surface = "bowl"
optimizers = ["sgd"]
caption = "a bowl"
steps = 20
frames = 3
size = [160, 120]
"""


def run_gallery(tmp_path: Path, spec_text: str):
    spec = tmp_path / "gallery.toml"
    spec.write_text(spec_text, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return CliRunner().invoke(app, ["gallery", "--spec", str(spec), "--out", str(out)]), out


@pytest.mark.parametrize(
    "change, message",
    [
        ('name = "../../../x"', "plain file name"),
        ('name = "/tmp/x"', "plain file name"),
        ('steps = "20"', "steps must be a whole number"),
        ("caption = 3", "caption must be text"),
        ("size = [160]", "size must be two numbers"),
        ("size = [100000, 100000]", "size must be two whole numbers from 64 to 4096"),
        ('optimizers = "adam"', "optimizers must be a list of names"),
        ('optimizers = ["adamm"]', "did you mean 'adam'"),
        ('surface = "bowll"', "did you mean 'bowl'"),
        ("fps = 0.001", "fps must be a number"),
        ("starts = [[99, 99]]", "outside the plotted domain"),
        ('view = "4d"', "unknown view"),
    ],
)
def test_a_bad_second_entry_leaves_the_first_entrys_file_untouched(tmp_path, change, message):
    key = change.split(" =")[0]
    second = "\n".join(
        line for line in GOOD.replace('name = "one"', 'name = "two"').splitlines()
        if not line.startswith(f"{key} =")
    ) + f"\n{change}\n"  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    (out / "one.gif").write_bytes(b"old one")
    (out / "README.md").write_text("old readme")
    result, out = run_gallery(tmp_path, GOOD + second)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert (out / "one.gif").read_bytes() == b"old one"
    assert (out / "README.md").read_text() == "old readme"
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "one.gif"]
    assert not (tmp_path.parent / "x.gif").exists()


def test_an_empty_spec_is_refused_and_the_readme_kept(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("old readme")
    result, out = run_gallery(tmp_path, "# nothing here\n")
    assert result.exit_code == 2 and "no [[animation]] tables" in result.output
    assert (out / "README.md").read_text() == "old readme"


def test_a_good_spec_writes_its_files(tmp_path):
    result, out = run_gallery(tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    assert (out / "one.gif").stat().st_size > 0 and "a bowl" in (out / "README.md").read_text()


@pytest.mark.parametrize("kind", ["atlas", "landscape", "comparison"])
def test_every_kind_of_entry_refuses_a_name_that_is_a_path(tmp_path, kind):
    """A name is a file in the gallery folder: a path would write elsewhere."""
    import tomllib

    from optviz import atlasgallery, comparegallery, gallery, netgallery

    load = {"atlas": atlasgallery.load_atlases, "landscape": netgallery.load,
            "comparison": comparegallery.load}[kind]  # fmt: skip
    committed = Path(__file__).resolve().parent.parent / gallery.SPEC
    spec = tomllib.loads(committed.read_text(encoding="utf-8"))
    table = dict(spec[kind][0])
    lines = [f"[[{kind}]]"]
    for key, value in {**table, "name": "../x"}.items():
        lines.append(f"{key} = {_toml(value)}")
    path = tmp_path / "gallery.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(OptvizError, match="plain file name"):
        load(path)


def _toml(value) -> str:
    if isinstance(value, str):
        return '"""' + value + '"""' if "\n" in value else f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)
