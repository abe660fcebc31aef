"""The gallery's `[[landscape]]` tables: the CNN's loss landscape with the optimizers
racing on it (`optviz.landscape`), written beside the toy-surface animations.

Keys per table: name, optimizers, caption (required); dataset, epochs, plane, grid,
span, seed, view, frames, fps, size [w, h], theme, title. `optviz gallery` renders
them after the animations and records them in record.toml like the animations:
a digest of the spec, the library versions, and digests of the numbers (the loss
grid, each path's plane coordinates and true losses) and of the file itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optviz import gallery
from optviz.errors import OptvizError, UnknownNameError
from optviz.render.api import VIEWS
from optviz.render.theme import THEMES
from optviz.weightspace.api import EPOCHS, GRID
from optviz.weightspace.planes import PLANES

REQUIRED = ("name", "optimizers", "caption")
OPTIONAL: dict[str, Any] = {
    "dataset": "digits",
    "epochs": EPOCHS,
    "plane": "pca",
    "grid": GRID,
    "span": None,
    "seed": 0,
    "view": "2d",
    "frames": 120,
    "fps": 20,
    "size": [880, 480],
    "theme": "light",
    "title": None,
}


@dataclass(frozen=True)
class LandscapeEntry:
    name: str
    optimizers: tuple[str, ...]
    caption: str
    dataset: str = "digits"
    epochs: int = EPOCHS
    plane: str = "pca"
    grid: int = GRID
    span: float | None = None
    seed: int = 0
    view: str = "2d"
    frames: int = 120
    fps: float = 20
    size: tuple[int, int] = (880, 480)
    theme: str = "light"
    title: str | None = None

    @property
    def filename(self) -> str:
        return f"{self.name}.gif"


def load(path: str | Path = gallery.SPEC) -> list[LandscapeEntry]:
    """The spec's `[[landscape]]` tables, checked ([] if there are none)."""
    return [_entry(t, path) for t in gallery.read_tables(path, "landscape")]


def _entry(table: Any, path: str | Path) -> LandscapeEntry:
    v, where = gallery.table_values(table, path, "landscape", REQUIRED, OPTIONAL)
    check = gallery._Checker(where)
    name = check.file_name(v["name"])
    names = v["optimizers"]
    if not isinstance(names, list) or not all(isinstance(o, str) for o in names):
        raise OptvizError(f'{where}: optimizers must be a list of names, e.g. ["sgd", "adam"]')
    if v["plane"] not in PLANES:
        raise UnknownNameError("plane", str(v["plane"]), PLANES, f"in {where}")
    if v["view"] not in VIEWS:
        raise UnknownNameError("view", str(v["view"]), VIEWS, f"in {where}")
    if v["theme"] not in THEMES:
        raise UnknownNameError("theme", str(v["theme"]), THEMES, f"in {where}")
    span = v["span"]
    if span is not None:
        span = check.number(span, "span", 1e-9, 1e9)
    return LandscapeEntry(
        name=name,
        optimizers=tuple(names),
        caption=" ".join(check.text(v["caption"], "caption").split()),
        dataset=check.text(v["dataset"], "dataset"),
        epochs=check.whole(v["epochs"], "epochs", 1, 1000),
        plane=v["plane"],
        grid=check.whole(v["grid"], "grid", 3, 401),
        span=span,
        seed=check.whole(v["seed"], "seed", 0, 2**31 - 1),
        view=v["view"],
        frames=check.whole(v["frames"], "frames", 1, 10_000),
        fps=check.number(v["fps"], "fps", 0.1, 50.0),
        size=check.pair(v["size"], "size", int),
        theme=v["theme"],
        title=None if v["title"] is None else check.text(v["title"], "title"),
    )


def landscape_for(entry: LandscapeEntry, progress=None):
    """The `optviz.Landscape` that `entry` draws (from the landscape cache if this
    request was computed before under the same library versions)."""
    from optviz.weightspace import landscape

    return landscape(
        list(entry.optimizers), dataset=entry.dataset, epochs=entry.epochs, plane=entry.plane,
        grid=entry.grid, span=entry.span, seed=entry.seed, progress=progress,
    )  # fmt: skip


def render_entry(entry: LandscapeEntry, out_dir: str | Path, land, *, frames: int | None = None):
    return land.save(
        Path(out_dir) / entry.filename, view=entry.view,
        frames=entry.frames if frames is None else frames, fps=entry.fps, size=entry.size,
        theme=entry.theme, title=entry.title,
    )  # fmt: skip


def spec_digest(entry: LandscapeEntry) -> str:
    fields = dataclasses.asdict(entry)
    del fields["caption"]
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def number_digests(land) -> dict[str, str]:
    """The loss grid's digest ("grid"), and per optimizer its plane coordinates' and true
    losses' (float32)."""

    def sha(*arrays) -> str:
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(a, dtype="<f4").tobytes())
        return h.hexdigest()

    out = {"grid": sha(land.loss)}
    out.update({n: sha(land.paths[n], land.true_loss[n]) for n in land.optimizers})
    return out


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def record_of(entry: LandscapeEntry, land, file: str | Path) -> gallery.Record:
    numbers = {**number_digests(land), "file": file_digest(file)}
    return gallery.Record(spec_digest(entry), gallery.versions(), numbers)


def command_for(entry: LandscapeEntry) -> str:
    """The `optviz landscape` command that draws the same picture."""
    args = ["optviz", "landscape", "--optimizers", ",".join(entry.optimizers)]
    args += ["--dataset", entry.dataset, "--epochs", str(entry.epochs), "--plane", entry.plane]
    args += ["--grid", str(entry.grid), "--seed", str(entry.seed), "--view", entry.view]
    if entry.span is not None:
        args += ["--span", f"{entry.span:g}"]
    args += ["--frames", str(entry.frames), "--fps", f"{entry.fps:g}"]
    args += ["--size", "x".join(map(str, entry.size)), "--theme", entry.theme]
    if entry.title is not None:
        args += ["--title", entry.title]
    return shlex.join([*args, "--out", entry.filename])


def readme_part(entries: list[LandscapeEntry]) -> str:
    """The gallery README's sections for the landscapes (after the animations')."""
    parts = []
    for e in entries:
        by_hand = "the same picture by hand (it also writes the 1-D plot beside it)"
        parts += gallery.readme_section(e, command_for(e), by_hand)
    return "\n" + "\n".join(parts) if parts else ""
