"""The typer application, and how user errors reach the terminal.

Every command reports bad input by raising `optviz.errors.OptvizError`;
`user_errors` turns it into a one-line message and exit code 2. Heavy imports
(JAX, matplotlib) happen inside the commands, so `optviz --help` stays fast.
"""

from __future__ import annotations

import atexit
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import typer

from optviz import interrupt, jaxcache
from optviz.errors import OptvizError

app = typer.Typer(
    name="optviz",
    help="See how optimizers move: optax optimizers racing on classic loss surfaces.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class UserError(typer.BadParameter):
    """Bad input: printed as one line, exit code 2 (a usage error)."""

    def format_message(self) -> str:
        return self.message


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Report `OptvizError` from a command as a one-line error with exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except OptvizError as err:
            raise UserError(str(err)) from None

    return wrapper


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `optviz` console script and `python -m optviz`.

    Usage errors (typer's, and ours) print as one line on stderr, exit code 2.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    jaxcache.enable()  # compiled programs persist across runs (OPTVIZ_CACHE_DIR)
    try:
        with interrupt.handled():
            try:
                code = app(args=args or ["--help"], prog_name="optviz", standalone_mode=False)
                interrupt.check()  # a signal swallowed on the way still ends the run
            except Exception:
                interrupt.check()  # an error caused by the signal: report the signal
                raise
    except typer.TyperException as err:  # click's usage errors and ours
        ctx = getattr(err, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        typer.echo(f"optviz: error: {err.format_message()}{hint}", err=True)
        code = err.exit_code
    except (interrupt.Interrupted, typer.Abort, KeyboardInterrupt) as err:
        signum = getattr(err, "signum", signal.SIGINT)
        name = "terminated" if signum == signal.SIGTERM else "interrupted"
        typer.echo(f"optviz: {name}; unfinished files were removed", err=True)
        # Cleaned up already (on the way out of every block); leave now, without the
        # interpreter's shutdown, which can crash while JAX's threads are mid-work.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signum)
    except OSError as err:  # the disk, permissions, ...: the environment, not the input
        where = f" {err.filename}" if err.filename else ""
        typer.echo(f"optviz: error: cannot write{where}: {err.strerror or err}", err=True)
        code = 1
    code = code if isinstance(code, int) else 0
    if argv is None:  # the process's own entry point, not a call from Python
        _leave(code)
    sys.exit(code)


def _leave(code: int) -> None:
    """End the process now that everything is written: flush, run the exit handlers
    (JAX's among them), then exit without the interpreter's teardown, which spends
    about a quarter of a second taking JAX's runtime apart for nothing. Only when no
    other thread could still be working; otherwise the usual shutdown."""
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()[1:]):
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    atexit._run_exitfuncs()
    os._exit(code)
