"""Errors a user can act on: what was wrong, and what would be right."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class OptvizError(ValueError):
    """Bad input from a user. Its message is one line, fit to print as-is."""


class UnknownNameError(OptvizError, KeyError):
    """A name not in a registry; the message lists close matches."""

    def __init__(self, kind: str, name: str, known: Iterable[str], where: str = ""):
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        if close:
            hint = "did you mean " + " or ".join(repr(c) for c in close) + "?"
        else:
            hint = "choose from: " + ", ".join(known)
        self.kind, self.name, self.close = kind, name, close
        place = f" {where}" if where else ""
        super().__init__(f"unknown {kind} {name!r}{place}; {hint}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]
