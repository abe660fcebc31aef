"""Every word optviz draws into a picture, in each language it speaks: one table.

>>> from optviz import i18n
>>> i18n.text("diverged", "ja", step=40)
'ステップ 40 で発散'

Optimizer names live with the optimizer, in the registry (`OptimizerSpec.labels`).
Pure Python: no numpy, matplotlib or optax, so anything may import it.
"""

from __future__ import annotations

from optviz.errors import UnknownNameError

LANGS: tuple[str, ...] = ("en", "ja")

# key -> one format string per language, in LANGS order, filled by `text(key, lang, **fields)`.
STRINGS: dict[str, tuple[str, str]] = {
    "step": ("step", "ステップ"),  # the step counter and the loss panel's x axis
    "loss": ("loss", "損失"),  # the loss panel's title
    "x": ("x", "x"),  # the landscape's axes: coordinates, written as in the formulas
    "y": ("y", "y"),
    "diverged": ("diverged at step {step}", "ステップ {step} で発散"),
    "left": ("left the plot at step {step}", "ステップ {step} で枠外へ"),
    # the same, for a crowded legend
    "diverged.short": ("diverged, step {step}", "{step} で発散"),
    "left.short": ("left, step {step}", "{step} で枠外へ"),
    "from": ("from {point}", "{point} から"),  # races from several start points
    # the star on a minimum located numerically (a user's formula or function)
    "found_minimum": ("found minimum", "数値で求めた最小点"),
}


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
