"""`OptimizerSpec`: one registry entry, and how its hyperparameters are resolved."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optax

from optviz.errors import OptvizError, UnknownNameError

FLOAT32_MAX = float(np.finfo(np.float32).max)

# Accepted everywhere as a short spelling of optax's `learning_rate`.
ALIASES = {"lr": "learning_rate"}


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer as the registry knows it.

    factory: keyword hyperparameters (optax's names) -> optax transformation.
    defaults: hyperparameters used on every surface unless overridden.
    per_surface: surface name -> hyperparameters that give a sensible race there.
    uses_surface: the factory also takes `loss_fn` and `residual_fn` (K-FAC).
    elementwise: every coordinate's update depends only on that coordinate's
        own history (no norms across parameters). The engine then steps many
        start points as one (n, 2) parameter array, sharing the step counter,
        instead of vmapping one path at a time; results are identical.
    color: the path's colour on the light theme; dark_color: on the dark theme
        (None: `color` on both). `color_for(theme)` picks one.
    marker: the matplotlib marker of the path's head, distinct per optimizer.
    labels: legend names in languages other than English (lang -> name).
    knob: the explorer's main hyperparameter after the learning rate (optax name).
    train_lr: the learning rate that trains the companion CNN well (the surface
        defaults are tuned for 2-D toys, not for a network); None: cannot train.
    fisher_defaults: hyperparameters on a surface the registry does not list that
        has no residuals (K-FAC's empirical-Fisher settings); per_surface covers
        the registry's own surfaces.
    host: None for an optax optimizer, stepped inside the engine's compiled scan;
        else ``host(hparams_list, surface, starts, steps) -> (positions (H, S, T, 2),
        losses (H, S, T))``, a loop on the host (a PyTorch optimizer; `factory`
        then only states the hyperparameters).
    """

    name: str
    display: str
    color: str
    formula: str
    factory: Callable[..., optax.GradientTransformation]
    defaults: Mapping[str, Any]
    per_surface: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = ""
    uses_surface: bool = False
    elementwise: bool = False
    marker: str = "o"
    labels: Mapping[str, str] = field(default_factory=dict)
    knob: str | None = None
    train_lr: float | None = None
    dark_color: str | None = None
    fisher_defaults: Mapping[str, Any] = field(default_factory=dict)
    host: Callable[..., tuple] | None = None

    def color_for(self, theme: Any = "light") -> str:
        """The path colour on `theme` ("light", "dark", or a render `Theme`).

        Each has at least 3:1 contrast (WCAG 2.x) against that theme's background.
        """
        name = getattr(theme, "name", theme)
        if name == "light":
            return self.color
        if name == "dark":
            return self.dark_color or self.color
        raise UnknownNameError("theme", name, ("light", "dark"))

    def label(self, lang: str = "en") -> str:
        """The legend name in `lang` (`display`, the English name, where none is given)."""
        return self.labels.get(lang, self.display)

    @property
    def hyperparameters(self) -> tuple[str, ...]:
        """The keyword names the factory accepts (optax's names)."""
        params = inspect.signature(self.factory).parameters.values()
        skip = {"loss_fn", "residual_fn"}
        return tuple(
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in skip
        )

    def resolve(self, surface: Any = None, **overrides: Any) -> dict[str, Any]:
        """Hyperparameters for `surface` (a name or a `Surface`): defaults < per-surface
        defaults < overrides."""
        hp = dict(self.defaults)
        hp.update(self._surface_defaults(surface))
        hp.update(canonical(self, overrides))
        return hp

    def _surface_defaults(self, surface: Any) -> Mapping[str, Any]:
        if surface is None or isinstance(surface, str):
            return self.per_surface.get(surface, {})
        from optviz.surfaces import REGISTRY

        listed = REGISTRY.get(surface.name)
        if listed is not None and listed.fn is surface.fn:  # the registry's own (maybe reframed)
            return self.per_surface.get(surface.name, {})
        return self.fisher_defaults if surface.residuals is None else {}

    def make(self, **hparams: Any) -> optax.GradientTransformation:
        """Build the transformation from already resolved hyperparameters."""
        return self.factory(**hparams)


def canonical(spec: OptimizerSpec, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """Map aliases (`lr`) to optax names and reject names the optimizer lacks."""
    out: dict[str, Any] = {}
    valid = spec.hyperparameters
    for key, value in hparams.items():
        name = ALIASES.get(key, key)
        if name not in valid:
            raise OptvizError(
                f"{spec.name} has no hyperparameter {key!r}; it takes: {', '.join(valid)}"
            )
        if name in out:
            raise OptvizError(f"{spec.name}: {key!r} given twice (lr is learning_rate)")
        out[name] = _checked(spec, name, value)
    return out


def _checked(spec: OptimizerSpec, name: str, value: Any) -> Any:
    """`value` if it has the kind of `name`'s default: a flag for a flag, a finite real
    number for a number; anything else is an `OptvizError` naming what would do."""
    default = spec.defaults.get(name, inspect.Parameter.empty)
    if default is inspect.Parameter.empty:
        param = inspect.signature(spec.factory).parameters.get(name)
        default = param.default if param is not None else None
    is_number = isinstance(value, int | float | np.integer | np.floating)
    if isinstance(default, bool | np.bool_):
        if not isinstance(value, bool | np.bool_):
            raise OptvizError(f"{spec.name}: {name} is a flag (True or False), got {value!r}")
    elif isinstance(default, int | float) or name == "learning_rate":
        if isinstance(value, bool | np.bool_) or not is_number:
            raise OptvizError(f"{spec.name}: {name} must be a number, got {value!r}")
        if not (math.isfinite(float(value)) and abs(float(value)) <= FLOAT32_MAX):
            raise OptvizError(
                f"{spec.name}: {name} must be finite and within ±{FLOAT32_MAX:.3g} "
                f"(the engine computes in float32), got {value!r}"
            )
    return value
