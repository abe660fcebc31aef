"""The optimizer registry: one explicit table from name to `OptimizerSpec`.

Colours: one per optimizer and theme (`OptimizerSpec.color_for`), in the hue
families of Okabe & Ito (2008) for the six classic optimizers of the lecture
and of Paul Tol's schemes for the rest, moved in lightness and chroma (found
by a search, then fixed here) until every colour has WCAG 2.x contrast of at
least 3:1 against its theme's background and any two colours of a theme stay
apart (CIEDE2000) for normal vision and for simulated protanopia and
deuteranopia (Machado et al. 2009); tests/test_palette.py holds the floors.
A colour means the same optimizer in every picture of a theme.

Default hyperparameters come from optax's own defaults, with learning rates
per surface chosen in two passes (`bench/tune_defaults.py` prints both):
1. A plain race. Beale and the saddle: the settings of the public
   reproduction of Radford's 2014 animations (leovan's `optimizers.py`: SGD,
   momentum and NAG lr 5e-4 on Beale and 1e-2 on the saddle with momentum
   0.9; Adagrad, RMSProp and Adam 2e-2; Adadelta lr 1, rho 0.95), scaled
   where our step counts are shorter. Other surfaces: the smallest learning
   rate on a log grid that cuts the gap to the minimum a thousandfold in 500
   steps without diverging or leaving the domain (on the multimodal surfaces,
   where none does, capped so that paths stay smooth enough to follow).
2. The lesson. Each surface states what the classic optimizers do there
   (`Surface.description`: "SGD zig-zags, momentum runs"), and
   tests/test_stories.py checks it on these defaults. Where a plain value
   told another story, the tuner moved the learning rates the story names,
   on a grid of 80 per decade, to the values nearest the plain ones at which
   the story holds, and still holds one grid step either side. Those are:
   saddle (Adagrad 0.02 -> 0.0972: it escapes; Momentum and NAG 1e-2 ->
   4.73e-3: they leave clearly after the adaptive methods), bowl and long
   valley (SGD just under the stability limit 2/curvature, 0.0917 and 0.178,
   so that it zig-zags; Momentum and NAG 0.0387 on the long valley, so that
   they run), beale (Momentum and NAG 5e-4 -> 6.49e-4: they arrive within
   1000 steps), and the multimodal surfaces (SGD 0.041 on six-hump camel and
   Ackley, 0.0365 on Styblinski-Tang: it no longer jumps out of its start's
   basin on the first step).
tests/test_defaults.py checks that every default runs finite, stays in view
and goes downhill.
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
# The Adam family shares one learning rate per surface, and so do Momentum and
# NAG, so a race among them shows their different dynamics, not different step
# sizes. On the multimodal surfaces (rastrigin, ackley, six_hump_camel,
# styblinski_tang), where no path reaches the global minimum, the plain pass's
# picks are capped (adaptive methods at 0.1-1) so that paths stay smooth enough
# to follow. bench/tune_defaults.py reproduces the lesson pass from this table:
# run on these values, it changes none of them.
_SURFACES = (
    "saddle", "beale", "long_valley", "rosenbrock", "himmelblau", "booth",
    "rastrigin", "ackley", "six_hump_camel", "styblinski_tang", "bowl",
)  # fmt: skip
_ADAM_LR = (2e-2, 2e-2, 0.025, 0.1, 0.01, 0.063, 0.05, 0.1, 0.1, 0.2, 0.025)
_LR = {
    # columns: the surfaces in _SURFACES order
    "sgd":       (1e-2, 5e-4, 0.178, 2.5e-3, 2.5e-4, 4e-3, 1e-4, 0.041, 0.041, 0.0365, 0.0917),
    "momentum":  (4.73e-3, 6.49e-4, 0.0387, 6.3e-4, 1e-4, 4e-4, 1e-4, 0.01, 4e-3, 4e-3, 6.3e-4),
    "nag":       (4.73e-3, 6.49e-4, 0.0387, 6.3e-4, 1e-4, 4e-4, 1e-4, 0.01, 4e-3, 4e-3, 6.3e-4),
    "adagrad":   (0.0972, 0.2, 0.25, 1.0, 0.1, 0.63, 0.025, 0.5, 0.5, 1.0, 0.25),
    "adadelta":  (1.0, 1.0, 4.0, 2.5, 0.63, 4.0, 0.25, 0.16, 1.0, 4.0, 0.5),
    "rmsprop":   (2e-2, 2e-2, 0.025, 0.01, 0.01, 0.025, 0.05, 0.05, 0.05, 0.1, 0.01),
    "adam":      _ADAM_LR,
    "adamw":     _ADAM_LR,
    "nadam":     _ADAM_LR,
    "amsgrad":   _ADAM_LR,
    "lion":      (2e-3, 2e-3, 0.025, 6.3e-3, 0.016, 0.04, 1.6e-3, 0.01, 0.016, 0.025, 0.016),
    # K-FAC: Gauss-Newton on sums of squares, empirical Fisher elsewhere.
    "kfac":      (0.3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.5),
}  # fmt: skip
# K-FAC's empirical-Fisher settings where a surface is not a sum of squares
# (a grid search over damping, ema and momentum). On sums of squares, learning
# rate 0.5 with damping 1 keeps every Gauss-Newton path in view (at learning
# rate 1, Beale and Himmelblau jump out of the domain on the first step).
_KFAC_FISHER = {"damping": 10.0, "momentum": 0.9}
_MULTIMODAL = ("saddle", "rastrigin", "ackley", "six_hump_camel", "styblinski_tang")
_KFAC_EXTRA = dict.fromkeys(_MULTIMODAL, _KFAC_FISHER)


def _per_surface(name: str, **extra: dict[str, dict]) -> dict[str, dict]:
    table = {s: {"learning_rate": lr} for s, lr in zip(_SURFACES, _LR[name], strict=True)}
    for surface, hp in extra.items():
        table[surface].update(hp)
    return table


def _spec(name, display, colors, formula, factory, defaults, source, **kw):
    # optax's aliases used here are all elementwise; K-FAC (a 2x2 solve) is not.
    kw.setdefault("elementwise", not kw.get("uses_surface", False))
    return OptimizerSpec(
        name=name,
        display=display,
        color=colors[0],
        dark_color=colors[1],
        formula=formula,
        factory=factory,
        defaults={"learning_rate": _LR[name][_SURFACES.index("beale")], **defaults},
        per_surface=_per_surface(name, **kw.pop("extra", {})),
        source=source,
        **kw,
    )


OPTAX_DEFAULTS = "optax defaults"
_M09 = "momentum 0.9 (Sutskever et al. 2013)"

# One row per optimizer: every fact optviz keeps about it lives here.
# Colours: (light theme, dark theme); see the module docstring.
# Japanese names follow the lecture notes (確率的勾配降下法 for SGD); methods that
# Japanese lecture notes call by their Latin name (Adam, RMSProp, ...) keep it, and
# long Japanese names keep the acronym in brackets so the slide and the paper agree.
# marker: the head's shape, distinct per optimizer (stars and crosses mark minima and
# saddles). knob: the explorer's slider after the learning rate. train_lr: the learning
# rate that trains the companion CNN well (tuned on digits, bench/bench_train.py).
REGISTRY: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        _spec("sgd", "SGD", ("#CC4F02", "#CF5A04"), "x ← x − η∇f", _sgd, {}, OPTAX_DEFAULTS,
              marker="o", labels={"ja": "確率的勾配降下法 (SGD)"}, train_lr=0.1),
        _spec("momentum", "Momentum", ("#1860A3", "#0484CB"), "v ← μv + ∇f;  x ← x − ηv",
              _momentum, {"momentum": 0.9}, _M09,
              marker="s", labels={"ja": "モーメンタム"}, knob="momentum", train_lr=0.02),
        _spec("nag", "NAG", ("#0A815C", "#179C70"), "v ← μv + ∇f;  x ← x − η(∇f + μv)",
              _nag, {"momentum": 0.9}, _M09,
              marker="^", labels={"ja": "ネステロフの加速勾配法 (NAG)"}, knob="momentum",
              train_lr=0.02),
        _spec("adagrad", "Adagrad", ("#C372A1", "#D781A5"), "G ← G + ∇f²;  x ← x − η∇f/√(G + ε)",
              _adagrad, {"initial_accumulator_value": 0.1, "eps": 1e-7}, OPTAX_DEFAULTS,
              marker="D", train_lr=0.03),
        _spec("adadelta", "Adadelta", ("#B78C03", "#FAAD0E"),
              "s ← ρs + (1−ρ)∇f²;  Δ ← −√(u + ε)/√(s + ε)·∇f;  u ← ρu + (1−ρ)Δ²;  x ← x + ηΔ",
              _adadelta, {"rho": 0.95, "eps": 1e-6}, "rho 0.95, eps 1e-6 (Zeiler 2012)",
              marker="v", knob="rho", train_lr=1.0),
        _spec("rmsprop", "RMSProp", ("#3A9AD1", "#59ACDC"),
              "s ← ρs + (1−ρ)∇f²;  x ← x − η∇f/√(s + ε)",
              _rmsprop, {"decay": 0.9, "eps": 1e-8}, "decay 0.9 (Hinton, lecture 6e)",
              marker="P", knob="decay", train_lr=1e-3),
        _spec("adam", "Adam", ("#B13B7A", "#A93984"),
              "m ← β₁m + (1−β₁)∇f;  v ← β₂v + (1−β₂)∇f²;  x ← x − η m̂/(√v̂ + ε)",
              _adam, _ADAM_HP, "Kingma & Ba 2015 / optax defaults",
              marker="p", knob="b1", train_lr=3e-3),
        _spec("adamw", "AdamW", ("#5E9D7C", "#21A59D"),
              "Adam step, then decoupled decay: x ← x − ηλx",
              _adamw, {**_ADAM_HP, "weight_decay": 1e-4},
              "Loshchilov & Hutter 2019 / optax defaults",
              marker="h", knob="b1", train_lr=3e-3),
        _spec("nadam", "Nadam", ("#C18553", "#A1A136"),
              "Adam with Nesterov momentum: x ← x − η(β₁m̂ + (1−β₁)∇f/(1−β₁ᵗ))/(√v̂ + ε)",
              _nadam, _ADAM_HP, "Dozat 2016 / optax defaults",
              marker="<", knob="b1", train_lr=3e-3),
        _spec("amsgrad", "AMSGrad", ("#3B9EAE", "#94D8F7"),
              "Adam with v̂ ← max(v̂, v):  x ← x − η m̂/(√v̂ + ε)",
              _amsgrad, _ADAM_HP, "Reddi et al. 2018 / optax defaults",
              marker=">", knob="b1", train_lr=3e-3),
        _spec("lion", "Lion", ("#E96378", "#E86876"),
              "c ← β₁m + (1−β₁)∇f;  x ← x − η(sign(c) + λx);  m ← β₂m + (1−β₂)∇f",
              _lion, {"b1": 0.9, "b2": 0.99, "weight_decay": 0.0},
              "Chen et al. 2023 / optax defaults, no weight decay on a 2-D toy",
              marker="8", knob="b1", train_lr=3e-4),
        _spec("kfac", "K-FAC", ("#332188", "#6B52C4"),
              "x ← x − η(C + λI)⁻¹∇f;  C = 2JᵀJ (Gauss–Newton) or EMA of ∇f∇fᵀ;  λ by LM",
              kfac, {"damping": 1.0, "ema": 0.95, "momentum": 0.0},
              "Martens & Grosse 2015 (damping, LM adaptation); tuned here",
              uses_surface=True, extra=_KFAC_EXTRA,
              fisher_defaults={"learning_rate": 0.3, **_KFAC_FISHER},
              marker="d", knob="damping", train_lr=0.02),
    )
}  # fmt: skip

# The default line-ups: the explorer's six, and four that show the range on the real CNN.
EXPLORE_DEFAULT = ("sgd", "momentum", "nag", "adagrad", "rmsprop", "adam")
TRAIN_DEFAULT = ("sgd", "momentum", "adam", "kfac")

# Colours for `optax:NAME` optimizers the registry does not list, (light, dark) as
# above, in the hue families of Paul Tol's remaining muted colours and held to the
# same floors; picked by a stable hash of the name; likewise the head.
SPARE_MARKER = "H"
SPARE_COLORS: tuple[tuple[str, str], ...] = (
    ("#8E773E", "#E0CB73"),
    ("#0C6123", "#267A3E"),
    ("#830F4D", "#A54C60"),
    ("#661607", "#B14930"),
    ("#617ABA", "#717FA7"),
    ("#969192", "#C3BCBE"),
)
