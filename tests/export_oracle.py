"""An independent reading of the accounting-system export fixtures (tests/data/exports/).

Each fixture is described as a person reading the file would describe it (a `Layout`: which
line holds the column headings, which column or heading rows name the customer, which column
is the open balance, which rows are totals, headings, footers, credits or drafts, which lines
are items of one invoice). `read_export` applies that description with the csv module and plain
string handling, nothing of Dunning's, so tests can hold the importer's figures against it.
Where the file carries its own total rows, `read_export` first checks its sums against them, and
every rule of a description must match some line: the file checks the reading.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal


class FixtureDisagrees(AssertionError):
    """The file contradicts its own description (a total that its rows do not add up to...)."""


@dataclass(frozen=True)
class Cell:
    """The cell under `column` (a heading; a position for unheaded columns) fully matches
    `pattern`, a regular expression ("" means blank). A `(?P<name>...)` group in a section
    total's pattern must equal the section's heading."""

    column: str | int
    pattern: str


def first(pattern: str) -> Cell:
    """The line's first cell fully matches `pattern`."""
    return Cell(0, pattern)


@dataclass(frozen=True)
class Alone:
    """Only the line's first cell is filled: a heading line."""


ALONE = Alone()
Condition = Cell | Alone


@dataclass(frozen=True)
class Skip:
    """Lines that are neither documents nor totals (footers, card details...)."""

    when: Condition


@dataclass(frozen=True)
class Heading:
    """A line that opens a section: its cell at `customer` (if given) names the customer of the
    lines below it; `total`, if given, is the column where it carries its section's total."""

    when: Condition
    customer: int | None = None
    total: str | None = None


@dataclass(frozen=True)
class Total:
    """A total line: of the section above it (since the last heading or total) or of the whole
    report; its `columns` (default: the balance column) equal the sums of the lines in scope."""

    when: Condition
    of: Literal["section", "report"]
    columns: tuple[str, ...] = ()


Rule = Skip | Heading | Total


@dataclass(frozen=True)
class Layout:
    """What the file looks like. Lines no rule matches are documents (or their line items)."""

    balance: str  # the column of what is still owed (a line's amount when `lines_add`)
    customer: str | None = None  # the column naming the customer; None: headings carry it
    header_line: int = 1  # 1-based line of the column headings
    rows: tuple[Rule, ...] = ()  # first matching rule wins; blank lines are always skipped
    credit: Cell | None = None  # credits shown positive: their amounts count negative
    leave_out: Cell | None = None  # lines nobody owes (drafts)
    settled: Cell | None = None  # lines of a paid document, whatever the balance column says
    lines_of: tuple[str, ...] = ()  # lines sharing these columns are items of one document
    lines_add: bool = False  # the items' balances add up (else each repeats the document's)
    decimal_comma: bool = False  # 1.250,00 and a trailing minus: 250,00-
    delimiter: str = ","


@dataclass
class Reading:
    """Per customer: the open balance and the number of documents; how many totals agreed."""

    balances: dict[str, float]
    counts: dict[str, int]
    totals_checked: int


def money(text: str, decimal_comma: bool = False) -> Decimal:
    """`$1,709.00`, `-$110.00`, `4500.0`, or with `decimal_comma` `3.400,50` and `250,00-`."""
    plain = text.strip()
    negative = plain.startswith("-") or (decimal_comma and plain.endswith("-"))
    plain = plain.strip("-").removeprefix("$")
    plain = plain.replace(".", "").replace(",", ".") if decimal_comma else plain.replace(",", "")
    if not re.fullmatch(r"\d+(\.\d+)?", plain):
        raise ValueError(f"not an amount: {text!r}")
    return -Decimal(plain) if negative else Decimal(plain)


@dataclass
class _Document:
    customer: str
    balance: Decimal
    line: int
    settled: bool = False


_Line = tuple[list[str], int, int]  # a document line's cells, its sign (-1: a credit), its number


@dataclass
class _Section:
    name: str | None = None
    lines: list[_Line] = field(default_factory=list)
    heading_total: tuple[Decimal, int] | None = None  # (carried total, its line)


class _Reader:
    """One file read by its layout: cells by column heading, amounts, and the totals check."""

    def __init__(self, path: Path, layout: Layout) -> None:
        self.name, self.layout, self.checked = path.name, layout, 0
        text = path.read_text(encoding="utf-8-sig").splitlines()
        header, *self.body = csv.reader(text[layout.header_line - 1:],
                                        delimiter=layout.delimiter)
        named = [name.strip() for name in header if name.strip()]
        if len(named) != len(set(named)):
            raise FixtureDisagrees(f"{self.name}: a column heading repeats")
        self.where = {name.strip(): i for i, name in enumerate(header) if name.strip()}

    def cell(self, cells: list[str], column: str | int) -> str:
        index = column if isinstance(column, int) else self.where[column]
        return cells[index].strip() if index < len(cells) else ""

    def matches(self, condition: Condition | None, cells: list[str]) -> re.Match[str] | bool:
        if condition is None:
            return False
        if isinstance(condition, Alone):
            return bool(cells[0].strip()) and not any(c.strip() for c in cells[1:])
        return re.fullmatch(condition.pattern, self.cell(cells, condition.column)) or False

    def rule(self, cells: list[str]) -> tuple[int | None, re.Match[str] | bool]:
        """The first rule the line matches (its number and match), or (None, False)."""
        for number, rule in enumerate(self.layout.rows):
            if found := self.matches(rule.when, cells):
                return number, found
        return None, False

    def amount(self, cells: list[str], column: str, line: int) -> Decimal:
        try:
            return money(self.cell(cells, column), self.layout.decimal_comma)
        except ValueError as error:
            raise FixtureDisagrees(f"{self.name} line {line}, {column}: {error}") from None

    def agree(self, carried: Decimal, lines: list[_Line], column: str, line: int) -> None:
        """The total `carried` on `line` equals the sum of `column` over `lines`."""
        added = sum((sign * self.amount(cells, column, at) for cells, sign, at in lines),
                    Decimal(0))
        if added != carried:
            raise FixtureDisagrees(f"{self.name} line {line}: {column} total {carried}, but its"
                                   f" lines add up to {added}")
        self.checked += 1

    def close(self, section: _Section) -> None:
        if section.heading_total is not None:
            carried, line = section.heading_total
            self.agree(carried, section.lines, self.layout.balance, line)


def read_export(path: Path, layout: Layout) -> Reading:
    """Apply `layout` to the file at `path`; raise FixtureDisagrees where the file disagrees."""
    reader = _Reader(path, layout)
    cell, matches, amount = reader.cell, reader.matches, reader.amount
    documents: dict[object, _Document] = {}
    report: list[_Line] = []
    section = _Section()
    customer: str | None = None
    used: set[int] = set()
    for line, cells in enumerate(reader.body, start=layout.header_line + 1):
        if not any(c.strip() for c in cells):
            continue
        number, found = reader.rule(cells)
        rule = None if number is None else layout.rows[number]
        if number is not None:
            used.add(number)
        if isinstance(rule, Skip):
            continue
        if isinstance(rule, Heading):
            reader.close(section)
            if rule.customer is not None:
                customer = cell(cells, rule.customer)
            section = _Section(name=customer if rule.customer is not None else cells[0].strip())
            if rule.total is not None:
                section.heading_total = (amount(cells, rule.total, line), line)
            continue
        if isinstance(rule, Total):
            scope = section.lines if rule.of == "section" else report
            for column in rule.columns or (layout.balance,):
                reader.agree(amount(cells, column, line), scope, column, line)
            name = found.groupdict().get("name") if isinstance(found, re.Match) else None
            if name is not None and name != section.name:
                raise FixtureDisagrees(f"{path.name} line {line}: a total for {name!r} closes"
                                       f" the section of {section.name!r}")
            if rule.of == "section":
                reader.close(section)
                section = _Section(name=section.name)
            continue
        if matches(layout.leave_out, cells):
            continue
        sign = -1 if matches(layout.credit, cells) else 1
        report.append((cells, sign, line))
        section.lines.append((cells, sign, line))
        who = cell(cells, layout.customer) if layout.customer else customer
        if not who:
            raise FixtureDisagrees(f"{path.name} line {line}: a document with no customer")
        balance = sign * amount(cells, layout.balance, line)
        key = tuple(cell(cells, c) for c in layout.lines_of) if layout.lines_of else line
        document = documents.get(key)
        if document is None:
            document = documents[key] = _Document(who, balance, line)
        elif document.customer != who:
            raise FixtureDisagrees(f"{path.name} lines {document.line} and {line}: one document,"
                                   f" two customers")
        elif layout.lines_add:
            document.balance += balance
        elif document.balance != balance:
            raise FixtureDisagrees(f"{path.name} lines {document.line} and {line}: the repeated"
                                   f" balance differs")
        document.settled |= bool(matches(layout.settled, cells))
    reader.close(section)
    unused = [rule for number, rule in enumerate(layout.rows) if number not in used]
    if unused:
        raise FixtureDisagrees(f"{path.name}: no line matches {unused}")

    balances: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for document in documents.values():
        owed = Decimal(0) if document.settled else document.balance
        balances[document.customer] = balances.get(document.customer, Decimal(0)) + owed
        counts[document.customer] = counts.get(document.customer, 0) + 1
    return Reading({who: float(owed) for who, owed in balances.items()}, counts, reader.checked)
