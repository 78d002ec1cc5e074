"""How a sheet Dunning writes reads as a report: what each cell is, column widths, the stamp.

The rows of an owned sheet (Aging, KPIs, Worklist, Outbox, PaymentPlans,
KPIHistory, Charts) are values; a `SheetLayout` adds what each cell is (a
title, a header, money in a currency, a percentage, days, a date...), the
column widths that fit the content, and the rows and columns kept in view. The
workbook hosts turn the kinds into their own formats (`dunning.io.report_styles`),
so one description serves the file writer and the book open in Excel. A layout
describes its rows from their first cell: a host asked to write them lower on the
sheet (`at`, the PaymentPlans a user placed below a title) places the kinds, the
widths (from that column) and the frozen rows (down to that row) there too.

Kinds: "title", "subtitle", "note", "header", "text", "count", "number" (two
decimals), "days" (one decimal), "points" (one decimal: a worklist score and its
parts, each a tenth at the finest, so the parts shown add up to the score shown),
"percent" (a fraction shown as 12.3%), "date", "datetime", "money" (two decimals,
thousands separated) and "money:EUR" (the same with its currency code shown).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_WIDTH = 6.0
MAX_WIDTH = 60.0
DATE_WIDTH = 10
"""Characters a date takes (yyyy-mm-dd, dd.mm.yyyy, mm/dd/yyyy)."""
_SPANNING = ("title", "subtitle", "note")
"""Kinds that overflow into the empty cells beside them and so set no column width."""


@dataclass(frozen=True)
class SheetLayout:
    """An owned sheet: its rows, a kind per cell (None: as written), widths, frozen pane."""

    rows: list[list[object]]
    kinds: list[list[str | None]]
    widths: list[float]
    freeze: tuple[int, int] | None = None
    one_page: bool = False
    """Printed on one landscape page (the Charts sheet)."""


def made_line(as_of: dt.date | None, made: dt.datetime) -> str:
    """The line that says which day a sheet shows and when it was made (the moment given)."""
    when = made.strftime("%Y-%m-%d %H:%M")
    zone = made.strftime("%Z") if made.tzinfo is not None else ""
    shown = f"{when} {zone}".rstrip()
    day = f"as of {as_of:%Y-%m-%d}; " if as_of is not None else ""
    return f"Dunning, {day}made {shown}"


def list_layout(rows: Sequence[Sequence[object]], column_kinds: Sequence[str | None],
                stamp: str) -> SheetLayout:
    """A list sheet: headers in row 1 (kept in view), one kind per column, the stamp beside
    the headers after one empty column, so the rows stay a plain table to read back."""
    body = [list(row) for row in rows]
    width = max((len(row) for row in body), default=0)
    kinds: list[list[str | None]] = [["header"] * len(body[0])] if body else []
    kinds += [[column_kinds[i] if i < len(column_kinds) else None for i in range(len(row))]
              for row in body[1:]]
    if body:
        body[0] = [*body[0], *[None] * (width - len(body[0])), None, stamp]
        kinds[0] = [*kinds[0], *[None] * (width - len(kinds[0])), None, "note"]
    return SheetLayout(body, kinds, fitted_widths(body, kinds), (1, 0) if body else None)


def fitted_widths(rows: Sequence[Sequence[object]],
                  kinds: Sequence[Sequence[str | None]]) -> list[float]:
    """Column widths that show every cell whole (titles and notes may spill over)."""
    width = max((len(row) for row in rows), default=0)
    widths = [MIN_WIDTH] * width
    for row, row_kinds in zip(rows, kinds, strict=False):
        for index, value in enumerate(row):
            kind = row_kinds[index] if index < len(row_kinds) else None
            if kind in _SPANNING or value is None or value == "":
                continue
            shown = len(shown_text(value, kind)) + (2 if kind == "header" else 1)
            widths[index] = max(widths[index], min(MAX_WIDTH, shown + 1.0))
    return widths


def shown_text(value: object, kind: str | None) -> str:
    """About what a cell of this kind shows, to fit its column."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, dt.datetime):
            return "x" * (DATE_WIDTH + 6)
        if isinstance(value, dt.date):
            return "x" * DATE_WIDTH
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return str(value)
    if kind is not None and kind.startswith("money"):
        code = kind.partition(":")[2]
        return f"{number:,.2f}" + (f" {code}" if code else "")
    if kind == "percent":
        return f"{number * 100:,.1f}%"
    if kind in ("days", "points"):
        return f"{number:,.1f}"
    if kind == "count":
        return f"{number:,.0f}"
    if kind == "number":
        return f"{number:,.2f}"
    return f"{number:g}"
