"""The code's layers, read from its imports: every import (module-level or inside a
function) points down the stack, so no cycle can come back.

    errors  <  i18n, paths  <  surfaces  <  optimizers  <  engine  <  maps  <  render
    <  racing, trainer, atlases  <  weightspace  <  explorer, gallery
    <  atlasgallery, netgallery, comparegallery  <  cli

A module may import its own component and any lower layer; nothing inside the package
imports the lazy facade (`import optviz`), which only the command line may use.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the folders that install as each optviz.<component> (see pyproject's package-dir)
SOURCES = {"optviz": ROOT / "optviz", "surfaces": ROOT / "surfaces", "cli": ROOT / "cli"}
LAYERS = [
    {"errors"},
    {"i18n", "paths", "jaxcache", "limits", "interrupt"},
    {"surfaces"},
    {"optimizers"},
    {"engine"},
    {"maps"},
    {"render"},
    {"racing", "trainer", "atlases"},
    {"weightspace"},
    {"explorer", "gallery"},
    {"atlasgallery", "netgallery", "comparegallery"},
    {"cli"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
ENTRY_POINTS = {"__init__", "__main__"}  # the lazy facade and `python -m optviz`


def modules() -> list[tuple[str, Path]]:
    """(component, file) for every source file of the package."""
    out = []
    for top, folder in SOURCES.items():
        for file in sorted(folder.rglob("*.py")):
            if top == "optviz":
                rel = file.relative_to(folder)
                component = rel.parts[0].removesuffix(".py")
            else:
                component = top
            if top == "optviz" and component in ENTRY_POINTS:
                continue
            out.append((component, file))
    return out


def imported_components(file: Path) -> list[tuple[int, str]]:
    """(line, component) of every optviz import in `file`; component "optviz" for the
    facade itself."""
    found = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "optviz":
                    found.append((node.lineno, parts[1] if len(parts) > 1 else "optviz"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "optviz":
                continue
            if len(parts) > 1:
                found.append((node.lineno, parts[1]))
            else:  # `from optviz import X`: X is a component, or a name of the facade
                for alias in node.names:
                    name = alias.name
                    found.append((node.lineno, name if name in RANK else "optviz"))
    return found


def test_every_component_has_a_layer():
    components = {c for c, _ in modules()}
    assert components <= set(RANK), sorted(components - set(RANK))


@pytest.mark.parametrize(
    "component, file", modules(), ids=[str(f.relative_to(ROOT)) for _, f in modules()]
)
def test_imports_point_down_the_layers(component, file):
    wrong = []
    for line, target in imported_components(file):
        if target == component:
            continue
        if target == "optviz":
            if component != "cli":
                wrong.append(f"line {line}: imports the facade `optviz`")
            continue
        if target not in RANK:
            wrong.append(f"line {line}: imports optviz.{target}, which has no layer")
        elif RANK[target] >= RANK[component]:
            wrong.append(f"line {line}: {component} (layer {RANK[component]}) imports "
                         f"{target} (layer {RANK[target]})")  # fmt: skip
    assert not wrong, f"{file.relative_to(ROOT)}: " + "; ".join(wrong)


def test_the_checker_sees_a_hidden_cycle(tmp_path):
    """A function-local import upwards is caught as well as a module-level one."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from optviz.explorer import explore\n    import optviz\n")
    assert imported_components(bad) == [(2, "explorer"), (3, "optviz")]
