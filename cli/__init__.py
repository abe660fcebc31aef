"""The `optviz` command line (installed as optviz.cli).

Commands live in modules named for what they do; importing them registers
them on the one typer `app`.
"""

from optviz.cli import inspect_cmds  # noqa: F401  (registers list, trajectory)
from optviz.cli.app import app, main

__all__ = ["app", "main"]
