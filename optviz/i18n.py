"""Every word optviz draws into a picture, in each language it speaks: one table.

>>> from optviz import i18n
>>> i18n.optimizer_label("sgd", "ja")
'確率的勾配降下法 (SGD)'
>>> i18n.text("diverged", "ja", step=40)
'ステップ 40 で発散'

Japanese terms follow the lecture notes (確率的勾配降下法 for SGD); methods that
Japanese lecture notes call by their Latin name (Adam, RMSProp, ...) keep it, and
long Japanese names keep the acronym in brackets so the slide and the paper agree.
Pure Python: no numpy, matplotlib or optax, so anything may import it.
"""

from __future__ import annotations

import re

from optviz.errors import UnknownNameError

LANGS: tuple[str, ...] = ("en", "ja")

# key -> one string per language, in LANGS order. "optimizer.NAME" rows are the legend
# names of the registry's optimizers (English = the registry's display name); the other
# rows are format strings filled by `text(key, lang, **fields)`.
STRINGS: dict[str, tuple[str, str]] = {
    "optimizer.sgd": ("SGD", "確率的勾配降下法 (SGD)"),
    "optimizer.momentum": ("Momentum", "モーメンタム"),
    "optimizer.nag": ("NAG", "ネステロフの加速勾配法 (NAG)"),
    "optimizer.adagrad": ("Adagrad", "Adagrad"),
    "optimizer.adadelta": ("Adadelta", "Adadelta"),
    "optimizer.rmsprop": ("RMSProp", "RMSProp"),
    "optimizer.adam": ("Adam", "Adam"),
    "optimizer.adamw": ("AdamW", "AdamW"),
    "optimizer.nadam": ("Nadam", "Nadam"),
    "optimizer.amsgrad": ("AMSGrad", "AMSGrad"),
    "optimizer.lion": ("Lion", "Lion"),
    "optimizer.kfac": ("K-FAC", "K-FAC"),
    "step": ("step", "ステップ"),  # the step counter and the loss panel's x axis
    "loss": ("loss", "損失"),  # the loss panel's title
    "x": ("x", "x"),  # the landscape's axes: coordinates, written as in the formulas
    "y": ("y", "y"),
    "diverged": ("diverged at step {step}", "ステップ {step} で発散"),
    "start": ("start {n}", "初期点 {n}"),  # races from several start points
    "from": ("from {point}", "{point} から"),
}

OPTIMIZER_PREFIX = "optimizer."
OPTAX_PREFIX = "optax:"  # optax aliases are shown by their optax name in every language


def check_lang(lang: str) -> str:
    """`lang` itself if optviz speaks it, else an `OptvizError` naming close matches."""
    if lang not in LANGS:
        raise UnknownNameError("language", lang, LANGS)
    return lang


def text(key: str, lang: str, **fields: object) -> str:
    """The string `key` in `lang`, with `{field}`s filled in."""
    column = LANGS.index(check_lang(lang))
    try:
        row = STRINGS[key]
    except KeyError:
        raise UnknownNameError("text key", key, STRINGS) from None
    return row[column].format(**fields)


def optimizer_names() -> list[str]:
    """The optimizer names the table has labels for."""
    return [k[len(OPTIMIZER_PREFIX) :] for k in STRINGS if k.startswith(OPTIMIZER_PREFIX)]


def optimizer_label(name: str, lang: str) -> str:
    """The legend name of registry optimizer `name` (or ``optax:NAME``) in `lang`."""
    check_lang(lang)
    if name.startswith(OPTAX_PREFIX):
        return name[len(OPTAX_PREFIX) :]
    if OPTIMIZER_PREFIX + name not in STRINGS:
        raise UnknownNameError("optimizer", name, optimizer_names())
    return text(OPTIMIZER_PREFIX + name, lang)


_START = re.compile(r" \(start (\d+)\)$")
_FROM = re.compile(r" from (\(.*\))$")


def path_label(label: str, lang: str, diverged_at: int | None = None) -> str:
    """A path's legend text in `lang`.

    A label made by optviz (an optimizer's English name, optionally followed by
    " (start N)" or " from (x, y)") is translated; any other label is the user's
    own text and is kept as written. A diverged path gets "(diverged at step N)".
    """
    check_lang(lang)
    out = label
    if lang != "en":
        out = _translate_made_label(label, lang)
    if diverged_at is None:
        return out
    return f"{out} ({text('diverged', lang, step=diverged_at)})"


def _translate_made_label(label: str, lang: str) -> str:
    suffix = ""
    if m := _START.search(label):
        suffix = f" ({text('start', lang, n=m.group(1))})"
    elif m := _FROM.search(label):
        suffix = " " + text("from", lang, point=m.group(1))
    head = label[: m.start()] if m else label
    english = {text(OPTIMIZER_PREFIX + n, "en"): n for n in optimizer_names()}
    if head not in english:
        return label
    return optimizer_label(english[head], lang) + suffix
