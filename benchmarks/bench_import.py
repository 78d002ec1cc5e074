"""Import a 100,000-row aging export into a client workbook that already holds 100,000 invoices.

The export (QuickBooks A/R Aging Detail layout: title lines, an "As of" line, a
Customer column, a TOTAL row) keeps 90% of the workbook's invoices, a tenth of them
with a new open balance, drops the other 10% (settled) and brings 10% new ones: so
one run appends, updates and settles thousands of rows. Prints the milliseconds of
`import_export` (reading and recognising the export, reading the workbook, and the
atomic save through the lossless writer) for the best of `--repeat` runs, each on a
fresh copy. The workbook is built once and cached in the temp folder.

    python benchmarks/bench_import.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from dunning.app.importing import import_export
from dunning.io.client_workbook import new_client_workbook
from dunning.io.xlsx import append_rows

CACHE = Path(tempfile.gettempdir()) / "dunning-bench"
START = dt.date(2025, 1, 1)


def invoice(number: int) -> tuple[str, str, dt.date, dt.date, float]:
    issued = START + dt.timedelta(days=number % 600)
    return (f"INV-{number:07d}", f"C{number % 997:04d}", issued,
            issued + dt.timedelta(days=30), float(100 + number % 5000))


def build_book(path: Path, rows: int) -> Path:
    if path.exists():
        return path
    new_client_workbook(path, "Benchmark")
    append_rows(path, "Invoices", [
        {"Invoice No": number, "Customer": customer, "Invoice Date": issued, "Due Date": due,
         "Amount": amount, "Currency": "USD"}
        for number, customer, issued, due, amount in map(invoice, range(rows))], backups=0)
    return path


def build_export(path: Path, rows: int) -> Path:
    kept = range(rows // 10, rows + rows // 10)  # the first tenth settled, a tenth new
    lines = ["A/R Aging Detail", "Benchmark Ltd", '"As of December 31, 2026"', "",
             ",Date,Transaction Type,Num,Customer,Due Date,Amount,Open Balance"]
    total_amount = total_open = 0.0
    for n in kept:
        number, customer, issued, due, amount = invoice(n)
        open_amount = amount - 25.0 if n % 10 == 0 else amount
        total_amount += amount
        total_open += open_amount
        lines.append(f",{issued:%m/%d/%Y},Invoice,{number},{customer},{due:%m/%d/%Y},"
                     f"{amount:.2f},{open_amount:.2f}")
    lines.append(f"TOTAL,,,,,,{total_amount:.2f},{total_open:.2f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    book = build_book(CACHE / f"import-book-{args.rows}.xlsx", args.rows)
    export = build_export(CACHE / f"import-export-{args.rows}.csv", args.rows)
    best = float("inf")
    for run in range(args.repeat):
        target = CACHE / f"import-run-{run}.xlsx"
        shutil.copy(book, target)
        start = time.perf_counter()
        result = import_export(export, target, backups=0)
        best = min(best, (time.perf_counter() - start) * 1000)
        target.unlink()
    print(f"import {args.rows:,}-row export into {args.rows:,} invoices: {best:,.0f} ms "
          f"({len(result.new):,} new, {len(result.updated):,} updated, "
          f"{len(result.settled):,} settled, {len(result.unchanged):,} unchanged)")


if __name__ == "__main__":
    main()
