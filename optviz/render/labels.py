"""Legend words for a path, composed from its fields in the picture's language.

>>> from optviz.paths import Path
>>> legend_text(Path(None, None, optimizer="sgd"), "ja")
'確率的勾配降下法 (SGD)'

What happens to a path on the way ("diverged at step N", "left the plot at step N")
is added by the drawing, from that step on (`optviz.render.timeline.Track`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from optviz import optimizers
from optviz.i18n import check_lang, text
from optviz.paths import Path


def legend_text(path: Path, lang: str = "en", *, numbered: bool = False) -> str:
    """The legend entry of `path` in `lang`.

    numbered: add the start point ("from (x, y)"), for races from several starts.
    A path's own `label` is the user's text and is drawn as written.
    """
    check_lang(lang)
    if path.label is not None:
        out = path.label
    elif path.optimizer is not None:
        out = optimizers.spec(path.optimizer).label(lang)
    else:
        out = f"path {path.start_index + 1}"
    if numbered and path.label is None and path.start is not None:
        x, y = path.start
        out = f"{out} {text('from', lang, point=f'({x:g}, {y:g})')}"
    return out


def legend_texts(paths: Sequence[Path], lang: str = "en") -> list[str]:
    """Every path's legend entry; start points are named where an optimizer runs twice."""
    seen = Counter(p.optimizer for p in paths if p.optimizer is not None)
    return [legend_text(p, lang, numbered=seen[p.optimizer] > 1) for p in paths]


def color_of(path: Path, theme: str = "light") -> str:
    """The path's colour: its own, else its optimizer's on `theme`, else a neutral grey."""
    if path.color is not None:
        return path.color
    if path.optimizer is not None:
        return optimizers.spec(path.optimizer).color_for(theme)
    return "#777777"


def marker_of(path: Path) -> str:
    """The head's marker shape: its own, else its optimizer's, else a circle."""
    if path.marker is not None:
        return path.marker
    if path.optimizer is not None:
        return optimizers.spec(path.optimizer).marker
    return "o"
