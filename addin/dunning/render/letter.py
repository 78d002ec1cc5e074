"""A reminder as a print-ready letter: A4, addressed for a window envelope.

The layout follows DIN 5008 form B, which fits C5/6 and DL window envelopes (window 45 mm
from the top and 20 mm from the left edge): the address field is 85 x 45 mm at 20 mm from
the left and 45 mm from the top, its first 17.7 mm holding the firm's return line in small
type, the recipient's address below it (at most six lines); fold marks at 105 and 210 mm
and the punch mark at 148.5 mm on the left edge. The letter's text is the email's plain
text, unchanged, so a letter says exactly what the email would have said.

Like the statement it reads no file but the bundled font and no clock: the date is given
(ISO, as in the email). Its only words of its own, the page numbers, are in the customer's
language (the words files' statement.page).
"""

from __future__ import annotations

import datetime as dt
import re

from dunning.render.pdf import Document
from dunning.render.statement import Addressee, Firm
from dunning.render.words import statement_labels_for

ADDRESS_LEFT = 25.0  # mm: the field starts at 20 mm, its text 5 mm in
ADDRESS_TOP = 45.0
RETURN_LINE_TOP = ADDRESS_TOP + 12.0  # the last line of the 17.7 mm zone for remarks
RECIPIENT_TOP = ADDRESS_TOP + 17.7
ADDRESS_WIDTH = 80.0
ADDRESS_LINES = 6
TEXT_TOP = 103.4  # DIN 5008 form B: the text after the information block
FOLD_MARKS = (105.0, 210.0)
PUNCH_MARK = 148.5


def recipient_lines(addressee: Addressee) -> list[str]:
    """The lines in the window: name, for the attention of the contact, the address."""
    lines = [addressee.shown_name]
    if addressee.contact and addressee.contact != addressee.shown_name:
        lines.append(addressee.contact)
    lines += list(addressee.address)
    if len(lines) > ADDRESS_LINES:  # the window holds six: keep the name and the last lines
        lines = [lines[0], *lines[-(ADDRESS_LINES - 1):]]
    return lines


def return_line(firm: Firm) -> str:
    """The sender in one line above the address: "Firm · Street · Town"."""
    return " · ".join(part for part in (firm.name, *firm.address) if part)


def letter_pdf(text: str, subject: str, addressee: Addressee, firm: Firm, date: dt.date, *,
               language: str = "en") -> bytes:
    """The letter as PDF bytes: `text` (the email's plain text) under `subject`, dated `date`,
    its page numbers in `language` (the email's)."""
    doc = Document(created=date, title=subject, author=firm.name,
                   page_label=statement_labels_for(language).page,
                   margins=(ADDRESS_LEFT, 15.0, 20.0))
    pdf = doc.pdf
    if firm.name:  # the letterhead, right-aligned above the address field
        pdf.set_xy(110, 15)
        doc.lines([firm.name, *firm.address], size=9, width=80, bold_first=True)
    for y, length in ((FOLD_MARKS[0], 5.0), (PUNCH_MARK, 7.0), (FOLD_MARKS[1], 5.0)):
        pdf.set_draw_color(150)
        pdf.line(3.0, y, 3.0 + length, y)
        pdf.set_draw_color(0)
    line = return_line(firm)
    if line:
        doc.at(ADDRESS_LEFT, RETURN_LINE_TOP).lines([line], size=6.5, width=ADDRESS_WIDTH)
        pdf.set_draw_color(150)
        pdf.line(ADDRESS_LEFT, RECIPIENT_TOP - 1.5, ADDRESS_LEFT + ADDRESS_WIDTH,
                 RECIPIENT_TOP - 1.5)
        pdf.set_draw_color(0)
    doc.at(ADDRESS_LEFT, RECIPIENT_TOP).lines(recipient_lines(addressee), size=10,
                                               width=ADDRESS_WIDTH)
    doc.at(ADDRESS_LEFT, TEXT_TOP - 10.0)
    pdf.cell(doc.width, 5, f"{date:%Y-%m-%d}", align="R")
    doc.at(ADDRESS_LEFT, TEXT_TOP).paragraph(subject, bold=True, space=4)
    for tabular, block in text_blocks(text):
        if tabular:
            doc.lines(block, size=7.5, mono=True).space(2)
        else:
            doc.paragraph("\n".join(block), space=2)
    return doc.bytes()


_TABULAR = re.compile(r"\S {2,}\S|^-{3,}|^\s*-{3,} ")


def text_blocks(text: str) -> list[tuple[bool, list[str]]]:
    """The email's text cut into paragraphs and plain-text tables (lines whose columns are
    set apart by runs of spaces, or rules of dashes), each as (is a table, its lines)."""
    blocks: list[tuple[bool, list[str]]] = []
    for line in text.strip().splitlines():
        tabular = bool(_TABULAR.search(line))
        if blocks and blocks[-1][0] == tabular and (tabular or line.strip()):
            blocks[-1][1].append(line)
        elif line.strip() or tabular:
            blocks.append((tabular, [line]))
        elif blocks and blocks[-1][1]:
            blocks.append((False, []))  # a blank line ends a paragraph
    return [(tabular, lines) for tabular, lines in blocks if lines]
