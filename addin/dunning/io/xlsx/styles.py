"""Cell styles: which formats are dates, and the few style variants the writer may need.

A written cell takes the style of the cell above it in the table (or of the
owned sheet's template row). Two cases need a variant of that style: a date
written where the style has no date format (it would show as 45293), and text
that starts like a formula, which gets `quotePrefix` so Excel keeps it text even
when someone edits the cell. A variant is the original `<xf>` with those
attributes set. When `cellXfs` already holds an `<xf>` identical to it (an earlier
run's variant, or one Excel or XlsxWriter made), that one is used; otherwise the
variant is appended to `cellXfs`, once per save however many cells need it.
Existing style indexes never change, so no other part is affected, and
styles.xml is only rewritten when a variant had to be added; nightly runs do not
make it grow.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from dunning.io.xlsx.markup import escape_attr, get_attr, root_prefix, set_attr

DATE_FORMAT = 14  # built-in short date, shown in the reader's locale
DATETIME_FORMAT = 22  # built-in date and time
TIME_FORMAT = 21  # built-in h:mm:ss
_BUILTIN_DATES = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))
_QUOTED = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKETS = re.compile(r"\[(?!(?:h+|m+|s+)\])[^\]]*\]", re.IGNORECASE)
_NAMESPACE = re.compile(r"""\sxmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")
# Attributes of a cellXfs <xf> whose absence means the value given here (ECMA-376 18.8.45).
_XF_DEFAULTS = {
    "numFmtId": "0",
    "fontId": "0",
    "fillId": "0",
    "borderId": "0",
    "quotePrefix": "0",
    "pivotButton": "0",
}
_BOOLEANS = {"true": "1", "false": "0"}
Canonical = tuple[str, frozenset[tuple[str, str]], str, tuple["Canonical", ...]]
_FIRST_CUSTOM_FORMAT = 164
_BUILTIN_CODES = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9,
                  "0.00%": 10, "@": 49}


@dataclass(frozen=True)
class CellStyle:
    """How a cell of an owned sheet looks: number format code, font and fill.

    `number_format` is a format code ("#,##0.00", "0.0%", "yyyy-mm-dd"), None for
    General; `fill` an RGB colour such as "DDEBF7"; `color` the font's RGB colour.
    """

    number_format: str | None = None
    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None
    fill: str | None = None
    wrap: bool = False


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
        self._namespaces = ""
        self._parsed: list[ET.Element | None] = []  # of self._xfs, filled when first needed
        self._quick: list[tuple[object, ...] | None] = []
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
        root = re.search(rf"<{p}styleSheet\b[^>]*>", xml)
        found = _NAMESPACE.finditer(root.group(0)) if root else ()
        self._namespaces = " ".join(match.group(0).strip() for match in found)
        self._added: dict[str, list[str]] = {"numFmts": [], "fonts": [], "fills": []}
        self._styled: dict[CellStyle, int] = {}

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
        """Index of a style like `xf` but with `number_format` and/or `quotePrefix`.

        An identical `<xf>` already in `cellXfs` (`xf` itself included) is reused;
        only when there is none is the variant appended.
        """
        key = (xf, number_format, quote_prefix)
        if key in self._variants:
            return self._variants[key]
        if self.xml is None or self._block is None or not self._xfs:
            return xf  # no styles part: the value is still right, only unformatted
        base = self._xfs[xf] if 0 <= xf < len(self._xfs) else self._xfs[0]
        tag_end = base.index(">") + 1
        tag = base[:tag_end]
        if number_format is not None:
            tag = set_attr(set_attr(tag, "numFmtId", str(number_format)), "applyNumberFormat", "1")
        if quote_prefix:
            tag = set_attr(tag, "quotePrefix", "1")
        wanted = tag + base[tag_end:]
        index = self._find(wanted, prefer=xf)
        if index is None:
            self._xfs.append(wanted)
            index = len(self._xfs) - 1
            self.changed = True
        self._variants[key] = index
        return index

    def style(self, wanted: CellStyle) -> int:
        """Index of a `cellXfs` entry that looks as `wanted` says, added when there is none.

        Number formats, fonts and fills are appended to their lists only when no
        identical entry exists (an earlier run's), so the indexes of every existing
        style stay as they are and repeated runs add nothing.
        """
        if wanted in self._styled:
            return self._styled[wanted]
        if self.xml is None or self._block is None or not self._xfs:
            return 0
        fmt = self._format_id(wanted.number_format)
        font = self._list_entry("fonts", "font", _font_xml(wanted)) if _has_font(wanted) else 0
        fill = (self._list_entry("fills", "fill", _fill_xml(wanted.fill))
                if wanted.fill else 0)
        tag = (f'<{self.prefix}xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" '
               f'borderId="0" xfId="0"')
        tag += ' applyNumberFormat="1"' if fmt else ""
        tag += ' applyFont="1"' if font else ""
        tag += ' applyFill="1"' if fill else ""
        if wanted.wrap:
            xf = (f'{tag} applyAlignment="1"><{self.prefix}alignment vertical="top" '
                  f'wrapText="1"/></{self.prefix}xf>')
        else:
            xf = tag + "/>"
        index = self._find(xf, prefer=0)
        if index is None:
            self._xfs.append(xf)
            index = len(self._xfs) - 1
            self.changed = True
        self._styled[wanted] = index
        return index

    def format_code(self, xf: int) -> str | None:
        """The number format code of style `xf` (a built-in date as ISO), None when General."""
        fmt = self.number_format(xf)
        if fmt in self._formats:
            return self._formats[fmt]
        if fmt in _BUILTIN_DATES:
            return "yyyy-mm-dd"
        codes = {number: code for code, number in _BUILTIN_CODES.items()}
        return codes.get(fmt) if fmt else None

    def _format_id(self, code: str | None) -> int:
        if not code or code == "General":
            return 0
        if code in _BUILTIN_CODES:
            return _BUILTIN_CODES[code]
        for number, known in self._formats.items():
            if known == code:
                return number
        number = max([_FIRST_CUSTOM_FORMAT - 1, *self._formats]) + 1
        self._formats[number] = code
        self._added["numFmts"].append(
            f'<{self.prefix}numFmt numFmtId="{number}" formatCode="{escape_attr(code)}"/>')
        self.changed = True
        return number

    def _list_entry(self, block: str, local: str, xml: str) -> int:
        """Index of `xml` in the `<fonts>` or `<fills>` list (compared as written), added once."""
        p = self.prefix
        assert self.xml is not None
        found = re.search(rf"<{p}{block}\b[^>]*>(.*?)</{p}{block}>", self.xml, re.S)
        items = re.findall(rf"<{p}{local}\b[^>]*/>|<{p}{local}\b[^>]*>.*?</{p}{local}>",
                           found.group(1), re.S) if found else []
        entry = xml.replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
        listed = items + self._added[block]
        if entry in listed:
            return listed.index(entry)
        if found is None:
            return 0  # no such list to add to: the style keeps the default font or fill
        self._added[block].append(entry)
        self.changed = True
        return len(listed)

    def _find(self, xf: str, *, prefer: int) -> int | None:
        """The index of an `<xf>` equal to `xf` in canonical form (`prefer` first), or None."""
        wanted = self._parse(xf)
        if wanted is None:
            return None
        self._parse_all()
        key = _quick(wanted)
        order = [prefer] if 0 <= prefer < len(self._parsed) else []
        for index in [*order, *range(len(self._parsed))]:
            element = self._parsed[index]
            if element is not None and self._quick[index] == key and _same(element, wanted):
                return index
        return None

    def _parse_all(self) -> None:
        """Parse `cellXfs` once (one parse, not one per xf), then each appended variant."""
        if not self._parsed and self._xfs:
            try:
                root = ET.fromstring(f"<w {self._namespaces}>{''.join(self._xfs)}</w>")
            except ET.ParseError:
                root = None
            if root is not None and len(root) == len(self._xfs):
                self._parsed = list(root)
        while len(self._parsed) < len(self._xfs):
            self._parsed.append(self._parse(self._xfs[len(self._parsed)]))
        self._quick.extend(_quick(element) for element in self._parsed[len(self._quick) :])

    def _parse(self, xf: str) -> ET.Element | None:
        try:
            return ET.fromstring(f"<w {self._namespaces}>{xf}</w>")[0]
        except (ET.ParseError, IndexError):
            return None

    def text(self) -> str:
        """styles.xml with the appended variants and the new `count`."""
        assert self.xml is not None and self._block is not None
        block = self._block
        open_tag = set_attr(self.xml[block.start() : block.start(1)], "count", str(len(self._xfs)))
        close = self.xml[block.end(1) : block.end()]
        added = "".join(self._xfs[self._original :])
        text = (
            self.xml[: block.start()]
            + open_tag
            + block.group(1)
            + added
            + close
            + self.xml[block.end() :]
        )
        for name, entries in self._added.items():
            if entries:
                text = _extend_list(text, self.prefix, name, entries)
        return text


def _extend_list(text: str, p: str, block: str, entries: list[str]) -> str:
    """`text` with `entries` appended to its `<block>` list and the list's count set."""
    found = re.search(rf"<{p}{block}\b[^>]*>(.*?)</{p}{block}>|<{p}{block}\b[^>]*/>", text,
                      re.S)
    if found is None:  # only numFmts may be missing: it is the first child of styleSheet
        root = re.search(rf"<{p}styleSheet\b[^>]*>", text)
        assert root is not None
        element = f'<{p}{block} count="{len(entries)}">{"".join(entries)}</{p}{block}>'
        return text[: root.end()] + element + text[root.end() :]
    body = found.group(1) or ""
    local = block[:-1] if block != "numFmts" else "numFmt"
    count = len(re.findall(rf"<{p}{local}\b", body)) + len(entries)
    tag = re.match(rf"<{p}{block}\b[^>]*?/?>", found.group(0))
    assert tag is not None
    opened = set_attr(tag.group(0).replace("/>", ">"), "count", str(count))
    element = f"{opened}{body}{''.join(entries)}</{p}{block}>"
    return text[: found.start()] + element + text[found.end() :]


def _has_font(style: CellStyle) -> bool:
    return style.bold or style.italic or style.size is not None or style.color is not None


def _font_xml(style: CellStyle) -> str:
    """A `<font>` as this writer writes it (unprefixed; the caller adds the prefix)."""
    parts = ["<b/>" if style.bold else "", "<i/>" if style.italic else "",
             f'<sz val="{style.size:g}"/>' if style.size is not None else '<sz val="11"/>',
             f'<color rgb="FF{style.color}"/>' if style.color else "",
             '<name val="Calibri"/><family val="2"/>']
    return f"<font>{''.join(parts)}</font>"


def _fill_xml(rgb: str) -> str:
    return f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/></patternFill></fill>'


def _value(value: str) -> str:
    value = value.strip()
    return _BOOLEANS.get(value, value)


def _canonical(element: ET.Element, defaults: dict[str, str] | None = None) -> Canonical:
    """What makes an `<xf>` (or a child of it) look the way it does, however it was written.

    Attribute order, quoting, namespace prefixes, `true` for `1` and attributes left
    at their default do not count; every other attribute and every child element
    (alignment, protection, extensions) does.
    """
    attributes = set()
    for name, value in element.attrib.items():
        value = _value(value)
        if defaults is None or defaults.get(name) != value:
            attributes.add((name, value))
    children = tuple(_canonical(child) for child in element)
    return element.tag, frozenset(attributes), (element.text or "").strip(), children


def _quick(element: ET.Element | None) -> tuple[object, ...] | None:
    """A cheap part of the canonical form, to pass over most styles without building it."""
    if element is None:
        return None
    return tuple(_value(element.get(name, "0")) for name in _XF_DEFAULTS), len(element)


def _same(one: ET.Element, other: ET.Element) -> bool:
    return _canonical(one, _XF_DEFAULTS) == _canonical(other, _XF_DEFAULTS)
