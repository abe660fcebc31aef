"""Parsing of command-line values (points, sizes, hyperparameters, name lists).

Each parser raises `OptvizError` with one line that says what was wrong and
what would be right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from optviz.errors import OptvizError, UnknownNameError


def parse_names(text: str) -> list[str]:
    """'adam' | 'sgd,adam' | 'all' -> registered names (checked, close matches)."""
    from optviz.engine import optimizer_names  # the API's own check: one rule for both

    if text.strip() == "all":
        return optimizer_names("all")
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise OptvizError("no optimizer given: name one, a comma list, or 'all'")
    return optimizer_names(names)  # unknown names: close matches; a name twice: refused


def parse_number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise OptvizError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise OptvizError(f"{what} must be finite, got {text!r}")
    return value


def parse_point(text: str, what: str = "point") -> tuple[float, float]:
    """'x,y' -> (x, y)."""
    parts = text.split(",")
    if len(parts) != 2:
        raise OptvizError(f"{what} must be x,y (e.g. 1.5,-0.5), got {text!r}")
    return parse_number(parts[0], what), parse_number(parts[1], what)


def parse_hparams(
    names: list[str],
    lr: list[str] | None,
    hp: list[str] | None,
    hyperparameters: Callable[[str], Sequence[str]] | None = None,
) -> dict[str, dict[str, float]]:
    """--lr NAME=VALUE and --hp NAME.PARAM=VALUE -> {param: {optimizer: value}}.

    A NAME of 'all' (or a bare VALUE for --lr) applies to every optimizer.
    `hyperparameters(name)` lists what each optimizer takes (default: the registry's).
    """
    from optviz import optimizers

    takes = hyperparameters or (lambda name: optimizers.spec(name).hyperparameters)
    out: dict[str, dict[str, float]] = {}

    def put(target: str, param: str, value: float, flag: str) -> None:
        targets = names if target == "all" else [target]
        if target != "all" and target not in names:
            raise UnknownNameError("optimizer", target, [*names, "all"], f"in {flag}")
        canonical = optimizers.ALIASES.get(param, param)
        takers = [t for t in targets if canonical in takes(t)]
        if not takers:
            valid = sorted({h for t in targets for h in takes(t)})
            whose = f"of {target}" if target != "all" else f"of any of {', '.join(names)}"
            raise UnknownNameError("hyperparameter", param, valid, f"{whose} in {flag}")
        for t in takers:
            out.setdefault(canonical, {})[t] = value

    for item in lr or []:
        target, sep, value = item.rpartition("=")
        put(target if sep else "all", "learning_rate", parse_number(value, "--lr"), "--lr")
    for item in hp or []:
        key, sep, value = item.partition("=")
        target, dot, param = key.partition(".")
        if not sep or not dot or not target or not param:
            raise OptvizError(f"--hp must be NAME.PARAM=VALUE (e.g. adam.b1=0.8), got {item!r}")
        put(target, param, parse_number(value, f"--hp {key}"), "--hp")
    return out


# Slide layouts: pixel sizes that stay sharp on a projector and small on disk.
SIZE_PRESETS = {"4:3": (800, 600), "16:9": (960, 540)}


def parse_size(text: str) -> tuple[int, int]:
    """'640x480' | '4:3' | '16:9' -> (width, height) in pixels."""
    if text in SIZE_PRESETS:
        return SIZE_PRESETS[text]
    m = re.fullmatch(r"([0-9]{2,5})x([0-9]{2,5})", text.strip().lower())
    if m and all(64 <= int(v) <= 4096 for v in m.groups()):
        return int(m[1]), int(m[2])
    presets = ", ".join(SIZE_PRESETS)
    raise OptvizError(
        f"--size must be WxH in pixels, each 64-4096 (e.g. 640x480), or {presets}; got {text!r}"
    )


def positive(value: int, flag: str) -> int:
    if value < 1:
        raise OptvizError(f"{flag} must be a positive whole number, got {value}")
    return value


def default_out(names: list[str], all_named: bool, surface: str, fmt: str) -> str:
    """`<optimizers>_<surface>.<fmt>`: 'adam_beale.gif', 'sgd-momentum_saddle.gif'."""
    stem = "all" if all_named else "-".join(n.replace(":", "-") for n in names)
    return f"{stem}_{surface}.{fmt}"


DOMAIN_FLAG = "--domain XMIN,XMAX,YMIN,YMAX"


def parse_domain(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """'XMIN,XMAX,YMIN,YMAX' -> ((xmin, xmax), (ymin, ymax))."""
    parts = text.split(",")
    if len(parts) != 4:
        raise OptvizError(f"--domain must be XMIN,XMAX,YMIN,YMAX (e.g. -3,3,-2,2), got {text!r}")
    x0, x1, y0, y1 = (parse_number(p, "--domain") for p in parts)
    return (x0, x1), (y0, y1)


def parse_surface(text: str, domain: str | None):
    """SURFACE: a registry name, or a formula in x and y (which needs --domain).

    The formula is checked first (its syntax and names), then the domain, so a
    typo is reported as a typo, in one line, before any work."""
    from optviz import surfaces
    from optviz.surfaces.formula import NAMES, parse

    box = None if domain is None else parse_domain(domain)
    name = text.strip()
    if not (name.isidentifier() and name not in NAMES):  # a formula, not a surface's name
        parse(text)
        if box is None:
            raise OptvizError(f"a formula needs a domain: {DOMAIN_FLAG}")
    return surfaces.surface(text, box)


def file_stem(surface) -> str:
    """A surface's part of a default file name: its name, or a formula made safe."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", surface.name).strip("_")[:40].strip("_")
    return stem or "surface"
