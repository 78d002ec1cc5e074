"""The reminder as a letter (dunning.render.letter): the address sits in the window of a
DIN 5008 form B envelope, the return line above it, the email's text below."""

import datetime as dt

from dunning.render.letter import letter_pdf, recipient_lines, text_blocks
from dunning.render.statement import Addressee, Firm
from pdf_text import pdf_text

DAY = dt.date(2026, 11, 23)
FIRM = Firm("Harbour & Pine Trading Ltd", ("12 Quay Street", "Bristol BS1 4DJ"))
PERSON = Addressee("AER02", "Ærø Handel ApS", ("Vestergade 3", "5970 Ærøskøbing", "Denmark"),
                   contact="Jens Ølgaard")
TEXT = ("Dear Jens Ølgaard,\n\nThe following items are past due.\n\n"
        "Invoice     Due date         Open\n-------     ----------   --------\n"
        "INV-101     2026-10-15   2,400.00\n\nKind regards,\nAna Ruiz\n")
WINDOW = (20.0, 45.0, 85.0, 45.0)  # mm: x, y, width, height of the envelope's window


def test_the_address_and_return_line_are_in_the_window(tmp_path):
    data = letter_pdf(TEXT, "Payment reminder", PERSON, FIRM, DAY)
    window = pdf_text(data, tmp_path, crop_mm=WINDOW)
    lines = [line.strip() for line in window.splitlines() if line.strip()]
    assert lines[0].startswith("Harbour & Pine Trading Ltd · 12 Quay Street")
    assert lines[1:] == ["Ærø Handel ApS", "Jens Ølgaard", "Vestergade 3", "5970 Ærøskøbing",
                         "Denmark"]
    assert "Payment reminder" not in window and "Dear" not in window


def test_the_letter_says_what_the_email_says(tmp_path):
    text = pdf_text(letter_pdf(TEXT, "Payment reminder", PERSON, FIRM, DAY), tmp_path)
    assert "2026-11-23" in text and "Payment reminder" in text
    for line in ("Dear Jens Ølgaard,", "The following items are past due.", "Kind regards,",
                 "Ana Ruiz"):
        assert line in text
    row = next(line for line in text.splitlines() if "INV-101" in line).split()
    assert row == ["INV-101", "2026-10-15", "2,400.00"]


def test_a_long_address_keeps_the_name_and_the_last_lines():
    person = Addressee("C", "Name", tuple(f"line {n}" for n in range(1, 9)), contact="Attn")
    assert recipient_lines(person) == ["Name", "line 4", "line 5", "line 6", "line 7", "line 8"]


def test_plain_text_tables_are_told_from_paragraphs():
    blocks = text_blocks(TEXT)
    assert [tabular for tabular, _ in blocks] == [False, False, True, False]
    assert blocks[2][1][0].startswith("Invoice")


def test_the_page_numbers_are_in_the_letters_language(tmp_path):
    """The letter's only words of its own are its page numbers; its date stays ISO."""
    for language, page in (("en", "Page 1 of 1"), ("de", "Seite 1 von 1"),
                           ("fr", "Page 1 sur 1"), ("nl", "Pagina 1 van 1"),
                           ("es", "Página 1 de 1"), ("pt", "Page 1 of 1")):
        text = pdf_text(letter_pdf(TEXT, "Zahlungserinnerung", PERSON, FIRM, DAY,
                                   language=language), tmp_path)
        assert page in text and "2026-11-23" in text, language
