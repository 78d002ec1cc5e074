"""Bar and line charts drawn straight onto a PDF page, with fpdf2's own rectangles, lines and
text: no plotting library, no image, and the labels stay text a reader (or pdftotext) finds.

A chart fills a box given in mm (`Box`) on the `Document`'s page: a title line, a value axis
with a few round gridlines, and the bars or lines. Amounts are labelled with the caller's
formatter, so money reads as the rest of the document does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fpdf import FPDF

from dunning.render.pdf import FONT_FAMILY

BAR = (46, 94, 152)
LINES = ((46, 94, 152), (214, 120, 40), (90, 150, 70))
GRID = 215
AXIS_TEXT = 6.5  # pt
TITLE_TEXT = 9.0


@dataclass(frozen=True)
class Box:
    """Where a chart goes: left and top edge, width and height, in mm."""

    x: float
    y: float
    width: float
    height: float


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round gridline values from `low` to just above `high` (0, 5k, 10k, ...)."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9:
        ticks.append(ticks[-1] + step)
    return [round(tick, 10) for tick in ticks]


def short_number(value: float) -> str:
    """An axis label: 12,500 -> 12.5k, 2,000,000 -> 2M."""
    size = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def bar_chart(pdf: FPDF, box: Box, title: str, labels: Sequence[str],
              values: Sequence[float], *, label: Callable[[float], str] = short_number) -> None:
    """Vertical bars, one per label, each with its value above it."""
    with pdf.local_context():  # colours, font and line width are the page's again after
        _bars(pdf, box, title, labels, values, label)


def _bars(pdf: FPDF, box: Box, title: str, labels: Sequence[str], values: Sequence[float],
          label: Callable[[float], str]) -> None:
    plot = _frame(pdf, box, title, min(0.0, *values) if values else 0.0,
                  max(0.0, *values) if values else 1.0)
    if not values:
        return
    slot = plot.width / len(values)
    pdf.set_fill_color(*BAR)
    for index, (name, value) in enumerate(zip(labels, values, strict=True)):
        left = plot.x + index * slot + slot * 0.15
        top, bottom = sorted((plot.y_of(value), plot.y_of(0.0)))
        if bottom - top > 0.05:
            pdf.rect(left, top, slot * 0.7, bottom - top, style="F")
        _text(pdf, left + slot * 0.35, top - 1.0, label(value), align="C")
        _text(pdf, left + slot * 0.35, plot.bottom + 3.0, name, align="C")


def line_chart(pdf: FPDF, box: Box, title: str, days: Sequence[dt.date],
               series: Sequence[tuple[str, Sequence[float | None]]]) -> None:
    """Lines over dates (a point where a series has one value), with a legend."""
    with pdf.local_context():
        _lines(pdf, box, title, days, series)


def _lines(pdf: FPDF, box: Box, title: str, days: Sequence[dt.date],
           series: Sequence[tuple[str, Sequence[float | None]]]) -> None:
    known = [value for _, values in series for value in values if value is not None]
    plot = _frame(pdf, box, title, min([0.0, *known]), max([1.0, *known]))
    if not days:
        return
    first, last = min(days), max(days)
    span = max((last - first).days, 1)

    def x_of(day: dt.date) -> float:
        if first == last:
            return plot.x + plot.width / 2
        return plot.x + plot.width * (day - first).days / span

    for number, (name, values) in enumerate(series):
        color = LINES[number % len(LINES)]
        pdf.set_draw_color(*color)
        pdf.set_fill_color(*color)
        pdf.set_line_width(0.5)
        points = [(x_of(day), plot.y_of(value)) for day, value in zip(days, values, strict=True)
                  if value is not None]
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            pdf.line(x0, y0, x1, y1)
        for x, y in points:
            pdf.ellipse(x - 0.7, y - 0.7, 1.4, 1.4, style="F")
        legend_x = plot.x + 2 + number * 40
        pdf.rect(legend_x, box.y + 6.0, 3, 1.2, style="F")
        _text(pdf, legend_x + 4, box.y + 7.2, name)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0)
    shown = sorted(set(days))
    if len(shown) > 5:
        step = math.ceil((len(shown) - 1) / 4)
        shown = [*shown[:-1:step], shown[-1]]
    pdf.set_font(FONT_FAMILY, "", AXIS_TEXT)
    room = pdf.get_string_width("2026-12-31") + 2.0
    kept = [shown[-1]]
    for day in reversed(shown[:-1]):  # the last date always shows; none overlaps the next
        if x_of(kept[-1]) - x_of(day) >= room:
            kept.append(day)
    for day in kept:
        _text(pdf, x_of(day), plot.bottom + 3.0, f"{day:%Y-%m-%d}", align="C")


@dataclass(frozen=True)
class _Plot:
    x: float
    y: float
    width: float
    bottom: float
    low: float
    high: float

    def y_of(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.bottom - share * (self.bottom - self.y)


def _frame(pdf: FPDF, box: Box, title: str, low: float, high: float) -> _Plot:
    """The title, the gridlines with their values, and the plot area inside them."""
    pdf.set_font(FONT_FAMILY, "B", TITLE_TEXT)
    pdf.set_xy(box.x, box.y)
    pdf.cell(box.width, 4, title)
    ticks = nice_ticks(low, high)
    plot = _Plot(box.x + 11, box.y + 11, box.width - 13, box.y + box.height - 6,
                 ticks[0], ticks[-1])
    pdf.set_line_width(0.2)
    for tick in ticks:
        y = plot.y_of(tick)
        pdf.set_draw_color(GRID if tick else 120)
        pdf.line(plot.x, y, plot.x + plot.width, y)
        _text(pdf, plot.x - 1.0, y + 1.0, short_number(tick), align="R")
    pdf.set_draw_color(0)
    pdf.set_font(FONT_FAMILY, "", 10)
    return plot


def _text(pdf: FPDF, x: float, y: float, text: str, *, align: str = "L") -> None:
    """Small text with its baseline at y, starting, centred or ending at x."""
    pdf.set_font(FONT_FAMILY, "", AXIS_TEXT)
    pdf.set_text_color(60)
    width = pdf.get_string_width(text)
    left = {"L": x, "C": x - width / 2, "R": x - width}[align]
    pdf.text(left, y, text)
    pdf.set_text_color(0)
