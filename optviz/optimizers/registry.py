"""The optimizer registry: one explicit table from name to `OptimizerSpec`.

Colours: a colour-blind-safe palette (Okabe & Ito 2008 for the six classic
optimizers of the lecture, Paul Tol's "muted"/"bright" schemes for the rest),
fixed per optimizer so a colour means the same optimizer in every picture.

Default hyperparameters come from optax's own defaults, with learning rates
per surface that give a sensible race within the default number of steps:
- beale / saddle: the settings of the public reproduction of Radford's 2014
  animations (leovan's `optimizers.py`: SGD, momentum and NAG lr 5e-4 on Beale
  and 1e-2 on the saddle with momentum 0.9; Adagrad, RMSProp and Adam 2e-2;
  Adadelta lr 1, rho 0.95), scaled where our step counts are shorter;
- other surfaces: tuned here by `bench/tune_defaults.py` (each optimizer's
  default must reach the minimum without diverging, tested in
  tests/test_defaults.py).
"""

from __future__ import annotations

import optax

from optviz.optimizers.kfac import kfac
from optviz.optimizers.spec import OptimizerSpec


def _sgd(learning_rate):
    return optax.sgd(learning_rate)


def _momentum(learning_rate, momentum):
    return optax.sgd(learning_rate, momentum=momentum)


def _nag(learning_rate, momentum):
    return optax.sgd(learning_rate, momentum=momentum, nesterov=True)


def _adagrad(learning_rate, initial_accumulator_value, eps):
    return optax.adagrad(learning_rate, initial_accumulator_value, eps)


def _adadelta(learning_rate, rho, eps):
    # optax.adadelta(learning_rate=None) skips the final scale by -lr and so
    # walks *uphill*; always pass a learning rate.
    return optax.adadelta(learning_rate, rho=rho, eps=eps)


def _rmsprop(learning_rate, decay, eps):
    return optax.rmsprop(learning_rate, decay=decay, eps=eps)


def _adam(learning_rate, b1, b2, eps):
    return optax.adam(learning_rate, b1=b1, b2=b2, eps=eps)


def _adamw(learning_rate, b1, b2, eps, weight_decay):
    return optax.adamw(learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)


def _nadam(learning_rate, b1, b2, eps):
    return optax.nadam(learning_rate, b1=b1, b2=b2, eps=eps)


def _amsgrad(learning_rate, b1, b2, eps):
    return optax.amsgrad(learning_rate, b1=b1, b2=b2, eps=eps)


def _lion(learning_rate, b1, b2, weight_decay):
    return optax.lion(learning_rate, b1=b1, b2=b2, weight_decay=weight_decay)


_ADAM_HP = {"b1": 0.9, "b2": 0.999, "eps": 1e-8}

# Learning rates per surface (see the module docstring for where they come from).
_LR = {
    # columns: the surfaces in _SURFACES order
    "sgd":       (1e-2, 5e-4, 0.15, 1e-3, 5e-3, 5e-3, 1e-3, 2e-2, 5e-3, 5e-3, 0.05),
    "momentum":  (1e-2, 5e-4, 0.15, 1e-3, 5e-3, 5e-3, 1e-3, 2e-2, 5e-3, 5e-3, 0.05),
    "nag":       (1e-2, 5e-4, 0.15, 1e-3, 5e-3, 5e-3, 1e-3, 2e-2, 5e-3, 5e-3, 0.05),
    "adagrad":   (2e-2, 2e-1, 0.5, 0.5, 0.5, 0.5, 0.1, 0.2, 0.1, 0.5, 0.5),
    "adadelta":  (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "rmsprop":   (2e-2, 2e-2, 2e-2, 1e-2, 2e-2, 2e-2, 1e-2, 2e-2, 1e-2, 2e-2, 2e-2),
    "adam":      (2e-2, 2e-2, 5e-2, 2e-2, 5e-2, 5e-2, 2e-2, 5e-2, 2e-2, 5e-2, 5e-2),
    "adamw":     (2e-2, 2e-2, 5e-2, 2e-2, 5e-2, 5e-2, 2e-2, 5e-2, 2e-2, 5e-2, 5e-2),
    "nadam":     (2e-2, 2e-2, 5e-2, 2e-2, 5e-2, 5e-2, 2e-2, 5e-2, 2e-2, 5e-2, 5e-2),
    "amsgrad":   (2e-2, 2e-2, 5e-2, 2e-2, 5e-2, 5e-2, 2e-2, 5e-2, 2e-2, 5e-2, 5e-2),
    "lion":      (2e-3, 2e-3, 5e-3, 2e-3, 5e-3, 5e-3, 2e-3, 5e-3, 2e-3, 5e-3, 5e-3),
    "kfac":      (0.1, 1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 1.0),
}  # fmt: skip
_SURFACES = (
    "saddle", "beale", "long_valley", "rosenbrock", "himmelblau", "booth",
    "rastrigin", "ackley", "six_hump_camel", "styblinski_tang", "bowl",
)  # fmt: skip


def _per_surface(name: str, **extra: dict[str, dict]) -> dict[str, dict]:
    table = {s: {"learning_rate": lr} for s, lr in zip(_SURFACES, _LR[name], strict=True)}
    for surface, hp in extra.items():
        table[surface].update(hp)
    return table


def _spec(name, display, color, formula, factory, defaults, source, **kw):
    return OptimizerSpec(
        name=name,
        display=display,
        color=color,
        formula=formula,
        factory=factory,
        defaults={"learning_rate": _LR[name][1], **defaults},
        per_surface=_per_surface(name, **kw.pop("extra", {})),
        source=source,
        **kw,
    )


OPTAX_DEFAULTS = "optax defaults"

REGISTRY: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        _spec("sgd", "SGD", "#D55E00", "x ← x − η∇f", _sgd, {}, OPTAX_DEFAULTS),
        _spec("momentum", "Momentum", "#0072B2", "v ← μv + ∇f;  x ← x − ηv",
              _momentum, {"momentum": 0.9}, "momentum 0.9 (Sutskever et al. 2013)"),
        _spec("nag", "NAG", "#009E73", "v ← μv + ∇f;  x ← x − η(∇f + μv)",
              _nag, {"momentum": 0.9}, "momentum 0.9 (Sutskever et al. 2013)"),
        _spec("adagrad", "Adagrad", "#CC79A7", "G ← G + ∇f²;  x ← x − η∇f/√(G + ε)",
              _adagrad, {"initial_accumulator_value": 0.1, "eps": 1e-7}, OPTAX_DEFAULTS),
        _spec("adadelta", "Adadelta", "#E69F00",
              "s ← ρs + (1−ρ)∇f²;  Δ ← −√(u + ε)/√(s + ε)·∇f;  u ← ρu + (1−ρ)Δ²;  x ← x + ηΔ",
              _adadelta, {"rho": 0.95, "eps": 1e-6}, "rho 0.95, eps 1e-6 (Zeiler 2012)"),
        _spec("rmsprop", "RMSProp", "#56B4E9", "s ← ρs + (1−ρ)∇f²;  x ← x − η∇f/√(s + ε)",
              _rmsprop, {"decay": 0.9, "eps": 1e-8}, "decay 0.9 (Hinton, lecture 6e)"),
        _spec("adam", "Adam", "#AA3377",
              "m ← β₁m + (1−β₁)∇f;  v ← β₂v + (1−β₂)∇f²;  x ← x − η m̂/(√v̂ + ε)",
              _adam, _ADAM_HP, "Kingma & Ba 2015 / optax defaults"),
        _spec("adamw", "AdamW", "#44AA99", "Adam step, then decoupled decay: x ← x − ηλx",
              _adamw, {**_ADAM_HP, "weight_decay": 1e-2},
              "optax defaults, weight decay 1e-2 (Loshchilov & Hutter 2019)"),
        _spec("nadam", "Nadam", "#999933",
              "Adam with Nesterov momentum: x ← x − η(β₁m̂ + (1−β₁)∇f/(1−β₁ᵗ))/(√v̂ + ε)",
              _nadam, _ADAM_HP, "Dozat 2016 / optax defaults"),
        _spec("amsgrad", "AMSGrad", "#88CCEE",
              "Adam with v̂ ← max(v̂, v):  x ← x − η m̂/(√v̂ + ε)",
              _amsgrad, _ADAM_HP, "Reddi et al. 2018 / optax defaults"),
        _spec("lion", "Lion", "#EE6677",
              "c ← β₁m + (1−β₁)∇f;  x ← x − η(sign(c) + λx);  m ← β₂m + (1−β₂)∇f",
              _lion, {"b1": 0.9, "b2": 0.99, "weight_decay": 0.0},
              "Chen et al. 2023 / optax defaults, no weight decay on a 2-D toy"),
        _spec("kfac", "K-FAC", "#332288",
              "x ← x − η(C + λI)⁻¹∇f;  C = 2JᵀJ (Gauss–Newton) or EMA of ∇f∇fᵀ;  λ by LM",
              kfac, {"damping": 1.0, "ema": 0.95, "momentum": 0.0},
              "Martens & Grosse 2015 (damping, LM adaptation); tuned here",
              uses_surface=True),
    )
}  # fmt: skip

# Colours for `optax:NAME` optimizers the registry does not list (Paul Tol's
# remaining muted colours), picked by a stable hash of the name.
SPARE_COLORS = ("#DDCC77", "#117733", "#882255", "#661100", "#6699CC", "#BBBBBB")
