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
    from optviz import atlasgallery, comparegallery, gallery, netgallery

    # the spec's kinds of entry: animations, maps ([[atlas]]) and landscapes
    entries = gallery.load(spec)
    maps = atlasgallery.load_atlases(spec)
    nets = netgallery.load(spec)
    pairs = comparegallery.load(spec)
    names = [e.name for e in [*entries, *maps, *nets, *pairs]]
    # the README shows every entry's caption: rewritten from the whole spec, even with --only
    readme_text = gallery.readme_text(entries, atlasgallery.readme_sections(maps))
    readme_text += netgallery.readme_part(nets) + comparegallery.readme_part(pairs)
    if only is not None:
        entries = [e for e in entries if e.name == only]
        maps = [m for m in maps if m.name == only]
        nets = [e for e in nets if e.name == only]
        pairs = [e for e in pairs if e.name == only]
        if not entries and not maps and not nets and not pairs:
            raise UnknownNameError("animation", only, names)
    if commands:
        for entry in entries:
            typer.echo(gallery.command_for(entry))
        for m in maps:
            typer.echo(atlasgallery.command_for(m))
        for net in nets:
            typer.echo(netgallery.command_for(net))
        for pair in pairs:
            typer.echo(comparegallery.command_for(pair))
        return
    if not out.is_dir():
        raise OptvizError(f"--out {out} is not a folder")
    record = out / gallery.RECORD
    records = gallery.load_records(record)
    # every entry's numbers first: a bad entry stops the run before any file is written
    races = {entry.name: gallery.race_for(entry) for entry in entries}
    for entry in entries:
        race = races[entry.name]
        gallery.check_view(entry, race)
    atlases = {m.name: atlasgallery.atlas_for(m) for m in maps}
    lands = {net.name: netgallery.landscape_for(net) for net in nets}
    compared = {pair.name: comparegallery.comparison_for(pair) for pair in pairs}

    def keep(name, made) -> None:
        # after each file, so that an interrupted run leaves every record true
        records[name] = made
        kept = {n: records[n] for n in names if n in records}  # spec order
        write_text(record, gallery.records_text(kept))

    for entry in entries:
        race = races[entry.name]
        info = gallery.render_entry(entry, out, race=race)
        typer.echo(f"wrote {info.path}: {info.n_frames} frames, {info.bytes / 1024:.0f} KiB")
        keep(entry.name, gallery.record_of(entry, race))
    for m in maps:
        info = atlasgallery.render_atlas(m, out, atlas=atlases[m.name])
        typer.echo(f"wrote {info.path}: {info.bytes / 1024:.0f} KiB")
        keep(m.name, atlasgallery.record_of(m, atlases[m.name]))
    for net in nets:
        info = netgallery.render_entry(net, out, lands[net.name])
        typer.echo(f"wrote {info.path}: {info.n_frames} frames, {info.bytes / 1024:.0f} KiB")
        keep(net.name, netgallery.record_of(net, lands[net.name], info.path))
    for pair in pairs:
        path = comparegallery.render_entry(pair, out, compared[pair.name])
        typer.echo(f"wrote {path}: {path.stat().st_size / 1024:.0f} KiB")
        for line in compared[pair.name].report():
            typer.echo(f"  {line}")
        keep(pair.name, comparegallery.record_of(pair, compared[pair.name], path))
    typer.echo(f"wrote {record}")
    readme = out / "README.md"
    write_text(readme, readme_text)
    typer.echo(f"wrote {readme}")


def write_text(path: Path, text: str) -> None:
    """Write `path` whole or not at all (a temporary file moved into place)."""
    from optviz.render.encode import atomic_output

    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
