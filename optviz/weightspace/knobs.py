"""`--compare KNOB=A,B`: which training knob two landscapes differ in, and its two values.

Each knob maps to one of `optviz.landscape`'s training options; its two values
are read from text (the command line) or taken as Python values, and checked
here, before any data is read or any network trained. One line of
`OptvizError` per mistake: an unknown knob (with close matches), one value or
more than two, a value the knob does not take.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optviz.errors import OptvizError, UnknownNameError

ON = ("on", "yes", "true", "1")
OFF = ("off", "no", "false", "0")


def _whole(text: str, knob: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise OptvizError(f"{knob} takes whole numbers, not {text!r}") from None


def _real(text: str, knob: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise OptvizError(f"{knob} takes numbers, not {text!r}") from None


def _switch(text: str, knob: str) -> bool:
    if text.lower() in ON:
        return True
    if text.lower() in OFF:
        return False
    raise OptvizError(f"{knob} takes off or on, not {text!r}")


def _batch(text: str, knob: str) -> int | str:
    if text.lower() == "full":
        return "full"
    n = _whole(text, knob) if text.lstrip("-").isdigit() else None
    if n is None:
        raise OptvizError(f"{knob} takes a positive whole number or 'full', not {text!r}")
    return n


def _name(choices: Callable[[], Sequence[str]]) -> Callable[[str, str], str]:
    def parse(text: str, knob: str) -> str:
        known = choices()
        if text not in known:
            raise UnknownNameError(f"{knob} value", text, known)
        return text

    return parse


def _norms() -> Sequence[str]:
    from optviz.trainer.norms import NORMS

    return NORMS


def _activations() -> Sequence[str]:
    from optviz.trainer.model import ACTIVATIONS

    return ACTIVATIONS


def _inits() -> Sequence[str]:
    from optviz.trainer.model import INITS

    return INITS


# knob -> (the training option it sets, how a value is read from text)
KNOBS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "batch-size": ("batch_size", _batch),
    "depth": ("depth", _whole),
    "norm": ("norm", _name(_norms)),
    "skip": ("skip", _switch),
    "lr": ("lr", _real),
    "dropout": ("dropout", _real),
    "weight-decay": ("weight_decay", _real),
    "activation": ("activation", _name(_activations)),
    "init": ("init", _name(_inits)),
}


@dataclass(frozen=True)
class Knob:
    """The knob two landscapes differ in: its name, the option it sets, its two values."""

    name: str
    option: str
    values: tuple[Any, Any]

    def label(self, i: int) -> str:
        """'skip off', 'batch size 16', 'depth 8': how a side is named in the picture."""
        v = self.values[i]
        if isinstance(v, bool):
            v = "on" if v else "off"
        return f"{self.name.replace('-', ' ')} {v}"


def parse_compare(compare: str | Mapping[str, Sequence[Any]]) -> Knob:
    """'KNOB=A,B' or {KNOB: [A, B]} -> a `Knob`; `OptvizError` for anything else."""
    if isinstance(compare, str):
        knob, sep, rest = compare.partition("=")
        if not sep:
            raise OptvizError(f"--compare takes KNOB=A,B (e.g. skip=off,on), not {compare!r}")
        values: list[Any] = [v.strip() for v in rest.split(",")]
    elif isinstance(compare, Mapping) and len(compare) == 1:
        ((knob, given),) = compare.items()
        if isinstance(given, str) or not isinstance(given, Sequence):
            raise OptvizError(f"compare's values must be a list of two, not {given!r}")
        values = list(given)
    else:
        raise OptvizError(f"compare must be 'KNOB=A,B' or {{KNOB: [A, B]}}, not {compare!r}")
    if not isinstance(knob, str):
        raise OptvizError(f"compare's knob must be a name, not {knob!r}")
    name = knob.strip().lower().replace("_", "-")
    if name not in KNOBS:
        raise UnknownNameError("knob to compare", knob.strip(), KNOBS)
    if len(values) != 2 or any(v == "" for v in values):
        raise OptvizError(
            f"compare {name} needs two values, A,B (e.g. {name}={_example(name)}), "
            f"not {len([v for v in values if v != ''])}"
        )
    option, parse = KNOBS[name]
    values = [parse(v, name) if isinstance(v, str) else v for v in values]
    if name == "skip":
        values = [_switch(str(v), name) if not isinstance(v, bool) else v for v in values]
    knob = Knob(name, option, (values[0], values[1]))
    if values[0] == values[1]:
        raise OptvizError(f"compare {name} needs two different values, not {knob.label(0)} twice")
    return knob


def _example(name: str) -> str:
    return {"batch-size": "16,full", "depth": "2,8", "norm": "none,batch", "skip": "off,on",
            "lr": "0.01,0.1", "dropout": "0,0.5", "weight-decay": "0,0.001",
            "activation": "relu,tanh", "init": "he,normal"}[name]  # fmt: skip


def side_options(knob: Knob, i: int, optimizer: str, options: Mapping[str, Any]) -> dict:
    """`optviz.landscape`'s training options for side i: `options` with the knob set."""
    out = dict(options)
    if knob.option in out:
        raise OptvizError(f"{knob.option} is what is compared; do not give it as well")
    value = knob.values[i]
    if knob.option == "lr":
        lr = dict(out.pop("lr", None) or {})
        out["lr"] = {**lr, optimizer: value}
    else:
        out[knob.option] = value
    return out
