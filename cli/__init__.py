"""The `optviz` command line (installed as optviz.cli).

Commands live in modules named for what they do; importing them registers
them on the one typer `app`.
"""

from optviz.cli import (
    animate_cmds,  # noqa: F401  (registers animate, show)
    gallery_cmds,  # noqa: F401  (registers gallery)
    inspect_cmds,  # noqa: F401  (registers list, trajectory)
    landscape_cmds,  # noqa: F401  (registers landscape)
    train_cmds,
)
from optviz.cli.app import app, main

app.command("train")(train_cmds.train)
app.command("layers")(train_cmds.layers)

__all__ = ["app", "main"]
