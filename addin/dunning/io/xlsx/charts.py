"""Native Excel charts on an owned sheet, written as parts: drawingN.xml, chartN.xml, their rels.

A chart is DrawingML (ECMA-376 part 1, 21.2): a `c:chartSpace` part whose series
name their data by formula references (`c:f`, such as `KPIHistory!$C$2:$C$9`),
placed on the sheet by a drawing part of two-cell anchors. No values are cached
in the chart: Excel and LibreOffice read the cells when they draw it, so a chart
is never stale. A sheet's drawing is Dunning's when its anchors are named
"Dunning chart N"; only such a drawing is rewritten, and its chart parts keep
their names from one run to the next, so a nightly refresh does not grow the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dunning.core.errors import DunningInputError, Issue
from dunning.io.xlsx.markup import escape_attr, escape_text
from dunning.io.xlsx.package import Package, rels_part, resolve
from dunning.io.xlsx.workbook import (
    REL_NS,
    add_content_type_override,
    add_relationship,
    read_rels,
    remove_content_type_override,
)

C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
DRAWING_REL = f"{REL_NS}/drawing"
CHART_REL = f"{REL_NS}/chart"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
OWN_NAME = "Dunning chart"
_AFTER_DRAWING = ("legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
                  "controls", "webPublishItems", "tableParts", "extLst")
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass(frozen=True)
class Series:
    """One series: its name and the ranges of its values and categories ("Sheet!$B$2:$B$9")."""

    name: str
    values: str
    categories: str | None = None


@dataclass(frozen=True)
class Chart:
    """A chart and where it sits: `anchor` is (first column, first row, last column, last row)
    of the cells it covers, counted from 0. `kind` "column" draws vertical bars, "bar"
    horizontal ones, "line" lines; `number_format` is the value axis' format code."""

    kind: Literal["column", "bar", "line"]
    title: str
    series: tuple[Series, ...]
    anchor: tuple[int, int, int, int]
    number_format: str = "#,##0"
    category_format: str | None = None
    """Categories that are numbers (dates) are shown in this format; None: they are text."""
    connect_gaps: bool = False
    """A line goes on across blank cells (a client with no row that day) instead of breaking."""


def chart_xml(chart: Chart) -> str:
    """The `c:chartSpace` part of one chart."""
    series = "".join(_series(index, item, chart.kind, numeric=chart.category_format is not None)
                     for index, item in enumerate(chart.series))
    categories = (f'<c:numFmt formatCode="{escape_attr(chart.category_format)}" '
                  'sourceLinked="0"/>' if chart.category_format
                  else '<c:numFmt formatCode="General" sourceLinked="1"/>')
    if chart.kind == "line":
        plot = (f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{series}'
                '<c:marker val="1"/><c:axId val="50010001"/><c:axId val="50010002"/>'
                "</c:lineChart>")
    else:
        direction = "bar" if chart.kind == "bar" else "col"
        plot = (f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/>'
                f'<c:varyColors val="0"/>{series}<c:gapWidth val="80"/>'
                '<c:axId val="50010001"/><c:axId val="50010002"/></c:barChart>')
    across, along = ("l", "b") if chart.kind == "bar" else ("b", "l")
    # dates are labels (each refresh's own day), not a time scale: a date axis would label
    # month starts and place a refresh of the 23rd at the 1st
    auto = "0" if chart.category_format else "1"
    reverse = "maxMin" if chart.kind == "bar" else "minMax"  # largest at the top
    axes = (
        f'<c:catAx><c:axId val="50010001"/><c:scaling><c:orientation val="{reverse}"/>'
        f'</c:scaling><c:delete val="0"/><c:axPos val="{across}"/>'
        f'{categories}<c:tickLblPos val="low"/>'
        f'<c:crossAx val="50010002"/><c:crosses val="autoZero"/><c:auto val="{auto}"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        f'<c:valAx><c:axId val="50010002"/><c:scaling><c:orientation val="minMax"/>'
        f'</c:scaling><c:delete val="0"/><c:axPos val="{along}"/><c:majorGridlines/>'
        f'<c:numFmt formatCode="{escape_attr(chart.number_format)}" sourceLinked="0"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="50010001"/><c:crosses val="autoZero"/>'
        '<c:crossBetween val="between"/></c:valAx>'
    )
    blanks = "span" if chart.connect_gaps else "gap"
    legend = ('<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
              if len(chart.series) > 1 else "")
    return (
        f'{_DECLARATION}<c:chartSpace xmlns:c="{C_NS}" xmlns:a="{A_NS}" xmlns:r="{REL_NS}">'
        '<c:roundedCorners val="0"/><c:chart>'
        f"<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz=\"1200\" "
        f'b="1"/></a:pPr><a:r><a:rPr lang="en-US" sz="1200" b="1"/>'
        f"<a:t>{escape_text(chart.title)}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
        f"<c:plotArea><c:layout/>{plot}{axes}</c:plotArea>{legend}"
        f'<c:plotVisOnly val="1"/><c:dispBlanksAs val="{blanks}"/></c:chart></c:chartSpace>'
    )


def _series(index: int, series: Series, kind: str, *, numeric: bool = False) -> str:
    ref = "numRef" if numeric else "strRef"
    categories = (f"<c:cat><c:{ref}><c:f>{escape_text(series.categories)}</c:f></c:{ref}>"
                  "</c:cat>" if series.categories else "")
    values = f"<c:val><c:numRef><c:f>{escape_text(series.values)}</c:f></c:numRef></c:val>"
    name = f"<c:tx><c:v>{escape_text(series.name)}</c:v></c:tx>"
    middle = ('<c:marker><c:symbol val="circle"/><c:size val="5"/></c:marker>'
              if kind == "line" else '<c:invertIfNegative val="0"/>')
    tail = '<c:smooth val="0"/>' if kind == "line" else ""
    return (f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>{name}{middle}'
            f"{categories}{values}{tail}</c:ser>")


def drawing_xml(charts: Sequence[Chart], rel_ids: Sequence[str]) -> str:
    """The drawing part placing each chart in its cells."""
    anchors = []
    for number, (chart, rel_id) in enumerate(zip(charts, rel_ids, strict=True), start=1):
        col1, row1, col2, row2 = chart.anchor
        anchors.append(
            "<xdr:twoCellAnchor editAs=\"oneCell\">"
            f"<xdr:from><xdr:col>{col1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row1}"
            "</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{col2}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row2}"
            "</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
            f'<xdr:cNvPr id="{number + 1}" name="{OWN_NAME} {number}" '
            f'descr="{escape_attr(chart.title)}"/><xdr:cNvGraphicFramePr/>'
            '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
            f'</xdr:xfrm><a:graphic><a:graphicData uri="{C_NS}"><c:chart xmlns:c="{C_NS}" '
            f'xmlns:r="{REL_NS}" r:id="{rel_id}"/></a:graphicData></a:graphic>'
            "</xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"
        )
    body = "".join(anchors)
    return f'{_DECLARATION}<xdr:wsDr xmlns:xdr="{XDR_NS}" xmlns:a="{A_NS}">{body}</xdr:wsDr>'


def put_charts(package: Package, sheet_part: str, sheet_xml: str, sheet_name: str,
               charts: Sequence[Chart]) -> str:
    """Write `charts` onto the sheet; returns the sheet's XML (with its `<drawing>` when new).

    A drawing Dunning made before is rewritten in place (its chart parts reused by
    position); a sheet with someone else's drawing is refused, naming the sheet.
    """
    drawing = next((rel for rel in read_rels(package, sheet_part)
                    if rel.type == DRAWING_REL and not rel.external), None)
    if drawing is None:
        part = _free_name(package, "xl/drawings/drawing{}.xml")
        package.write(part, f'{_DECLARATION}<xdr:wsDr xmlns:xdr="{XDR_NS}"/>')
        add_content_type_override(package, part, DRAWING_TYPE)
        rel_id = add_relationship(package, sheet_part, DRAWING_REL,
                                  "../drawings/" + part.rsplit("/", 1)[1])
        sheet_xml = _with_drawing(sheet_xml, rel_id)
    else:
        part = resolve(sheet_part, drawing.target)
        found = package.find(part)
        if found is None or (OWN_NAME not in package.read_text(found)
                             and "<xdr:twoCellAnchor" in package.read_text(found)):
            raise DunningInputError([Issue(
                f"sheet {sheet_name} has drawings Dunning did not make; Dunning does not draw "
                "its charts over them (move them to another sheet)", sheet=sheet_name)])
        part = found
    existing = [rel for rel in read_rels(package, part) if rel.type == CHART_REL]
    rel_ids = []
    for index, chart in enumerate(charts):
        if index < len(existing):
            chart_part = resolve(part, existing[index].target)
            rel_ids.append(existing[index].id)
        else:
            chart_part = _free_name(package, "xl/charts/chart{}.xml")
            add_content_type_override(package, chart_part, CHART_TYPE)
            rel_ids.append(add_relationship(package, part, CHART_REL,
                                            "../charts/" + chart_part.rsplit("/", 1)[1]))
        package.write(chart_part, chart_xml(chart))
    for extra in existing[len(charts):]:  # charts an earlier run drew that are gone now
        chart_part = resolve(part, extra.target)
        package.remove(chart_part)
        remove_content_type_override(package, chart_part)
        _remove_relationship(package, part, extra.id)
    package.write(part, drawing_xml(charts, rel_ids))
    return sheet_xml


def _remove_relationship(package: Package, part: str, rel_id: str) -> None:
    name = rels_part(part)
    text = package.read_text(name)
    kept = re.sub(rf'<(\w+:)?Relationship\b[^>]*\bId="{re.escape(rel_id)}"[^>]*/>', "", text)
    package.write(name, kept)


def _free_name(package: Package, pattern: str) -> str:
    number = 1
    while package.has(pattern.format(number)):
        number += 1
    return pattern.format(number)


def _with_drawing(sheet_xml: str, rel_id: str) -> str:
    """The sheet with `<drawing r:id>` where the schema puts it (before legacyDrawing...)."""
    prefix_match = re.search(r"<(\w+:)?worksheet[\s>]", sheet_xml)
    p = (prefix_match.group(1) or "") if prefix_match else ""
    element = f'<{p}drawing xmlns:r="{REL_NS}" r:id="{rel_id}"/>'
    for local in _AFTER_DRAWING:
        found = re.search(rf"<{p}{local}[\s>/]", sheet_xml)
        if found is not None:
            return sheet_xml[: found.start()] + element + sheet_xml[found.start() :]
    close = sheet_xml.rindex(f"</{p}worksheet>")
    return sheet_xml[:close] + element + sheet_xml[close:]
