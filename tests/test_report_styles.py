"""Layout kinds as the writer's styles: the number format codes an accountant expects."""

from __future__ import annotations

from dunning.io.report_styles import cell_style, format_runs, number_format, sheet_format
from dunning.render.sheet_layout import SheetLayout


def test_number_formats_by_kind():
    assert number_format("money") == "#,##0.00"
    assert number_format("money:EUR") == '#,##0.00 "EUR";-#,##0.00 "EUR"'
    assert number_format("percent") == "0.0%"
    assert number_format("days") == "0.0"
    assert number_format("points") == "0.0"  # a worklist score: 60.0 beside 72.5
    assert number_format("date", "dd.mm.yyyy") == "dd.mm.yyyy"
    assert number_format("datetime") == "yyyy-mm-dd hh:mm"
    assert number_format("text") is None and number_format(None) is None


def test_headers_and_notes_look_different():
    header, note = cell_style("header"), cell_style("note")
    assert header.bold and header.fill
    assert note.italic and not note.bold


def test_a_layout_becomes_a_sheet_format_and_runs_for_a_live_host():
    layout = SheetLayout([["H", "V"], ["a", 1.0], ["b", 2.0]],
                         [["header", "header"], ["text", "days"], ["text", "days"]],
                         [8.0, 9.0], (1, 0))
    shaped = sheet_format(layout)
    assert shaped.widths == (8.0, 9.0) and shaped.freeze == (1, 0)
    assert shaped.styles[1][1].number_format == "0.0"
    assert format_runs(layout) == [((2, 3, 2), "0.0")]
