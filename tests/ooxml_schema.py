"""Every chart and drawing part of a workbook validated against the Office Open XML schemas
(ISO/IEC 29500-4 transitional, tests/data/ooxml): the parts Excel reads must be what the
standard says, not only XML that LibreOffice happens to accept."""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).parent / "data" / "ooxml"


@functools.cache
def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def chart_errors(xml: str | bytes) -> list[str]:
    """What the chart schema says of one `c:chartSpace` part (empty: valid)."""
    return _errors(schema("dml-chart.xsd"), xml)


def drawing_errors(xml: str | bytes) -> list[str]:
    """What the spreadsheet-drawing schema says of one `xdr:wsDr` part (empty: valid)."""
    return _errors(schema("dml-spreadsheetDrawing.xsd"), xml)


def invalid_parts(path: Path) -> dict[str, list[str]]:
    """Each chart or drawing part of the workbook at `path` that does not validate, with why."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/charts/chart") and name.endswith(".xml"):
                errors = chart_errors(archive.read(name))
            elif name.startswith("xl/drawings/drawing") and name.endswith(".xml"):
                errors = drawing_errors(archive.read(name))
            else:
                continue
            if errors:
                found[name] = errors
    return found


def chart_parts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [n for n in archive.namelist() if n.startswith("xl/charts/chart")]


def _errors(checker: etree.XMLSchema, xml: str | bytes) -> list[str]:
    document = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    if checker.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in checker.error_log]
