"""The client workbook template: its structure, text safety, reproducibility, and the key check
that its native Dashboard formulas, recalculated by LibreOffice, equal the core's aging."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

import libreoffice
from dunning.core import ledger_kpis
from dunning.core.aging import aging_by_customer, bucket_labels
from dunning.core.errors import DunningInputError
from dunning.core.ledger import build_ledger
from dunning.demo import SAMPLE_AS_OF, sample_customers, sample_invoices
from dunning.io.client_workbook import (
    CHANNELS,
    LANGUAGES,
    OUTCOMES,
    SETTINGS_ROWS,
    SHEET_ORDER,
    STAGES,
    VALIDATION_LAST_ROW,
    build_workbook,
    dashboard_cells,
    new_client_workbook,
    table_headers,
)

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbook_templates" / "Dunning-Client.xlsx"
DEMO_DATE = SAMPLE_AS_OF
EXCEL_EPOCH = dt.date(1899, 12, 30)
TABLE_SHEETS = {
    "Invoices": "Invoices",
    "Customers": "Customers",
    "ContactLog": "ContactLog",
    "Settings": "Settings",
    "Stages": "Settings",
    "ReferenceRates": "Settings",
    "Templates": "Templates",
}

needs_libreoffice = pytest.mark.skipif(
    libreoffice.unavailable_reason() is not None,
    reason=f"LibreOffice recalculation unavailable: {libreoffice.unavailable_reason()}",
)


@pytest.fixture(scope="module")
def empty_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("template") / "empty.xlsx")


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workbook(
        tmp_path_factory.mktemp("sample") / "sample.xlsx",
        client="Sample Client Ltd",
        invoices=sample_invoices(),
        customers=sample_customers(),
        as_of=DEMO_DATE,
    )


def _tables(path: Path) -> dict[str, tuple[str, Table]]:
    """{table name: (sheet title, table)} across the workbook."""
    book = load_workbook(path)
    return {
        table.name: (sheet.title, table)
        for sheet in book.worksheets
        for table in sheet.tables.values()
    }


def _validation_lists(path: Path, sheet: str) -> dict[str, str]:
    """{list formula: sqref} of a sheet's list validations."""
    book = load_workbook(path)
    return {
        dv.formula1: str(dv.sqref)
        for dv in book[sheet].data_validations.dataValidation
        if dv.type == "list"
    }


def _column_of(header: str, table: str) -> str:
    first = 6 if table == "Stages" else 1
    return get_column_letter(first + table_headers()[table].index(header))


def _quoted(choices: tuple[str, ...]) -> str:
    return '"' + ",".join(choices) + '"'


# ---------------------------------------------------------------- structure


def test_sheets_are_in_order_with_dashboard_active(empty_book: Path) -> None:
    book = load_workbook(empty_book)
    assert book.sheetnames == list(SHEET_ORDER)
    assert book.active.title == "Dashboard"
    assert all(sheet.sheet_state == "visible" for sheet in book.worksheets)


def test_tables_have_their_names_sheets_and_headers(empty_book: Path) -> None:
    tables = _tables(empty_book)
    assert set(tables) == set(TABLE_SHEETS)
    book = load_workbook(empty_book)
    for name, (sheet, table) in tables.items():
        assert sheet == TABLE_SHEETS[name]
        headers = table_headers()[name]
        assert [column.name for column in table.tableColumns] == list(headers)
        first_row = next(book[sheet][table.ref].__iter__())
        assert [cell.value for cell in first_row] == list(headers)
    assert table_headers()["Invoices"] == (
        "Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid", "Currency",
        "Disputed", "Settled Date", "Written Off", "Notes", "Hold Until", "Hold Reason",
        "Payment Link",
    )  # fmt: skip
    assert table_headers()["ContactLog"] == (
        "Timestamp", "Customer", "Invoices", "Channel", "Stage", "Subject", "Message-ID",
        "Outcome", "Promise Date", "Promise Amount", "Next Action Date", "User", "Note",
        "Open Balance",
    )  # fmt: skip


def test_empty_tables_have_one_blank_row(empty_book: Path) -> None:
    tables = _tables(empty_book)
    assert tables["Invoices"][1].ref == "A1:N2"
    assert tables["Customers"][1].ref == "A1:T2"
    assert tables["ContactLog"][1].ref == "A1:N2"
    assert tables["Settings"][1].ref == f"A1:B{len(SETTINGS_ROWS) + 1}"
    assert tables["Stages"][1].ref == "F1:L6"


def test_tables_are_sized_to_the_data(sample_book: Path) -> None:
    tables = _tables(sample_book)
    assert tables["Invoices"][1].ref == f"A1:N{len(sample_invoices()) + 1}"
    assert tables["Customers"][1].ref == f"A1:T{len(sample_customers()) + 1}"


def test_settings_and_stages_hold_the_defaults(empty_book: Path) -> None:
    sheet = load_workbook(empty_book)["Settings"]
    last = len(SETTINGS_ROWS) + 1
    settings = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(2, last + 1)}
    assert settings == {
        "Client": None,
        "Company Name": None,
        "Sender Name": None,
        "Sender Email": None,
        "Payment Instructions": None,
        "Reply To": None,
        "Opt Out Address": None,
        "As Of Date": None,
        "Currency": None,
        "Aging Basis": "due",
        "Bucket 1 Days": 30,
        "Bucket 2 Days": 60,
        "Bucket 3 Days": 90,
        "Bucket 4 Days": 120,
        "Minimum Days Between Reminders": 5,
        "Tolerance Amount": 5,
        "Send Window Start": "08:00",
        "Send Window End": "18:00",
        "Working Days": "Mon-Fri",
        "Default Time Zone": "UTC",
        "Max Reminders In Period": 3,
        "Reminder Period Days": 30,
        "Minimum Overdue": None,
        "Holiday Country": None,
        "Start At Due Stage": "No",
        "Pay By Days": 7,
        "Payment Link": None,
        "SMTP Host": None,
        "SMTP Port": 587,
        "SMTP Security": "starttls",
        "SMTP User": None,
        "Late Payment Charges": None,
        "Charges From Stage": "Firm",
        "Statutory Margin": 8,
        "EU Compensation": 40,
        "Contract Rate %": None,
        "Contract Fee": None,
    }
    stages = [[sheet.cell(r, c).value for c in range(6, 10)] for r in range(2, 7)]
    assert [sheet.cell(1, c).value for c in range(10, 13)] == ["Fee", "Fee Currency", "CC"]
    assert stages == [
        ["courtesy", -3, "email", "courtesy"],
        ["friendly", 1, "email", "friendly"],
        ["firm", 15, "email", "firm"],
        ["final", 30, "email", "final"],
        ["handoff", 60, "task", None],
    ]


def test_validation_lists_cover_the_rows_and_a_margin(empty_book: Path) -> None:
    last = VALIDATION_LAST_ROW
    log = _validation_lists(empty_book, "ContactLog")
    for header, choices in (("Stage", STAGES), ("Channel", CHANNELS), ("Outcome", OUTCOMES)):
        column = _column_of(header, "ContactLog")
        assert log[_quoted(choices)] == f"{column}2:{column}{last}", header
    assert STAGES == ("courtesy", "friendly", "firm", "final", "handoff")
    assert CHANNELS == ("email", "phone", "letter", "meeting", "portal")
    assert "promised to pay" in OUTCOMES and "invoice not received" in OUTCOMES
    customers = _validation_lists(empty_book, "Customers")
    assert customers[_quoted(LANGUAGES)] == f"E2:E{last}"
    assert {"en", "de", "fr", "nl", "es"} <= set(LANGUAGES)


def test_yes_no_validations_sit_on_the_flag_columns(empty_book: Path) -> None:
    book = load_workbook(empty_book)
    for sheet, table, headers in (
        ("Invoices", "Invoices", ("Disputed", "Written Off")),
        ("Customers", "Customers", ("Opt Out", "Do Not Contact")),
    ):
        ranges = {
            str(rng)
            for dv in book[sheet].data_validations.dataValidation
            if dv.formula1 == '"Yes,No"'
            for rng in dv.sqref.ranges
        }
        expected = {f"{_column_of(h, table)}2:{_column_of(h, table)}{VALIDATION_LAST_ROW}"
                    for h in headers}  # fmt: skip
        assert ranges == expected, sheet


def test_columns_are_typed(sample_book: Path) -> None:
    sheet = load_workbook(sample_book)["Invoices"]
    formats = {header: sheet.cell(2, index).number_format
               for index, header in enumerate(table_headers()["Invoices"], start=1)}  # fmt: skip
    assert formats["Invoice No"] == "@"
    assert formats["Invoice Date"] == formats["Due Date"] == formats["Settled Date"] == "yyyy-mm-dd"
    assert formats["Amount"] == formats["Paid"] == "#,##0.00"
    assert isinstance(sheet["C2"].value, dt.datetime)
    assert isinstance(sheet["E2"].value, float)
    # Rows typed later inherit the column's format.
    assert sheet.column_dimensions["A"].number_format == "@"
    assert sheet.column_dimensions["E"].number_format == "#,##0.00"


def test_tables_hold_no_formulas(sample_book: Path) -> None:
    """The workbook is read values-only: a formula in a table would read as empty."""
    book = load_workbook(sample_book)
    for sheet_name, table in ((s, t) for s, t in _tables(sample_book).values()):
        cells = [cell for row in book[sheet_name][table.ref] for cell in row]
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"], table.name


def test_dashboard_uses_native_formulas_over_qualified_table_references(empty_book: Path) -> None:
    sheet = load_workbook(empty_book)["Dashboard"]
    cells = dashboard_cells()
    for index in range(6):
        amount = sheet[cells[f"amount:{index}"].split("!")[1]].value
        count = sheet[cells[f"count:{index}"].split("!")[1]].value
        assert amount.startswith("=SUMIFS(Invoices[Amount],")
        assert "Invoices[Paid]" in amount and "Invoices[Due Date]" in amount
        assert count.startswith("=SUMPRODUCT(")
        # Every structured reference names its table.
        assert set(re.findall(r"(\w*)\[", amount + count)) == {"Invoices"}
    assert "TODAY()" in sheet[cells["as_of"].split("!")[1]].value


def test_leading_zeros_and_text_invoice_numbers_survive(sample_book: Path) -> None:
    rows = CalamineWorkbook.from_path(str(sample_book)).get_sheet_by_name("Invoices").to_python()
    numbers = [row[0] for row in rows[1:]]
    assert all(isinstance(number, str) for number in numbers)
    assert set(numbers) == set(sample_invoices()["Invoice No"])
    assert any(number.startswith("000") for number in numbers)


# ---------------------------------------------------------------- text safety

HOSTILE = '=HYPERLINK("http://example.com/x","click")'


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    invoices = pd.DataFrame(
        {
            "Invoice No": ["000123", "=1+1"],
            "Customer": ["=cmd|' /C calc'!A0", "+SUM(A1)"],
            "Invoice Date": ["2026-10-01", "2026-10-02"],
            "Due Date": ["2026-10-31", "2026-11-01"],
            "Amount": ["100", "200.50"],
            "Notes": [HOSTILE, "-2+3"],
        }
    )
    customers = pd.DataFrame({"Customer": ["=cmd|' /C calc'!A0"], "Name": ["@SUM(1)"]})
    path = build_workbook(tmp_path / "hostile.xlsx", client=HOSTILE, invoices=invoices,
                          customers=customers)  # fmt: skip
    book = load_workbook(path)
    written = {
        "client": book["Settings"]["B2"],
        "number": book["Invoices"]["A3"],
        "customer": book["Invoices"]["B2"],
        "note": book["Invoices"]["K2"],
        "name": book["Customers"]["B2"],
    }
    assert {key: (cell.data_type, cell.value) for key, cell in written.items()} == {
        "client": ("s", HOSTILE),
        "number": ("s", "=1+1"),
        "customer": ("s", "=cmd|' /C calc'!A0"),
        "note": ("s", HOSTILE),
        "name": ("s", "@SUM(1)"),
    }
    with zipfile.ZipFile(path) as archive:
        invoices_xml = archive.read("xl/worksheets/sheet3.xml").decode()
        settings_xml = archive.read("xl/worksheets/sheet6.xml").decode()
    assert "<f>" not in invoices_xml
    assert not re.search(r'<c r="B2"[^>]*>\s*<f>', settings_xml)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Invoices").to_python()
    assert rows[1][10] == HOSTILE and rows[2][0] == "=1+1"


@needs_libreoffice
def test_libreoffice_reads_formula_like_text_as_text(tmp_path: Path) -> None:
    invoices = pd.DataFrame({"Invoice No": ["=1+1"], "Notes": [HOSTILE]})
    path = build_workbook(tmp_path / "hostile.xlsx", client="=2*21", invoices=invoices)
    values = libreoffice.recalculated_values(
        path,
        {"number": "Invoices!A2", "note": "Invoices!K2", "client": "Settings!B2",
         "shown": "Dashboard!B2"},
    )  # fmt: skip
    assert values == {"number": "=1+1", "note": HOSTILE, "client": "=2*21", "shown": "=2*21"}


# ---------------------------------------------------------------- input checks


def test_unknown_columns_are_refused_with_their_names(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Invoice No": ["1"], "Invoice Total": [5]})
    with pytest.raises(DunningInputError) as caught:
        build_workbook(tmp_path / "bad.xlsx", invoices=frame)
    assert "Invoice Total" in str(caught.value)
    assert "Invoice No, Customer" in str(caught.value)


def test_values_that_cannot_be_typed_are_located(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Invoice No": ["1", "2"], "Due Date": ["2026-01-01", "soon"]})
    with pytest.raises(DunningInputError) as caught:
        build_workbook(tmp_path / "bad.xlsx", invoices=frame)
    (issue,) = caught.value.issues
    assert (issue.sheet, issue.row, issue.column, issue.column_letter) == (
        "Invoices", 3, "Due Date", "D",
    )  # fmt: skip
    assert "date" in issue.message


def test_new_client_workbook_never_overwrites(tmp_path: Path) -> None:
    path = new_client_workbook(tmp_path / "Acme.xlsx", "Acme GmbH")
    assert load_workbook(path)["Settings"]["B2"].value == "Acme GmbH"
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="already exists"):
        new_client_workbook(path, "Someone Else")
    assert path.read_bytes() == before


# ---------------------------------------------------------------- reproducibility


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_two_builds_are_identical(tmp_path: Path) -> None:
    first = build_workbook(tmp_path / "a.xlsx", invoices=sample_invoices(), as_of=DEMO_DATE)
    second = build_workbook(tmp_path / "b.xlsx", invoices=sample_invoices(), as_of=DEMO_DATE)
    assert first.read_bytes() == second.read_bytes()


def test_committed_template_equals_a_fresh_build(tmp_path: Path) -> None:
    assert COMMITTED.exists(), "run: python scripts/build_template.py"
    fresh = _parts(build_workbook(tmp_path / "fresh.xlsx"))
    committed = _parts(COMMITTED)
    assert sorted(committed) == sorted(fresh)
    differing = [name for name in fresh if committed[name] != fresh[name]]
    assert not differing, f"template out of date in {differing}: run scripts/build_template.py"


def test_instructions_say_the_contact_log_time_is_utc() -> None:
    """The ContactLog's Timestamp holds UTC without a zone; a client adding rows by hand
    must know it, so the template's Instructions say so (read from the committed file)."""
    rows = CalamineWorkbook.from_path(str(COMMITTED)).get_sheet_by_name("Instructions")
    [line] = [str(row[0]) for row in rows.to_python() if str(row[0]).startswith("ContactLog:")]
    assert "Timestamp is in UTC, with no time zone in the cell" in line
    assert "10:00 in Paris in winter (UTC+1) shows 09:00" in line


# ---------------------------------------------------------------- LibreOffice against the core


def _serial(day: dt.date) -> float:
    return float((day - EXCEL_EPOCH).days)


def _recalculated_dashboard(path: Path) -> dict[str, object]:
    values = libreoffice.recalculated_values(path, dashboard_cells())
    errors = {key: value for key, value in values.items() if isinstance(value, dict)}
    assert not errors, f"formula errors in LibreOffice: {errors}"
    return values


def _assert_dashboard_matches_core(
    values: dict[str, object], frame: pd.DataFrame, as_of: dt.date, edges: tuple[int, ...]
) -> None:
    """Each bucket's amount and count, and the totals, equal the core's to the cent."""
    amounts = aging_by_customer(frame, as_of, edges=edges).loc["Total"]
    counts = aging_by_customer(frame, as_of, edges=edges, measure="count").loc["Total"]
    labels = bucket_labels(edges)
    shown = {
        "labels": [values[f"label:{i}"] for i in range(6)],
        "amounts": [round(float(values[f"amount:{i}"]), 2) for i in range(6)],
        "counts": [int(values[f"count:{i}"]) for i in range(6)],
        "total": (round(float(values["amount:Total"]), 2), int(values["count:Total"])),
    }
    expected = {
        "labels": labels,
        "amounts": [round(float(amounts[label]), 2) for label in labels],
        "counts": [int(counts[label]) for label in labels],
        "total": (round(float(amounts["Total"]), 2), int(counts["Total"])),
    }
    assert shown == expected
    assert values["as_of"] == _serial(as_of)


@needs_libreoffice
@pytest.mark.parametrize("as_of", [DEMO_DATE, dt.date(2026, 6, 30), dt.date(2026, 2, 15)])
def test_dashboard_aging_equals_the_core_on_the_sample(tmp_path: Path, as_of: dt.date) -> None:
    """The key check: native SUMIFS aging, recalculated by LibreOffice, equals the core's.

    Past as-of dates exercise items settled later (open then) and items not yet issued.
    """
    invoices = sample_invoices()
    path = build_workbook(tmp_path / "sample.xlsx", invoices=invoices, as_of=as_of)
    values = _recalculated_dashboard(path)
    frame = build_ledger(invoices).frame
    _assert_dashboard_matches_core(values, frame, as_of, (0, 30, 60, 90, 120))
    assert round(float(values["open_receivables"]), 2) == round(
        ledger_kpis.receivables(frame, as_of), 2
    )
    start = as_of - dt.timedelta(days=365)
    assert round(float(values["credit_sales_365"]), 2) == round(
        ledger_kpis.net_credit_sales(frame, start, as_of), 2
    )
    assert float(values["dso"]) == pytest.approx(ledger_kpis.dso(frame, as_of), abs=1e-9)
    assert float(values["past_due_share"]) * 100 == pytest.approx(
        ledger_kpis.percent_past_due(frame, as_of), abs=1e-9
    )


@needs_libreoffice
def test_dashboard_follows_the_bucket_edges_in_settings(tmp_path: Path) -> None:
    invoices = sample_invoices()
    path = build_workbook(tmp_path / "edges.xlsx", invoices=invoices, as_of=DEMO_DATE)
    edges = (0, 10, 45, 100, 200)
    book = load_workbook(path)
    for offset, edge in enumerate(edges[1:]):
        row = 2 + [name for name, _, _ in SETTINGS_ROWS].index(f"Bucket {offset + 1} Days")
        book["Settings"].cell(row, 2).value = edge
    book.save(path)
    values = _recalculated_dashboard(path)
    _assert_dashboard_matches_core(values, build_ledger(invoices).frame, DEMO_DATE, edges)


@needs_libreoffice
def test_dashboard_bucket_boundaries_and_balance_rules(tmp_path: Path) -> None:
    """Items on each bucket edge, and every way the core decides an open balance."""
    as_of = dt.date(2026, 6, 30)

    def due(days_past: int) -> str:
        return (as_of - dt.timedelta(days=days_past)).isoformat()

    rows = [
        # number, due (days past due), amount, paid, settled date, invoice date override
        ("due-today", due(0), "100", "", "", None),
        ("one-day", due(1), "200", "50", "", None),
        ("thirty", due(30), "300", "", "", None),
        ("thirty-one", due(31), "400", "400", "2026-06-01", None),  # paid: not open
        ("settled-later", due(31), "410", "410", "2026-07-15", None),  # open on as_of
        ("cleared-no-paid", due(60), "500", "", "2026-05-01", None),  # settled, Paid blank
        ("cleared-later", due(61), "510", "", "2026-08-01", None),  # open on as_of
        ("part-then-later", due(90), "600", "100", "2026-07-02", None),  # full amount open
        ("ninety-one", due(91), "700", "0", "", None),
        ("credit-open", due(120), "-80", "", "", None),
        ("credit-applied", due(120), "-90", "-90", "2026-03-01", None),
        ("old", due(121), "900", "899.99", "", None),
        ("future", due(-40), "1000", "", "", "2026-07-10"),  # issued after as_of
        ("not-yet-due", due(-20), "1100", "", "", None),
    ]
    invoices = pd.DataFrame(
        {
            "Invoice No": [r[0] for r in rows],
            "Customer": ["C1", "C2"] * (len(rows) // 2),
            "Invoice Date": [r[5] or "2026-01-01" for r in rows],
            "Due Date": [r[1] for r in rows],
            "Amount": [r[2] for r in rows],
            "Paid": [r[3] for r in rows],
            "Currency": ["EUR"] * len(rows),
            "Settled Date": [r[4] for r in rows],
        }
    )
    path = build_workbook(tmp_path / "edges.xlsx", invoices=invoices, as_of=as_of)
    values = _recalculated_dashboard(path)
    frame = build_ledger(invoices).frame
    _assert_dashboard_matches_core(values, frame, as_of, (0, 30, 60, 90, 120))
    assert [int(values[f"count:{i}"]) for i in range(6)] == [2, 2, 1, 2, 2, 1]


@needs_libreoffice
def test_blank_as_of_date_means_today(empty_book: Path) -> None:
    values = libreoffice.recalculated_values(empty_book, {"as_of": dashboard_cells()["as_of"]})
    today = _serial(dt.date.today())
    assert today - 1 <= values["as_of"] <= today + 1


@needs_libreoffice
def test_the_libreoffice_helper_names_what_it_could_not_read(empty_book: Path) -> None:
    with pytest.raises(libreoffice.LibreOfficeError, match="no sheet 'Nowhere'"):
        libreoffice.recalculated_values(empty_book, {"x": "Nowhere!A1"})


def test_template_wires_dunning_functions() -> None:
    """xlwings finds dunning.udfs, and every function the Dashboard calls exists there."""
    import importlib

    import openpyxl

    from dunning.excel import functions as udfs

    workbook = openpyxl.load_workbook(COMMITTED)
    conf = workbook["xlwings.conf"]
    settings = {conf.cell(r, 1).value: conf.cell(r, 2).value for r in range(1, conf.max_row + 1)}
    assert importlib.import_module(settings["UDF Modules"]).DSO is udfs.DSO
    called = set()
    for row in workbook["Dashboard"].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                called |= set(re.findall(r"([A-Z][A-Z_.]+)\(", cell.value))
    ours = {name for name in called if hasattr(udfs, name)}
    assert {"DSO", "CEI", "PERCENT_PAST_DUE", "AVG_DAYS_DELINQUENT"} <= ours
    excel_builtins = {"IF", "SUMIFS", "SUMPRODUCT", "INDEX", "MATCH", "ISNUMBER", "ROUND",
                      "TODAY", "IFERROR", "COUNTIFS", "TEXT", "MAX", "MIN", "SUM",
                      "ERROR.TYPE", "UPPER"}
    assert called - ours <= excel_builtins


# ---------------------------------------------------------------- currency and the add-in

TWO_CURRENCIES = pd.DataFrame({  # E0 and U0 settled: each currency has paid history
    "Invoice No": ["E0", "U0", "E1", "U1", "E2"],
    "Customer": ["A", "B", "A", "B", "A"],
    "Invoice Date": ["2025-12-01", "2025-12-05", "2026-01-01", "2026-01-05", "2026-02-20"],
    "Due Date": ["2025-12-31", "2026-01-04", "2026-01-31", "2026-02-04", "2026-03-22"],
    "Amount": [300.0, 200.0, 2500.0, 1000.0, 400.0],
    "Paid": [300.0, 200.0, 0.0, 0.0, 0.0],
    "Settled Date": ["2026-01-10", "2026-01-20", None, None, None],
    "Currency": ["EUR", "USD", "EUR", "USD", "EUR"],
})


@needs_libreoffice
@pytest.mark.parametrize("chosen", [None, "usd"])
def test_the_dashboard_counts_one_currency_and_shows_it(tmp_path: Path, chosen) -> None:
    """EUR 2,900 and USD 1,000 are never added: every native figure filters on the currency
    cell (Settings' Currency, else the first invoice's), and the code stands beside them."""
    as_of = dt.date(2026, 3, 1)
    path = build_workbook(tmp_path / "two.xlsx", invoices=TWO_CURRENCIES, as_of=as_of,
                          settings={"Currency": chosen} if chosen else None)
    cells = dashboard_cells()
    wanted = {key: cells[key] for key in ("currency", "open_receivables", "past_due",
                                          "credit_sales_365", "dso", "amount:Total",
                                          "count:Total")}
    wanted |= {"header": "Dashboard!F6", "beside_total": "Dashboard!E13",
               "beside_open": "Dashboard!E16", "beside_sales": "Dashboard!E19"}
    values = libreoffice.recalculated_values(path, wanted)
    code = (chosen or "EUR").upper()
    items = TWO_CURRENCIES[TWO_CURRENCIES["Currency"] == code]
    ledger = build_ledger(items).frame
    open_total = ledger_kpis.receivables(ledger, as_of)
    assert values["currency"] == code
    assert values["open_receivables"] == pytest.approx(open_total)
    assert values["amount:Total"] == pytest.approx(open_total)
    still_open = items[items["Paid"] < items["Amount"]]
    assert values["count:Total"] == len(still_open[
        pd.to_datetime(still_open["Invoice Date"]).dt.date <= as_of])
    assert values["credit_sales_365"] == pytest.approx(
        ledger_kpis.net_credit_sales(ledger, as_of - dt.timedelta(days=365), as_of))
    assert values["dso"] == pytest.approx(float(ledger_kpis.dso(ledger, as_of)), abs=0.05)
    assert values["header"] == f"Open amount ({code})"
    assert values["beside_total"] == values["beside_open"] == values["beside_sales"] == code


@needs_libreoffice
def test_the_add_in_figures_say_they_need_it_instead_of_name_errors(sample_book: Path) -> None:
    cells = dashboard_cells()
    figures = {key: ref for key, ref in cells.items() if key.startswith("addin:")}
    values = libreoffice.recalculated_values(sample_book, figures)
    assert len(values) == 7
    assert set(values.values()) == {"needs the Dunning add-in"}


def test_only_a_missing_function_becomes_the_message() -> None:
    """Dunning's messages are text results and other errors stay errors: the formula turns
    only #NAME? (ERROR.TYPE 5) into the message."""
    from dunning.io.client_workbook import NEEDS_ADDIN, PYTHON_FIGURES, addin_formula

    call = PYTHON_FIGURES[0][1]
    assert addin_formula(call) == (
        f'=IFERROR({call},IF(ERROR.TYPE({call})=5,"{NEEDS_ADDIN}",{call}))')
    sheet = load_workbook(COMMITTED)["Dashboard"]
    cells = dashboard_cells()
    for index, (_, call, _) in enumerate(PYTHON_FIGURES):
        assert sheet[cells[f"addin:{index}"].split("!")[1]].value == addin_formula(call)
        assert call.endswith("DashboardCurrency)")
