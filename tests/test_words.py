"""The words per language are data: every language has every word, in the wheel too."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import fields
from importlib import resources
from pathlib import Path

import pytest

from dunning.render.words import (
    CHARGE_LABELS,
    FALLBACK_LANGUAGE,
    LABELS,
    LANGUAGES,
    PERCENT_SIGNS,
    REGIMES,
    STATEMENT_LABELS,
    WORDS,
    ChargeLabels,
    Labels,
    StatementLabels,
    WordsError,
    _package_texts,
    labels_for,
    load_words,
    statement_labels_for,
)

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def texts_of(words) -> list[str]:
    """Every text of one language's words, in a fixed order."""
    found = [getattr(words.labels, field.name) for field in fields(Labels)]
    for field in fields(ChargeLabels):
        value = getattr(words.charges, field.name)
        found += ([value[regime] for regime in REGIMES] if isinstance(value, dict)
                  else list(value) if isinstance(value, tuple) else [value])
    found += [getattr(words.statement, field.name) for field in fields(StatementLabels)]
    return [*found, words.percent_sign]


def test_every_language_has_every_word():
    assert tuple(WORDS) == tuple(LABELS) == tuple(CHARGE_LABELS) == tuple(PERCENT_SIGNS) \
        == tuple(STATEMENT_LABELS) == LANGUAGES
    assert LANGUAGES[0] == FALLBACK_LANGUAGE
    english = texts_of(WORDS[FALLBACK_LANGUAGE])
    for language, words in WORDS.items():
        shown = texts_of(words)
        assert len(shown) == len(english) and all(text.strip() for text in shown), language
        for text, model in zip(shown, english, strict=True):  # the same blanks to fill
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(model)), (
                language, text)


def test_the_folder_holds_one_file_per_language():
    folder = resources.files("dunning.render").joinpath("words")
    assert sorted(entry.name for entry in folder.iterdir()) == sorted(
        f"{language}.json" for language in LANGUAGES)


def test_other_languages_and_regional_codes_fall_back_or_find_their_base():
    assert labels_for("de-CH") is LABELS["de"] and labels_for("DE_at ") is LABELS["de"]
    assert labels_for("pt") is LABELS["en"] and labels_for("") is LABELS["en"]
    assert statement_labels_for("fr-CA") is STATEMENT_LABELS["fr"]
    assert statement_labels_for("pt") is STATEMENT_LABELS["en"]


def test_every_language_has_every_statement_word_in_its_own_words():
    """The statement group holds every StatementLabels key in every file, and a language's
    statement is not English left in place (a title or column heading copied unchanged)."""
    keys = [field.name for field in fields(StatementLabels)]
    for language in LANGUAGES:
        data = json.loads(_package_texts()[language])
        assert sorted(data["statement"]) == sorted(keys), language
        if language != FALLBACK_LANGUAGE:
            for key in ("title", "open_items", "aging", "overdue", "days_past_due", "note",
                        "page", "how_to_pay"):
                assert data["statement"][key] != WORDS["en"].statement.__dict__[key], (
                    language, key)


def without(data: dict, dotted: str) -> dict:
    """`data` with the key at `dotted` ("charges.basis.eu") removed."""
    copy = json.loads(json.dumps(data))
    *path, last = dotted.split(".")
    inner = copy
    for name in path:
        inner = inner[name]
    del inner[last]
    return copy


@pytest.mark.parametrize("key", ["labels.invoice", "labels.and", "charges.basis.eu",
                                 "charges.days", "percent_sign", "statement",
                                 "statement.days_past_due", "labels.copies_missing"])
def test_a_missing_word_is_reported_naming_the_file_and_key(key):
    texts = _package_texts()
    texts["de"] = json.dumps(without(json.loads(texts["de"]), key), ensure_ascii=False)
    with pytest.raises(WordsError) as caught:
        load_words(texts)
    assert str(caught.value) == f"dunning/render/words/de.json: missing {key!r}"


def test_every_problem_of_every_file_is_reported_at_once():
    texts = _package_texts()
    french = json.loads(texts["fr"])
    french["labels"]["invoise"] = french["labels"].pop("invoice")
    french["charges"]["days"] = ["jour"]
    texts["fr"] = json.dumps(french)
    texts["nl"] = texts["nl"].replace('"labels"', "'labels'")
    texts["es"] = None
    with pytest.raises(WordsError) as caught:
        load_words(texts)
    shown = str(caught.value)
    assert "dunning/render/words/fr.json: missing 'labels.invoice'" in shown
    assert "dunning/render/words/fr.json: unknown word 'labels.invoise'" in shown
    assert "dunning/render/words/fr.json: 'charges.days' should be a list of 2 texts" in shown
    assert "dunning/render/words/nl.json: not valid JSON (line 2)" in shown
    assert "dunning/render/words/es.json: missing file" in shown


def test_the_loaded_words_are_the_typed_view():
    words = load_words(_package_texts())
    assert words == dict(WORDS)
    assert isinstance(words["fr"].labels, Labels) and isinstance(words["fr"].charges, ChargeLabels)
    assert words["fr"].charges.days == ("jour", "jours")
    assert words["en"].labels.and_ == "and" and words["fr"].percent_sign == "\u202f%"
    assert isinstance(words["fr"].statement, StatementLabels)
    assert words["fr"].statement.title == "Relevé de compte"


def _can_build_wheels() -> bool:
    """setuptools builds wheels itself from 70.1 on; before that it needs `wheel`."""
    if importlib.util.find_spec("setuptools.command.bdist_wheel") is not None:
        return True
    return importlib.util.find_spec("wheel") is not None


@pytest.mark.skipif(not _can_build_wheels(),
                    reason="building the wheel needs setuptools>=70.1 or the wheel package")
def test_the_words_load_from_an_installed_wheel(tmp_path):
    """The wheel as pyproject.toml builds it, imported as a zip: package data, no __file__."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "addin", source / "addin",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (tmp_path / "dist").glob("dunning-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n for n in names if n.startswith("dunning/render/words/")) == sorted(
        f"dunning/render/words/{language}.json" for language in LANGUAGES), (
        "the words files are not package data: add them to pyproject.toml")
    fonts = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf", "LICENSE.txt"}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("dunning/render/fonts/")} == fonts, (
        "the PDF fonts and their licence are not package data: add them to pyproject.toml")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import dunning.render.words as w; "
            "assert w.__file__.startswith(sys.argv[1]), w.__file__; "
            "print(w.LABELS['de'].invoice, w.CHARGE_LABELS['fr'].days[1], "
            "ascii(w.PERCENT_SIGNS['fr']))")
    # -I -S: nothing from the checkout, the editable install or site-packages
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(wheel)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Rechnung", "jours", "'\\u202f%'"]
