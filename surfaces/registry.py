"""The surface registry: every surface the CLI and the API know, by name, in one table."""

from __future__ import annotations

from optviz.errors import OptvizError, UnknownNameError

from .base import Surface
from .geometry import BOWL, LONG_VALLEY, SADDLE
from .least_squares import BEALE, BOOTH, HIMMELBLAU, ROSENBROCK
from .multimodal import ACKLEY, RASTRIGIN, SIX_HUMP_CAMEL, STYBLINSKI_TANG

# Order is the display order: the teaching shapes, the least-squares classics,
# then the multimodal benchmarks. Keys are the CLI names and equal Surface.name.
REGISTRY: dict[str, Surface] = {
    "saddle": SADDLE,
    "bowl": BOWL,
    "long_valley": LONG_VALLEY,
    "beale": BEALE,
    "rosenbrock": ROSENBROCK,
    "himmelblau": HIMMELBLAU,
    "booth": BOOTH,
    "six_hump_camel": SIX_HUMP_CAMEL,
    "styblinski_tang": STYBLINSKI_TANG,
    "rastrigin": RASTRIGIN,
    "ackley": ACKLEY,
}


def names() -> list[str]:
    """All surface names, in registry order."""
    return list(REGISTRY)


def get(name: str) -> Surface:
    """The surface called `name`; an unknown name raises UnknownNameError with close matches."""
    if not isinstance(name, str):
        raise OptvizError(f"a surface is a name (see optviz list) or a Surface, got {name!r}")
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownNameError("surface", name, names()) from None
