"""The client workbook: built from code so every copy is the same, part for part.

An accountant hands this workbook to a client. Its tables (Invoices, Customers,
ContactLog, Settings, Stages) are what Dunning's add-in and command line read
and append to, found by table name and header; its Dashboard computes the aging
and a few key figures with native formulas, so the workbook is useful before
Python is installed and can be checked against the core's numbers.

Rules this module keeps:

* No formula columns in the tables: the workbook is read values-only, and an
  openpyxl-written formula has no cached value to read.
* Text from data is always written as text (`data_type = "s"`), so a client or
  note that starts with "=" can never become a formula.
* Builds are reproducible: fixed document properties and zip timestamps, so two
  builds of the same inputs are identical byte for byte and the committed
  template can be compared with a fresh build.

This is an adapter (it writes files with openpyxl); the core never imports it.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from dunning.core.contactlog import CHANNELS, OUTCOMES
from dunning.core.errors import DunningInputError, Issue
from dunning.core.policy import ACTIONS as STAGE_ACTIONS
from dunning.core.policy import DEFAULT_STAGES
from dunning.sheets.addresses import CHANNELS as ADDRESS_CHANNELS
from dunning.sheets.settings import SCHEMA as SETTINGS_SCHEMA

Kind = Literal["text", "date", "datetime", "amount", "integer", "general"]

FIXED_TIMESTAMP = dt.datetime(2026, 1, 1, 0, 0, 0)
"""Document created/modified time, the same in every build (a template has no real one)."""

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
VALIDATION_LAST_ROW = 5000
"""Validations and column formats reach at least this row, so appended rows are covered."""

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
AMOUNT_FORMAT = "#,##0.00"
TEXT_FORMAT = "@"
PERCENT_FORMAT = "0.0%"

YES_NO = ("Yes", "No")
LANGUAGES = ("en", "de", "fr", "nl", "es", "it", "pt", "pl", "sv", "da", "fi", "no")
STAGES = tuple(stage.name for stage in DEFAULT_STAGES)
ACTIONS = STAGE_ACTIONS  # email, letter, task: what the policy reads
AGING_BASES = ("due", "invoice")


@dataclass(frozen=True)
class Column:
    """One table column: its header, how its cells are typed, and its validation list."""

    name: str
    kind: Kind = "text"
    width: float = 14
    choices: tuple[str, ...] = ()


INVOICE_COLUMNS: tuple[Column, ...] = (
    Column("Invoice No", "text", 16),
    Column("Customer", "text", 14),
    Column("Invoice Date", "date", 13),
    Column("Due Date", "date", 13),
    Column("Amount", "amount", 14),
    Column("Paid", "amount", 14),
    Column("Currency", "text", 10),
    Column("Disputed", "text", 10, YES_NO),
    Column("Settled Date", "date", 13),
    Column("Written Off", "text", 12, YES_NO),
    Column("Notes", "text", 40),
    Column("Hold Until", "date", 13),
    Column("Hold Reason", "text", 24),
    Column("Payment Link", "text", 30),
)

CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("Customer", "text", 14),
    Column("Name", "text", 34),
    Column("Contact Name", "text", 22),
    Column("Contact Email", "text", 32),
    Column("Language", "text", 10, LANGUAGES),
    Column("Time Zone", "text", 20),
    Column("Opt Out", "text", 9, YES_NO),
    Column("Do Not Contact", "text", 15, YES_NO),
    Column("Credit Limit", "amount", 14),
    Column("Terms Days", "integer", 11),
    Column("Billing Contact", "text", 22),
    Column("Billing Email", "text", 32),
    Column("CC Email", "text", 32),
    Column("Hold Until", "date", 13),
    Column("Hold Reason", "text", 24),
    Column("Address", "text", 30),  # statements and letters (issue 14): the postal address
    Column("Postcode", "text", 10),
    Column("City", "text", 18),
    Column("Country", "text", 14),  # the address's country, and whose public holidays apply
    Column("Channel", "text", 9, ADDRESS_CHANNELS),
)

CONTACT_LOG_COLUMNS: tuple[Column, ...] = (
    Column("Timestamp", "datetime", 17),
    Column("Customer", "text", 14),
    Column("Invoices", "text", 24),
    Column("Channel", "text", 10, CHANNELS),
    Column("Stage", "text", 10, STAGES),
    Column("Subject", "text", 36),
    Column("Message-ID", "text", 30),
    Column("Outcome", "text", 20, OUTCOMES),
    Column("Promise Date", "date", 13),
    Column("Promise Amount", "amount", 15),
    Column("Next Action Date", "date", 16),
    Column("User", "text", 12),
    Column("Note", "text", 40),
    Column("Open Balance", "amount", 14),
)

TEMPLATE_COLUMNS: tuple[Column, ...] = (
    Column("Stage", "text", 12, STAGES),
    Column("Language", "text", 10, LANGUAGES),
    Column("Subject", "text", 40),
    Column("Text", "text", 80),
    Column("HTML", "text", 40),
)
"""Reminder templates that override the built-in ones (messages.FIELDS lists the merge fields)."""

SETTINGS_COLUMNS: tuple[Column, ...] = (
    Column("Setting", "text", 32),
    Column("Value", "general", 30),
)

STAGE_COLUMNS: tuple[Column, ...] = (
    Column("Stage", "text", 12, STAGES),
    Column("Days From Due", "integer", 14),
    Column("Action", "text", 10, ACTIONS),
    Column("Template", "text", 14),
    Column("Fee", "amount", 10),
    Column("Fee Currency", "text", 13),
    Column("CC", "text", 28),
)

RATE_TABLE_COLUMNS: tuple[Column, ...] = (
    Column("Regime", "text", 9, ("uk", "eu")),
    Column("Effective From", "date", 14),
    Column("Rate %", "amount", 9),
    Column("Source", "text", 30),
)
"""The ReferenceRates table: rows that correct or extend the reference rates Dunning ships."""

SETTINGS_ROWS: tuple[tuple[str, object, str], ...] = tuple(
    (setting.name, setting.template_value, setting.help)
    for setting in SETTINGS_SCHEMA if setting.in_template
)
"""The Settings table's rows (Setting, Value, and the note beside it), from the one schema of
settings (`dunning.sheets.settings.SCHEMA`): names, defaults and help in its order."""

STAGE_ROWS: tuple[tuple[object, ...], ...] = tuple(
    (stage.name, stage.days_from_due, stage.action, stage.template or None, None, None, None)
    for stage in DEFAULT_STAGES
)
"""The Stages table's rows: the policy's default stages."""

SHEET_ORDER: tuple[str, ...] = (
    "Instructions",
    "Dashboard",
    "Invoices",
    "Customers",
    "ContactLog",
    "Settings",
    "Templates",
    "xlwings.conf",
)

XLWINGS_CONF: tuple[tuple[str, str], ...] = (("UDF Modules", "dunning.udfs"),)
"""xlwings reads its settings from a sheet of this name: the functions live in dunning.udfs."""

PYTHON_FIGURES_FIRST_ROW = 23
NEEDS_ADDIN = "needs the Dunning add-in"
PYTHON_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("DSO (days)", "DSO(Invoices[#All],AsOfDate,365,DashboardCurrency)", "0.0"),
    ("Best possible DSO (days)",
     "BEST_POSSIBLE_DSO(Invoices[#All],AsOfDate,365,DashboardCurrency)", "0.0"),
    ("Average days delinquent",
     "AVG_DAYS_DELINQUENT(Invoices[#All],AsOfDate,365,DashboardCurrency)", "0.0"),
    ("CEI, last 365 days", "CEI(Invoices[#All],AsOfDate-365,AsOfDate,DashboardCurrency)",
     "0.0%"),
    ("Past due share", "PERCENT_PAST_DUE(Invoices[#All],AsOfDate,DashboardCurrency)", "0.0%"),
    ("Average days to pay", "AVG_DAYS_TO_PAY(Invoices[#All],AsOfDate,365,DashboardCurrency)",
     "0.0"),
    ("Average days late", "AVG_DAYS_LATE(Invoices[#All],AsOfDate,365,DashboardCurrency)", "0.0"),
)
"""Dashboard figures from Dunning's Excel functions (dunning.udfs), beside the native ones,
as the call without its `=` (`addin_formula` wraps it)."""


def addin_formula(call: str) -> str:
    """The cell formula for a call of Dunning's functions: its result, or NEEDS_ADDIN while the
    add-in is absent.

    Only the #NAME? error (ERROR.TYPE 5: the function is unknown) becomes the message:
    Dunning's own messages are text results ("#DUNNING! ..."), which pass through, and
    another error (#VALUE! from a failure) stays itself, so nothing is hidden.
    """
    return f'=IFERROR({call},IF(ERROR.TYPE({call})=5,"{NEEDS_ADDIN}",{call}))'

INSTRUCTIONS: tuple[str, ...] = (
    "Dunning client workbook",
    "",
    "This workbook holds a client's receivables and the record of chasing them. Dunning's "
    "Excel add-in and its command line (dunning) read and update it; the Dashboard works "
    "without either.",
    "",
    "Sheets",
    "Dashboard: aging of open items by days past due, open receivables, share past due and "
    "DSO, all as Excel formulas over the Invoices table.",
    "Invoices: one row per invoice or credit note (see below).",
    "Customers: one row per customer: contact, language, time zone, opt-out, credit limit, "
    "payment terms, postal address (for statements and letters) and channel (email, or "
    "letter for printed reminders).",
    "ContactLog: every reminder sent and every call, promise or dispute; Dunning appends here, "
    "and you can add rows by hand. Timestamp is in UTC, with no time zone in the cell: a call "
    "at 10:00 in Paris in winter (UTC+1) shows 09:00; give rows you add the UTC time too.",
    "Settings: your company, the sender, the as-of date, aging buckets, and the reminder "
    "stages (table Stages).",
    "",
    "Filling in Invoices",
    "Invoice No: as text; leading zeros are kept (000123 stays 000123).",
    "Customer: the customer code used on the Customers sheet.",
    "Invoice Date and Due Date: real dates. Amount: the invoice total; a credit note is negative.",
    "Paid: the total paid so far (blank when nothing). Open balance = Amount - Paid.",
    "Settled Date: the day the item was cleared in full (paid, credited or written off). "
    "With Paid blank, a Settled Date alone marks the item as cleared.",
    "Currency: ISO code such as EUR. Disputed and Written Off: Yes or No.",
    "Type or paste new rows directly under the last row so the table grows. Do not add formula "
    "columns, and do not rename the tables or their headers: Dunning finds them by name.",
    "",
    "Aging",
    "Days past due = as-of date minus due date. Current means not yet due (0 days or fewer). "
    "An item counts with its open balance on the as-of date: items issued later count nothing, "
    "items settled later count in full. Set As Of Date in Settings to see a past date.",
)

TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
NOTE_FONT = Font(italic=True, color="666666")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TABLE_STYLE = "TableStyleMedium2"


# ---------------------------------------------------------------- public API


def build_workbook(
    path: str | Path,
    *,
    client: str | None = None,
    invoices: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    as_of: dt.date | None = None,
    settings: Mapping[str, object] | None = None,
) -> Path:
    """Write a client workbook to `path` (overwriting it) and return the path.

    Args:
        path: where to write the .xlsx file.
        client: the client's name, written to Settings (Client).
        invoices: rows for the Invoices table, with the template's headers
            (a subset is fine; unknown headers are an error). Date columns may hold
            dates or ISO text, amount columns numbers or numeric text.
        customers: rows for the Customers table, likewise.
        as_of: a fixed as-of date for Settings (As Of Date); None leaves it blank,
            which the Dashboard reads as today.
        settings: values for other rows of the Settings table, by setting name
            (an unknown name is an error).

    Raises:
        DunningInputError: a header is unknown or a value cannot be typed; the
            issues name the sheet, row and column.
    """
    target = Path(path)
    workbook = _workbook(client=client, invoices=invoices, customers=customers, as_of=as_of,
                         settings=settings)
    data = _reproducible_bytes(workbook)
    # Write beside the target and rename, so a crash never leaves half a workbook.
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, target)
    return target


def new_client_workbook(path: str | Path, client: str) -> Path:
    """Write an empty workbook for `client`; never overwrite an existing file.

    The file is created exclusively ("x" mode), so two runs racing for the same
    name cannot both write it.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise DunningInputError([Issue(
            f"{target.name}: a client workbook is an .xlsx file; name it e.g. "
            f"{target.with_suffix('.xlsx').name}")])
    if not target.parent.is_dir():
        raise DunningInputError([Issue(f"no folder {target.parent} to write {target.name} in")])
    data = _reproducible_bytes(_workbook(client=client, invoices=None, customers=None,
                                         as_of=None, settings=None))
    try:
        with target.open("xb") as handle:
            handle.write(data)
    except FileExistsError:
        raise FileExistsError(
            f"{target} already exists; Dunning will not overwrite a client workbook. "
            "Choose another name or move the existing file first."
        ) from None
    return target


# ---------------------------------------------------------------- the workbook


def _workbook(
    *,
    client: str | None,
    invoices: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    as_of: dt.date | None,
    settings: Mapping[str, object] | None,
) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title in SHEET_ORDER:
        workbook.create_sheet(title)
    _instructions(workbook["Instructions"])
    invoice_rows = _typed_rows(invoices, INVOICE_COLUMNS, "Invoices")
    customer_rows = _typed_rows(customers, CUSTOMER_COLUMNS, "Customers")
    _table(workbook["Invoices"], "Invoices", INVOICE_COLUMNS, invoice_rows)
    _table(workbook["Customers"], "Customers", CUSTOMER_COLUMNS, customer_rows)
    _table(workbook["ContactLog"], "ContactLog", CONTACT_LOG_COLUMNS, [])
    _table(workbook["Templates"], "Templates", TEMPLATE_COLUMNS, [])
    _settings(workbook["Settings"], client=client, as_of=as_of, settings=settings)
    _dashboard(workbook["Dashboard"])
    _xlwings_conf(workbook["xlwings.conf"])
    _defined_names(workbook)
    workbook.active = SHEET_ORDER.index("Dashboard")
    workbook["Dashboard"].sheet_view.tabSelected = True  # else Excel may open with no tab selected
    props = workbook.properties
    props.creator = "Dunning"
    props.lastModifiedBy = "Dunning"
    props.title = "Dunning client workbook"
    props.created = FIXED_TIMESTAMP
    props.modified = FIXED_TIMESTAMP
    return workbook


def _reproducible_bytes(workbook: Workbook) -> bytes:
    """Serialise without openpyxl's save(), which stamps the current time, and fix zip dates."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w") as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIMESTAMP)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return fixed.getvalue()


def _instructions(sheet: Worksheet) -> None:
    sheet.column_dimensions["A"].width = 110
    headings = {"Sheets", "Filling in Invoices", "Aging"}
    for row, text in enumerate(INSTRUCTIONS, start=1):
        if not text:
            continue
        cell = _put_text(sheet, row, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if row == 1:
            cell.font = TITLE_FONT
        elif text in headings:
            cell.font = BOLD
    sheet.sheet_view.showGridLines = False


# ---------------------------------------------------------------- tables


def _table(
    sheet: Worksheet,
    name: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    *,
    first_column: int = 1,
    last_format_row: int | None = None,
) -> Table:
    """Write a header, typed rows and an Excel Table sized to them (one blank row if none)."""
    for offset, column in enumerate(columns):
        _put_text(sheet, 1, first_column + offset, column.name).font = BOLD
    for row_index, values in enumerate(rows, start=2):
        for offset, (_column, value) in enumerate(zip(columns, values, strict=True)):
            _put_value(sheet, row_index, first_column + offset, value)
    last_row = max(2, len(rows) + 1)
    format_until = last_format_row or max(VALIDATION_LAST_ROW, last_row + 1000)
    for offset, column in enumerate(columns):
        index = first_column + offset
        letter = _letter(index)
        sheet.column_dimensions[letter].width = column.width
        number_format = _number_format(column.kind)
        if number_format:
            # Column style: rows typed or pasted later get the format too.
            sheet.column_dimensions[letter].number_format = number_format
            for row_index in range(2, last_row + 1):
                sheet.cell(row_index, index).number_format = number_format
        validation = _validation(column, f"{letter}2:{letter}{format_until}")
        if validation is not None:
            sheet.add_data_validation(validation)
    ref = f"{_letter(first_column)}1:{_letter(first_column + len(columns) - 1)}{last_row}"
    table = Table(
        displayName=name,
        name=name,
        ref=ref,
        tableColumns=[TableColumn(id=i, name=c.name) for i, c in enumerate(columns, start=1)],
        autoFilter=AutoFilter(ref=ref),
        tableStyleInfo=TableStyleInfo(name=TABLE_STYLE, showRowStripes=True),
    )
    sheet.add_table(table)
    sheet.freeze_panes = sheet["A2"]
    return table


def _validation(column: Column, sqref: str) -> DataValidation | None:
    if column.choices:
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(column.choices) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column.name,
            error=f"{column.name}: choose one of {', '.join(column.choices)}.",
        )
    elif column.kind == "integer" and column.name == "Terms Days":
        validation = DataValidation(
            type="whole",
            operator="between",
            formula1="0",
            formula2="3650",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column.name,
            error="Terms Days: a whole number of days, 0 or more.",
        )
    else:
        return None
    validation.add(sqref)
    return validation


def _typed_rows(
    frame: pd.DataFrame | None, columns: Sequence[Column], sheet: str
) -> list[list[object]]:
    """The frame's rows in the table's column order, each value typed for its column."""
    if frame is None or frame.empty:
        return []
    known = {column.name for column in columns}
    unknown = [str(header) for header in frame.columns if header not in known]
    if unknown:
        expected = ", ".join(column.name for column in columns)
        raise DunningInputError(
            [
                Issue(
                    f"unknown column; {sheet} has: {expected}",
                    sheet=sheet,
                    row=1,
                    column=header,
                    value=header,
                )
                for header in unknown
            ]
        )
    issues: list[Issue] = []
    rows: list[list[object]] = []
    records = frame.to_dict("records")
    for row_number, record in enumerate(records, start=2):
        row: list[object] = []
        for index, column in enumerate(columns, start=1):
            value = record.get(column.name)
            try:
                row.append(_typed(value, column.kind))
            except (TypeError, ValueError) as exc:
                issues.append(
                    Issue(
                        f"expected {_expectation(column.kind)} ({exc})",
                        sheet=sheet,
                        row=row_number,
                        column=column.name,
                        column_letter=_letter(index),
                        value=value,
                    )
                )
                row.append(None)
        rows.append(row)
    if issues:
        raise DunningInputError(issues)
    return rows


def _typed(value: object, kind: Kind) -> object:
    """A cell value for `kind`: blanks become None, text stays text, dates become dates."""
    if _is_blank(value):
        return None
    if kind == "date":
        return _as_date(value)
    if kind == "datetime":
        return _as_datetime(value)
    if kind in ("amount", "integer"):
        number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
        if not math.isfinite(number):
            raise ValueError("not a finite number")
        return int(number) if kind == "integer" and number.is_integer() else number
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if kind == "general":
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id read as a number: 123.0 is invoice 123
    return str(value)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return _timestamp(value).date()


def _as_datetime(value: object) -> dt.datetime:
    """A naive datetime (Excel has no time zones): aware values keep their wall-clock time."""
    stamp = _timestamp(value)
    return stamp.tz_localize(None).to_pydatetime() if stamp.tzinfo else stamp.to_pydatetime()


def _timestamp(value: object) -> pd.Timestamp:
    """ISO text, a Timestamp or numpy datetime64; never a bare number, which is ambiguous."""
    if isinstance(value, numbers.Real):
        raise ValueError("a number, not a date")
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        raise ValueError("not a date")
    return stamp


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _expectation(kind: Kind) -> str:
    return {
        "date": "a date (ISO text such as 2026-10-31, or a date)",
        "datetime": "a date and time",
        "amount": "a number",
        "integer": "a whole number",
    }.get(kind, "a value")


def _number_format(kind: Kind) -> str | None:
    return {
        "text": TEXT_FORMAT,
        "date": DATE_FORMAT,
        "datetime": DATETIME_FORMAT,
        "amount": AMOUNT_FORMAT,
        "integer": "0",
    }.get(kind)


# ---------------------------------------------------------------- settings


def _settings(sheet: Worksheet, *, client: str | None, as_of: dt.date | None,
              settings: Mapping[str, object] | None = None) -> None:
    """Settings (Setting, Value) in A:B with notes in D, and the Stages table in F:I."""
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    known = [name for name, _, _ in SETTINGS_ROWS]
    unknown = sorted(set(settings or {}) - set(known))
    if unknown:
        raise DunningInputError([Issue(f"unknown setting {name!r}; settings are: "
                                       f"{', '.join(known)}", sheet="Settings")
                                 for name in unknown])
    values: dict[str, object] = {**(settings or {}), "Client": client, "As Of Date": as_of}
    rows = [[name, values.get(name, default)] for name, default, _ in SETTINGS_ROWS]
    _table(sheet, "Settings", SETTINGS_COLUMNS, rows, last_format_row=len(rows) + 1)
    for row_index, (name, _, note) in enumerate(SETTINGS_ROWS, start=2):
        value_cell = sheet.cell(row_index, 2)
        value_cell.number_format = _settings_format(name)
        value_cell.alignment = Alignment(horizontal="left")
        _put_text(sheet, row_index, 4, note).font = NOTE_FONT
    sheet.column_dimensions["B"].number_format = "General"
    sheet.column_dimensions["C"].width = 2
    sheet.column_dimensions["D"].width = 62
    sheet.column_dimensions["E"].width = 2
    basis_row = 2 + [name for name, _, _ in SETTINGS_ROWS].index("Aging Basis")
    basis = _validation(Column("Aging Basis", choices=AGING_BASES), f"B{basis_row}")
    if basis is not None:
        sheet.add_data_validation(basis)
    stage_rows = [list(row) for row in STAGE_ROWS]
    _table(sheet, "Stages", STAGE_COLUMNS, stage_rows, first_column=6, last_format_row=200)
    _table(sheet, "ReferenceRates", RATE_TABLE_COLUMNS, [], first_column=13,
           last_format_row=200)


def _settings_format(name: str) -> str:
    if name == "As Of Date":
        return DATE_FORMAT
    if name == "Tolerance Amount":
        return AMOUNT_FORMAT
    if name.startswith(("Bucket", "Minimum", "Max", "Reminder Period", "SMTP Port")):
        return "0"
    return TEXT_FORMAT


# ---------------------------------------------------------------- dashboard

DASHBOARD_AS_OF = "B3"
DASHBOARD_CURRENCY = "E3"
"""The currency every native Dashboard figure counts (default: the Settings' Currency, else
the first invoice's); type another code over it to see that currency."""
AGING_FIRST_ROW = 7
AGING_LABELS_FIXED = ("Current", None, None, None, None, None)
AGING_ROWS = 6
AGING_TOTAL_ROW = AGING_FIRST_ROW + AGING_ROWS
AMOUNT_COLUMN = "F"
COUNT_COLUMN = "G"
KPI_ROWS = {
    "open_receivables": 16,
    "past_due": 17,
    "past_due_share": 18,
    "credit_sales_365": 19,
    "dso": 20,
}


def dashboard_cells() -> dict[str, str]:
    """Where the Dashboard keeps each figure, as "Dashboard!F7" references.

    Keys: "as_of", "label:<i>", "amount:<i>", "count:<i>" for the six aging rows
    (i = 0 for Current .. 5 for the oldest bucket), "amount:Total", "count:Total",
    "currency", the KPI names of `KPI_ROWS`, and "addin:<i>" for the add-in's figures.
    Tests and the command line use this instead of hard-coding addresses.
    """
    cells = {"as_of": f"Dashboard!{DASHBOARD_AS_OF}",
             "currency": f"Dashboard!{DASHBOARD_CURRENCY}"}
    for i in range(AGING_ROWS):
        row = AGING_FIRST_ROW + i
        cells[f"label:{i}"] = f"Dashboard!A{row}"
        cells[f"amount:{i}"] = f"Dashboard!{AMOUNT_COLUMN}{row}"
        cells[f"count:{i}"] = f"Dashboard!{COUNT_COLUMN}{row}"
    cells["label:Total"] = f"Dashboard!A{AGING_TOTAL_ROW}"
    cells["amount:Total"] = f"Dashboard!{AMOUNT_COLUMN}{AGING_TOTAL_ROW}"
    cells["count:Total"] = f"Dashboard!{COUNT_COLUMN}{AGING_TOTAL_ROW}"
    for name, row in KPI_ROWS.items():
        cells[name] = f"Dashboard!{AMOUNT_COLUMN}{row}"
    for index in range(len(PYTHON_FIGURES)):
        cells[f"addin:{index}"] = f"Dashboard!{AMOUNT_COLUMN}{PYTHON_FIGURES_FIRST_ROW + index}"
    return cells


def _setting(name: str) -> str:
    """A lookup of one setting by name, so reordering the Settings rows breaks nothing."""
    return f'INDEX(Settings[Value],MATCH("{name}",Settings[Setting],0))'


def _open_criteria(low: str | None, high: str | None) -> str:
    """SUMIFS criteria for items due within [low, high] and issued by the as-of date."""
    parts: list[str] = []
    if low:
        parts += ["Invoices[Due Date]", f'">="&{low}']
    if high:
        parts += ["Invoices[Due Date]", f'"<="&{high}']
    parts += ["Invoices[Invoice Date]", '"<="&AsOfDate', "Invoices[Currency]", "DashboardCurrency"]
    return ",".join(parts)


def open_amount_formula(low: str | None, high: str | None) -> str:
    """Open balance on the as-of date of the items due within [low, high] (cells with dates).

    Mirrors the core (`dunning.core.ledger` open amount, then `open_balance`): an item's
    open amount is Amount minus Paid; with Paid blank, a Settled Date clears it;
    an item settled after the as-of date counts in full (it was open then), and
    one issued after it counts nothing. As four SUMIFS:

        Amount - Paid + Paid of items settled later - Amount of items with Paid
        blank that were settled by the as-of date.
    """
    criteria = _open_criteria(low, high)
    return (
        f"=SUMIFS(Invoices[Amount],{criteria})"
        f"-SUMIFS(Invoices[Paid],{criteria})"
        f'+SUMIFS(Invoices[Paid],{criteria},Invoices[Settled Date],">"&AsOfDate)'
        f'-SUMIFS(Invoices[Amount],{criteria},Invoices[Paid],"",'
        f'Invoices[Settled Date],"<="&AsOfDate)'
    )


OPEN_BALANCE_ARRAY = (
    "Invoices[Amount]"
    "-(1-ISNUMBER(Invoices[Settled Date])*(Invoices[Settled Date]>AsOfDate))"
    '*(Invoices[Paid]+(Invoices[Paid]="")*ISNUMBER(Invoices[Settled Date])*Invoices[Amount])'
)
"""Each item's open balance on the as-of date, as an array (the rule of `open_amount_formula`)."""


def open_count_formula(low: str | None, high: str | None) -> str:
    """Count of the items due within [low, high] whose open balance is not zero.

    COUNTIFS cannot compare one column with another (Amount against Paid), so
    this is a SUMPRODUCT over the same conditions as `open_amount_formula`, the
    balance rounded to cents before the test for zero. SUMPRODUCT evaluates
    arrays without Ctrl+Shift+Enter in every Excel version, and it avoids IF,
    which would need array entry before Excel 365.
    """
    factors = ["ISNUMBER(Invoices[Due Date])"]
    if low:
        factors.append(f"(Invoices[Due Date]>={low})")
    if high:
        factors.append(f"(Invoices[Due Date]<={high})")
    factors += [
        "ISNUMBER(Invoices[Invoice Date])",
        "(Invoices[Invoice Date]<=AsOfDate)",
        "(Invoices[Currency]=DashboardCurrency)",
        f"(ROUND({OPEN_BALANCE_ARRAY},2)<>0)",
    ]
    return "=SUMPRODUCT(" + "*".join(factors) + ")"


def _dashboard(sheet: Worksheet) -> None:
    sheet.sheet_view.showGridLines = False
    sheet.page_setup.orientation = "landscape"  # one page wide when printed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    for letter, width in zip("ABCDEFGH", (28, 12, 9, 15, 17, 19, 11, 9), strict=True):
        sheet.column_dimensions[letter].width = width
    _put_text(sheet, 1, 1, "Receivables dashboard").font = TITLE_FONT
    _put_text(sheet, 2, 1, "Client").font = BOLD
    client = _setting("Client")
    sheet["B2"] = f'=IF({client}="","",{client})'
    _put_text(sheet, 3, 1, "As of").font = BOLD
    as_of_setting = _setting("As Of Date")
    sheet[DASHBOARD_AS_OF] = f'=IF({as_of_setting}="",TODAY(),{as_of_setting})'
    sheet[DASHBOARD_AS_OF].number_format = DATE_FORMAT
    sheet[DASHBOARD_AS_OF].alignment = Alignment(horizontal="left")
    _put_text(sheet, 3, 4, "Currency").font = BOLD
    currency = _setting("Currency")
    sheet[DASHBOARD_CURRENCY] = (f'=IF({currency}="",INDEX(Invoices[Currency],1)&"",'
                                 f"UPPER({currency}))")
    sheet[DASHBOARD_CURRENCY].font = BOLD
    sheet[DASHBOARD_CURRENCY].alignment = Alignment(horizontal="left")
    _put_text(
        sheet,
        4,
        1,
        "Open balances by days past due (as-of date minus due date); Current = not yet due. "
        "Bucket edges come from Settings. Only items in the currency above count.",
    ).font = NOTE_FONT
    _aging_block(sheet)
    _kpi_block(sheet)
    _python_block(sheet)


def _aging_block(sheet: Worksheet) -> None:
    header_row = AGING_FIRST_ROW - 1
    headers = (
        "Days past due",
        "From day",
        "To day",
        "Due on or after",
        "Due on or before",
        "Open amount",
        "Open items",
        "Share",
    )
    for index, text in enumerate(headers, start=1):
        cell = _put_text(sheet, header_row, index, text)
        cell.font = BOLD
        cell.fill = HEADER_FILL
    sheet[f"{AMOUNT_COLUMN}{header_row}"] = '="Open amount ("&DashboardCurrency&")"'
    first, last = AGING_FIRST_ROW, AGING_TOTAL_ROW - 1
    for i in range(AGING_ROWS):
        row = first + i
        from_day, to_day = _bucket_days(i, row)
        sheet[f"A{row}"] = _bucket_label(i, row)
        if from_day is not None:
            sheet[f"B{row}"] = from_day
            sheet[f"E{row}"] = f"=AsOfDate-B{row}"
        if to_day is not None:
            sheet[f"C{row}"] = to_day
            sheet[f"D{row}"] = f"=AsOfDate-C{row}"
        low = f"$D{row}" if to_day is not None else None
        high = f"$E{row}" if from_day is not None else None
        sheet[f"F{row}"] = open_amount_formula(low, high)
        sheet[f"G{row}"] = open_count_formula(low, high)
        sheet[f"H{row}"] = f'=IF($F${AGING_TOTAL_ROW}=0,"",F{row}/$F${AGING_TOTAL_ROW})'
        _aging_formats(sheet, row)
    total = AGING_TOTAL_ROW
    _put_text(sheet, total, 1, "Total").font = BOLD
    sheet[f"F{total}"] = f"=SUM(F{first}:F{last})"
    sheet[f"G{total}"] = f"=SUM(G{first}:G{last})"
    sheet[f"H{total}"] = f'=IF($F${total}=0,"",F{total}/$F${total})'
    _aging_formats(sheet, total)
    _currency_beside(sheet, total)
    for letter in "AFGH":
        sheet[f"{letter}{total}"].font = BOLD


def _bucket_days(index: int, row: int) -> tuple[object, object]:
    """(from day, to day) cell contents for aging row `index`; None where unbounded."""
    if index == 0:
        return None, 0
    to_day = f"={_setting(f'Bucket {index} Days')}" if index <= 4 else None
    from_day = 1 if index == 1 else f"=C{row - 1}+1"
    return from_day, to_day


def _bucket_label(index: int, row: int) -> str:
    if index == 0:
        return "Current"
    if index == AGING_ROWS - 1:
        return f'="Over "&C{row - 1}'
    return f'=B{row}&"-"&C{row}'


def _aging_formats(sheet: Worksheet, row: int) -> None:
    for letter, number_format in (
        ("B", "0"),
        ("C", "0"),
        ("D", DATE_FORMAT),
        ("E", DATE_FORMAT),
        ("F", AMOUNT_FORMAT),
        ("G", "0"),
        ("H", PERCENT_FORMAT),
    ):
        sheet[f"{letter}{row}"].number_format = number_format


def _kpi_block(sheet: Worksheet) -> None:
    first = min(KPI_ROWS.values())
    _put_text(sheet, first - 1, 1, "Key figures").font = BOLD
    total, current = f"F{AGING_TOTAL_ROW}", f"F{AGING_FIRST_ROW}"
    rows = KPI_ROWS
    kpis: tuple[tuple[str, str, str, str], ...] = (
        ("open_receivables", "Open receivables", f"={total}", "Total of the aging above."),
        ("past_due", "Past due", f"={total}-{current}", "Open amount due before the as-of date."),
        (
            "past_due_share",
            "Past due share",
            f'=IF({total}=0,"not defined",F{rows["past_due"]}/{total})',
            "Past due / open receivables.",
        ),
        (
            "credit_sales_365",
            "Credit sales, last 365 days",
            '=SUMIFS(Invoices[Amount],Invoices[Invoice Date],">"&(AsOfDate-365),'
            'Invoices[Invoice Date],"<="&AsOfDate,Invoices[Currency],DashboardCurrency)',
            "Invoices less credit notes dated in the 365 days up to the as-of date.",
        ),
        (
            "dso",
            "DSO (days)",
            f'=IF(F{rows["credit_sales_365"]}<=0,"not defined",'
            f"F{rows['open_receivables']}/F{rows['credit_sales_365']}*365)",
            "Open receivables / credit sales of the last 365 days x 365.",
        ),
    )
    for key, label, formula, note in kpis:
        row = rows[key]
        _put_text(sheet, row, 1, label)
        sheet[f"F{row}"] = formula
        sheet[f"F{row}"].number_format = (
            PERCENT_FORMAT if key == "past_due_share" else "0.0" if key == "dso" else AMOUNT_FORMAT
        )
        sheet[f"F{row}"].alignment = Alignment(horizontal="right")
        if key in ("open_receivables", "past_due", "credit_sales_365"):
            _currency_beside(sheet, row)
        _put_text(sheet, row, 7, note).font = NOTE_FONT


def _currency_beside(sheet: Worksheet, row: int) -> None:
    """The Dashboard's currency in column E, just left of the amount in F."""
    sheet[f"E{row}"] = "=DashboardCurrency"
    sheet[f"E{row}"].number_format = "General"
    sheet[f"E{row}"].alignment = Alignment(horizontal="right")


def _python_block(sheet: Worksheet) -> None:
    """Figures only Dunning's functions compute; they say NEEDS_ADDIN until it is installed."""
    first = PYTHON_FIGURES_FIRST_ROW
    heading = "With Dunning's functions (needs the Dunning add-in)"
    _put_text(sheet, first - 1, 1, heading).font = BOLD
    for row, (label, call, number_format) in enumerate(PYTHON_FIGURES, start=first):
        _put_text(sheet, row, 1, label)
        sheet[f"F{row}"] = addin_formula(call)
        sheet[f"F{row}"].number_format = number_format
        sheet[f"F{row}"].alignment = Alignment(horizontal="right")
    _put_text(sheet, first, 7, "Computed once the add-in is installed (README, Excel section)."
              ).font = NOTE_FONT


def _xlwings_conf(sheet: Worksheet) -> None:
    for row, (name, value) in enumerate(XLWINGS_CONF, start=1):
        _put_text(sheet, row, 1, name)
        _put_text(sheet, row, 2, value)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 20


def _defined_names(workbook: Workbook) -> None:
    """Names the formulas use, so they read as words and survive moving the Dashboard."""
    names = {"AsOfDate": f"Dashboard!${DASHBOARD_AS_OF[0]}${DASHBOARD_AS_OF[1:]}",
             "DashboardCurrency": f"Dashboard!${DASHBOARD_CURRENCY[0]}${DASHBOARD_CURRENCY[1:]}"}
    for i in range(1, 5):
        names[f"Bucket{i}"] = f"Dashboard!$C${AGING_FIRST_ROW + i}"
    for name, target in names.items():
        workbook.defined_names[name] = DefinedName(name, attr_text=target)


# ---------------------------------------------------------------- cells


def _put_text(sheet: Worksheet, row: int, column: int, text: str) -> Cell:
    """Write `text` as a literal string, even if it starts with "=" (never a formula)."""
    cell = sheet.cell(row, column)
    cell.value = text
    cell.data_type = "s"
    return cell


def _put_value(sheet: Worksheet, row: int, column: int, value: object) -> None:
    if isinstance(value, str):
        _put_text(sheet, row, column, value)
    else:
        sheet.cell(row, column).value = value


def _letter(index: int) -> str:
    return get_column_letter(index)


def table_headers() -> dict[str, tuple[str, ...]]:
    """Each table's headers, in order, as the template writes them."""
    return {
        "Invoices": _names(INVOICE_COLUMNS),
        "Customers": _names(CUSTOMER_COLUMNS),
        "ContactLog": _names(CONTACT_LOG_COLUMNS),
        "Settings": _names(SETTINGS_COLUMNS),
        "Stages": _names(STAGE_COLUMNS),
        "ReferenceRates": _names(RATE_TABLE_COLUMNS),
        "Templates": _names(TEMPLATE_COLUMNS),
    }


def _names(columns: Iterable[Column]) -> tuple[str, ...]:
    return tuple(column.name for column in columns)
