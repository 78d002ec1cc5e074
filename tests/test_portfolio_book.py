"""The Portfolio workbook as written: formats, widths, header, frozen panes, charts, safe text."""

import datetime as dt
import shutil
import subprocess
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from dunning.core.ledger import build_ledger
from dunning.core.portfolio import ClientFigures, roll_up
from dunning.io import WorkbookLockedError
from dunning.io.portfolio_book import build, write_portfolio
from ooxml_schema import chart_parts, invalid_parts

AS_OF = dt.date(2026, 11, 23)
MADE = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.timezone.utc)


def ledger(currency, amount, due="2026-10-31"):
    return build_ledger(pd.DataFrame({
        "Invoice No": ["1", "2"], "Customer": ["C1", "C2"], "Invoice Date": ["2026-10-01"] * 2,
        "Due Date": [due, "2026-12-31"], "Amount": [amount, "10.00"],
        "Currency": [currency] * 2})).frame


def history(*days_and_dso):
    """KPIHistory rows as a client's table holds them (dates as datetimes, CEI a fraction)."""
    return tuple((dt.datetime.combine(day, dt.time()), "EUR", 1.0, 0.5, dso, dso - 5, 0.8, 3.0,
                  0.9) for day, dso in days_and_dso)


@pytest.fixture
def portfolio():
    return roll_up([
        ClientFigures("Acme", "acme.xlsx", ledger=ledger("EUR", "1234567.89"),
                      history=history((dt.date(2026, 9, 30), 61.5), (AS_OF, 55.25),
                                      (dt.date(2026, 12, 31), 40.0))),
        ClientFigures("+Tricky", "t.xlsx", ledger=ledger("USD", "99.99")),
        ClientFigures("Broken", "broken.xlsx", error="cannot be read (BadZipFile: not a zip)"),
        ClientFigures("Acme", "second/acme.xlsx", ledger=ledger("EUR", "10.00"),
                      history=history((dt.date(2026, 10, 31), 30.0))),
    ], AS_OF)


def test_sheets_formats_and_layout(tmp_path, portfolio):
    out = write_portfolio(tmp_path / "Portfolio.xlsx", portfolio, as_of=AS_OF, made=MADE)
    book = load_workbook(out)
    assert book.sheetnames == ["Clients", "Totals", "Worklist", "Charts"]
    for sheet in book.worksheets:
        assert sheet["A2"].value == "As of 2026-11-23; made 2026-11-23 10:30 UTC"
    clients = book["Clients"]
    assert [clients.cell(5, c).value for c in (1, 3)] == ["Acme", "EUR"]
    assert clients["D5"].value == pytest.approx(1234577.89)
    assert clients["D5"].number_format == '#,##0.00 "EUR"'
    assert clients["D6"].number_format == '#,##0.00 "USD"'
    assert clients["F5"].number_format == "0.0%" and 0 < clients["F5"].value < 1
    assert clients["A4"].fill.fgColor.rgb.endswith("1F4E78") and clients["A4"].font.bold
    assert clients.freeze_panes == "B5" and clients.auto_filter.ref.startswith("A4:")
    assert clients.column_dimensions["D"].width >= len("1,234,577.89 EUR")
    assert clients["A6"].value == "+Tricky" and clients["A6"].quotePrefix
    assert clients["N7"].value.startswith("cannot be read")
    totals = book["Totals"]
    assert [totals.cell(r, 1).value for r in (5, 6)] == ["EUR", "USD"]
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Clients").to_python()
    assert rows[5][0] == "+Tricky"  # text, as an independent reader sees it


def test_refused_while_open_in_excel(tmp_path, portfolio):
    out = write_portfolio(tmp_path / "Portfolio.xlsx", portfolio, as_of=AS_OF, made=MADE)
    before = out.read_bytes()
    (tmp_path / "~$Portfolio.xlsx").write_bytes(b"\x05someone" + b" " * 100)
    with pytest.raises(WorkbookLockedError):
        write_portfolio(out, portfolio, as_of=AS_OF, made=MADE)
    assert out.read_bytes() == before


def test_libreoffice_opens_and_renders_it(tmp_path, portfolio):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice (soffice) or pdftotext is not installed")
    out = write_portfolio(tmp_path / "Portfolio.xlsx", portfolio, as_of=AS_OF, made=MADE)
    profile = tmp_path / "profile"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   capture_output=True, timeout=180, check=False)
    pdf = tmp_path / "Portfolio.pdf"
    if not pdf.exists():
        pytest.skip("LibreOffice did not convert the workbook")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Client portfolio" in text and "1,234,577.89 EUR" in text
    assert "Open and past due by client (EUR)" in text  # the chart's title, rendered
    assert "DSO over time (EUR)" in text and "Acme (second/acme.xlsx)" in text  # its legend


def test_dso_and_cei_over_time_by_client_up_to_the_as_of_date(tmp_path, portfolio):
    from dunning.io import split_range
    from dunning.io.xlsx.charts import chart_xml

    out = write_portfolio(tmp_path / "Portfolio.xlsx", portfolio, as_of=AS_OF, made=MADE)
    _, charts = build(portfolio, as_of=AS_OF, made=MADE)
    lines = [chart for chart in charts if chart.kind == "line"]
    assert [chart.title for chart in lines] == ["DSO over time (EUR)",
                                                "CEI over time, last 30 days (EUR)"]
    dso = lines[0]
    assert [s.name for s in dso.series] == ["Acme (acme.xlsx)", "Acme (second/acme.xlsx)"]
    assert dso.connect_gaps and 'dispBlanksAs val="span"' in chart_xml(dso)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Charts").to_python(
        skip_empty_area=False)

    def read(ref):
        _, r1, c1, r2, c2 = split_range(ref)
        return [rows[r - 1][c1 - 1] for r in range(r1, r2 + 1)]

    dates = [d.date() if isinstance(d, dt.datetime) else d for d in read(dso.series[0].categories)]
    assert dates == [dt.date(2026, 9, 30), dt.date(2026, 10, 31), AS_OF]  # not 31 December
    assert read(dso.series[0].values) == [61.5, "", 55.25]
    assert read(dso.series[1].values) == ["", 30.0, ""]
    assert read(lines[1].series[0].values) == [0.8, "", 0.8]
    assert len(chart_parts(out)) == len(charts) and invalid_parts(out) == {}  # ISO 29500-4
    book = load_workbook(out)
    assert book["Charts"].freeze_panes == "A3"
    assert book["Charts"].cell(*split_range(dso.series[0].values)[1:3]).number_format == "#,##0.0"
    with zipfile.ZipFile(out) as archive:  # the lossless writer's parts: drawn on Charts
        names = archive.namelist()
        assert len([n for n in names if n.startswith("xl/charts/chart")]) == len(charts)
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
    assert drawing.count("Dunning chart") == len(charts)
