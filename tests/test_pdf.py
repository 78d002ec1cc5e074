"""The PDF builder (dunning.render.pdf): text in any script, tables across pages, same bytes."""

import datetime as dt
import io
import re

import pytest

from dunning.render.pdf import Column, Document
from pdf_text import pdf_text, word_boxes

DAY = dt.date(2026, 11, 23)


def test_names_in_any_script_print_with_the_bundled_font(tmp_path):
    doc = Document(created=DAY, title="Łódź", header="Ærø Handel ApS")
    doc.title("Łódź Sp. z o.o. owes € 1,234.50").paragraph("Ελληνικά, Русский, Çağrı, Øre, ß")
    text = pdf_text(doc.bytes(), tmp_path)
    for expected in ("Łódź Sp. z o.o. owes € 1,234.50", "Ελληνικά, Русский, Çağrı, Øre, ß",
                     "Ærø Handel ApS", "Page 1 of 1"):
        assert expected in text


def test_a_long_table_repeats_its_headings_on_every_page_and_aligns_amounts(tmp_path):
    rows = [[f"INV-{n:04d}", f"{n * 1234.5:,.2f}"] for n in range(1, 161)]
    doc = Document(created=DAY, footer="Statement")
    doc.table([Column("Invoice", 2), Column("Amount", 1, amount=True)], rows,
              total=["Total", "99,999.00"])
    data = doc.bytes()
    text = pdf_text(data, tmp_path)
    pages = text.split("\f")
    pages = [page for page in pages if page.strip()]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert re.search(r"^\s*Invoice\s+Amount\s*$", page, re.MULTILINE), f"page {number}"
        assert f"Page {number} of {len(pages)}" in page
    found = [line for line in text.splitlines() if re.match(r"\s*INV-\d{4}\s", line)]
    assert len(found) == len(rows)
    assert [line.split()[1] for line in found] == [row[1] for row in rows]
    amounts = {row[1] for row in rows}
    edges = [right for word, _left, right, _top in word_boxes(data, tmp_path) if word in amounts]
    assert len(edges) == len(rows)
    assert max(edges) - min(edges) < 0.5  # right-aligned: every amount ends at one edge


def test_the_same_content_and_date_give_the_same_bytes():
    def build(day):
        doc = Document(created=day, title="T")
        doc.key_values([("Customer", "Łódź Sp. z o.o."), ("Balance", "EUR 2,340.75")])
        return doc.bytes()

    assert build(DAY) == build(DAY)
    assert build(DAY) != build(DAY + dt.timedelta(days=1))
    assert build(DAY).startswith(b"%PDF-")


def test_an_image_is_placed_from_png_bytes(tmp_path):
    image = pytest.importorskip("PIL.Image", reason="Pillow comes with fpdf2")
    png = io.BytesIO()
    image.new("RGB", (40, 20), (200, 30, 30)).save(png, format="PNG")
    doc = Document(created=DAY)
    doc.paragraph("Chart").image(png.getvalue(), width=40)
    data = doc.bytes()
    assert b"/Subtype /Image" in data
    assert "Chart" in pdf_text(data, tmp_path)


def test_a_table_row_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError, match="one cell per column"):
        Document(created=DAY).table([Column("A"), Column("B")], [["only one"]])
