"""The words the code writes around the templates' text, per language: data, not code.

Each language has one file, `dunning/render/words/<language>.json`, read through
importlib.resources (so a checkout, an installed wheel or a zip alike), holding:

    "labels"        the items table's headings, "credit note", "and", the opt-out line, the
                    heading of items not yet due, the payment link's lead, the stage fee
                    sentence and the line naming invoice copies not attached (the typed
                    view: `Labels`)
    "charges"       the words around late-payment charges (`ChargeLabels`)
    "percent_sign"  what follows a rate: "%", or a no-break space and "%"
    "statement"     the statement of account's headings, column headings and fixed lines, and
                    the page numbers of the statement and the letter (`StatementLabels`)

Every language has every word: a file that lacks one, has one the code does not know,
or holds something other than text where text belongs stops the import with a
`WordsError` naming the file and the key ("dunning/render/words/de.json:
missing 'charges.basis.eu'"). A language is added with a file and its code in
`LANGUAGES`. Placeholders ({address}, {total} ...) are documented on the dataclasses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

from dunning.core.amounts import normal_language

FALLBACK_LANGUAGE = "en"
LANGUAGES = ("en", "de", "fr", "nl", "es")
"""The languages with words, one file each in render/words/; English is the fallback."""
REGIMES = ("uk", "eu", "contract")
"""The keys of `ChargeLabels.basis` and `.explanation`."""
WORDS_FOLDER = "words"


class WordsError(ValueError):
    """A words file is missing, unreadable, or lacks (or adds) a word."""


@dataclass(frozen=True)
class Labels:
    """Words the code writes around the templates' text, per language."""

    invoice: str
    invoice_date: str
    due_date: str
    amount: str
    open_balance: str
    days_overdue: str
    total: str
    credit: str
    and_: str
    opt_out_text: str  # {address} and {subject} are filled in
    opt_out_html: str  # {link} (the address as a mailto: link) and {subject}
    due_soon: str  # the heading of the items not yet due ("Also falling due soon")
    pay_online: str  # before the payment link(s)
    stage_fee: str  # {fee}, the stage's fixed fee as money, is filled in
    copies_missing: str  # {invoices}: the invoice copies that could not be attached


@dataclass(frozen=True)
class StatementLabels:
    """The statement of account's words (and the page numbers the letter shares).

    Placeholders: nothing_open and note {date}; open_items_in and aging_in {currency};
    up_to and over {days} (the aging buckets' edges); pay_invoice {invoice}; footer
    {customer} {date}; page {page} {pages}. `credit` and `disputed` follow an item's
    number in brackets. A soft hyphen (\u00ad) in a column heading marks where a word too
    wide for its column breaks ("Rechnungs-" / "datum").
    """

    title: str
    customer: str
    address: str
    as_of: str
    nothing_open: str
    open_items: str
    open_items_in: str
    aging: str
    aging_in: str
    invoice: str
    invoice_date: str
    due_date: str
    amount: str
    paid: str
    open: str
    days_past_due: str
    credit: str
    disputed: str
    balance: str
    total: str
    current: str
    up_to: str
    over: str
    overdue: str
    not_yet_due: str
    credits: str
    balance_netted: str
    pay_online: str
    pay_invoice: str
    how_to_pay: str
    note: str
    footer: str
    page: str


@dataclass(frozen=True)
class ChargeLabels:
    """The words around late-payment charges, per language.

    `basis` and `explanation` are keyed by regime ("uk", "eu", "contract"). Placeholders:
    basis {fee} (`basis_fee` when a contractual fee applies, else ""); explanation
    {invoice} {debt} {due} {days} {rate} {margin} {reference} {interest} {compensation}
    {total} {fee} (`explanation_fee` when a fee applies); note {total}. `days` is the
    singular and plural of "day".
    """

    rate: str
    interest: str
    compensation: str
    fee: str
    basis: Mapping[str, str]
    basis_fee: str
    explanation: Mapping[str, str]
    explanation_fee: str
    note: str
    days: tuple[str, str]


@dataclass(frozen=True)
class Words:
    """One language's file, typed."""

    labels: Labels
    charges: ChargeLabels
    percent_sign: str
    statement: StatementLabels


def _key(name: str) -> str:
    """A dataclass field's key in the files: `and_` is "and"."""
    return name.rstrip("_")


SHAPE: Mapping[str, Any] = {
    "labels": {_key(field.name): str for field in fields(Labels)},
    "charges": {field.name: ({regime: str for regime in REGIMES}
                             if field.name in ("basis", "explanation")
                             else (str, str) if field.name == "days" else str)
                for field in fields(ChargeLabels)},
    "percent_sign": str,
    "statement": {field.name: str for field in fields(StatementLabels)},
}
"""What every file holds: keys to text, to nested keys, or to a list of two texts (days)."""


def _problems(value: Any, shape: Any, key: str) -> list[str]:
    """What `value` lacks or adds against `shape`, each naming its dotted key."""
    if isinstance(shape, Mapping):
        if not isinstance(value, Mapping):
            return [f"{key!r} should hold the keys {', '.join(shape)}"]
        prefix = f"{key}." if key else ""
        found = [f"missing {prefix + name!r}" for name in shape if name not in value]
        found += [f"unknown word {prefix + name!r}" for name in value if name not in shape]
        for name, inner in shape.items():
            if name in value:
                found += _problems(value[name], inner, prefix + name)
        return found
    if isinstance(shape, tuple):
        if not (isinstance(value, list) and len(value) == len(shape)
                and all(isinstance(item, str) for item in value)):
            return [f"{key!r} should be a list of {len(shape)} texts"]
        return []
    return [] if isinstance(value, str) else [f"{key!r} should be text"]


def load_words(texts: Mapping[str, str | None], folder: str = "dunning/render/words"
               ) -> dict[str, Words]:
    """Each language's words from its file's text (None: no file), checked; in that order.

    Raises WordsError naming every file and key that is wrong, all at once.
    """
    problems: list[str] = []
    loaded: dict[str, Words] = {}
    for language, text in texts.items():
        where = f"{folder}/{language}.json"
        if text is None:
            problems.append(f"{where}: missing file")
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            problems.append(f"{where}: not valid JSON (line {error.lineno}): {error.msg}")
            continue
        found = _problems(data, SHAPE, "")
        if found:
            problems += [f"{where}: {problem}" for problem in found]
            continue
        labels, charges = data["labels"], data["charges"]
        loaded[language] = Words(
            Labels(**{field.name: labels[_key(field.name)] for field in fields(Labels)}),
            ChargeLabels(**{**charges, "days": tuple(charges["days"])}),
            data["percent_sign"],
            StatementLabels(**data["statement"]))
    if FALLBACK_LANGUAGE not in texts:
        problems.append(f"{folder}: no words for the fallback language {FALLBACK_LANGUAGE!r}")
    if problems:
        raise WordsError("; ".join(problems))
    return loaded


def _package_texts() -> dict[str, str | None]:
    """The shipped files' texts by language (None for a file that is not there)."""
    root = resources.files("dunning.render").joinpath(WORDS_FOLDER)
    texts: dict[str, str | None] = {}
    for language in LANGUAGES:
        path = root.joinpath(f"{language}.json")
        texts[language] = path.read_text(encoding="utf-8") if path.is_file() else None
    return texts


WORDS: Mapping[str, Words] = load_words(_package_texts())
LABELS: Mapping[str, Labels] = {language: words.labels for language, words in WORDS.items()}
CHARGE_LABELS: Mapping[str, ChargeLabels] = {
    language: words.charges for language, words in WORDS.items()}
PERCENT_SIGNS: Mapping[str, str] = {
    language: words.percent_sign for language, words in WORDS.items()}
STATEMENT_LABELS: Mapping[str, StatementLabels] = {
    language: words.statement for language, words in WORDS.items()}


def _base(language: str) -> str:
    """"fr-CA" -> "fr": the language whose words a regional code takes."""
    return normal_language(language).split("-")[0]


def labels_for(language: str) -> Labels:
    return LABELS.get(_base(language), LABELS[FALLBACK_LANGUAGE])


def statement_labels_for(language: str) -> StatementLabels:
    """The statement's (and letter's) words in `language`; English for one without words."""
    return STATEMENT_LABELS.get(_base(language), STATEMENT_LABELS[FALLBACK_LANGUAGE])


def charge_labels_for(language: str) -> ChargeLabels:
    return CHARGE_LABELS.get(_base(language), CHARGE_LABELS[FALLBACK_LANGUAGE])
