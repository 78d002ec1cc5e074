"""The statement of account (dunning.render.statement), read back with pdftotext and checked
against the ledger worked out here: a part-paid invoice, one not yet due, a credit note."""

import datetime as dt
import re

import pytest

from dunning.io.book import open_book
from dunning.render.statement import (
    Addressee,
    Firm,
    copies_missing_note,
    statement_pdf,
)
from pdf_text import money_text, pdf_text
from statement_book import AS_OF, FIRM, INSTRUCTIONS, INVOICES, documents_book

LINK = "https://pay.example.com/{customer}?amount={amount}&currency={currency}"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = documents_book(tmp_path_factory.mktemp("statement") / "Client.xlsx")
    return open_book(path, all_currencies=True).frame


def expected_items(customer, as_of):
    """Open items worked out from the rows: amount less paid, days from the due date (a credit
    note without one: from its date)."""
    found = []
    for number, who, issued, due, amount, paid, _settled in INVOICES:
        open_amount = round(float(amount) - float(paid), 2)
        if who != customer or open_amount == 0:
            continue
        due_day = dt.date.fromisoformat(due or issued)
        found.append((number, issued, due or issued, float(amount), float(paid), open_amount,
                      (as_of - due_day).days))
    return found


def render(ledger, tmp_path, **firm):
    person = Addressee("LDZ01", "Łódź Sp. z o.o.", ("ul. Piotrkowska 104", "90-001 Łódź",
                                                    "Poland"))
    data = statement_pdf(ledger, person, Firm(FIRM, ("12 Quay Street", "Bristol BS1 4DJ"),
                                              INSTRUCTIONS, firm.get("link", LINK)), AS_OF)
    return data, pdf_text(data, tmp_path)


def test_every_open_item_with_its_dates_amounts_and_days(ledger, tmp_path):
    _, text = render(ledger, tmp_path)
    items = expected_items("LDZ01", AS_OF)
    assert len(items) == 4  # the paid invoice is not shown
    assert "INV-000" not in text
    for number, issued, due, amount, paid, open_amount, days in items:
        [line] = [line for line in text.splitlines() if line.strip().startswith(number)]
        cells = line.split()
        assert issued in cells and due in cells
        assert money_text(amount) in cells and money_text(paid) in cells
        assert money_text(open_amount) in cells
        shown_days = str(days) if days > 0 and open_amount > 0 else "-"
        assert cells[-1] == shown_days
    assert re.search(r"CN-004 \(credit\)", text)


def test_totals_overdue_not_yet_due_credits_and_the_balance(ledger, tmp_path):
    _, text = render(ledger, tmp_path)
    items = expected_items("LDZ01", AS_OF)
    overdue = sum(i[5] for i in items if i[5] > 0 and i[6] > 0)
    not_due = sum(i[5] for i in items if i[5] > 0 and i[6] <= 0)
    credits = sum(i[5] for i in items if i[5] < 0)
    assert (overdue, not_due, credits) == (1850.50, 640.25, -150.00)
    for label, amount in (("Overdue", overdue), ("Not yet due", not_due), ("Credits", credits),
                          ("Balance, credits netted", overdue + not_due + credits)):
        assert re.search(rf"^{re.escape(label)}\s+EUR {re.escape(money_text(amount))}$", text,
                         re.MULTILINE), label


def test_the_aging_by_bucket_nets_the_credit(ledger, tmp_path):
    _, text = render(ledger, tmp_path)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:3] == ["Current", "1-30",
                                                                           "31-60"])
    values = next(line for line in lines[at + 1:] if line.strip()).split()
    buckets = {"Current": 0.0, "1-30": 0.0, "31-60": 0.0, "61-90": 0.0, "91-120": 0.0,
               "Over 120": 0.0}
    for *_, open_amount, days in expected_items("LDZ01", AS_OF):
        label = ("Current" if days <= 0 else "1-30" if days <= 30 else "31-60" if days <= 60
                 else "61-90" if days <= 90 else "91-120" if days <= 120 else "Over 120")
        buckets[label] += open_amount
    assert values == [money_text(v) for v in [*buckets.values(), sum(buckets.values())]]


def test_firm_customer_instructions_and_the_payment_link(ledger, tmp_path):
    _, text = render(ledger, tmp_path)
    for expected in (FIRM, "12 Quay Street", "Łódź Sp. z o.o. (LDZ01)", "90-001 Łódź",
                     "As of", "2026-11-23", INSTRUCTIONS,
                     "https://pay.example.com/LDZ01?amount=2340.75&currency=EUR"):
        assert expected in text, expected


def test_the_same_ledger_and_date_give_the_same_statement(ledger, tmp_path):
    first, _ = render(ledger, tmp_path)
    again, _ = render(ledger, tmp_path)
    assert first == again


def test_the_missing_copies_line_is_in_the_customers_language():
    assert copies_missing_note(["INV-2"], "de").startswith("Kopien dieser Rechnungen")
    assert "INV-1, INV-2" in copies_missing_note(["INV-1", "INV-2"], "fr-CA")
    assert copies_missing_note(["X"], "pt").startswith("Copies of these invoices")


def test_a_link_that_names_the_invoice_is_given_per_open_invoice(ledger, tmp_path):
    _, text = render(ledger, tmp_path, link="https://pay.example/{invoice}?eur={amount}")
    assert "https://pay.example/INV-001?eur=1000.00" in text
    assert "https://pay.example/INV%2F2026%2F003?eur=640.25" in text
    assert "CN-004?" not in text and "https://pay.example/?" not in text


HEADINGS = {
    # the words a native accountant heads a statement with, written here, not read from
    # the words files: title, open items, aging, totals, how to pay, the note's start
    "en": ("Statement of account", "Open items in EUR", "Aging (EUR)", "Overdue",
           "Not yet due", "Credits", "Balance, credits netted", "How to pay", "Days past due",
           "Credits are netted in the balance", "Customer", "As of", "Page 1 of 1"),
    "de": ("Kontoauszug", "Offene Posten in EUR", "Altersstruktur (EUR)", "Überfällig",
           "Noch nicht fällig", "Gutschriften", "Saldo, Gutschriften verrechnet",
           "Zahlungshinweise", "Tage überfällig", "Gutschriften sind im Saldo verrechnet",
           "Kunde", "Stand", "Seite 1 von 1"),
    "fr": ("Relevé de compte", "Écritures non soldées en EUR", "Balance âgée (EUR)", "Échu",
           "Non échu", "Avoirs", "Solde, avoirs déduits", "Modalités de paiement",
           "Jours de retard", "Les avoirs sont déduits du solde", "Client", "Arrêté au",
           "Page 1 sur 1"),
    "nl": ("Rekeningoverzicht", "Openstaande posten in EUR", "Ouderdomsanalyse (EUR)",
           "Vervallen", "Nog niet vervallen", "Creditnota’s", "Saldo, creditnota’s verrekend",
           "Betaalinstructies", "Dagen te laat", "Creditnota’s zijn in het saldo verrekend",
           "Klant", "Per", "Pagina 1 van 1"),
    "es": ("Extracto de cuenta", "Partidas pendientes en EUR", "Antigüedad de saldos (EUR)",
           "Vencido", "No vencido aún", "Abonos", "Saldo, abonos compensados", "Forma de pago",
           "Días de retraso", "Los abonos se compensan en el saldo", "Cliente", "A fecha de",
           "Página 1 de 1"),
}
COLUMN = 8  # the days past due column's heading
SEPARATORS = {"en": (",", "."), "de": (".", ","), "fr": (" ", ","), "nl": (".", ","),
              "es": (".", ",")}
ENGLISH_ONLY = ("Statement of account", "Open items", "Aging", "Overdue", "Not yet due",
                "Balance, credits netted", "How to pay", "Days past due", "Pay online",
                "Customer", "As of", "Page 1 of", "(credit)", "Current")


def money_in(amount: float, language: str) -> str:
    """An amount as the statement prints it in `language`, worked out here: 1.850,50 (de)."""
    thousands, decimal = SEPARATORS[language]
    return f"{amount:,.2f}".replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def render_in(ledger, tmp_path, language):
    person = Addressee("LDZ01", "Łódź Sp. z o.o.", ("ul. Piotrkowska 104", "90-001 Łódź"))
    data = statement_pdf(ledger, person, Firm(FIRM, ("12 Quay Street",), INSTRUCTIONS, LINK),
                         AS_OF, language=language)
    # pdftotext gives French's narrow no-break space between thousands as a space
    return pdf_text(data, tmp_path).replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("language", list(HEADINGS))
def test_the_statement_is_in_the_customers_language_with_the_same_figures(ledger, tmp_path,
                                                                         language):
    text = render_in(ledger, tmp_path, language)
    flat = " ".join(text.split())  # a heading or the note may be wrapped or spaced out
    for index, heading in enumerate(HEADINGS[language]):
        if index == COLUMN:  # a column heading wraps in its cell, beside the others
            assert set(heading.split()) <= set(text.split()), (language, heading)
        else:
            assert heading in flat, (language, heading)
    if language != "en":
        for english in ENGLISH_ONLY:
            assert english not in flat, (language, english)
    items = expected_items("LDZ01", AS_OF)
    for number, issued, due, amount, paid, open_amount, days in items:
        [line] = [line for line in text.splitlines() if line.strip().startswith(number)]
        assert issued in line and due in line  # dates stay ISO, as in the email
        for figure in (amount, paid, open_amount):
            assert re.search(rf"(^|\s){re.escape(money_in(figure, language))}(\s|$)", line), (
                language, number, figure)
        shown_days = str(days) if days > 0 and open_amount > 0 else "-"
        assert line.split()[-1] == shown_days
    overdue = sum(i[5] for i in items if i[5] > 0 and i[6] > 0)
    not_due = sum(i[5] for i in items if i[5] > 0 and i[6] <= 0)
    credits = sum(i[5] for i in items if i[5] < 0)
    for label, figure in zip(HEADINGS[language][3:7],
                             (overdue, not_due, credits, overdue + not_due + credits),
                             strict=True):
        assert re.search(rf"^{re.escape(label)}\s+EUR {re.escape(money_in(figure, language))}$",
                         text, re.MULTILINE), (language, label)
    assert AS_OF.isoformat() in text and "2340.75" in text  # the link's amount is not localised


def test_a_regional_or_unknown_language_takes_its_base_or_english(ledger, tmp_path):
    assert "Relevé de compte" in render_in(ledger, tmp_path, "fr-CA")
    assert "Statement of account" in render_in(ledger, tmp_path, "pt")


def test_an_empty_account_says_so_in_its_language(ledger, tmp_path):
    person = Addressee("NOBODY")
    text = pdf_text(statement_pdf(ledger, person, Firm(FIRM), AS_OF, language="de"), tmp_path)
    assert "Zum 2026-11-23 sind auf dem Konto keine Posten offen." in " ".join(text.split())


@pytest.mark.parametrize("language", list(HEADINGS))
def test_column_headings_break_only_between_words_or_at_a_hyphen(ledger, tmp_path, language):
    """A heading too wide for its column wraps at a space or a soft hyphen ("Rechnungs-" /
    "datum"), never inside a word ("Vencimient" / "o")."""
    from dunning.render.statement import item_columns
    from dunning.render.words import statement_labels_for

    headings = [column.heading for column in item_columns(statement_labels_for(language))]
    allowed = set()
    for heading in headings:
        for word in heading.split():
            pieces = word.split("\u00ad")
            allowed |= {"".join(pieces), *(p + "-" for p in pieces[:-1]), *pieces[1:]}
    text = render_in(ledger, tmp_path, language).splitlines()
    at = next(i for i, line in enumerate(text) if line.strip().startswith(HEADINGS[language][1]))
    end = next(i for i in range(at, len(text)) if text[i].strip().startswith("INV-001"))
    tokens = " ".join(text[at + 1:end]).split()
    assert tokens and set(tokens) <= allowed, (language, set(tokens) - allowed)
