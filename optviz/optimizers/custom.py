"""Bring your own optimizer: an optax transformation or factory, or a PyTorch optimizer.

>>> names = adopt(["adam", optax.sgd(0.01, momentum=0.9)])
>>> names, spec(names[1]).display  # doctest: +SKIP
(['adam', 'custom'], 'custom')

An object in a line-up of optimizers becomes an ordinary `OptimizerSpec` under a
name (its label), kept in `CUSTOM` for the session, so the engine, the pictures,
the legend and the trainer see a spec like any other:

* an `optax.GradientTransformation`: runs as it is (no hyperparameters: its
  learning rate is inside it); label "custom" unless named;
* a factory taking ``learning_rate`` (and any other keyword hyperparameters), returning
  a transformation, like optax's own aliases: label its ``__name__``
  (``optax.NAME`` for optax's), learning rate its default or 0.01;
* a `torch.optim.Optimizer` class or a factory ``f(params, lr=...)`` (see `pytorch`);
* `optimizer(obj, name="...")` gives any of them a label.

A label already taken in the line-up or by the registry gets " (2)", " (3)".
Colours: the registry's spare colours, the first one no other optimizer of the
line-up has, in line-up order (deterministic); markers: the spare marker.
Giving a label a new object replaces the old one (a re-run notebook cell).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import optax

from optviz.errors import OptvizError
from optviz.optimizers.registry import REGISTRY, SPARE_COLORS, SPARE_MARKER
from optviz.optimizers.spec import OptimizerSpec

DEFAULT_LR = 1e-2  # as for optax:NAME entries: not tuned by optviz
MAX_LABEL = 40
USER = "given by the user"

# label -> (the user's object, its spec, a serial number that changes with the object)
CUSTOM: dict[str, tuple[Any, OptimizerSpec, int]] = {}
_SERIALS = itertools.count(1)


@dataclass(frozen=True, eq=False)
class Named:
    """An optimizer object with the label its legend entry and result keys use."""

    obj: Any
    name: str


def optimizer(obj: Any, name: str | None = None) -> Named:
    """Label an optimizer object for `race`, `trajectories`, `explore` and `train`:
    an optax transformation or factory, or a PyTorch optimizer class or factory."""
    if isinstance(obj, Named):
        obj = obj.obj
    kind(obj)  # refuse what cannot run, now
    return Named(obj, check_label(name if name is not None else label_of(obj)))


def check_label(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_LABEL:
        raise OptvizError(f"an optimizer's name is 1-{MAX_LABEL} characters, got {name!r}")
    if not name.isprintable():
        raise OptvizError(f"an optimizer's name is one line of text, got {name!r}")
    if name.startswith(("optax:", "torch:")):  # those name optax's and torch's own
        raise OptvizError(f"an optimizer's name may not start with optax: or torch:, got {name!r}")
    return name.strip()


def kind(obj: Any) -> str:
    """ "transform", "factory" or "torch"; anything else is an `OptvizError`."""
    if isinstance(obj, optax.GradientTransformation):
        return "transform"
    if "torch" in sys.modules:  # a torch object exists only if torch was imported
        from optviz.optimizers import pytorch

        if pytorch.is_torch(obj):
            return "torch"
    if callable(obj):
        return "factory"
    raise OptvizError(
        "an optimizer is a name (see optviz list), an optax GradientTransformation, a "
        "factory taking learning_rate, or a torch.optim.Optimizer class; "
        f"got {type(obj).__name__}"
    )


def label_of(obj: Any) -> str:
    """The default label: "custom" for a transformation, else the factory's name."""
    if isinstance(obj, optax.GradientTransformation):
        return "custom"
    func = obj.func if isinstance(obj, functools.partial) else obj
    name = getattr(func, "__name__", "") or "custom"
    if name == "<lambda>":
        return "custom"
    module = getattr(func, "__module__", "") or ""
    if module.split(".")[0] in ("optax", "torch"):
        return f"{module.split('.')[0]}.{name}"
    return name[:MAX_LABEL]


def adopt(items: Sequence[Any]) -> list[str]:
    """A line-up's names: strings as they are; objects registered under their labels."""
    out: list[str | None] = []
    pending = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
            continue
        named = item if isinstance(item, Named) else optimizer(item)
        taken = {*REGISTRY, *(o for o in out if o)}
        key = named.name
        for n in itertools.count(2):
            if key not in taken:
                break
            key = f"{named.name} ({n})"
        out.append(key)
        pending.append((key, named.obj))
    if pending:
        from optviz.optimizers import spec as lookup

        used = {lookup(n).color for n in out if isinstance(n, str) and n not in dict(pending)}
        free = [c for c in SPARE_COLORS if c[0] not in used] or list(SPARE_COLORS)
        for i, (key, obj) in enumerate(pending):
            _register(key, obj, free[i % len(free)])
    return out  # type: ignore[return-value]


def _register(key: str, obj: Any, colors: tuple[str, str]) -> None:
    old = CUSTOM.get(key)
    serial = old[2] if old is not None and old[0] is obj else next(_SERIALS)
    CUSTOM[key] = (obj, make_spec(key, obj, colors), serial)


def serial(name: str) -> int:
    """Changes whenever `name` names a new object (0 for the registry's): compiled
    programs cached by name take it into their key."""
    entry = CUSTOM.get(name)
    return 0 if entry is None else entry[2]


def make_spec(key: str, obj: Any, colors: tuple[str, str]) -> OptimizerSpec:
    what = kind(obj)
    if what == "torch":
        from optviz.optimizers import pytorch

        return pytorch.user_spec(key, obj, colors)
    if what == "transform":
        factory, defaults, train_lr = _fixed(obj), {}, None
        formula = "an optax transformation"
    else:
        params = _parameters(obj, key)
        if "learning_rate" not in params:
            raise OptvizError(
                f"optimizer {key!r}: a factory must take learning_rate (optax's name), "
                f"it takes: {', '.join(params) or 'nothing'}"
            )
        default = params["learning_rate"].default
        lr = default if _is_rate(default) else DEFAULT_LR
        factory, defaults, train_lr = obj, {"learning_rate": lr}, lr
        formula = f"{label_of(obj)}(learning_rate, ...)"
    spec = OptimizerSpec(
        name=key, display=key, color=colors[0], dark_color=colors[1], marker=SPARE_MARKER,
        formula=formula, factory=factory, defaults=defaults, source=USER, train_lr=train_lr,
    )  # fmt: skip
    check_runs(spec)
    return spec


def _fixed(tx: optax.GradientTransformation) -> Callable[[], optax.GradientTransformation]:
    def given():
        return tx

    return given


def _parameters(obj: Callable, key: str) -> dict[str, inspect.Parameter]:
    try:
        return dict(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        raise OptvizError(f"optimizer {key!r}: cannot read the factory's parameters") from None


def _is_rate(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_runs(spec: OptimizerSpec) -> None:
    """One step on two parameters, traced but not run: an object that cannot be stepped
    from gradients alone (a line search, wrong arguments) is one line now, not a
    traceback inside a race."""
    import jax
    import jax.numpy as jnp

    def one_step():
        params = jnp.zeros(2)
        tx = spec.make(**spec.defaults)
        return tx.update(params, tx.init(params), params)

    try:
        jax.eval_shape(one_step)
    except Exception as err:  # the user's object: any failure is theirs, in one line
        first = (str(err).splitlines() or [""])[0][:120]
        raise OptvizError(
            f"optimizer {spec.name!r} cannot run here: it must be an optax transformation "
            f"stepped from the gradient alone ({type(err).__name__}: {first})"
        ) from None
