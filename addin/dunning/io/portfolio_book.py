"""The Portfolio workbook: a firm's clients rolled up, built new with openpyxl, charts included.

A Portfolio is Dunning's own file, made whole on every run (no client data is edited),
so openpyxl builds its cells, the lossless writer draws its native charts as chart
parts (the same `dunning.io.xlsx.charts` the client's Charts sheet is drawn with), and
the writer's atomic save puts it in place (a crash leaves the old Portfolio or the new
one). Sheets:

- Clients: one row per client and currency (open receivables, past due, DSO, CEI, the
  worklist's size, broken promises, the last reminder run and its status, problems, the
  error of a workbook that could not be read);
- Totals: open receivables and past due per currency over the clients read;
- Worklist: every client's worklist in one, highest score first;
- Charts: per currency, open and past due by client, DSO by client, and each client's
  DSO and CEI over time, from the rows its refreshes recorded in its KPIHistory table.

Every sheet says as of which date it is and when it was made, has a styled, frozen
header row with a filter, widths fitted to the content and number formats: money with
two decimals, thousands separators and its currency, percentages as percentages. The
document's keywords carry `OUTPUT_MARK`, so a Portfolio saved in the
clients' folder is never read as a client.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dunning.core.portfolio import Portfolio
from dunning.io.xlsx.atomic import save
from dunning.io.xlsx.cells import RISKY_START
from dunning.io.xlsx.chart_ranges import range_ref
from dunning.io.xlsx.charts import Chart, Series
from dunning.io.xlsx.edit import WorkbookEdit
from dunning.io.xlsx.locks import check_not_open

OUTPUT_MARK = "dunning-portfolio"
"""The keyword a Portfolio carries in docProps/core.xml (`dunning.app.clients` skips it)."""
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
MONEY = "#,##0.00"
PERCENT = "0.0%"
DAYS = "#,##0.0"
MOMENT = "yyyy-mm-dd hh:mm"
FIRST_ROW = 4  # rows 1-2: title and as-of line; row 4: the header
CHARTS_SHEET = "Charts"
CHART_ROWS = 17
"""Rows a chart takes; a currency's bars sit beside its figures, its lines below the bars."""
MAX_WIDTH = 60

CLIENT_HEADERS = (
    ("client", "Client", None), ("file", "File", None), ("currency", "Currency", None),
    ("open_receivables", "Open Receivables", MONEY), ("past_due", "Past Due", MONEY),
    ("percent_past_due", "Past Due %", PERCENT), ("dso", "DSO (days)", DAYS),
    ("cei", "CEI", PERCENT), ("worklist", "Worklist", "0"),
    ("broken_promises", "Broken Promises", "0"),
    ("last_run", "Last Reminder Run (UTC)", MOMENT), ("last_run_status", "Last Run Status", None),
    ("problems", "Problems Found", None), ("error", "Error", None),
)
TOTAL_HEADERS = (
    ("currency", "Currency", None), ("clients", "Clients", "0"),
    ("open_receivables", "Open Receivables", MONEY), ("past_due", "Past Due", MONEY),
    ("percent_past_due", "Past Due %", PERCENT),
)
WORKLIST_HEADERS = (
    ("client", "Client", None), ("rank", "Rank", "0"), ("customer", "Customer", None),
    ("name", "Name", None), ("score", "Score", "0.0"), ("currency", "Currency", None),
    ("open_balance", "Open Balance", MONEY), ("reason", "Reason", None),
    ("reminder", "Reminder Today", None), ("reasons", "All Reasons", None),
)
PERCENT_KEYS = {"percent_past_due", "cei"}  # the core gives percent (88.6); cells hold 0.886


def write_portfolio(path: str | Path, portfolio: Portfolio, *, as_of: dt.date,
                    made: dt.datetime) -> Path:
    """Build the Portfolio workbook and save it atomically at `path` (refused while open)."""
    path = Path(path)
    if path.exists():
        check_not_open(path)
    book, charts = build(portfolio, as_of=as_of, made=made)
    with tempfile.TemporaryDirectory(prefix="dunning-portfolio-") as folder:
        staged = Path(folder) / "Portfolio.xlsx"
        book.save(staged)
        with WorkbookEdit(staged, backups=0, recalculate=False) as edit:
            edit.set_charts(CHARTS_SHEET, charts)
        data = staged.read_bytes()
    save(path, lambda out: out.write(data), _verify, backups=0)
    return path


def build(portfolio: Portfolio, *, as_of: dt.date, made: dt.datetime
          ) -> tuple[Workbook, list[Chart]]:
    """The Portfolio's cells as an openpyxl workbook (see the module docstring), and the
    charts to draw on its Charts sheet."""
    book = Workbook()
    book.properties.title = f"Portfolio as of {as_of:%Y-%m-%d}"
    book.properties.creator = "Dunning"
    book.properties.keywords = OUTPUT_MARK
    stamp = (f"As of {as_of:%Y-%m-%d}; made {made:%Y-%m-%d %H:%M} "
             f"{made.strftime('%Z') or ''}".rstrip())
    clients = book.active
    clients.title = "Clients"
    _table(clients, "Client portfolio", stamp, CLIENT_HEADERS, portfolio.clients)
    _table(book.create_sheet("Totals"), "Totals per currency", stamp, TOTAL_HEADERS,
           portfolio.totals)
    _table(book.create_sheet("Worklist"), "Worklist across clients", stamp, WORKLIST_HEADERS,
           portfolio.worklist)
    charts = _charts(book.create_sheet(CHARTS_SHEET), portfolio.clients, portfolio.history,
                     stamp)
    for sheet in book.worksheets:  # printed landscape, one page wide
        sheet.page_setup.orientation = "landscape"
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    return book, charts


def _table(sheet: Worksheet, title: str, stamp: str,
           headers: Sequence[tuple[str, str, str | None]], frame: pd.DataFrame) -> None:
    sheet["A1"] = title
    sheet["A1"].font = TITLE_FONT
    sheet["A2"] = stamp
    for column, (_, label, _) in enumerate(headers, start=1):
        cell = sheet.cell(FIRST_ROW, column, label)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    for offset, record in enumerate(frame.to_dict("records"), start=1):
        currency = str(record.get("currency") or "")
        for column, (key, _, number_format) in enumerate(headers, start=1):
            value = _cell_value(key, record.get(key))
            cell = _put(sheet, FIRST_ROW + offset, column, value)
            if number_format is not None and value is not None:
                cell.number_format = (f'#,##0.00 "{currency}"' if number_format == MONEY
                                      and currency else number_format)
    last = FIRST_ROW + max(len(frame), 1)
    sheet.freeze_panes = sheet.cell(FIRST_ROW + 1, 2 if headers[0][0] == "client" else 1)
    sheet.auto_filter.ref = f"A{FIRST_ROW}:{get_column_letter(len(headers))}{last}"
    _fit_widths(sheet, headers, frame)


def _put(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write a value; text that would start a formula stays literal text (quote prefix)."""
    cell = sheet.cell(row, column, value)
    if isinstance(value, str) and value.startswith(RISKY_START):
        cell.data_type = "s"  # openpyxl reads "=..." as a formula: never from client data
        cell.quotePrefix = True
    return cell


def _cell_value(key: str, value: object) -> object:
    """A value as a cell holds it: NaN and None blank, percent as a fraction, text literal."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if key in PERCENT_KEYS:
        return round(float(value) / 100, 8)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _fit_widths(sheet: Worksheet, headers: Sequence[tuple[str, str, str | None]],
                frame: pd.DataFrame) -> None:
    for column, (key, label, number_format) in enumerate(headers, start=1):
        values = frame[key].tolist() if key in frame else []
        widest = max([len(label), *(len(_shown(v, number_format)) for v in values)])
        sheet.column_dimensions[get_column_letter(column)].width = min(widest + 2, MAX_WIDTH)


def _shown(value: object, number_format: str | None) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if number_format == MONEY and isinstance(value, (int, float)):
        return f"{value:,.2f} XXX"
    if number_format == MOMENT:
        return "2026-01-01 00:00"
    return str(value)


def _charts(sheet: Worksheet, clients: pd.DataFrame, history: pd.DataFrame,
            stamp: str) -> list[Chart]:
    """Per currency, the figures the charts draw and the charts: open and past due by client
    and DSO by client (bars beside the figures), and, from the clients' KPIHistory rows,
    DSO and CEI over time (lines below: one per client, a row per date recorded)."""
    sheet["A1"] = "Charts"
    sheet["A1"].font = TITLE_FONT
    sheet["A2"] = stamp
    read = clients[(clients["error"] == "") & (clients["currency"] != "")]
    row = FIRST_ROW
    charts: list[Chart] = []
    for currency, rows in read.groupby("currency", sort=True):
        labels = ("Client", f"Open Receivables ({currency})", f"Past Due ({currency})",
                  "DSO (days)")
        _header(sheet, row, labels)
        for offset, record in enumerate(rows.to_dict("records"), start=1):
            _put(sheet, row + offset, 1, _cell_value("client", record["client"]))
            for column, key in ((2, "open_receivables"), (3, "past_due")):
                cell = sheet.cell(row + offset, column, record[key])
                cell.number_format = f'#,##0.00 "{currency}"'
            dso = record["dso"]
            cell = sheet.cell(row + offset, 4, None if dso is None or dso != dso else dso)
            cell.number_format = DAYS
        last = row + len(rows)
        names = range_ref(CHARTS_SHEET, row + 1, 1, last, 1)
        charts.append(Chart("bar", f"Open and past due by client ({currency})", tuple(
            Series(label, range_ref(CHARTS_SHEET, row + 1, column, last, column), names)
            for column, label in ((2, "Open receivables"), (3, "Past due"))),
            (5, row - 1, 14, row - 1 + CHART_ROWS)))
        charts.append(Chart("bar", f"DSO by client ({currency})", (
            Series("DSO (days)", range_ref(CHARTS_SHEET, row + 1, 4, last, 4), names),),
            (14, row - 1, 23, row - 1 + CHART_ROWS), number_format="0"))
        end = last
        over_time = history[history["currency"] == currency]
        if not over_time.empty:
            end, lines = _over_time(sheet, last + 2, over_time, row - 1 + CHART_ROWS,
                                    str(currency))
            charts += lines
        bottom = row - 1 + CHART_ROWS * (1 if over_time.empty else 2)
        row = max(end + 2, bottom + 2)  # the next block starts below this one's charts
    for column, width in zip("ABCD", (28, 24, 20, 12), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"  # the title and the as-of line; the charts start below them
    return charts


def _over_time(sheet: Worksheet, top: int, history: pd.DataFrame, chart_row: int,
               currency: str) -> tuple[int, list[Chart]]:
    """Two blocks, DSO then CEI: a row per date recorded, a column per client (blank where
    its workbook recorded nothing that day), and a line chart of each. Returns the last
    row written and the charts."""
    files = list(dict.fromkeys(history["file"]))
    names = dict(zip(history["file"], history["client"], strict=False))
    shown = [names[file] if list(names.values()).count(names[file]) == 1 else
             f"{names[file]} ({file})" for file in files]
    days = sorted(set(history["as_of"]))
    charts = []
    for kind, key, number_format, anchor in (("DSO", "dso", DAYS, 5), ("CEI", "cei", PERCENT, 14)):
        _header(sheet, top, (f"As Of ({kind})", *shown))
        values = {(file, day): value for file, day, value in
                  zip(history["file"], history["as_of"], history[key], strict=True)}
        for offset, day in enumerate(days, start=1):
            cell = sheet.cell(top + offset, 1, day)
            cell.number_format = "yyyy-mm-dd"
            for column, file in enumerate(files, start=2):
                value = values.get((file, day))
                cell = sheet.cell(top + offset, column,
                                  None if value is None or value != value else value)
                cell.number_format = number_format
        last = top + len(days)
        dates = range_ref(CHARTS_SHEET, top + 1, 1, last, 1)
        title = (f"DSO over time ({currency})" if kind == "DSO"
                 else f"CEI over time, last 30 days ({currency})")
        charts.append(Chart("line", title, tuple(
            Series(label, range_ref(CHARTS_SHEET, top + 1, column, last, column), dates)
            for column, label in enumerate(shown, start=2)),
            (anchor, chart_row, anchor + 9, chart_row + CHART_ROWS),
            number_format="0" if kind == "DSO" else "0%", category_format="yyyy-mm-dd",
            connect_gaps=True))
        top = last + 2
    return top - 2, charts


def _header(sheet: Worksheet, row: int, labels: Sequence[str]) -> None:
    for column, label in enumerate(labels, start=1):
        cell = _put(sheet, row, column, label)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT


def _verify(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
    if bad is not None:
        raise OSError(f"{path}: the new Portfolio is damaged ({bad}); nothing was replaced")
