"""`optviz gallery`: regenerate the gallery animations from their spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optviz.cli.app import app, user_errors
from optviz.errors import OptvizError, UnknownNameError


@app.command("gallery")
@user_errors
def gallery_command(
    out: Annotated[Path, typer.Option(help="Folder to write the GIFs into.")] = Path("gallery"),
    only: Annotated[str | None, typer.Option(help="Render only this animation.")] = None,
    spec: Annotated[Path, typer.Option(help="The gallery spec.")] = Path("gallery/gallery.toml"),
    commands: Annotated[
        bool, typer.Option(help="Print each animation's `optviz animate` command instead.")
    ] = False,
) -> None:
    """Render every animation of the gallery spec (the same bytes every time).

    Also rewrites the folder's record.toml: the library versions that made each
    file and digests of its spec and paths, which the tests check the files against.
    """
    from optviz import gallery

    entries = gallery.load(spec)
    names = [e.name for e in entries]
    if only is not None:
        entries = [e for e in entries if e.name == only]
        if not entries:
            raise UnknownNameError("animation", only, names)
    if commands:
        for entry in entries:
            typer.echo(gallery.command_for(entry))
        return
    if not out.is_dir():
        raise OptvizError(f"--out {out} is not a folder")
    record = out / gallery.RECORD
    records = gallery.load_records(record)
    for entry in entries:
        race = gallery.race_for(entry)
        info = gallery.render_entry(entry, out, race=race)
        typer.echo(f"wrote {info.path}: {info.n_frames} frames, {info.bytes / 1024:.0f} KiB")
        # after each file, so that an interrupted run leaves every record true
        records[entry.name] = gallery.record_of(entry, race)
        kept = {name: records[name] for name in names if name in records}  # spec order
        record.write_text(gallery.records_text(kept), encoding="utf-8")
    typer.echo(f"wrote {record}")
    if only is None:
        readme = out / "README.md"
        readme.write_text(gallery.readme_text(entries), encoding="utf-8")
        typer.echo(f"wrote {readme}")
