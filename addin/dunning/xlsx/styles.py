"""Cell styles: which formats are dates, and the few style variants the writer may need.

A written cell takes the style of the cell above it in the table (or of the
owned sheet's template row). Two cases need a variant of that style: a date
written where the style has no date format (it would show as 45293), and text
that starts like a formula, which gets `quotePrefix` so Excel keeps it text even
when someone edits the cell. A variant is a copy of the original `<xf>` appended
to `cellXfs`; existing style indexes never change, so no other part is affected,
and styles.xml is only rewritten when a variant was actually needed.
"""

from __future__ import annotations

import re

from dunning.xlsx.markup import get_attr, root_prefix, set_attr

DATE_FORMAT = 14  # built-in short date, shown in the reader's locale
DATETIME_FORMAT = 22  # built-in date and time
TIME_FORMAT = 21  # built-in h:mm:ss
_BUILTIN_DATES = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))
_QUOTED = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKETS = re.compile(r"\[(?!(?:h+|m+|s+)\])[^\]]*\]", re.IGNORECASE)


def is_date_format(code: str) -> bool:
    """True when a number format code shows a date or a time."""
    code = _BRACKETS.sub("", _QUOTED.sub("", code))
    first = code.split(";")[0]
    if first.strip().lower() == "general":
        return False
    return bool(re.search(r"[dmyhs]", first, re.IGNORECASE))


class Styles:
    """The `cellXfs` of styles.xml, read once; variants are appended on demand."""

    def __init__(self, xml: str | None) -> None:
        self.xml = xml
        self.changed = False
        self._variants: dict[tuple[int, int | None, bool], int] = {}
        self._formats: dict[int, str] = {}
        self._xfs: list[str] = []
        self._original = 0
        self._block: re.Match[str] | None = None
        self.prefix = ""
        if xml is None:
            return
        self.prefix = root_prefix(xml, "styleSheet")
        p = self.prefix
        formats = re.search(rf"<{p}numFmts\b.*?</{p}numFmts>", xml, re.S)
        for tag in re.findall(rf"<{p}numFmt\b[^>]*>", formats.group(0) if formats else ""):
            self._formats[int(get_attr(tag, "numFmtId") or -1)] = get_attr(tag, "formatCode") or ""
        self._block = re.search(rf"<{p}cellXfs\b[^>]*>(.*?)</{p}cellXfs>", xml, re.S)
        if self._block is not None:
            self._xfs = re.findall(
                rf"<{p}xf\b[^>]*/>|<{p}xf\b[^>]*>.*?</{p}xf>", self._block.group(1), re.S
            )
        self._original = len(self._xfs)

    def number_format(self, xf: int) -> int:
        if not 0 <= xf < len(self._xfs):
            return 0
        return int(get_attr(self._xfs[xf], "numFmtId") or 0)

    def is_date(self, xf: int) -> bool:
        """Does style `xf` show a number as a date or time?"""
        fmt = self.number_format(xf)
        if fmt in _BUILTIN_DATES:
            return True
        return fmt in self._formats and is_date_format(self._formats[fmt])

    def variant(
        self, xf: int, *, number_format: int | None = None, quote_prefix: bool = False
    ) -> int:
        """Index of a style like `xf` but with `number_format` and/or `quotePrefix`."""
        key = (xf, number_format, quote_prefix)
        if key in self._variants:
            return self._variants[key]
        if self.xml is None or self._block is None:
            return xf  # no styles part: the value is still right, only unformatted
        base = self._xfs[xf] if 0 <= xf < len(self._xfs) else self._xfs[0]
        tag_end = base.index(">") + 1
        tag = base[:tag_end]
        if number_format is not None:
            tag = set_attr(set_attr(tag, "numFmtId", str(number_format)), "applyNumberFormat", "1")
        if quote_prefix:
            tag = set_attr(tag, "quotePrefix", "1")
        self._xfs.append(tag + base[tag_end:])
        index = len(self._xfs) - 1
        self._variants[key] = index
        self.changed = True
        return index

    def text(self) -> str:
        """styles.xml with the appended variants and the new `count`."""
        assert self.xml is not None and self._block is not None
        block = self._block
        open_tag = set_attr(self.xml[block.start() : block.start(1)], "count", str(len(self._xfs)))
        close = self.xml[block.end(1) : block.end()]
        added = "".join(self._xfs[self._original :])
        return (
            self.xml[: block.start()]
            + open_tag
            + block.group(1)
            + added
            + close
            + self.xml[block.end() :]
        )
