"""The package bookkeeping: workbook.xml, its relationships, [Content_Types].xml, docProps/app.xml.

These parts are read to find sheets and tables, and edited only when a sheet is
added, the calculation chain is dropped, or Excel is asked to recalculate on open.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from dunning.io.xlsx.errors import unsupported
from dunning.io.xlsx.markup import escape_attr, find_element, get_attr, root_prefix, set_attr
from dunning.io.xlsx.package import Package, rels_part, resolve

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
OFFICE_DOCUMENT = f"{REL_NS}/officeDocument"
WORKSHEET_REL = f"{REL_NS}/worksheet"
TABLE_REL = f"{REL_NS}/table"
STYLES_REL = f"{REL_NS}/styles"
CALC_CHAIN_REL = f"{REL_NS}/calcChain"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_FORBIDDEN_IN_SHEET_NAME = set("[]:*?/\\")
_CONTROL_IN_SHEET_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Control characters (C0, DEL, C1), lone surrogates and the two non-characters XML refuses."""


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str
    external: bool


@dataclass(frozen=True)
class SheetEntry:
    """One `<sheet>` of workbook.xml and the part it points to."""

    name: str
    sheet_id: int
    rel_id: str
    part: str
    kind: str


def read_rels(package: Package, part: str) -> list[Relationship]:
    """The relationships of `part` (none when it has no .rels part)."""
    name = rels_part(part)
    if not package.has(name):
        return []
    root = ET.fromstring(package.read(name))
    return [
        Relationship(
            rel.get("Id", ""),
            rel.get("Type", ""),
            rel.get("Target", ""),
            rel.get("TargetMode") == "External",
        )
        for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship")
    ]


def add_relationship(package: Package, part: str, rel_type: str, target: str) -> str:
    """Add a relationship from `part`; returns its new Id."""
    name = rels_part(part)
    existing = {rel.id for rel in read_rels(package, part)}
    number = len(existing) + 1
    while f"rId{number}" in existing:
        number += 1
    rel_id = f"rId{number}"
    element = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{escape_attr(target)}"/>'
    if package.has(name):
        text = package.read_text(name)
        text = _insert_before_close(text, "Relationships", element)
    else:
        text = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}">{element}</Relationships>'
        )
    package.write(name, text)
    return rel_id


def remove_relationships(package: Package, part: str, rel_type: str) -> None:
    """Drop every relationship of `rel_type` from `part`."""
    name = rels_part(part)
    if not package.has(name):
        return
    text = package.read_text(name)
    pattern = re.compile(r"<(\w+:)?Relationship\b[^>]*?/>|<(\w+:)?Relationship\b[^>]*>.*?</\S*?>")
    kept = pattern.sub(
        lambda m: "" if get_attr(m.group(0), "Type") == rel_type else m.group(0), text
    )
    if kept != text:
        package.write(name, kept)


def _insert_before_close(text: str, local: str, element: str) -> str:
    prefix = root_prefix(text, local)
    close = f"</{prefix}{local}>"
    index = text.rfind(close)
    if index >= 0:
        return text[:index] + element + close + text[index + len(close) :]
    match = re.search(rf"<{prefix}{local}\b[^>]*/>", text)
    if match is None:
        raise ValueError(f"no <{local}> element")
    opened = match.group(0)[:-2] + ">"
    return text[: match.start()] + opened + element + close + text[match.end() :]


class WorkbookPart:
    """Finds the workbook part, its sheets and tables, and edits the bookkeeping parts."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.part = self._main_part()
        self.text = package.read_text(self.part)
        if STRICT_NS in self.text[:2000]:
            raise unsupported(
                str(package.path),
                "is saved as Strict Open XML; save it as an ordinary Excel Workbook (.xlsx)",
            )
        self.prefix = root_prefix(self.text, "workbook")
        self.rels = read_rels(package, self.part)

    def _main_part(self) -> str:
        for rel in read_rels(self.package, ""):
            if rel.type.endswith("/officeDocument") and not rel.external:
                part = resolve("", rel.target)
                if self.package.has(part):
                    return self.package.find(part) or part
        raise unsupported(str(self.package.path), "has no workbook part; is it an Excel workbook?")

    # Reading ---------------------------------------------------------------

    @property
    def date1904(self) -> bool:
        match = re.search(rf"<{self.prefix}workbookPr\b[^>]*>", self.text)
        value = get_attr(match.group(0), "date1904") if match else None
        return value in ("1", "true")

    def sheets(self) -> list[SheetEntry]:
        by_id = {rel.id: rel for rel in self.rels}
        rel_prefix = _prefix_for(self.text, REL_NS)
        entries = []
        for match in re.finditer(rf"<{self.prefix}sheet\b[^>]*>", self.text):
            tag = match.group(0)
            rel_id = get_attr(tag, f"{rel_prefix}id") or _prefixed_id(tag)
            rel = by_id.get(rel_id)
            part = resolve(self.part, rel.target) if rel else ""
            kind = rel.type.rsplit("/", 1)[-1] if rel else ""
            entries.append(
                SheetEntry(
                    get_attr(tag, "name") or "",
                    int(get_attr(tag, "sheetId") or 0),
                    rel_id,
                    self.package.find(part) or part,
                    kind,
                )
            )
        return entries

    def sheet(self, name: str) -> SheetEntry | None:
        """The sheet called `name`, compared without case as Excel does."""
        for entry in self.sheets():
            if entry.name.casefold() == name.casefold():
                return entry
        return None

    def styles_part(self) -> str | None:
        for rel in self.rels:
            if rel.type == STYLES_REL:
                return resolve(self.part, rel.target)
        return None

    # Editing ---------------------------------------------------------------

    def _save(self) -> None:
        self.package.write(self.part, self.text)

    def request_full_calculation(self) -> None:
        """Set `fullCalcOnLoad` so Excel recomputes formulas whose inputs were written."""
        span = find_element(self.text, "calcPr", self.prefix)
        if span is not None:
            tag_end = self.text.index(">", span[0]) + 1
            tag = self.text[span[0] : tag_end]
            if get_attr(tag, "fullCalcOnLoad") in ("1", "true"):
                return
            self.text = (
                self.text[: span[0]] + set_attr(tag, "fullCalcOnLoad", "1") + self.text[tag_end:]
            )
        else:
            index = self._calc_pr_position()
            self.text = (
                self.text[:index] + f'<{self.prefix}calcPr fullCalcOnLoad="1"/>' + self.text[index:]
            )
        self._save()

    def _calc_pr_position(self) -> int:
        """Where `<calcPr>` goes: after sheets, functionGroups, externalReferences, definedNames."""
        position = -1
        for local in ("sheets", "functionGroups", "externalReferences", "definedNames"):
            span = find_element(self.text, local, self.prefix)
            if span is not None:
                position = max(position, span[1])
        if position < 0:
            raise unsupported(str(self.package.path), "has no <sheets> in workbook.xml")
        return position

    def drop_calc_chain(self) -> None:
        """Remove calcChain.xml: it may list formula cells that an edit removed or moved.

        Excel reports a damaged file when the chain names a cell without a formula;
        without a chain it simply rebuilds one, which is what it does for files from
        openpyxl or xlsxwriter too.
        """
        for rel in self.rels:
            if rel.type == CALC_CHAIN_REL:
                part = resolve(self.part, rel.target)
                self.package.remove(part)
                remove_content_type_override(self.package, part)
        remove_relationships(self.package, self.part, CALC_CHAIN_REL)
        self.rels = read_rels(self.package, self.part)

    def add_worksheet(self, name: str, xml: str) -> SheetEntry:
        """Add a worksheet at the end of the workbook with the content `xml`."""
        check_sheet_name(name, str(self.package.path))
        if self.sheet(name) is not None:
            raise ValueError(f"sheet {name} exists")
        folder = resolve(self.part, "worksheets")
        number = 1
        while self.package.has(f"{folder}/sheet{number}.xml"):
            number += 1
        part = f"{folder}/sheet{number}.xml"
        self.package.write(part, xml)
        add_content_type_override(self.package, part, WORKSHEET_TYPE)
        rel_id = add_relationship(
            self.package, self.part, WORKSHEET_REL, f"worksheets/sheet{number}.xml"
        )
        self.rels = read_rels(self.package, self.part)
        sheet_id = max((entry.sheet_id for entry in self.sheets()), default=0) + 1
        # The relationships namespace is declared on the element itself, as openpyxl
        # does, so it is right whatever the root declares.
        element = (
            f'<{self.prefix}sheet xmlns:r="{REL_NS}" name="{escape_attr(name)}" '
            f'sheetId="{sheet_id}" r:id="{rel_id}"/>'
        )
        self.text = _insert_in(self.text, "sheets", self.prefix, element)
        self._save()
        _add_app_title(self.package, name)
        return SheetEntry(name, sheet_id, rel_id, part, "worksheet")


def _prefixed_id(tag: str) -> str:
    """The `x:id` attribute of a tag whatever its prefix (a sheet may declare its own)."""
    match = re.search(r"\s\w+:id\s*=\s*\"([^\"]*)\"", tag)
    return match.group(1) if match else ""


def _insert_in(text: str, local: str, prefix: str, element: str) -> str:
    close = f"</{prefix}{local}>"
    index = text.find(close)
    if index < 0:
        raise ValueError(f"no <{local}> element")
    return text[:index] + element + text[index:]


def _prefix_for(text: str, namespace: str) -> str:
    match = re.search(rf'xmlns:(\w+)\s*=\s*["\']{re.escape(namespace)}["\']', text)
    return f"{match.group(1)}:" if match else ""


def check_sheet_name(name: str, path: str) -> None:
    """Refuse names Excel refuses: empty, over 31 characters, `[]:*?/\\`, quote at an end.

    Control characters are refused too (workbook.xml could not hold most of them,
    and Excel lets none be typed), before anything is written; the name is shown
    escaped (`'Bell\\x07'`) so the message itself stays printable.
    """
    control = _CONTROL_IN_SHEET_NAME.search(name)
    if control is not None:
        raise unsupported(
            path,
            f"cannot have a sheet named {name!r}: Excel does not allow the control character "
            f"U+{ord(control.group(0)):04X} in a sheet name",
        )
    bad = (
        not name
        or len(name) > 31
        or any(char in _FORBIDDEN_IN_SHEET_NAME for char in name)
        or name.startswith("'")
        or name.endswith("'")
        or name.casefold() == "history"
    )
    if bad:
        raise unsupported(path, f"cannot have a sheet named {name!r}: Excel does not allow it")


def add_content_type_override(package: Package, part: str, content_type: str) -> None:
    text = package.read_text("[Content_Types].xml")
    element = f'<Override PartName="/{escape_attr(part)}" ContentType="{content_type}"/>'
    package.write("[Content_Types].xml", _insert_before_close(text, "Types", element))


def remove_content_type_override(package: Package, part: str) -> None:
    text = package.read_text("[Content_Types].xml")
    pattern = re.compile(r"<(\w+:)?Override\b[^>]*/>")

    def keep(match: re.Match[str]) -> str:
        name = (get_attr(match.group(0), "PartName") or "").lstrip("/")
        return "" if name.lower() == part.lower() else match.group(0)

    kept = pattern.sub(keep, text)
    if kept != text:
        package.write("[Content_Types].xml", kept)


def _add_app_title(package: Package, name: str) -> None:
    """List a new sheet in docProps/app.xml; left alone when its layout is unexpected.

    Excel does not check this part against the workbook, so an unusual app.xml is
    better kept as it is than rewritten.
    """
    part = "docProps/app.xml"
    if not package.has(part):
        return
    text = package.read_text(part)
    pairs = re.search(r"<HeadingPairs>(.*?)</HeadingPairs>", text, re.S)
    titles = re.search(
        r"(<TitlesOfParts>\s*<vt:vector size=\")(\d+)(\"[^>]*>)(.*?)(</vt:vector>)", text, re.S
    )
    if pairs is None or titles is None:
        return
    counts = re.findall(
        r"<vt:lpstr>(.*?)</vt:lpstr>\s*</vt:variant>\s*<vt:variant>\s*"
        r"<vt:i4>(\d+)</vt:i4>",
        pairs.group(1),
        re.S,
    )
    offset = 0
    for label, count in counts:
        if label == "Worksheets":
            break
        offset += int(count)
    else:
        return
    worksheets = int(dict(counts)["Worksheets"])
    items = re.findall(r"<vt:lpstr>.*?</vt:lpstr>|<vt:lpstr/>", titles.group(4), re.S)
    if len(items) != int(titles.group(2)):
        return
    items.insert(offset + worksheets, f"<vt:lpstr>{escape_attr(name)}</vt:lpstr>")
    new_titles = (
        titles.group(1) + str(len(items)) + titles.group(3) + "".join(items) + titles.group(5)
    )
    new_pairs = re.sub(
        r"(<vt:lpstr>Worksheets</vt:lpstr>\s*</vt:variant>\s*<vt:variant>\s*"
        r"<vt:i4>)(\d+)(</vt:i4>)",
        lambda m: f"{m.group(1)}{worksheets + 1}{m.group(3)}",
        pairs.group(0),
    )
    text = text[: titles.start()] + new_titles + text[titles.end() :]
    text = text.replace(pairs.group(0), new_pairs, 1)
    package.write(part, text)
