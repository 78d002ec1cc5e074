"""Speed of the receivables core: ledger build, aging, KPIs, and reading an .xlsx sheet.

Run: python benchmarks/bench_core.py [--sizes 100000 1000000] [--skip-xlsx]
Prints milliseconds (best of several runs) for each stated size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dunning.core.aging import aging_by_customer  # noqa: E402
from dunning.core.ledger import build_ledger  # noqa: E402
from dunning.core.ledger_kpis import all_kpis  # noqa: E402
from dunning.io.reading import read_invoices  # noqa: E402
from generate import invoice_rows, write_invoice_xlsx  # noqa: E402
from timing import best_ms  # noqa: E402

AS_OF = dt.date(2026, 11, 23)



def bench_core(size: int) -> None:
    rows = invoice_rows(size)
    repeat = 5 if size <= 100_000 else 2
    build_ms = best_ms(lambda: build_ledger(rows), repeat=1 if size > 100_000 else 3)
    frame = build_ledger(rows).frame
    aging_ms = best_ms(lambda: aging_by_customer(frame, AS_OF), repeat)
    kpi_ms = best_ms(lambda: all_kpis(frame, AS_OF), repeat)
    both_ms = best_ms(lambda: (aging_by_customer(frame, AS_OF), all_kpis(frame, AS_OF)), repeat)
    print(f"{size:>9,} invoices: ledger from rows {build_ms:8.0f} ms | aging {aging_ms:6.1f} ms"
          f" | all KPIs {kpi_ms:6.1f} ms | aging + all KPIs {both_ms:6.1f} ms")


def bench_xlsx(size: int) -> None:
    import openpyxl

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "invoices.xlsx"
        write_invoice_xlsx(path, size)
        calamine_ms = best_ms(lambda: read_invoices(path), repeat=3)
        start = time.perf_counter()
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        values = list(workbook["Invoices"].values)
        workbook.close()
        openpyxl_ms = (time.perf_counter() - start) * 1000
        print(f"{size:>9,}-row Invoices sheet from .xlsx: calamine + ledger {calamine_ms:6.0f} ms"
              f" | openpyxl read-only values alone {openpyxl_ms:6.0f} ms ({len(values):,} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--xlsx-size", type=int, default=100_000)
    parser.add_argument("--skip-xlsx", action="store_true")
    args = parser.parse_args()
    for size in args.sizes:
        bench_core(size)
    if not args.skip_xlsx:
        bench_xlsx(args.xlsx_size)


if __name__ == "__main__":
    main()
