"""The string table: every optimizer in every language, one set of fields per key,
labels made by optviz translated and the user's own kept, unknown names refused."""

from __future__ import annotations

import string

import pytest

from optviz import i18n, optimizers
from optviz.errors import OptvizError
from optviz.paths import Path


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("name", optimizers.names())
def test_every_registry_optimizer_has_a_label_in_every_language(name, lang):
    label = i18n.optimizer_label(name, lang)
    assert label.strip() == label and label


def test_english_labels_are_the_registry_display_names():
    for name in optimizers.names():
        assert i18n.optimizer_label(name, "en") == optimizers.spec(name).display


def test_the_table_lists_exactly_the_registry():
    assert i18n.optimizer_names() == optimizers.names()


def test_japanese_terms_follow_the_lecture_notes():
    assert i18n.optimizer_label("sgd", "ja") == "確率的勾配降下法 (SGD)"
    assert i18n.optimizer_label("momentum", "ja") == "モーメンタム"
    assert i18n.optimizer_label("nag", "ja") == "ネステロフの加速勾配法 (NAG)"
    assert i18n.optimizer_label("adam", "ja") == "Adam"
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
        i18n.optimizer_label("sgd", "fr")


def test_unknown_optimizer_and_key_are_errors():
    with pytest.raises(OptvizError, match="did you mean 'adam'"):
        i18n.optimizer_label("adamm", "ja")
    with pytest.raises(OptvizError, match="unknown text key"):
        i18n.text("nope", "en")


def test_optax_names_stay_as_optax_spells_them():
    assert i18n.optimizer_label("optax:adabelief", "ja") == "adabelief"


@pytest.mark.parametrize(
    "label, diverged, ja",
    [
        ("SGD", None, "確率的勾配降下法 (SGD)"),
        ("NAG (start 2)", None, "ネステロフの加速勾配法 (NAG) (初期点 2)"),
        ("Momentum from (-1.5, 0.1)", None, "モーメンタム (-1.5, 0.1) から"),
        ("Adagrad", 40, "Adagrad (ステップ 40 で発散)"),
        ("my run", None, "my run"),  # the user's own label: kept as written
        ("SGDX", 3, "SGDX (ステップ 3 で発散)"),
    ],
)
def test_path_labels_made_by_optviz_are_translated(label, diverged, ja):
    assert i18n.path_label(label, "ja", diverged) == ja
    english = Path(label, "#000000", None, None, diverged).legend_label
    assert i18n.path_label(label, "en", diverged) == english


def test_english_legend_label_is_unchanged():
    assert Path("SGD", "#000", None, None, 12).legend_label == "SGD (diverged at step 12)"
    assert Path("SGD (start 2)", "#000", None, None).legend_label == "SGD (start 2)"
