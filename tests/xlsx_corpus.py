"""Workbooks for the writer's tests, built fresh in a temp folder by independent tools.

xlsxwriter makes the richest one (tables with totals rows and calculated columns,
charts, an image, sparklines, validations, conditional formats, notes, a form
button and a VBA project in the .xlsm); openpyxl and LibreOffice make the others.
Parts none of them can write are added by hand afterwards: a customXml item, a
customUI14 ribbon with its relationship in _rels/.rels, an Excel 2010 (x14)
data validation in the extension list, and an opaque slicer-like part. The VBA
project is an opaque stand-in (a compound-file signature and filler): the writer
must copy it byte for byte, never read it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import openpyxl
import xlsxwriter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from libreoffice import soffice_path

CONTACT_HEADERS = ["Date", "Customer", "Stage", "Amount", "Fee", "Note"]
EXTENSION_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
RIBBON_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
SLICER_REL = "http://schemas.microsoft.com/office/2007/relationships/slicer"
CUSTOM_XML_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
X14_VALIDATION = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C6CEE7F1C2}" '
    f'xmlns:x14="{EXTENSION_NS}"><x14:dataValidations count="1" '
    'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
    "<x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>C2:C3</xm:sqref>"
    "</x14:dataValidation></x14:dataValidations></ext></extLst>"
)


def png_bytes() -> bytes:
    """A 2x2 red PNG, made here so the corpus needs no image file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def vba_project_bytes() -> bytes:
    """An opaque stand-in for vbaProject.bin: compound-file signature, then filler."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 16


def build_xlsxwriter(path: Path, *, invoices: int = 20) -> Path:
    """The richest workbook: every feature the writer must leave alone, and a ContactLog."""
    macro = path.suffix == ".xlsm"
    book = xlsxwriter.Workbook(str(path))
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})
    bold = book.add_format({"bold": True, "bg_color": "#DDEEFF"})
    sheet = book.add_worksheet("Invoices")
    sheet.write_row(0, 0, ["Invoice", "Customer", "Date", "Amount"], bold)
    for row in range(1, invoices + 1):
        sheet.write_string(row, 0, f"INV-{row:05d}")
        sheet.write_string(row, 1, f"C{row % 7}")
        sheet.write_datetime(row, 2, dt.datetime(2024, 1, 1) + dt.timedelta(days=row), date)
        sheet.write_number(row, 3, 100 + row, money)
    sheet.write_formula(invoices + 1, 3, f"=SUM(D2:D{invoices + 1})", money, 100 * invoices)
    sheet.add_sparkline("F2", {"range": f"Invoices!D2:D{min(invoices + 1, 10)}"})
    sheet.conditional_format(f"D2:D{invoices + 1}", {"type": "data_bar"})
    sheet.write_comment("A1", "Invoice numbers come from the accounting export")
    sheet.write_url("H1", "https://example.com/", string="Portal")
    log = book.add_worksheet("ContactLog")
    log.add_table(
        "A1:F4",
        {
            "name": "ContactLog",
            "total_row": True,
            "style": "Table Style Medium 2",
            "columns": [
                {"header": "Date", "format": date, "total_string": "Total"},
                {"header": "Customer"},
                {"header": "Stage"},
                {
                    "header": "Amount",
                    "format": money,
                    "total_function": "=SUBTOTAL(109,ContactLog[Amount])",
                },
                {
                    "header": "Fee",
                    "format": money,
                    "formula": "=ContactLog[[#This Row],[Amount]]*0.1",
                },
                {"header": "Note"},
            ],
            "data": [
                [dt.date(2024, 3, 1), "C1", "First reminder", 120.0, None, "sent"],
                [dt.date(2024, 3, 2), "C2", "Second reminder", 80.0, None, "called"],
            ],
        },
    )
    log.data_validation("B2:B3", {"validate": "length", "criteria": "<=", "value": 40})
    log.conditional_format("D2:D3", {"type": "cell", "criteria": ">", "value": 100, "format": bold})
    log.write_string("H1", "Beside the table")
    log.write_string("H10", "Far below")
    lists = book.add_worksheet("Lists")
    lists.write_column(0, 0, ["First reminder", "Second reminder", "Final notice"])
    dashboard = book.add_worksheet("Dashboard")
    dashboard.write_formula("A1", "=COUNTA(ContactLog[Customer])", None, 2)
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": f"=Invoices!$D$2:$D${invoices + 1}"})
    dashboard.insert_chart("C2", chart)
    dashboard.insert_image("K2", "dot.png", {"image_data": io.BytesIO(png_bytes())})
    worklist = book.add_worksheet("Worklist")
    worklist.write_row(0, 0, ["Customer", "Open", "Action"], bold)
    worklist.write_row(1, 0, ["old", 1, "old action"])
    worklist.set_column(0, 2, 18)
    book.define_name("OpenTotal", f"=Invoices!$D${invoices + 2}")
    if macro:
        book.add_vba_project(io.BytesIO(vba_project_bytes()), is_stream=True)
        dashboard.insert_button("A5", {"macro": "SendReminders", "caption": "Send"})
    book.close()
    add_hand_made_parts(path)
    return path


def add_hand_made_parts(path: Path) -> None:
    """Add what no generator here writes: customXml, a customUI14 ribbon, x14 validation, slicer."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    types = parts["[Content_Types].xml"].decode()
    extra_types = (
        '<Override PartName="/customXml/itemProps1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.customXmlProperties+xml"/>'
        '<Override PartName="/xl/slicers/slicer1.xml" '
        'ContentType="application/vnd.ms-excel.slicer+xml"/>'
    )
    parts["[Content_Types].xml"] = types.replace("</Types>", extra_types + "</Types>").encode()
    root_rels = parts["_rels/.rels"].decode()
    parts["_rels/.rels"] = root_rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdRibbon" Type="{RIBBON_REL}" Target="customUI/customUI14.xml"/>'
        "</Relationships>",
    ).encode()
    parts["customUI/customUI14.xml"] = (
        b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon><tabs>'
        b'<tab id="dunning" label="Dunning"><group id="g" label="Collections">'
        b'<button id="send" label="Send reminders" onAction="SendReminders"/></group></tab>'
        b"</tabs></ribbon></customUI>"
    )
    parts["customXml/item1.xml"] = (
        b'<dunning xmlns="urn:dunning:test"><client>ACME</client></dunning>'
    )
    parts["customXml/itemProps1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="no"?><ds:datastoreItem '
        b'ds:itemID="{6E3A8C1B-4B7C-4F0E-9E0A-1D2C3B4A5F60}" '
        b'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"/>'
    )
    parts["customXml/_rels/item1.xml.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://'
        b'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        b'http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXmlProps" '
        b'Target="itemProps1.xml"/></Relationships>'
    )
    book_rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = book_rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdCustom" Type="{CUSTOM_XML_REL}" '
        'Target="../customXml/item1.xml"/></Relationships>',
    ).encode()
    parts["xl/slicers/slicer1.xml"] = (
        b'<slicers xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        b'<slicer name="Customer" cache="Slicer_Customer" caption="Customer" rowHeight="241300"/>'
        b"</slicers>"
    )
    log_part = _sheet_part(parts, "ContactLog")
    log_rels = log_part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    parts[log_rels] = (
        parts[log_rels]
        .decode()
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdSlicer" Type="{SLICER_REL}" Target="../slicers/slicer1.xml"/>'
            "</Relationships>",
        )
        .encode()
    )
    sheet = parts[log_part].decode()
    assert "<extLst>" not in sheet
    parts[log_part] = sheet.replace("</worksheet>", X14_VALIDATION + "</worksheet>").encode()
    _rewrite(path, parts)


def _sheet_part(parts: dict[str, bytes], name: str) -> str:
    workbook = parts["xl/workbook.xml"].decode()
    rel_id = re.search(rf'<sheet name="{name}" sheetId="\d+" r:id="(\w+)"', workbook).group(1)
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    target = re.search(rf'Id="{rel_id}"[^>]*Target="([^"]+)"', rels).group(1)
    return "xl/" + target


def _rewrite(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def build_openpyxl(path: Path) -> Path:
    """A workbook as openpyxl writes it: ContactLog table, validation, a plain Worklist."""
    book = openpyxl.Workbook()
    log = book.active
    log.title = "ContactLog"
    log.append(CONTACT_HEADERS)
    log.append([dt.date(2024, 3, 1), "C1", "First reminder", 120.0, 12.0, "sent"])
    log.append([dt.date(2024, 3, 2), "C2", "Second reminder", 80.0, 8.0, "called"])
    for row in (2, 3):
        log.cell(row, 1).number_format = "yyyy-mm-dd"
        log.cell(row, 4).number_format = "#,##0.00"
    table = Table(displayName="ContactLog", ref="A1:F3")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)
    log.add_table(table)
    validation = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="40")
    validation.add("B2:B3")
    log.add_data_validation(validation)
    book.create_sheet("Worklist").append(["Customer", "Open", "Action"])
    book.save(path)
    return path


def libreoffice_convert(sources: list[Path], outdir: Path, target: str = "xlsx") -> list[Path]:
    """Convert files with one LibreOffice run (each run costs seconds, so batch them)."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / "lo-profile"
    subprocess.run(
        [
            soffice_path() or "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *map(str, sources),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    extension = target.split(":")[0]
    return [outdir / f"{source.stem}.{extension}" for source in sources]


CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def libreoffice_sheets_csv(sources: list[Path], outdir: Path) -> dict[tuple[str, str], str]:
    """Every sheet of every file as LibreOffice computes it, keyed by (file stem, sheet)."""
    libreoffice_convert(sources, outdir, CSV_FILTER)
    found = {}
    for source in sources:
        for csv in outdir.glob(f"{source.stem}-*.csv"):
            found[(source.stem, csv.stem[len(source.stem) + 1 :])] = csv.read_text("utf-8")
    return found


def members(path: Path) -> dict[str, bytes]:
    """Every zip member, decompressed."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def raw_members(path: Path) -> dict[str, bytes]:
    """Every zip member's compressed bytes, as stored in the file."""
    found = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
        for info in archive.infolist():
            handle.seek(info.header_offset)
            header = handle.read(30)
            name_length, extra_length = struct.unpack("<2H", header[26:30])
            handle.seek(info.header_offset + 30 + name_length + extra_length)
            found[info.filename] = handle.read(info.compress_size)
    return found


def sheet_part(path: Path, name: str) -> str:
    """The zip member holding sheet `name`, found through workbook.xml and its rels."""
    import posixpath
    import xml.etree.ElementTree as ET

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    data = members(path)
    sheets = ET.fromstring(data["xl/workbook.xml"]).iter(f"{main}sheet")
    rel_id = next(sheet.get(rel) for sheet in sheets if sheet.get("name") == name)
    rels = ET.fromstring(data["xl/_rels/workbook.xml.rels"])
    target = next(item.get("Target") for item in rels if item.get("Id") == rel_id)
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))
