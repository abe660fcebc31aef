"""Fonts for text that matplotlib's bundled DejaVu Sans cannot draw (Japanese).

The Japanese font comes from the optional extra ``optviz[ja]``: the package
matplotlib-fontja, which ships IPAexGothic (IPA Font License v1.0). Its file is
found without importing the package (importing it would restyle every plot of the
session) and registered with matplotlib only when a picture needs it. Fonts are
chosen per picture as a fallback list, so matplotlib (>= 3.6) takes each glyph from
the first font in the list that has it; rcParams are never changed globally.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterable
from pathlib import Path as FsPath

from matplotlib import font_manager, rcParams
from matplotlib.ft2font import FT2Font

from optviz.errors import OptvizError

JA_EXTRA = "Japanese labels need a Japanese font: pip install 'optviz[ja]'"
JA_PACKAGE = "matplotlib_fontja"  # the import name of the `ja` extra's distribution
JA_FILE = ("fonts", "ipaexg.ttf")  # IPAexGothic, inside that package
BASE_FONT = "DejaVu Sans"  # matplotlib's bundled default: Latin, Greek, Cyrillic, maths

# Scripts that need the Japanese font: CJK punctuation, kana, CJK ideographs,
# half/full-width forms.
_CJK_RANGES = ((0x3000, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF))


def japanese_font_file() -> FsPath | None:
    """Where the `ja` extra's font file is, or None if the extra is not installed."""
    spec = importlib.util.find_spec(JA_PACKAGE)
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or ():
        candidate = FsPath(folder, *JA_FILE)
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _register(path: str) -> str:
    """Add the font file to matplotlib's font manager (once); its family name."""
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def japanese_font() -> str:
    """The family name of the Japanese font, registered with matplotlib.

    Raises `OptvizError` (how to install it) if the `ja` extra is missing.
    """
    path = japanese_font_file()
    if path is None:
        raise OptvizError(JA_EXTRA)
    return _register(str(path))


@functools.cache
def _base_charmap() -> frozenset[int]:
    path = font_manager.findfont(font_manager.FontProperties(family=BASE_FONT))
    return frozenset(FT2Font(path).get_charmap())


def missing_from_base(texts: Iterable[str | None]) -> str:
    """The characters of `texts` that DejaVu Sans has no glyph for."""
    have = _base_charmap()
    chars = {c for t in texts if t for c in t if not c.isspace() and ord(c) not in have}
    return "".join(sorted(chars))


def is_japanese(chars: str) -> bool:
    return any(lo <= ord(c) <= hi for c in chars for lo, hi in _CJK_RANGES)


def font_families(lang: str, texts: Iterable[str | None] = ()) -> list[str] | None:
    """The font.family list for a picture in `lang` showing the user's `texts`
    (title, legend labels), or None to keep matplotlib's default.

    "ja": the Japanese font first (one typeface for the whole picture), matplotlib's
    default after it. Other languages: the default, plus the Japanese font as a
    fallback if some text needs glyphs the default lacks and the font is installed.
    Japanese text without the font raises `OptvizError` instead of drawing boxes.
    """
    default = list(rcParams["font.family"])
    if lang == "ja":
        return [japanese_font(), *default]
    missing = missing_from_base(texts)
    if not missing:
        return None
    if japanese_font_file() is None:
        if is_japanese(missing):
            raise OptvizError(JA_EXTRA)
        return None  # matplotlib warns about glyphs no installed font can draw
    return [*default, japanese_font()]
