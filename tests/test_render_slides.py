"""Slide options of the renderer: Japanese labels and fonts, transparent stills, dpi.

Checked by structure: the text artists' strings and fonts, alpha where the
background is, sizes of text boxes; never whole-frame pixels.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from optviz import optimizers
from optviz.errors import OptvizError
from optviz.render import fonts, make_stage, render
from tests.test_render import SMALL, beale, gif_frames, race  # noqa: F401 (fixtures)

needs_ja_font = pytest.mark.skipif(
    fonts.japanese_font_file() is None, reason="needs the Japanese font: pip install 'optviz[ja]'"
)


def all_texts(stage) -> list:
    """Every matplotlib text artist of the stage's figure."""
    return [t for t in stage.fig.findobj(Text) if t.get_text()]


def ink(stage, artist, step=0) -> np.ndarray:
    """The frame's pixels inside `artist`'s box (rows top to bottom), as grey levels."""
    frame = stage.frame(step)
    box = artist.get_window_extent(stage.canvas.get_renderer())
    H = frame.shape[0]
    rows = slice(max(math.floor(H - box.y1), 0), math.ceil(H - box.y0))
    cols = slice(max(math.floor(box.x0), 0), math.ceil(box.x1))
    return frame[rows, cols, :3].mean(axis=-1)


def title_of(stage):
    return stage.fig.texts[0]


# --- Japanese labels -----------------------------------------------------------------


@needs_ja_font
def test_japanese_gif_has_japanese_labels_and_no_warnings(beale, race, tmp_path):  # noqa: F811
    # Warnings are errors in this suite: a "Glyph ... missing" warning fails here.
    out = tmp_path / "ja.gif"
    info = render(beale, race, out, frames=6, size=SMALL, lang="ja", loss_panel=True)
    assert len(gif_frames(out)[0]) == info.n_frames
    stage, _ = make_stage(beale, race, size=SMALL, lang="ja", loss_panel=True)
    legend = [t.get_text() for leg in stage.fig.legends for t in leg.get_texts()]
    assert legend[:2] == [
        optimizers.spec("sgd").label("ja"),
        optimizers.spec("momentum").label("ja"),
    ]
    stage.frame(59)  # the note appears from step 40 on
    ((note, _),) = stage.notes
    assert note.get_text().startswith("Adagrad") and "40 で発散" in note.get_text()
    texts = {t.get_text() for t in all_texts(stage)}
    assert {"ステップ", "損失"} <= texts  # counter label, loss title, loss x label
    assert stage.scenes[1].ax.get_xlabel() == "ステップ"


@needs_ja_font
def test_japanese_font_is_used_for_every_text(beale, race):  # noqa: F811
    stage, _ = make_stage(beale, race, size=SMALL, lang="ja", title="鞍点")
    family = fonts.japanese_font()
    for t in all_texts(stage):
        assert family in t.get_fontproperties().get_family(), t.get_text()


@needs_ja_font
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_japanese_title_glyphs_are_drawn(beale, race, lang):  # noqa: F811
    # Missing glyphs would all be the same empty box: different words must differ.
    a, _ = make_stage(beale, race, size=SMALL, lang=lang, title="勾配降下")
    b, _ = make_stage(beale, race, size=SMALL, lang=lang, title="損失関数")
    ink_a, ink_b = ink(a, title_of(a)), ink(b, title_of(b))
    assert ink_a.min() < 100 and ink_b.min() < 100  # dark text on the light theme
    assert ink_a.shape == ink_b.shape and not np.array_equal(ink_a, ink_b)


@needs_ja_font
def test_english_picture_falls_back_to_the_japanese_font_only_when_needed(beale, race):  # noqa: F811
    plain, _ = make_stage(beale, race, size=SMALL, title="Beale")
    assert fonts.japanese_font() not in title_of(plain).get_fontproperties().get_family()
    mixed, _ = make_stage(beale, race, size=SMALL, title="Beale 関数")
    family = title_of(mixed).get_fontproperties().get_family()
    assert family[-1] == fonts.japanese_font() and len(family) > 1
    legend = [t.get_text() for leg in mixed.fig.legends for t in leg.get_texts()]
    assert "Adagrad (diverged at step 40)" in legend


@needs_ja_font
def test_japanese_render_is_byte_identical_on_rerun(beale, race, tmp_path):  # noqa: F811
    digests = set()
    for name in ("a.gif", "b.gif"):
        render(beale, race, tmp_path / name, frames=5, size=SMALL, lang="ja", title="鞍点")
        digests.add(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert len(digests) == 1


def test_missing_japanese_font_says_how_to_get_it(beale, race, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(fonts, "japanese_font_file", lambda: None)
    for kw in (dict(lang="ja"), dict(title="勾配降下法")):
        with pytest.raises(OptvizError) as err:
            render(beale, race, tmp_path / "x.gif", frames=3, size=SMALL, **kw)
        assert str(err.value) == "Japanese labels need a Japanese font: pip install 'optviz[ja]'"
    assert list(tmp_path.iterdir()) == []
    render(beale, race, tmp_path / "en.gif", frames=3, size=SMALL)  # English needs none


def test_unknown_language_is_a_user_error(beale, race, tmp_path):  # noqa: F811
    with pytest.raises(OptvizError, match="did you mean 'ja'"):
        render(beale, race, tmp_path / "x.gif", size=SMALL, lang="jp")


def test_explicit_step_label_wins(beale, race):  # noqa: F811
    stage, _ = make_stage(beale, race, size=SMALL, step_label="epoch")
    assert "epoch" in {t.get_text() for t in all_texts(stage)}
    stage, _ = make_stage(beale, race, size=SMALL)
    assert "step" in {t.get_text() for t in all_texts(stage)}


# --- transparent background ----------------------------------------------------------


def _rgba(path) -> list[np.ndarray]:
    with Image.open(path) as im:
        out = []
        for k in range(getattr(im, "n_frames", 1)):
            im.seek(k)
            out.append(np.asarray(im.convert("RGBA")))
    return out


@pytest.mark.parametrize("view", ["2d", "3d", "both"])
@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_transparent_background_opaque_plot(beale, race, tmp_path, fmt, view):  # noqa: F811
    out = tmp_path / f"t.{fmt}"
    kw = dict(view=view, size=(480, 300), title="Beale")
    render(beale, race, out, fmt=fmt, frames=3, transparent=True, **kw)
    frames = _rgba(out)
    assert len(frames) == (1 if fmt == "png" else 3)
    stage, _ = make_stage(beale, race, **kw)
    col, row = stage.scenes[0].to_pixels(race[1].xy[-1] if view != "3d" else [[0, 0, 0]])[0]
    for f in frames:
        assert f.shape == (300, 480, 4)
        assert f[0, 0, 3] == 0 and f[-1, -1, 3] == 0  # corners: figure background
        if view != "3d":  # the middle of the contour panel
            assert (f[int(row) - 3 : int(row) + 4, int(col) - 3 : int(col) + 4, 3] == 255).all()
        assert (f[..., 3] == 255).mean() > 0.2
    # the title and step counter stay visible: opaque dark pixels in the top band
    band = frames[-1][: int(0.06 * 300)]
    assert (band[..., 3] > 200).sum() > 50


def test_transparent_counter_digits_change_with_the_step(beale, race):  # noqa: F811
    stage, _ = make_stage(beale, race, size=SMALL, transparent=True)
    a, b = stage.frame(0), stage.frame(59)
    band = slice(0, stage.counter.band)
    assert not np.array_equal(a[band, -60:], b[band, -60:])
    assert (b[band, -60:, 3] > 200).any() and (b[band, -60:, 3] == 0).any()


def test_transparent_png_is_deterministic(beale, race, tmp_path):  # noqa: F811
    for name in ("a.png", "b.png"):
        render(beale, race, tmp_path / name, fmt="png", size=SMALL, transparent=True)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize("fmt", ["gif", "mp4"])
def test_transparent_only_for_png_and_webp(beale, race, tmp_path, fmt):  # noqa: F811
    with pytest.raises(OptvizError, match="--transparent works with png and webp"):
        render(beale, race, tmp_path / f"x.{fmt}", fmt=fmt, size=SMALL, transparent=True)
    assert list(tmp_path.iterdir()) == []


def test_opaque_png_has_no_alpha(beale, race, tmp_path):  # noqa: F811
    render(beale, race, tmp_path / "o.png", fmt="png", size=SMALL)
    with Image.open(tmp_path / "o.png") as im:
        assert im.mode == "RGB"


# --- dpi -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(640, 480), (333, 257)])
def test_dpi_keeps_the_pixel_size_and_scales_text(beale, race, tmp_path, size):  # noqa: F811
    heights = []
    for dpi in (72, 100, 150, 200):
        info = render(beale, race, tmp_path / "d.png", fmt="png", size=size, dpi=dpi)
        with Image.open(tmp_path / "d.png") as im:
            assert im.size == size == info.size
        stage, _ = make_stage(beale, race, size=size, dpi=dpi, title="Beale")
        assert stage.frame(0).shape[:2] == size[::-1]
        heights.append(title_of(stage).get_window_extent(stage.canvas.get_renderer()).height)
    assert heights == sorted(heights) and heights[-1] > 2.5 * heights[0]


def test_default_dpi_is_100(beale, race, tmp_path):  # noqa: F811
    render(beale, race, tmp_path / "a.png", fmt="png", size=SMALL)
    render(beale, race, tmp_path / "b.png", fmt="png", size=SMALL, dpi=100)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize("dpi", [0, -100, 10, 1000, math.nan, math.inf, "high", True])
def test_bad_dpi_is_a_user_error(beale, race, tmp_path, dpi):  # noqa: F811
    with pytest.raises(OptvizError, match="dpi must be a number from 50 to 600"):
        render(beale, race, tmp_path / "x.png", fmt="png", size=SMALL, dpi=dpi)
