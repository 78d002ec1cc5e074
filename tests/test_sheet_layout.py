"""Owned-sheet layouts: the stamp, list sheets that stay tables, widths that fit the content."""

from __future__ import annotations

import datetime as dt

from dunning.render.sheet_layout import fitted_widths, list_layout, made_line, shown_text

MADE = dt.datetime(2026, 3, 31, 8, 5, tzinfo=dt.timezone.utc)


def test_the_stamp_says_the_day_shown_and_the_moment_given():
    assert made_line(dt.date(2026, 3, 30), MADE) == (
        "Dunning, as of 2026-03-30; made 2026-03-31 08:05 UTC")
    assert made_line(None, MADE.replace(tzinfo=None)) == "Dunning, made 2026-03-31 08:05"


def test_a_list_sheet_keeps_its_headers_in_row_one_and_the_stamp_beside_them():
    rows = [["Customer", "Open Balance"], ["C1", 1234567.5], ["C2", 3.0]]
    layout = list_layout(rows, [None, "money"], "stamp")
    assert layout.rows[0] == ["Customer", "Open Balance", None, "stamp"]
    assert layout.rows[1:] == rows[1:]
    assert layout.kinds[0] == ["header", "header", None, "note"]
    assert layout.kinds[1] == [None, "money"]
    assert layout.freeze == (1, 0)


def test_widths_fit_what_the_cells_show_and_titles_spill_over():
    rows = [["A long title that spills over"], ["Name", "Amount", "Share", "Day"],
            ["Short", 1234567.891, 0.5, dt.date(2026, 1, 1)]]
    kinds = [["title"], ["header"] * 4, ["text", "money:EUR", "percent", "date"]]
    widths = fitted_widths(rows, kinds)
    assert widths[1] >= len("1,234,567.89 EUR")
    assert widths[2] >= len("Share") + 2 and widths[3] >= 10
    assert widths[0] < len(rows[0][0])


def test_shown_text_formats_by_kind():
    assert shown_text(58.4261, "days") == "58.4"
    assert shown_text(60.0, "points") == "60.0" and shown_text(72.5, "points") == "72.5"
    assert shown_text(0.886232, "percent") == "88.6%"
    assert shown_text(690077, "money") == "690,077.00"
