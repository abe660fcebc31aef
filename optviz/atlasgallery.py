"""The gallery's maps: `[[atlas]]` tables of gallery/gallery.toml, beside its animations.

Each table names a picture that `optviz.atlas` makes: a basin map (kind "basins":
surface, optimizers) as a PNG, or the trainability fractal (kind "trainability", with
`zoom` levels) as a GIF. Like the animations (`optviz.gallery`), each file has a record
in record.toml: a digest of its spec, the library versions, and here a digest of every
map array, so the tests can tell stale numbers from moved pixels.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optviz import optimizers as optviz_optimizers
from optviz import surfaces
from optviz.errors import OptvizError, UnknownNameError
from optviz.gallery import (
    SPEC,
    Record,
    _Checker,
    read_tables,
    readme_section,
    table_values,
    versions,
)

KINDS = ("basins", "trainability")
REQUIRED = ("name", "kind", "caption")
OPTIONAL: dict[str, Any] = {
    "surface": None,
    "optimizers": [],
    "grid": 200,
    "steps": 500,
    "zoom": 0,
    "size": [640, 480],
    "theme": "light",
    "title": None,
}


@dataclass(frozen=True)
class AtlasEntry:
    """One gallery map, as written in the spec."""

    name: str
    kind: str
    caption: str
    surface: str | None = None
    optimizers: tuple[str, ...] = ()
    grid: int = 200
    steps: int = 500
    zoom: int = 0
    size: tuple[int, int] = (640, 480)
    theme: str = "light"
    title: str | None = None

    @property
    def filename(self) -> str:
        return f"{self.name}.{'gif' if self.zoom else 'png'}"


def load_atlases(path: str | Path = SPEC) -> list[AtlasEntry]:
    """The spec's `[[atlas]]` tables, checked (none: an empty list)."""
    return [_entry(t, path) for t in read_tables(path, "atlas")]


def _entry(table: Any, path: str | Path) -> AtlasEntry:
    v, where = table_values(table, path, "atlas", REQUIRED, OPTIONAL)
    check = _Checker(where)
    if v["kind"] not in KINDS:
        raise UnknownNameError("atlas kind", str(v["kind"]), KINDS, f"in {where}")
    if v["kind"] == "basins":
        surfaces.get(check.text(v["surface"], "surface"))
        if not v["optimizers"] or not all(isinstance(o, str) for o in v["optimizers"]):
            raise OptvizError(f"{where}: a basin map needs a list of optimizers")
        for o in v["optimizers"]:
            optviz_optimizers.spec(o)
    size = check.pair(v["size"], "size", int)
    return AtlasEntry(
        name=check.file_name(v["name"]),
        kind=v["kind"],
        caption=" ".join(check.text(v["caption"], "caption").split()),
        surface=v["surface"],
        optimizers=tuple(v["optimizers"]),
        grid=check.whole(v["grid"], "grid", 2, 2048),
        steps=check.whole(v["steps"], "steps", 1, 100_000),
        zoom=check.whole(v["zoom"], "zoom", 0, 12),
        size=size,
        theme=v["theme"],
        title=v["title"],
    )


def atlas_for(entry: AtlasEntry):
    """The `optviz.atlases.Atlas` that `entry` draws."""
    from optviz.atlases import atlas

    if entry.kind == "trainability":
        return atlas(trainability=True, grid=entry.grid, steps=entry.steps, zoom=entry.zoom)
    return atlas(list(entry.optimizers), entry.surface, grid=entry.grid, steps=entry.steps)


def render_atlas(entry: AtlasEntry, out_dir: str | Path, *, atlas=None):
    """Write `entry`'s file into `out_dir` (`atlas`: `atlas_for(entry)`, if computed)."""
    atlas = atlas_for(entry) if atlas is None else atlas
    path = Path(out_dir) / entry.filename
    return atlas.save(path, size=entry.size, theme=entry.theme, title=entry.title)


def spec_digest(entry: AtlasEntry) -> str:
    fields = dataclasses.asdict(entry)
    del fields["caption"]
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def array_digests(atlas) -> dict[str, str]:
    """Per map array (by name), a digest of its bytes."""
    return array_digests_of(atlas.arrays())


def array_digests_of(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """Per array (by name), a digest of its bytes."""
    return {
        key: hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        for key, value in arrays.items()
    }


# The gallery check recomputes every CHECKED_ROWS row of a trainability zoom's first
# picture (a quarter of the cost of the whole picture, which is most of the zoom's).
CHECKED_ROWS = slice(0, None, 4)


def checked_rows_digests(level_arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """Digests of the checked rows of a trainability picture's arrays, keyed
    ``level0/NAME/rows::4``."""
    step = CHECKED_ROWS.step
    rows = {f"level0/{k}/rows::{step}": v[CHECKED_ROWS] for k, v in level_arrays.items()}
    return array_digests_of(rows)


# The gallery check recomputes every fourth block of pixels of a trainability zoom's
# first picture (a quarter of the cost of that picture, which is most of the zoom's).
CHECKED_BLOCKS = slice(0, None, 4)


def checked_digests(index: np.ndarray, arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """Digests of the checked pixels (`index` into the raveled picture) of a trainability
    picture's arrays, keyed ``level0/NAME/checked``."""
    return array_digests_of({f"level0/{k}/checked": np.ravel(v)[index] for k, v in arrays.items()})


def record_of(entry: AtlasEntry, atlas) -> Record:
    digests = array_digests(atlas)
    if entry.kind == "trainability":
        from optviz.maps import fractal

        first = atlas.levels[0]
        arrays = {"measure": first.measure, "diverged": first.diverged}
        arrays["final_loss"] = first.final_loss
        index = fractal.block_index(first.measure.size, CHECKED_BLOCKS)
        digests.update(checked_digests(index, arrays))
    return Record(spec_digest(entry), versions(), digests)


def command_for(entry: AtlasEntry) -> str:
    """The `optviz atlas` command that computes the same map (the gallery's size aside)."""
    if entry.kind == "trainability":
        args = f"optviz atlas --trainability --grid {entry.grid} --steps {entry.steps}"
        return args + (f" --zoom {entry.zoom}" if entry.zoom else "") + f" --out {entry.filename}"
    names = ",".join(entry.optimizers)
    return (
        f"optviz atlas {names} {entry.surface} --grid {entry.grid} --steps {entry.steps} "
        f"--out {entry.filename}"
    )


def readme_sections(entries: list[AtlasEntry]) -> list[str]:
    """The gallery README's part for the maps."""
    parts = []
    for e in entries:
        parts += readme_section(e, command_for(e), "the same map by hand")
    return parts
