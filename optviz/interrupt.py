"""Ctrl-C and SIGTERM, made dependable: a signal is remembered, not only raised.

Python raises KeyboardInterrupt wherever the program happens to be, and some places
swallow it (JAX's garbage-collection callback prints "Exception ignored" and carries
on). So the handler both raises `Interrupted` and records the signal, and the places
that must not go on after one (`check()`: before a finished file is moved into
place, between frames, between training chunks) raise it again. A signal that
lands while a module is being imported is only recorded. Pure Python.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator

_received: int | None = None


class Interrupted(BaseException):
    """The run was stopped by a signal (`signum`); nothing should be written after it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _importing(frame) -> bool:
    """Whether `frame` runs inside an import (importlib's own frames are on the stack)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _handler(signum, frame) -> None:
    global _received
    _received = signum
    # Never raise inside an import: a module would be left half-made, and an import
    # started from compiled code prints the traceback itself. The next `check()`
    # (between frames, before a file is moved in, on the way out) stops the run.
    if not _importing(frame):
        raise Interrupted(signum)


def received() -> int | None:
    """The signal that asked the run to stop, or None."""
    return _received


def check() -> None:
    """Raise `Interrupted` if a stop was asked for, even if it was swallowed since."""
    if _received is not None:
        raise Interrupted(_received)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise (and record) `Interrupted`."""
    global _received
    _received = None
    old = {s: signal.signal(s, _handler) for s in (signal.SIGINT, signal.SIGTERM)}
    old_hook = sys.unraisablehook

    def quiet(unraisable) -> None:  # a stop swallowed by a callback: `check` reports it
        if not isinstance(unraisable.exc_value, Interrupted):
            old_hook(unraisable)

    sys.unraisablehook = quiet
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        sys.unraisablehook = old_hook
        _received = None  # handled here: a later run in this process starts afresh
