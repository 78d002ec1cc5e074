"""A worksheet part as text: find rows, splice rows, and adjust the ranges that follow a table.

Everything outside `<sheetData>` (views, columns, drawings, validations, extLst
with sparklines and Excel 2010 features) stays as written, apart from the
`<dimension>` and the few `sqref` ranges an append grows.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from dunning.io.xlsx.markup import find_element, get_attr, root_prefix, set_attr
from dunning.io.xlsx.refs import Area, col_name, grow_sqref
from dunning.io.xlsx.rows import Row, parse_row


@dataclass(frozen=True)
class RowSpan:
    number: int
    start: int
    end: int


class Worksheet:
    """The text of one worksheet part, edited in place."""

    def __init__(self, xml: str, name: str) -> None:
        self.name = name
        self.text = xml
        self.prefix = root_prefix(xml, "worksheet")
        self._bounds: tuple[int, int] | None = None
        self._numbered: bool | None = None
        self._spans: tuple[int, int, list[RowSpan], int] | None = None  # until the text changes
        self._row_tag = re.compile(rf"<{self.prefix}row(?=[\s>/])[^>]*>")
        p = self.prefix
        empty = re.search(rf"<{p}sheetData\s*/>", self.text)
        if empty is not None:
            self.text = (
                self.text[: empty.start()]
                + f"<{p}sheetData></{p}sheetData>"
                + self.text[empty.end() :]
            )
        if re.search(rf"<{p}sheetData[\s>]", self.text) is None:
            raise ValueError(f"sheet {name} has no <sheetData>")

    # Rows ------------------------------------------------------------------

    def _data_bounds(self) -> tuple[int, int]:
        if self._bounds is None:
            p = self.prefix
            opened = re.search(rf"<{p}sheetData\b[^>]*>", self.text)
            assert opened is not None
            close = self.text.index(f"</{p}sheetData>", opened.end())
            self._bounds = opened.end(), close
        return self._bounds

    def _changed(self, text: str) -> None:
        self.text = text
        self._bounds = None
        self._numbered = None
        self._spans = None

    def _row_end(self, match: re.Match[str]) -> int:
        if match.group(0).endswith("/>"):
            return match.end()
        close = f"</{self.prefix}row>"
        return self.text.index(close, match.end()) + len(close)

    def _all_rows_numbered(self) -> bool:
        """Do rows carry `r`? Then they are sorted and can be found by bisection.

        Writers number either every row or none, so the first and last rows tell.
        """
        if self._numbered is None:
            start, end = self._data_bounds()
            first = self._row_tag.search(self.text, start, end)
            last_start = self.text.rfind(f"<{self.prefix}row", start, end)
            last = self._row_tag.match(self.text, last_start) if last_start >= 0 else None
            self._numbered = all(
                match is None or get_attr(match.group(0), "r") for match in (first, last)
            )
        return self._numbered

    def _row_after(self, offset: int) -> tuple[re.Match[str], int] | None:
        """The first row starting at or after `offset`, and its number."""
        match = self._row_tag.search(self.text, offset, self._data_bounds()[1])
        if match is None:
            return None
        return match, int(get_attr(match.group(0), "r") or 0)

    def _spans_between(self, low: int, high: int) -> tuple[list[RowSpan], int]:
        """Rows numbered `low..high`, and where a row after them would start.

        Rows are in ascending order in the part (the schema requires it), so the
        first row at or after `low` is found by bisecting the text: a few dozen
        regex searches instead of a walk through a million rows.
        """
        start, end = self._data_bounds()
        if not self._all_rows_numbered():
            spans = [span for span in self._walk() if span.number >= low]
            inside = [span for span in spans if span.number <= high]
            later = [span for span in spans if span.number > high]
            return inside, later[0].start if later else end
        lo, hi = start, end
        while lo < hi:
            mid = (lo + hi) // 2
            found = self._row_after(mid)
            if found is None or found[1] >= low:
                hi = mid
            else:
                lo = found[0].start() + 1
        spans = []
        position = lo
        while True:
            found = self._row_after(position)
            if found is None:
                return spans, end
            match, number = found
            if number > high:
                return spans, match.start()
            position = self._row_end(match)
            spans.append(RowSpan(number, match.start(), position))

    def _walk(self) -> list[RowSpan]:
        """Every row, numbered as the schema says when `r` is missing (previous + 1)."""
        start, end = self._data_bounds()
        spans = []
        number = 0
        position = start
        while True:
            match = self._row_tag.search(self.text, position, end)
            if match is None:
                return spans
            r = get_attr(match.group(0), "r")
            number = int(r) if r else number + 1
            position = self._row_end(match)
            spans.append(RowSpan(number, match.start(), position))

    def rows(self, low: int, high: int) -> dict[int, Row]:
        """The rows numbered `low..high` that exist in the part."""
        spans, _ = self._spans_between(low, high)
        return {
            span.number: parse_row(self.text[span.start : span.end], span.number, self.prefix)
            for span in spans
        }

    def replace_rows(self, low: int, high: int, rows: dict[int, Row]) -> None:
        """Put `rows` in place of every existing row numbered `low..high`."""
        spans, after = self._spans_between(low, high)
        start, end = (spans[0].start, spans[-1].end) if spans else (after, after)
        new = "".join(rows[number].xml(self.prefix) for number in sorted(rows))
        self._changed(self.text[:start] + new + self.text[end:])

    def _spans_once(self, low: int, high: int) -> tuple[list[RowSpan], int]:
        """`_spans_between`, remembered until the text changes (find, then put, the same rows)."""
        if self._spans is None or self._spans[:2] != (low, high):
            spans, after = self._spans_between(low, high)
            self._spans = (low, high, spans, after)
        return self._spans[2], self._spans[3]

    def rows_numbered(self, numbers: set[int]) -> dict[int, Row]:
        """The rows with these numbers that exist in the part, the others left unparsed."""
        spans, _ = self._spans_once(min(numbers), max(numbers))
        return {
            span.number: parse_row(self.text[span.start : span.end], span.number, self.prefix)
            for span in spans
            if span.number in numbers
        }

    def put_rows(self, rows: dict[int, Row]) -> None:
        """Put `rows` in place of the rows with their numbers (or where they belong); the rows
        between them stay as written, unparsed."""
        spans, after = self._spans_once(min(rows), max(rows))
        existing = {span.number: span for span in spans}
        pieces = [
            rows[number].xml(self.prefix) if number in rows
            else self.text[existing[number].start : existing[number].end]
            for number in sorted(set(existing) | set(rows))
        ]
        start, end = (spans[0].start, spans[-1].end) if spans else (after, after)
        self._changed(self.text[:start] + "".join(pieces) + self.text[end:])

    def replace_all_rows(self, rows_xml: str) -> None:
        start, end = self._data_bounds()
        self._changed(self.text[:start] + rows_xml + self.text[end:])

    def has_formulas(self) -> bool:
        start, end = self._data_bounds()
        return re.search(rf"<{self.prefix}f[\s>/]", self.text[start:end]) is not None

    # Other elements --------------------------------------------------------

    def set_dimension(self, area: Area | None, *, extend: bool = True) -> None:
        """Set (or widen, when `extend`) the `<dimension ref>` to cover `area`."""
        p = self.prefix
        match = re.search(rf"<{p}dimension\b[^>]*>", self.text)
        if match is None:
            return
        ref = str(area) if area else "A1"
        current = get_attr(match.group(0), "ref")
        if extend and current and area is not None:
            with contextlib.suppress(ValueError):
                ref = str(Area.parse(current).union(area))
        tag = set_attr(match.group(0), "ref", ref)
        self._changed(self.text[: match.start()] + tag + self.text[match.end() :])

    def merged_areas(self) -> list[Area]:
        tags = re.findall(rf"<{self.prefix}mergeCell\b[^>]*>", self.text)
        return [Area.parse(get_attr(tag, "ref") or "A1") for tag in tags]

    def grow_ranges(self, *, last_row: int, new_last_row: int, min_col: int, max_col: int) -> None:
        """Grow validation, conditional-format and ignored-error ranges ending on `last_row`.

        Covers the classic elements (`sqref` attribute) and their Excel 2010
        versions in the extension list (`<xm:sqref>` inside `x14:dataValidation`
        and `x14:conditionalFormatting`). Sparkline locations are left alone.
        """

        def grow(sqref: str) -> str:
            return grow_sqref(
                sqref,
                last_row=last_row,
                new_last_row=new_last_row,
                min_col=min_col,
                max_col=max_col,
            )

        def classic(match: re.Match[str]) -> str:
            tag = match.group(0)
            sqref = get_attr(tag, "sqref")
            return set_attr(tag, "sqref", grow(sqref)) if sqref else tag

        # These elements all follow <sheetData>, so the rows are not searched.
        split = self._data_bounds()[1]
        tail = re.sub(
            r"<(\w+:)?(dataValidation|conditionalFormatting|ignoredError)\b[^>]*>",
            classic,
            self.text[split:],
        )

        def sqref_element(match: re.Match[str]) -> str:
            return match.group(1) + grow(match.group(3)) + match.group(4)

        def extended(match: re.Match[str]) -> str:
            return re.sub(
                r"(<(\w+:)?sqref>)(.*?)(</\2sqref>)", sqref_element, match.group(0), flags=re.S
            )

        tail = re.sub(
            r"<(\w+:)(dataValidation|conditionalFormatting)\b.*?</\1\2>",
            extended,
            tail,
            flags=re.S,
        )
        self._changed(self.text[:split] + tail)

    # Owned-sheet layout ------------------------------------------------------

    def set_column_widths(self, widths: list[float], first: int | None = None) -> None:
        """Replace `<cols>` with one width per column from A (characters, as Excel counts);
        with `first`, set the widths of the columns from `first` on and keep every other
        column's `<col>` as written (a range across them is cut around them)."""
        p = self.prefix
        new = [
            (index, f'<{p}col min="{index}" max="{index}" width="{width:.2f}" customWidth="1"/>')
            for index, width in enumerate(widths, start=first or 1)
        ]
        if first is not None:
            new += _cols_outside(self.text, p, first, first + len(widths) - 1)
        cols = "".join(xml for _, xml in sorted(new, key=lambda item: item[0]))
        element = f"<{p}cols>{cols}</{p}cols>" if cols else ""
        span = find_element(self.text, "cols", p)
        if span is not None:
            self._changed(self.text[: span[0]] + element + self.text[span[1] :])
            return
        data = re.search(rf"<{p}sheetData[\s>/]", self.text)
        assert data is not None
        self._changed(self.text[: data.start()] + element + self.text[data.start() :])

    def set_frozen(self, rows: int, columns: int = 0) -> None:
        """Keep the first `rows` rows (and `columns` columns) in view: a frozen pane."""
        p = self.prefix
        view = re.search(rf"<{p}sheetView\b[^>]*?(/>|>)", self.text)
        if view is None:
            return
        tag = view.group(0)
        opened = tag[:-2].rstrip() + ">" if tag.endswith("/>") else tag
        end = view.end() if tag.endswith("/>") else self.text.index(f"</{p}sheetView>", view.end())
        body = "" if tag.endswith("/>") else self.text[view.end() : end]
        body = re.sub(rf"<{p}(pane|selection)\b[^>]*/>", "", body)
        pane = ""
        if rows or columns:
            top_left = f"{col_name(columns + 1)}{rows + 1}"
            active = ("bottomRight" if rows and columns else
                      "bottomLeft" if rows else "topRight")
            split = (f' xSplit="{columns}"' if columns else "") + (
                f' ySplit="{rows}"' if rows else "")
            pane = (f'<{p}pane{split} topLeftCell="{top_left}" activePane="{active}" '
                    f'state="frozen"/><{p}selection pane="{active}" activeCell="{top_left}" '
                    f'sqref="{top_left}"/>')
        close = "" if tag.endswith("/>") else f"</{p}sheetView>"
        rest = self.text[end + len(close) :] if close else self.text[view.end() :]
        self._changed(self.text[: view.start()] + opened + pane + body + f"</{p}sheetView>"
                      + rest)


    def replace_text(self, text: str) -> None:
        """The whole part's new text (after an edit outside `<sheetData>`, such as a drawing)."""
        self._changed(text)

    def add_table_part(self, rel_id: str, rel_ns: str) -> None:
        """List one more table in `<tableParts>` (made before `<extLst>` when absent)."""
        p = self.prefix
        element = f'<{p}tablePart xmlns:r="{rel_ns}" r:id="{rel_id}"/>'
        parts = re.search(rf"<{p}tableParts\b[^>]*?(/?)>", self.text)
        if parts is not None:
            count = len(re.findall(rf"<{p}tablePart\b", self.text)) + 1
            tag = set_attr(parts.group(0).replace("/>", ">"), "count", str(count))
            close = "" if parts.group(1) else None
            if close is None:
                end = self.text.index(f"</{p}tableParts>", parts.end())
                self._changed(self.text[: parts.start()] + tag + self.text[parts.end() : end]
                              + element + self.text[end:])
            else:
                self._changed(self.text[: parts.start()] + tag + element + f"</{p}tableParts>"
                              + self.text[parts.end() :])
            return
        block = f'<{p}tableParts count="1">{element}</{p}tableParts>'
        ext = re.search(rf"<{p}extLst[\s>]", self.text)
        at = ext.start() if ext else self.text.rindex(f"</{p}worksheet>")
        self._changed(self.text[:at] + block + self.text[at:])

    def set_fit_to_page(self) -> None:
        """Print the sheet on one landscape page (`fitToPage`), as a report page is handed out."""
        p = self.prefix
        if re.search(rf"<{p}pageSetUpPr\b", self.text) is None:
            sheet_pr = re.search(rf"<{p}sheetPr\b[^>]*?(/?)>", self.text)
            if sheet_pr is None:
                root = re.search(rf"<{p}worksheet\b[^>]*>", self.text)
                assert root is not None
                element = f'<{p}sheetPr><{p}pageSetUpPr fitToPage="1"/></{p}sheetPr>'
                self._changed(self.text[: root.end()] + element + self.text[root.end() :])
            elif sheet_pr.group(1):
                opened = sheet_pr.group(0)[:-2].rstrip() + ">"
                element = f'{opened}<{p}pageSetUpPr fitToPage="1"/></{p}sheetPr>'
                self._changed(self.text[: sheet_pr.start()] + element
                              + self.text[sheet_pr.end() :])
            else:
                end = self.text.index(f"</{p}sheetPr>", sheet_pr.end())
                self._changed(self.text[:end] + f'<{p}pageSetUpPr fitToPage="1"/>'
                              + self.text[end:])
        setup = re.search(rf"<{p}pageSetup\b[^>]*>", self.text)
        if setup is not None:
            tag = setup.group(0)
            for name, value in (("orientation", "landscape"), ("fitToWidth", "1"),
                                ("fitToHeight", "1")):
                tag = set_attr(tag, name, value)
            self._changed(self.text[: setup.start()] + tag + self.text[setup.end() :])
            return
        margins = find_element(self.text, "pageMargins", p)
        if margins is not None:
            element = f'<{p}pageSetup orientation="landscape" fitToWidth="1" fitToHeight="1"/>'
            self._changed(self.text[: margins[1]] + element + self.text[margins[1] :])


def _cols_outside(text: str, prefix: str, low: int, high: int) -> list[tuple[int, str]]:
    """The sheet's `<col>` elements cut to the columns outside `low..high`, by first column."""
    span = find_element(text, "cols", prefix)
    if span is None:
        return []
    kept = []
    for tag in re.findall(rf"<{prefix}col\b[^>]*?/?>", text[span[0] : span[1]]):
        start, end = int(get_attr(tag, "min") or 1), int(get_attr(tag, "max") or 1)
        for piece_start, piece_end in ((start, min(end, low - 1)), (max(start, high + 1), end)):
            if piece_start <= piece_end:
                piece = set_attr(set_attr(tag, "min", str(piece_start)), "max", str(piece_end))
                kept.append((piece_start, piece if piece.endswith("/>") else piece[:-1] + "/>"))
    return kept
