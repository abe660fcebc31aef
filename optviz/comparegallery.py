"""The gallery's `[[comparison]]` tables: two landscapes that differ in one knob, side by
side on one colour scale, with the 1-D cut and both sharpnesses (`optviz.compare_landscapes`).

Keys per table: name, compare ("KNOB=A,B"), caption (required); optimizer, dataset,
epochs (N, or [A's, B's] to train one side longer), plane, grid, span, seed, depth,
norm, skip, batch_size, size [w, h], theme, title. `optviz gallery` renders them
after the landscapes into NAME.png and records them in record.toml: a digest of the
spec, the library versions, digests of the numbers (both grids, the 1-D cut, both
sharpnesses and smallest eigenvalues) and of the file itself, and the measured
sharpness, |λmin/λmax| and loss of each side as the caption must quote them.
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
from optviz.render.theme import THEMES
from optviz.weightspace.compare import EPOCHS, OPTIMIZER, PLANES
from optviz.weightspace.knobs import parse_compare

REQUIRED = ("name", "compare", "caption")
OPTIONAL: dict[str, Any] = {
    "optimizer": OPTIMIZER,
    "dataset": "digits",
    "epochs": EPOCHS,
    "plane": "random",
    "grid": 31,
    "span": None,
    "seed": 0,
    "depth": 2,
    "norm": "none",
    "skip": False,
    "batch_size": 32,
    "size": [1440, 520],
    "theme": "light",
    "title": None,
}
TRAIN_KEYS = ("depth", "norm", "skip", "batch_size")


@dataclass(frozen=True)
class ComparisonEntry:
    name: str
    compare: str
    caption: str
    optimizer: str = OPTIMIZER
    dataset: str = "digits"
    epochs: int | tuple[int, int] = EPOCHS  # or each side's (A's, B's)
    plane: str = "random"
    grid: int = 31
    span: float | None = None
    seed: int = 0
    depth: int = 2
    norm: str = "none"
    skip: bool = False
    batch_size: int | str = 32
    size: tuple[int, int] = (1440, 520)
    theme: str = "light"
    title: str | None = None

    @property
    def filename(self) -> str:
        return f"{self.name}.png"

    def train_options(self) -> dict[str, Any]:
        """The fixed training options, without the one the comparison varies."""
        option = parse_compare(self.compare).option
        return {k: getattr(self, k) for k in TRAIN_KEYS if k != option}


def load(path: str | Path = gallery.SPEC) -> list[ComparisonEntry]:
    """The spec's `[[comparison]]` tables, checked ([] if there are none)."""
    return [_entry(t, path) for t in gallery.read_tables(path, "comparison")]


def _entry(table: Any, path: str | Path) -> ComparisonEntry:
    v, where = gallery.table_values(table, path, "comparison", REQUIRED, OPTIONAL)
    check = gallery._Checker(where)
    name = check.file_name(v["name"])
    compare = check.text(v["compare"], "compare")
    try:
        knob = parse_compare(compare)
    except OptvizError as err:
        raise OptvizError(f"{where}: {err}") from None
    if knob.option in table:
        raise OptvizError(f"{where}: {knob.option} is what is compared; leave it out")
    if v["plane"] not in PLANES:
        raise UnknownNameError("plane", str(v["plane"]), PLANES, f"in {where}")
    if v["theme"] not in THEMES:
        raise UnknownNameError("theme", str(v["theme"]), THEMES, f"in {where}")
    span = v["span"]
    if span is not None:
        span = check.number(span, "span", 1e-9, 1e9)
    if not isinstance(v["skip"], bool):
        raise OptvizError(f"{where}: skip must be true or false")
    return ComparisonEntry(
        name=name,
        compare=compare,
        caption=" ".join(check.text(v["caption"], "caption").split()),
        optimizer=check.text(v["optimizer"], "optimizer"),
        dataset=check.text(v["dataset"], "dataset"),
        epochs=_epochs(check, v["epochs"]),
        plane=v["plane"],
        grid=check.whole(v["grid"], "grid", 3, 401),
        span=span,
        seed=check.whole(v["seed"], "seed", 0, 2**31 - 1),
        depth=check.whole(v["depth"], "depth", 1, 32),
        norm=check.text(v["norm"], "norm"),
        skip=v["skip"],
        batch_size=v["batch_size"],
        size=check.pair(v["size"], "size", int),
        theme=v["theme"],
        title=None if v["title"] is None else check.text(v["title"], "title"),
    )


def _epochs(check, value: Any) -> int | tuple[int, int]:
    """One number for both sides, or [A's, B's]."""
    if isinstance(value, list):
        a, b = check.pair(value, "epochs", int)
        return check.whole(a, "epochs", 1, 1000), check.whole(b, "epochs", 1, 1000)
    return check.whole(value, "epochs", 1, 1000)


def comparison_for(entry: ComparisonEntry, progress=None):
    """The `optviz.Comparison` that `entry` draws (its two landscapes from the cache
    when computed before under the same library versions)."""
    from optviz.weightspace import compare_landscapes

    return compare_landscapes(
        entry.compare, entry.optimizer, dataset=entry.dataset, epochs=entry.epochs,
        plane=entry.plane, grid=entry.grid, span=entry.span, seed=entry.seed,
        progress=progress, **entry.train_options(),
    )  # fmt: skip


def render_entry(entry: ComparisonEntry, out_dir: str | Path, cmp) -> Path:
    return cmp.save(Path(out_dir) / entry.filename, size=entry.size, theme=entry.theme,
                    title=entry.title)  # fmt: skip


def spec_digest(entry: ComparisonEntry) -> str:
    fields = dataclasses.asdict(entry)
    del fields["caption"]
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def number_digests(cmp) -> dict[str, str]:
    """Digests (float32) of each side's grid, the 1-D cut, and both sharpnesses."""

    def sha(*arrays) -> str:
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(a, dtype="<f4").tobytes())
        return h.hexdigest()

    a, b = cmp.landscapes
    cut = [cmp.line] if cmp.line is not None else list(cmp.slices)
    return {
        "grid_a": sha(a.loss),
        "grid_b": sha(b.loss),
        "line": sha(*(x for pair in cut for x in pair)),
        "sharpness": sha(np.asarray(cmp.sharpness)),
        "min_eigenvalue": sha(np.asarray(cmp.min_eigenvalue)),
    }


def measured(cmp) -> dict[str, str]:
    """The numbers a caption quotes, as its text shows them: each side's sharpness and
    final training loss (3 significant digits) and |λmin/λmax| (2, as the picture)."""
    out = {}
    for side, k in (("a", 0), ("b", 1)):
        out[f"sharpness_{side}"] = f"{cmp.sharpness[k]:.3g}"
        out[f"loss_{side}"] = f"{cmp.final_loss[k]:.3g}"
        out[f"nonconvexity_{side}"] = f"{cmp.nonconvexity[k]:.2g}"
    return out


def record_of(entry: ComparisonEntry, cmp, file: str | Path) -> gallery.Record:
    """Digests of the numbers and the file, and the measured values the caption quotes."""
    file_sha = hashlib.sha256(Path(file).read_bytes()).hexdigest()
    numbers = {**number_digests(cmp), **measured(cmp), "file": file_sha}
    return gallery.Record(spec_digest(entry), gallery.versions(), numbers)


def command_for(entry: ComparisonEntry) -> str:
    """The `optviz landscape --compare` command that draws the same picture."""
    args = ["optviz", "landscape", "--compare", entry.compare, "--optimizers", entry.optimizer]
    epochs = entry.epochs if isinstance(entry.epochs, int) else "{},{}".format(*entry.epochs)
    args += ["--dataset", entry.dataset, "--epochs", str(epochs), "--plane", entry.plane]
    args += ["--grid", str(entry.grid), "--seed", str(entry.seed)]
    if entry.span is not None:
        args += ["--span", f"{entry.span:g}"]
    for key, value in entry.train_options().items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args += [flag] if value else []
        else:
            args += [flag, str(value)]
    args += ["--size", "x".join(map(str, entry.size)), "--theme", entry.theme]
    if entry.title is not None:
        args += ["--title", entry.title]
    return shlex.join([*args, "--out", entry.filename])


def readme_part(entries: list[ComparisonEntry]) -> str:
    """The gallery README's sections for the comparisons (after the landscapes')."""
    parts = []
    for e in entries:
        parts += gallery.readme_section(e, command_for(e), "the same picture by hand")
    return "\n" + "\n".join(parts) if parts else ""
