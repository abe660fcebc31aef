"""Interactive HTML: one self-contained page that plays a race in any browser.

The page holds three things, and asks for nothing else (no fonts, scripts or images
from anywhere; its Content-Security-Policy says so to the browser too):

* the landscape, one PNG drawn by the figure engine: the `Stage`'s background, i.e.
  the GIF's frame without anything that moves (contours or the 3-D surface, axes,
  legend, title, the counter's label);
* the paths as data (`optviz.render.pagedata`): per scene and optimizer the frame
  pixels of every step, from the scene's own `to_pixels`, so they land where the GIF
  draws them, and per optimizer its position and loss per step for hover;
* `player.js`, our own script (no libraries), which draws lines, heads, event marks,
  the legend's "diverged at step N" and the step counter on two canvases over the
  picture, in the order `Stage.frame` draws them (lines below, heads above), sharp at
  any zoom, and runs the controls. The template is `player.html`, the style
  `player.css`: every rule under the race's own class and no ids, so the block can
  share a page with others.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import logging
from importlib import resources
from pathlib import Path as FsPath

import numpy as np
from matplotlib import font_manager, rcParams
from matplotlib.colors import to_rgb
from PIL import Image

from optviz.errors import OptvizError
from optviz.render.encode import Encoded
from optviz.render.fonts import font_families
from optviz.render.pagedata import payload
from optviz.render.stage import Stage
from optviz.render.writer import Writer

CSP = (
    "default-src 'none'; img-src data:; font-src data:; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'"
)
# What the page writes as text besides names and words: numbers, the controls.
PAGE_CHARS = "0123456789.,-+e()=/ \u2014\u00d7"


class HtmlWriter(Writer):
    """A web page that draws the race in the browser: takes the stage, not frames."""

    fmt, wants_stage = "html", True

    def write_stage(
        self, path: FsPath, stage: Stage, steps: np.ndarray, *, fps: float, hold: float
    ) -> Encoded:
        if stage.still or not stage.tracks:
            raise OptvizError("an html page animates paths; for a picture without any use .png")
        seconds = len(steps) / fps  # the GIF's run time, the page's pace at speed 1
        path.write_text(page(stage, seconds=seconds, hold=hold), encoding="utf-8")
        return Encoded(stage.n_steps, seconds + hold)

    def add(self, frame: np.ndarray) -> None:
        raise TypeError("the html writer draws from the stage (write_stage), not from frames")

    def finish(self) -> Encoded:
        raise TypeError("the html writer draws from the stage (write_stage), not from frames")


def page(stage: Stage, *, seconds: float, hold: float) -> str:
    """The whole page as text: the same stage and timing give the same characters."""
    data, landscape, sprites = payload(stage, seconds=seconds, hold=hold)
    data["sprites"] = _data_url(sprites)
    names = ", ".join(t.name for t in stage.tracks)
    faces, families = _fonts(stage, [*(t.name for t in stage.tracks), *data["words"].values()])
    t = stage.theme
    W, H = stage.size
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    blob = blob.replace("<", "\\u003c")  # never "</script>" inside the data
    toggles = "".join(
        f'<button type="button" class="ov-toggle" data-track="{i}" aria-pressed="true" '
        f'title="{html.escape(tr.name)}" style="{_percent(box, W, H)}"></button>'
        for i, (tr, box) in enumerate(zip(stage.tracks, data["legend"], strict=True))
        if box is not None
    )
    fields = {
        "lang": stage.lang,
        "csp": CSP,
        "title": html.escape(f"optviz: {names}"),
        "css": _asset("player.css") + faces,
        "fonts": html.escape(families),
        "js": _asset("player.js"),
        "bg": t.background,
        "fg": t.text,
        "muted": t.muted,
        "veil": "rgba({}, {}, {}, 0.75)".format(*(round(255 * v) for v in to_rgb(t.background))),
        "ratio": f"{W} / {H}",
        "aspect": f"{W / H:.6f}",
        "landscape": _data_url(landscape, colours=256),
        "alt": html.escape(names),
        "toggles": toggles,
        "last": stage.n_steps - 1,
        "step": html.escape(stage.step_label),
        "data": blob,
    }
    return _asset("player.html").format(**fields)


def _fonts(stage: Stage, texts: list[str]) -> tuple[str, str]:
    """The figure's typefaces for the page's own text (hover, controls), cut down to
    the characters it shows: @font-face rules (named after their content, so races
    sharing a page keep theirs) and the font-family list that uses them."""
    from fontTools import subset  # only pages need it (a GIF's command does not wait for it)
    from fontTools.ttLib import TTFont

    wanted = set(PAGE_CHARS) | {c for t in texts for c in t}
    families = font_families(stage.lang, texts) or list(rcParams["font.family"])
    rules, names, seen = [], [], set()
    for family in families:
        path = font_manager.findfont(font_manager.FontProperties(family=[family]))
        if path in seen:
            continue
        seen.add(path)
        font = TTFont(path, recalcTimestamp=False)
        chars = "".join(sorted(c for c in wanted if ord(c) in font.getBestCmap()))
        if not chars.strip():
            continue
        options = subset.Options(flavor="woff", layout_features=[], name_IDs=[], hinting=False)
        cutter = subset.Subsetter(options)
        cutter.populate(text=chars)
        level = logging.getLogger("fontTools").level
        logging.getLogger("fontTools").setLevel(logging.ERROR)  # tables it cannot cut
        try:
            cutter.subset(font)
        finally:
            logging.getLogger("fontTools").setLevel(level)
        buf = io.BytesIO()
        font.save(buf)
        woff = buf.getvalue()
        name = f"optviz-{hashlib.sha256(woff).hexdigest()[:12]}"
        data = base64.b64encode(woff).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{name}"; '
            f'src: url(data:font/woff;base64,{data}) format("woff"); }}\n'
        )
        names.append(f"'{name}'")
    return "".join(rules), ", ".join([*names, "system-ui", "sans-serif"])


def _percent(box, W: int, H: int) -> str:
    x, y, w, h = box
    return (
        f"left:{100 * x / W:.3f}%;top:{100 * y / H:.3f}%;"
        f"width:{100 * w / W:.3f}%;height:{100 * h / H:.3f}%"
    )


def _data_url(rgb: np.ndarray, colours: int = 0) -> str:
    """A PNG as a data: URL; colours: first reduce it to this many (no dithering:
    the contour fill's flat bands stay flat, about a quarter of the size)."""
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    if colours:
        image = image.quantize(colours, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _asset(name: str) -> str:
    return resources.files("optviz.render").joinpath(name).read_text(encoding="utf-8")
