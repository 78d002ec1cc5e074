"""Charts drawn on a PDF page (dunning.render.pdf_charts): their labels read back as text,
their bars are where the values say, and the page's own colours are left as they were."""

from __future__ import annotations

import datetime as dt

from dunning.render.pdf import Column, Document
from dunning.render.pdf_charts import Box, bar_chart, line_chart, nice_ticks, short_number
from pdf_text import pdf_text

DAY = dt.date(2026, 11, 23)


def test_ticks_are_round_and_cover_the_values():
    assert nice_ticks(0, 35_500) == [0, 10_000, 20_000, 30_000, 40_000]
    assert nice_ticks(0, 58.4) == [0, 20, 40, 60]
    assert nice_ticks(-5, 12) == [-5, 0, 5, 10, 15]
    assert nice_ticks(0, 0) == [0, 0.25, 0.5, 0.75, 1.0]
    assert [short_number(v) for v in (35_500, 2_000_000, 58.4, 0)] == ["35.5k", "2M", "58.4",
                                                                       "0"]


def test_a_bar_chart_labels_each_bar_and_its_value(tmp_path):
    doc = Document(created=DAY)
    bar_chart(doc.pdf, Box(20, 30, 120, 60), "Aging (EUR)", ["Current", "1-30", "Over 120"],
              [26_300.0, 0.0, 35_500.0])
    text = pdf_text(doc.bytes(), tmp_path)
    assert "Aging (EUR)" in text
    assert any(line.split() == ["Current", "1-30", "Over", "120"] for line in text.splitlines())
    assert "26.3k" in text and "35.5k" in text and "40k" in text  # values and the top gridline


def test_a_line_chart_names_its_series_and_its_dates(tmp_path):
    doc = Document(created=DAY)
    days = [dt.date(2026, 9, 30), dt.date(2026, 10, 31), DAY]
    line_chart(doc.pdf, Box(20, 30, 120, 60), "DSO over time",
               days, [("DSO", [70.2, None, 58.4]), ("Best possible DSO", [29.0, 20.0, 13.9])])
    text = pdf_text(doc.bytes(), tmp_path)
    assert "DSO over time" in text and "Best possible DSO" in text
    assert "2026-09-30" in text and "2026-11-23" in text and "80" in text


def test_a_chart_leaves_the_page_s_colours_font_and_line_as_they_were():
    doc = Document(created=DAY)
    pdf = doc.pdf

    def state():
        return (pdf.fill_color, pdf.draw_color, pdf.text_color, pdf.line_width, pdf.font_family,
                pdf.font_size_pt)

    before = state()
    bar_chart(pdf, Box(20, 30, 80, 60), "T", ["a", "b"], [1.0, 2.0])
    line_chart(pdf, Box(100, 30, 80, 60), "T", [DAY], [("A", [1.0])])
    assert state() == before  # a table drawn next is filled as everywhere else
    doc.table([Column("A"), Column("B")], [["1", "2"], ["3", "4"]])
