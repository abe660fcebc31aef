"""Words in pictures: every optimizer named in every language by the registry, one set
of fields per string, legends composed from a path's fields (never parsed back from
text), the user's own labels kept, unknown names refused."""

from __future__ import annotations

import string

import numpy as np
import pytest

from optviz import i18n, optimizers
from optviz.errors import OptvizError
from optviz.paths import Path
from optviz.render.labels import legend_text, legend_texts
from optviz.render.timeline import make_track

XY, LOSS = np.zeros((3, 2)), np.zeros(3)


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("name", optimizers.names())
def test_every_registry_optimizer_has_a_label_in_every_language(name, lang):
    label = optimizers.spec(name).label(lang)
    assert label.strip() == label and label


def test_english_labels_are_the_registry_display_names():
    for name in optimizers.names():
        assert optimizers.spec(name).label("en") == optimizers.spec(name).display


def test_japanese_terms_follow_the_lecture_notes():
    assert optimizers.spec("sgd").label("ja") == "確率的勾配降下法 (SGD)"
    assert optimizers.spec("momentum").label("ja") == "モーメンタム"
    assert optimizers.spec("nag").label("ja") == "ネステロフの加速勾配法 (NAG)"
    assert optimizers.spec("adam").label("ja") == "Adam"
    assert i18n.text("step", "ja") == "ステップ"
    assert i18n.text("diverged", "ja", step=40) == "ステップ 40 で発散"


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


@pytest.mark.parametrize("key", list(i18n.STRINGS))
def test_every_row_has_every_language_with_the_same_fields(key):
    row = i18n.STRINGS[key]
    assert len(row) == len(i18n.LANGS) and all(row)
    assert all(_fields(s) == _fields(row[0]) for s in row)


def test_unknown_language_names_close_matches():
    with pytest.raises(OptvizError, match="unknown language 'jp'; did you mean 'ja'"):
        i18n.text("step", "jp")
    with pytest.raises(OptvizError, match="unknown language"):
        legend_text(Path(XY, LOSS, optimizer="sgd"), "fr")


def test_unknown_optimizer_and_key_are_errors():
    with pytest.raises(OptvizError, match="did you mean 'adam'"):
        legend_text(Path(XY, LOSS, optimizer="adamm"), "ja")
    with pytest.raises(OptvizError, match="unknown text key"):
        i18n.text("nope", "en")


@pytest.mark.parametrize(
    "path, en, ja",
    [
        (Path(XY, LOSS, optimizer="sgd"), "SGD", "確率的勾配降下法 (SGD)"),
        (Path(XY, LOSS, optimizer="adagrad", diverged_at=40), "Adagrad", "Adagrad"),
        (Path(XY, LOSS, optimizer="sgd", label="my run"), "my run", "my run"),
        (Path(XY, LOSS, label="SGDX", diverged_at=3), "SGDX", "SGDX"),
    ],
)  # fmt: skip
def test_legends_are_composed_from_fields_in_each_language(path, en, ja):
    assert legend_text(path, "en") == en
    assert legend_text(path, "ja") == ja


def test_start_points_are_named_only_where_an_optimizer_runs_twice():
    a = Path(XY, LOSS, optimizer="momentum", start_index=0, start=(1.0, 1.5))
    b = Path(XY, LOSS, optimizer="momentum", start_index=1, start=(-1.5, 0.1))
    c = Path(XY, LOSS, optimizer="adam", start_index=0, start=(1.0, 1.5))
    assert legend_texts([a, b, c]) == [
        "Momentum from (1, 1.5)",
        "Momentum from (-1.5, 0.1)",
        "Adam",
    ]
    assert legend_texts([a, b], "ja")[1] == "モーメンタム (-1.5, 0.1) から"


def test_optax_names_have_a_legend_in_every_language():
    path = Path(XY, LOSS, optimizer="optax:adabelief")
    assert (
        legend_text(path, "en")
        == legend_text(path, "ja")
        == optimizers.spec("optax:adabelief").display
    )


@pytest.mark.parametrize(
    "lang, note, short",
    [("en", "diverged at step 3", "diverged, step 3"), ("ja", "ステップ 3 で発散", "3 で発散")],
)
def test_what_happens_on_the_way_is_a_note_in_each_language(lang, note, short):
    xy = np.zeros((6, 2))
    track = make_track(Path(xy, np.zeros(6), optimizer="sgd", diverged_at=3), "SGD", lang)
    assert (track.note, track.short_note, track.event_step) == (note, short, 3)
    assert track.label_at(2) == "SGD" and track.label_at(3) == f"SGD ({note})"
    assert track.label_at(5, "\n", short=True) == f"SGD\n{short}"
