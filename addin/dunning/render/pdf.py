"""A small document builder on fpdf2: the one way Dunning writes a PDF.

Statements of account, letters and (later) the management pack are built from the same
few blocks: a page with a header line and a footer with page numbers, a title, paragraphs,
a key-value block, a table whose amount columns are right-aligned and whose header row is
repeated on every page it runs onto, and an optional PNG image. The text is set in the
bundled DejaVu Sans (regular and bold, and DejaVu Sans Mono for plain-text tables;
`dunning/render/fonts/`, with its licence), so any
name a ledger holds ("Łódź Sp. z o.o.", "€", "Ærø") prints without a system font.

Why fpdf2: pure Python (with fontTools and Pillow, both wheels on every platform), so it
installs from PyPI alone on Windows, macOS and Linux, with no GTK, Cairo or system fonts;
it embeds a subset of a TrueType font, and its tables repeat their headings across pages.

This module opens no file but the bundled font (through importlib.resources) and never
reads the clock: the document's date is given (`Document(created=...)`), so the same
inputs give the same bytes, which is what lets a reminder's attachment be regenerated
exactly on a rerun. `Document.bytes()` returns the PDF.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

FONT_FAMILY = "DejaVu"
MONO_FAMILY = "DejaVuMono"
FONT_FILES = {(FONT_FAMILY, ""): "DejaVuSans.ttf", (FONT_FAMILY, "B"): "DejaVuSans-Bold.ttf",
              (MONO_FAMILY, ""): "DejaVuSansMono.ttf"}
FONTS_FOLDER = "fonts"
PAGE_FORMATS = ("A4", "Letter")
BODY_SIZE = 10.0
SMALL_SIZE = 8.0
LINE = 5.0  # mm per line of body text


@dataclass(frozen=True)
class Attachment:
    """A file a message carries: its name as the reader sees it, its bytes, its MIME type."""

    filename: str
    data: bytes = field(repr=False)
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class Column:
    """A table column: its heading, its share of the width, and whether it holds amounts
    (right-aligned, so the decimal points line up)."""

    heading: str
    width: float = 1.0
    amount: bool = False


class _Pages(FPDF):
    """FPDF with Dunning's header line and footer ("Page 2 of 3")."""

    header_text = ""
    footer_text = ""
    page_label = "Page {page} of {pages}"

    def header(self) -> None:
        if not self.header_text:
            return
        self.set_font(FONT_FAMILY, "", SMALL_SIZE)
        self.set_text_color(110)
        self.cell(0, 4, self.header_text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, "", SMALL_SIZE)
        self.set_text_color(110)
        if self.footer_text:
            self.cell(0, 4, self.footer_text, align="L")
            self.set_x(self.l_margin)
        label = self.page_label.format(page=self.page_no(), pages="{nb}")
        self.cell(0, 4, label, align="R")
        self.set_text_color(0)


class Document:
    """One PDF being built, top to bottom; `bytes()` closes it.

    `created` is the document's date (its metadata and file identifier): given, never read
    from the clock, so the same content and date give the same bytes.
    """

    def __init__(self, *, created: dt.date | dt.datetime, title: str = "", author: str = "",
                 header: str = "", footer: str = "", page_format: str = "A4",
                 page_label: str = "Page {page} of {pages}",
                 margins: tuple[float, float, float] = (20.0, 15.0, 20.0)) -> None:
        if page_format not in PAGE_FORMATS:
            raise ValueError(f"page format must be one of {', '.join(PAGE_FORMATS)}")
        pdf = _Pages(orientation="P", unit="mm", format=page_format)
        moment = (created if isinstance(created, dt.datetime)
                  else dt.datetime.combine(created, dt.time(0)))
        pdf.set_creation_date(moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc))
        pdf.set_producer("Dunning (fpdf2)")
        pdf.set_title(title)
        pdf.set_author(author)
        pdf.set_creator("Dunning")
        left, top, right = margins
        pdf.set_margins(left, top, right)
        pdf.set_auto_page_break(True, margin=18)
        pdf.header_text, pdf.footer_text, pdf.page_label = header, footer, page_label
        _add_fonts(pdf)
        pdf.alias_nb_pages()
        pdf.add_page()
        pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
        self.pdf = pdf

    # -------------------------------------------------------------- blocks

    @property
    def width(self) -> float:
        """The width between the margins, in mm."""
        return self.pdf.epw

    def at(self, x: float, y: float) -> Document:
        """Move to a place on the page (mm from the top-left corner), e.g. an address window."""
        self.pdf.set_xy(x, y)
        return self

    def title(self, text: str, size: float = 16.0) -> Document:
        """A bold heading, on its own line."""
        self.pdf.set_font(FONT_FAMILY, "B", size)
        self.pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
        self.pdf.ln(2)
        return self

    def heading(self, text: str) -> Document:
        """A smaller bold heading before a block."""
        self.pdf.ln(2)
        return self.title(text, size=11.5)

    def paragraph(self, text: str, *, size: float = BODY_SIZE, bold: bool = False,
                  width: float = 0, space: float = 2.0) -> Document:
        """Text wrapped to the width (or `width` mm); line breaks in `text` are kept."""
        self.pdf.set_font(FONT_FAMILY, "B" if bold else "", size)
        x = self.pdf.get_x()
        self.pdf.multi_cell(width, size * 0.5, text, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.pdf.set_x(x)
        self.pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
        if space:
            self.pdf.ln(space)
        return self

    def lines(self, lines: Sequence[str], *, size: float = BODY_SIZE, width: float = 0,
              bold_first: bool = False, mono: bool = False) -> Document:
        """Lines one under another, each cut to its line (an address, a return line; `mono`:
        a plain-text table, in the bundled monospaced face so its columns line up)."""
        x = self.pdf.get_x()
        for index, line in enumerate(lines):
            if mono:
                self.pdf.set_font(MONO_FAMILY, "", size)
            else:
                self.pdf.set_font(FONT_FAMILY, "B" if bold_first and index == 0 else "", size)
            self.pdf.set_x(x)
            self.pdf.cell(width or 0, size * 0.45, _fit(self.pdf, line, width or self.width),
                          new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.pdf.set_x(x)
        self.pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
        return self

    def key_values(self, pairs: Sequence[tuple[str, str]], *, key_width: float = 45.0,
                   amounts: bool = False) -> Document:
        """Label: value lines, labels in bold in a column of their own."""
        for key, value in pairs:
            self.pdf.set_font(FONT_FAMILY, "B", BODY_SIZE)
            self.pdf.cell(key_width, LINE, key)
            self.pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
            width = self.width - key_width
            if amounts:
                self.pdf.cell(min(width, 45.0), LINE, value, align="R",
                              new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            else:
                self.pdf.multi_cell(width, LINE, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(2)
        return self

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], *,
              total: Sequence[str] | None = None, size: float = 8.5) -> Document:
        """A table: `columns` give headings, widths and which hold amounts; `rows` the cells
        as text. The header row repeats on every page the table runs onto; `total` is a
        last row in bold."""
        if any(len(row) != len(columns) for row in [*rows, *([total] if total else [])]):
            raise ValueError("every table row needs one cell per column")
        align = tuple("RIGHT" if column.amount else "LEFT" for column in columns)
        self.pdf.set_font(FONT_FAMILY, "", size)
        heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
        with self.pdf.table(col_widths=tuple(column.width for column in columns),
                            text_align=align, headings_style=heading, line_height=size * 0.55,
                            cell_fill_color=(246, 246, 246),
                            cell_fill_mode=TableCellFillMode.ROWS,
                            borders_layout="HORIZONTAL_LINES", padding=1) as table:
            top = table.row()
            for column in columns:
                top.cell(column.heading)
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(str(value))
            if total:
                cells = table.row()
                for value in total:
                    cells.cell(str(value), style=FontFace(emphasis="BOLD"))
        self.pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
        self.pdf.ln(3)
        return self

    def image(self, png: bytes, *, width: float = 0) -> Document:
        """A PNG image (a chart), `width` mm wide (default: the full width)."""
        self.pdf.image(io.BytesIO(png), w=width or self.width)
        self.pdf.ln(2)
        return self

    def space(self, mm: float = 4.0) -> Document:
        self.pdf.ln(mm)
        return self

    def rule(self) -> Document:
        """A thin line across the page."""
        y = self.pdf.get_y()
        self.pdf.set_draw_color(170)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.l_margin + self.width, y)
        self.pdf.set_draw_color(0)
        self.pdf.ln(2)
        return self

    def bytes(self) -> bytes:
        """The finished PDF."""
        return bytes(self.pdf.output())


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut with an ellipsis to fit `width` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _add_fonts(pdf: FPDF) -> None:
    """The bundled fonts, from the package (a checkout, a wheel or a zip alike).

    Reading a TrueType font's metrics takes a tenth of a second, and a run attaches a
    statement to every reminder; so each font is read once per process (`_parsed`) and
    each document gets a copy of it with its own fontTools object over the same bytes
    (fpdf2 subsets that object in place when it writes the file)."""
    for key, (font, data) in _parsed().items():
        copy = deepcopy(font)  # fpdf2's own copy: widths and glyph ids, a fresh subset
        copy.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
        copy._hbfont = None
        copy.i = len(pdf.fonts) + 1
        pdf.fonts[key] = copy


@lru_cache(maxsize=1)
def _parsed() -> dict[str, tuple[object, bytes]]:
    """fontkey -> (the font as fpdf2 reads it, the file's bytes), read once."""
    folder = resources.files("dunning.render").joinpath(FONTS_FOLDER)
    reader = FPDF()
    found = {}
    for (family, style), name in FONT_FILES.items():
        with resources.as_file(folder.joinpath(name)) as path:
            data = Path(path).read_bytes()
            reader.add_font(family, style, str(path))
        key = f"{family.lower()}{style}"
        found[key] = (reader.fonts[key], data)
    return found
