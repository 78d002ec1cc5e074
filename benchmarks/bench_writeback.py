"""Append 100 contact-log rows to a workbook whose Invoices sheet holds 100,000 rows.

Prints milliseconds for Dunning's part-level writer (including its atomic save:
temp file, fsync, full CRC check, backup copy, rename) beside openpyxl's
load-and-save of the same file, and their ratio. Targets: under 500 ms, and at
least 20 times faster than openpyxl. The workbook is built once with xlsxwriter
and cached in the temp folder.

    python benchmarks/bench_writeback.py [--rows 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import openpyxl
import xlsxwriter

from dunning.io.xlsx import append_rows

CACHE = Path(tempfile.gettempdir()) / "dunning-bench"


def build(path: Path, rows: int) -> Path:
    """Invoices (rows x 8 columns, a table), a ContactLog table, a Dashboard with formulas."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})
    invoices = book.add_worksheet("Invoices")
    headers = [
        "Invoice",
        "Customer",
        "Name",
        "Invoice Date",
        "Due Date",
        "Amount",
        "Open",
        "Currency",
    ]
    start = dt.datetime(2023, 1, 1)
    for row in range(1, rows + 1):
        issued = start + dt.timedelta(days=row % 700)
        invoices.write_string(row, 0, f"INV-{row:07d}")
        invoices.write_string(row, 1, f"C{row % 997:04d}")
        invoices.write_string(row, 2, f"Customer {row % 997}")
        invoices.write_datetime(row, 3, issued, date)
        invoices.write_datetime(row, 4, issued + dt.timedelta(days=30), date)
        invoices.write_number(row, 5, 100 + row % 5000, money)
        invoices.write_number(row, 6, (row % 3) * 50.0, money)
        invoices.write_string(row, 7, "EUR")
    invoices.add_table(
        0,
        0,
        rows,
        len(headers) - 1,
        {"name": "InvoiceTable", "columns": [{"header": name} for name in headers]},
    )
    log = book.add_worksheet("ContactLog")
    log.add_table(
        "A1:F3",
        {
            "name": "ContactLog",
            "columns": [
                {"header": name}
                for name in ("Date", "Customer", "Stage", "Channel", "Amount", "Note")
            ],
            "data": [
                [dt.date(2024, 1, 2), "C0001", "First reminder", "email", 120.0, "sent"],
                [dt.date(2024, 1, 3), "C0002", "First reminder", "email", 80.0, "sent"],
            ],
        },
    )
    dashboard = book.add_worksheet("Dashboard")
    dashboard.write_formula("A1", f"=SUM(Invoices!G2:G{rows + 1})")
    dashboard.write_formula("A2", "=COUNTA(ContactLog[Customer])")
    book.close()
    return path


def contact_rows(count: int) -> list[dict[str, object]]:
    return [
        {
            "Date": dt.date(2024, 6, 1),
            "Customer": f"C{index:04d}",
            "Stage": "Second reminder",
            "Channel": "email",
            "Amount": 10.0 + index,
            "Note": f"reminder {index} sent",
        }
        for index in range(count)
    ]


def invoice_row(index: int) -> list[object]:
    return [
        f"NEW-{index:05d}",
        "C0001",
        "Customer 1",
        dt.date(2024, 6, 1),
        dt.date(2024, 7, 1),
        99.0,
        99.0,
        "EUR",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    source = CACHE / f"writeback-v2-{args.rows}.xlsx"
    if not source.exists():
        started = time.perf_counter()
        build(source, args.rows)
        print(f"built {source} in {time.perf_counter() - started:.1f} s")
    work = Path(tempfile.mkdtemp(prefix="dunning-bench-"))
    try:
        timings = []
        rows = contact_rows(100)
        for run in range(args.repeat):
            book = work / f"run{run}.xlsx"
            shutil.copy(source, book)
            started = time.perf_counter()
            append_rows(book, "ContactLog", rows, backups=1)
            timings.append(time.perf_counter() - started)
        dunning_ms = statistics.median(timings) * 1000
        big = []
        for run in range(args.repeat):
            book = work / f"big{run}.xlsx"
            shutil.copy(source, book)
            started = time.perf_counter()
            append_rows(book, "InvoiceTable", [invoice_row(index) for index in range(100)])
            big.append(time.perf_counter() - started)
        big_ms = statistics.median(big) * 1000
        book = work / "openpyxl.xlsx"
        shutil.copy(source, book)
        started = time.perf_counter()
        loaded = openpyxl.load_workbook(book)
        loaded.save(book)
        openpyxl_ms = (time.perf_counter() - started) * 1000
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = source.stat().st_size / 1e6
    print(f"workbook: {args.rows:,} invoice rows, {size:.1f} MB")
    print(
        f"dunning.io.xlsx append 100 rows (atomic save, median of {args.repeat}): "
        f"{dunning_ms:.0f} ms"
    )
    print(f"openpyxl load + save: {openpyxl_ms:.0f} ms")
    print(
        f"(worst case, the 100,000-row sheet itself edited: append 100 rows to the "
        f"Invoices table: {big_ms:.0f} ms)"
    )
    met = dunning_ms < 500 and openpyxl_ms / dunning_ms >= 20
    print(
        f"ratio: {openpyxl_ms / dunning_ms:.0f}x faster "
        f"(targets < 500 ms and >= 20x: {'met' if met else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
