"""The charts Refresh draws on the Charts sheet, from its cells and the KPIHistory table.

Four native charts of one currency: the aging by bucket (columns), the largest
overdue balances (bars, largest at the top), and DSO and CEI over time (lines
over that currency's rows of KPIHistory, which Refresh keeps together).
"""

from __future__ import annotations

from collections.abc import Sequence

from dunning.core.kpi_history import HISTORY_HEADERS, currency_rows
from dunning.io import Chart, Series, range_ref
from dunning.render.report_sheets import AGING_FIRST, CHARTS_SHEET, HISTORY_SHEET

LEFT, MIDDLE, RIGHT = 4, 13, 22
"""Columns (from 0) the charts sit between: E to M and N to V."""
TOP, HALF, BOTTOM = 2, 19, 36
"""Rows (from 0) the charts sit between: below the title and the made line, kept in view."""
DATES = "yyyy-mm-dd"


def report_charts(rows: Sequence[Sequence[object]], history: Sequence[Sequence[object]],
                  currency: str) -> list[Chart]:
    """The Charts sheet's charts for its `rows` (`charts_sheet`) and the merged history."""
    shown = currency or "all items"
    buckets_end = AGING_FIRST
    while buckets_end <= len(rows) and rows[buckets_end - 1]:
        buckets_end += 1
    last_bucket = buckets_end - 1
    top_first = buckets_end + 2
    top_last = len(rows)
    charts = [
        Chart("column", f"Aging by days past due ({shown})",
              (Series(f"Open amount {currency}".strip(), _ref(CHARTS_SHEET, "B", AGING_FIRST,
                                                              last_bucket),
                      _ref(CHARTS_SHEET, "A", AGING_FIRST, last_bucket)),),
              (LEFT, TOP, MIDDLE, HALF)),
    ]
    if top_last >= top_first:
        charts.append(Chart(
            "bar", f"Largest overdue balances ({shown})",
            (Series(f"Overdue {currency}".strip(), _ref(CHARTS_SHEET, "C", top_first, top_last),
                    _ref(CHARTS_SHEET, "B", top_first, top_last)),),
            (MIDDLE, TOP, RIGHT, HALF)))
    block = currency_rows(history, currency)
    if block is not None:
        first, last = block[0] + 2, block[1] + 2  # the table's header is row 1
        column = {name: chr(ord("A") + index) for index, name in enumerate(HISTORY_HEADERS)}
        dates = _ref(HISTORY_SHEET, "A", first, last)
        charts.append(Chart(
            "line", f"DSO over time ({shown})",
            tuple(Series(name, _ref(HISTORY_SHEET, column[name], first, last), dates)
                  for name in ("DSO", "Best Possible DSO")),
            (LEFT, HALF, MIDDLE, BOTTOM), number_format="0", category_format=DATES))
        charts.append(Chart(
            "line", f"CEI over time, last 30 days ({shown})",
            (Series("CEI", _ref(HISTORY_SHEET, column["CEI Last 30 Days"], first, last),
                    dates),), (MIDDLE, HALF, RIGHT, BOTTOM), number_format="0%",
            category_format=DATES))
    return charts


def _ref(sheet: str, column: str, first: int, last: int) -> str:
    """An absolute range reference of rows `first` to `last` of one column."""
    number = ord(column) - ord("A") + 1
    return range_ref(sheet, first, number, last, number)
