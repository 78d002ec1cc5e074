"""Rows and cells of a sheet part, parsed only where an edit needs them.

A sheet can hold a million rows; the writer parses the few rows it changes and
keeps every other byte of the sheet as it was, including cells it moves (only
their `r` attribute changes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dunning.io.xlsx.markup import get_attr, remove_attr, set_attr
from dunning.io.xlsx.refs import cell_name, split_cell

# Row attributes a new row copies from the row above: its look, not its state.
COPIED_ROW_ATTRS = (
    "s",
    "customFormat",
    "ht",
    "customHeight",
    "thickTop",
    "thickBot",
    "x14ac:dyDescent",
)


@dataclass
class RawCell:
    """One `<c>` element, kept as written."""

    col: int
    xml: str

    @property
    def tag(self) -> str:
        return self.xml[: self.xml.index(">") + 1]

    @property
    def style(self) -> int:
        return int(get_attr(self.tag, "s") or 0)

    def has_content(self, prefix: str) -> bool:
        """Does the cell hold a value or a formula (not just a style)?"""
        return re.search(rf"<{prefix}(v|f|is)[\s>/]", self.xml) is not None

    def has_formula(self, prefix: str) -> bool:
        return re.search(rf"<{prefix}f[\s>/]", self.xml) is not None

    def moved_to(self, row: int) -> RawCell:
        """The same cell at another row (its formula, if any, is kept as written)."""
        tag = self.tag
        return RawCell(
            self.col, set_attr(tag, "r", cell_name(row, self.col)) + self.xml[len(tag) :]
        )


@dataclass
class Row:
    """One `<row>`: its start tag and its cells by column."""

    number: int
    tag: str
    cells: dict[int, RawCell] = field(default_factory=dict)

    @classmethod
    def new(cls, number: int, prefix: str, like: Row | None = None) -> Row:
        """An empty row, looking like `like` (height and row style) when given."""
        tag = f'<{prefix}row r="{number}">'
        if like is not None:
            for name in COPIED_ROW_ATTRS:
                value = get_attr(like.tag, name)
                if value is not None:
                    tag = set_attr(tag, name, value)
        return cls(number, tag)

    def moved_to(self, number: int) -> Row:
        cells = {col: cell.moved_to(number) for col, cell in self.cells.items()}
        return Row(number, self.tag, cells)

    def xml(self, prefix: str) -> str:
        tag = set_attr(self.tag, "r", str(self.number))
        if self.cells and get_attr(tag, "spans") is not None:
            tag = set_attr(tag, "spans", f"{min(self.cells)}:{max(self.cells)}")
        elif not self.cells:
            tag = remove_attr(tag, "spans")
        if tag.endswith("/>"):
            tag = tag[:-2].rstrip() + ">"
        cells = "".join(self.cells[col].xml for col in sorted(self.cells))
        return f"{tag}{cells}</{prefix}row>"


def parse_row(xml: str, number: int, prefix: str) -> Row:
    """A `<row>` element (its text) as a Row numbered `number`."""
    tag_end = xml.index(">") + 1
    tag = xml[:tag_end]
    row = Row(number, tag)
    if tag.endswith("/>"):
        return row
    col = 0
    pattern = re.compile(rf"<{prefix}c(?=[\s>/])[^>]*?(?:/>|>.*?</{prefix}c>)", re.S)
    for match in pattern.finditer(xml, tag_end):
        cell_xml = match.group(0)
        ref = get_attr(cell_xml[: cell_xml.index(">") + 1], "r")
        col = split_cell(ref)[1] if ref else col + 1
        if ref is None:
            start = cell_xml.index(">") + 1
            cell_xml = set_attr(cell_xml[:start], "r", cell_name(number, col)) + cell_xml[start:]
        row.cells[col] = RawCell(col, cell_xml)
    return row
