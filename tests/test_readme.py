"""The README's examples run, and its two commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_after(marker: str) -> str:
    block = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", README, re.S)
    assert block, f"README has no command after <!-- {marker} -->"
    return block.group(1).strip()


def test_readme_has_its_two_commands():
    assert "optviz animate" in command_after("main-command")
    assert "pytest" in command_after("test-command")
    # CI runs the line after the test-command marker (see .ci/run)
    assert "<!-- test-command -->" in (ROOT / ".ci" / "run").read_text()


def test_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.+?)\n```", README, re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "race.gif").stat().st_size > 0
