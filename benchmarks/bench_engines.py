"""Issue 17's table: Dunning beside the engines an engineer would pick instead, in one run.

Run: python benchmarks/bench_engines.py [--sizes 100000 1000000] [--xlsx-sizes 100000]
                                        [--repeat 3] [--in-process-only] [--before DIR]
                                        [--udf-invoices 5000]  (--sizes with no size and
                                        --udf-invoices 0: only the .xlsx rows)
Needs the benchmark extra (`pip install -e ".[bench]"`: DuckDB, polars, fastexcel).

Each row is measured with its reference in the same run, median of `--repeat` runs
(the machine is shared, so medians, never a single best; Dunning's and the reference's
runs take turns). Whole-process rows start a fresh Python for each run and read its peak
memory (max RSS) and CPU time from `os.wait4`. They run as an installed package runs, with
its bytecode cached: the children get a bytecode folder of their own (PYTHONPYCACHEPREFIX,
in the temporary folder; PYTHONDONTWRITEBYTECODE dropped) and one untimed run of each
command on a small file fills it first, so no run spends its time compiling Dunning's
source.

1. `dunning aging` on a CSV export, whole process | DuckDB reading the CSV and aging it
   by customer, whole process.
2. `dunning aging` on an Invoices sheet (.xlsx), whole process | fastexcel loading the
   sheet to Arrow, whole process; and on a client workbook made from the template, whose
   Invoices is an Excel table (rows appended by Dunning's own writer) | fastexcel loading
   the table to Arrow.
3. the ledger built from rows as xlwings passes them | a plain polars frame from the
   same lists.
4. aging by customer + all KPIs on the ledger | DuckDB aging alone; polars aging alone.
5. `=DSO(Invoices!A:F)`: a 1,048,576-row argument holding 5,000 invoices | xlwings'
   DataFrame converter alone on the same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import (  # noqa: E402
    HEADER,
    invoice_rows,
    write_invoice_csv,
    write_invoice_xlsx,
)
from timing import median_ms as wall_and_cpu  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
EXCEL_ROWS = 1_048_576
PYTHON = sys.executable

DUCKDB_AGING = """
import duckdb, sys
rows = duckdb.sql('''
    with items as (
        select Customer, Amount - coalesce(Paid, 0) as open,
               date '{as_of}' - "Due Date" as late
        from read_csv('{path}', header = true)
    )
    select Customer,
        sum(open) filter (where late <= 0) as current,
        sum(open) filter (where late between 1 and 30) as d1_30,
        sum(open) filter (where late between 31 and 60) as d31_60,
        sum(open) filter (where late between 61 and 90) as d61_90,
        sum(open) filter (where late > 90) as over_90,
        sum(open) as total
    from items group by Customer order by Customer''').fetchall()
print(len(rows))
"""

FASTEXCEL_LOAD = """
import fastexcel, sys
table = fastexcel.read_excel(sys.argv[1]).load_sheet("Invoices").to_arrow()
print(table.num_rows)
"""

FASTEXCEL_TABLE = """
import fastexcel, sys
table = fastexcel.read_excel(sys.argv[1]).load_table("Invoices").to_arrow()
print(table.num_rows)
"""
TEMPLATE = Path(__file__).resolve().parents[1] / "workbook_templates" / "Dunning-Client.xlsx"


def median_ms(action: Callable[[], object], repeat: int) -> float:
    """Median of `repeat` runs of `action` after one untimed warm-up run, in milliseconds."""
    action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


ENV: dict[str, str] = dict(os.environ)
"""The children's environment: bytecode cached in the run's own folder (see `main`)."""

BEFORE: Path | None = None
"""`--before`: the `addin` folder of an older checkout, whose `dunning aging` is timed too."""


CPU: dict[tuple[str, ...], float] = {}
"""Median CPU seconds (user + system, all threads) of each command `process` ran: on a shared
machine the wall time of a run waits for other work, its CPU time much less."""


def process(argv: list[str], repeat: int, addin: Path | None = None) -> tuple[float, float]:
    """Median wall time (ms) and largest peak memory (MB) of a whole process, run `repeat` times;
    with `addin`, the dunning package is imported from there."""
    times, peaks, cpu = [], [], []
    env = dict(ENV, PYTHONPATH=str(addin)) if addin else ENV
    for _ in range(repeat):
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 env=env)
        _, status, usage = os.wait4(child.pid, 0)
        times.append((time.perf_counter() - start) * 1000)
        peaks.append(usage.ru_maxrss / 1024)  # kilobytes on Linux
        cpu.append(usage.ru_utime + usage.ru_stime)
        child.returncode = os.waitstatus_to_exitcode(status)
        error = child.stderr.read().decode() if child.stderr else ""
        if child.returncode:
            raise SystemExit(f"{argv[:4]} failed ({child.returncode}): {error[-500:]}")
    CPU[(*argv, str(addin))] = statistics.median(cpu)
    return statistics.median(times), max(peaks)


def cpu_of(argv: list[str], addin: Path | None = None) -> float:
    return CPU[(*argv, str(addin))]


def row(work: str, ours_ms: float, reference: str, reference_ms: float, note: str = "") -> None:
    ratio = ours_ms / reference_ms if reference_ms else float("inf")
    print(f"| {work} | {_ms(ours_ms)}{note} | {reference}: {_ms(reference_ms)} | {ratio:.1f}x |")


def _ms(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def written(kind: str, path: Path, size: int) -> Path:
    """The invoice file, written by a child process: the peak memory a child reports counts
    the memory of the process it was started from, so this one stays small."""
    subprocess.run([PYTHON, __file__, "--write", kind, str(path), str(size)], check=True)
    return path


def write_client_book(path: Path, size: int) -> None:
    """The client workbook template with `size` invoices appended to its Invoices table by
    Dunning's own writer, as `dunning import` leaves a client's workbook."""
    import shutil

    from dunning.io.xlsx import append_rows

    shutil.copy(TEMPLATE, path)
    rows = invoice_rows(size)
    append_rows(path, "Invoices", [dict(zip(rows[0], values, strict=True))
                                   for values in rows[1:]], backups=0)


def _aging(path: Path) -> list[str]:
    return [PYTHON, "-m", "dunning.cli", "aging", str(path), "--as-of", AS_OF.isoformat()]


def _cpu_note(ours: list[str], reference: list[str]) -> str:
    return f"; CPU {cpu_of(ours):.2f} s vs {cpu_of(reference):.2f} s"


def csv_rows(size: int, folder: Path, repeat: int) -> None:
    path = written("csv", folder / f"invoices_{size}.csv", size)
    duck_argv = [PYTHON, "-c", DUCKDB_AGING.format(path=path, as_of=AS_OF)]
    ours, ours_mb, duck, duck_mb = _interleaved(_aging(path), duck_argv, repeat)
    row(f"`dunning aging` on a {size:,}-row CSV export, whole process", ours,
        "DuckDB reading the CSV and aging it by customer, whole process", duck,
        f" ({ours_mb:.0f} MB peak; DuckDB {duck_mb:.0f} MB{_cpu_note(_aging(path), duck_argv)})"
        f"{_before(path, repeat)}")


def _interleaved(ours: list[str], reference: list[str],
                 repeat: int) -> tuple[float, float, float, float]:
    """Dunning's and the reference's median wall time and peak, their runs taking turns (so a
    burst of other work on the machine falls on both)."""
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "reference": []}
    cpus: dict[str, list[float]] = {"ours": [], "reference": []}
    for _ in range(repeat):
        for name, argv in (("ours", ours), ("reference", reference)):
            runs[name].append(process(argv, 1))
            cpus[name].append(cpu_of(argv))
    for name, argv in (("ours", ours), ("reference", reference)):
        CPU[(*argv, "None")] = statistics.median(cpus[name])
    return (statistics.median(t for t, _ in runs["ours"]), max(m for _, m in runs["ours"]),
            statistics.median(t for t, _ in runs["reference"]),
            max(m for _, m in runs["reference"]))


def xlsx_rows(size: int, folder: Path, repeat: int) -> None:
    path = written("xlsx", folder / f"invoices_{size}.xlsx", size)
    fast_argv = [PYTHON, "-c", FASTEXCEL_LOAD, str(path)]
    ours, ours_mb, fast, _ = _interleaved(_aging(path), fast_argv, repeat)
    row(f"`dunning aging` on a {size:,}-row Invoices sheet (.xlsx), whole process", ours,
        "fastexcel loading the sheet to Arrow, whole process", fast,
        f" ({ours_mb:.0f} MB peak{_cpu_note(_aging(path), fast_argv)}){_before(path, repeat)}")
    book = written("book", folder / f"client_{size}.xlsx", size)
    table_argv = [PYTHON, "-c", FASTEXCEL_TABLE, str(book)]
    ours, ours_mb, fast, _ = _interleaved(_aging(book), table_argv, repeat)
    row(f"`dunning aging` on a client workbook (the template, {size:,} invoices in its "
        "Invoices table), whole process", ours,
        "fastexcel loading the table to Arrow, whole process", fast,
        f" ({ours_mb:.0f} MB peak{_cpu_note(_aging(book), table_argv)}){_before(book, repeat)}")


def _before(path: Path, repeat: int) -> str:
    """The older checkout's time and peak for the same command, when `--before` names one."""
    if BEFORE is None:
        return ""
    then, then_mb = process([PYTHON, "-m", "dunning.cli", "aging", str(path), "--as-of",
                             AS_OF.isoformat()], repeat, BEFORE)
    return f"; before: {_ms(then)}, {then_mb:.0f} MB"


def _warm_up(folder: Path) -> None:
    """One untimed run of each command on a small file, which writes the bytecode."""
    small = folder / "warm"
    small.mkdir()
    csv_path = written("csv", small / "invoices.csv", 100)
    sheet = written("xlsx", small / "invoices.xlsx", 100)
    book = written("book", small / "client.xlsx", 100)
    commands = [_aging(csv_path), _aging(sheet), _aging(book),
                [PYTHON, "-c", DUCKDB_AGING.format(path=csv_path, as_of=AS_OF)],
                [PYTHON, "-c", FASTEXCEL_LOAD, str(sheet)],
                [PYTHON, "-c", FASTEXCEL_TABLE, str(book)]]
    for argv in commands:
        process(argv, 1)
        if BEFORE is not None and argv[1] == "-m":
            process(argv, 1, BEFORE)


def in_process_rows(size: int, repeat: int) -> None:
    import duckdb
    import polars as pl

    from dunning.core.aging import aging_by_customer
    from dunning.core.ledger import build_ledger
    from dunning.core.ledger_kpis import all_kpis

    rows = invoice_rows(size)
    ours = median_ms(lambda: build_ledger(rows), repeat)
    schema = {name: dtype for name, dtype in zip(HEADER, [
        pl.String, pl.String, pl.Datetime, pl.Datetime, pl.Float64, pl.Float64, pl.String,
        pl.String], strict=True)}
    polars_ms = median_ms(lambda: pl.DataFrame(rows[1:], schema=schema, orient="row"), repeat)
    row(f"ledger built from {size:,} rows as xlwings passes them", ours,
        "a plain polars frame from the same lists", polars_ms)

    frame = build_ledger(rows).frame
    both, both_cpu = wall_and_cpu(
        {"ours": lambda: (aging_by_customer(frame, AS_OF), all_kpis(frame, AS_OF))},
        max(repeat, 5))["ours"]
    items = frame[["customer", "due_date", "open_amount"]]
    day = dt.datetime.combine(AS_OF, dt.time())
    connection = duckdb.connect()
    connection.register("items", items)
    query = f"""
        select customer,
            sum(open_amount) filter (where late <= 0), sum(open_amount) filter
            (where late between 1 and 30), sum(open_amount) filter (where late between 31 and
            60), sum(open_amount) filter (where late between 61 and 90), sum(open_amount)
            filter (where late > 90), sum(open_amount)
        from (select customer, open_amount, date_diff('day', due_date, timestamp '{day}') as late
              from items where open_amount <> 0) group by customer"""
    duck = median_ms(lambda: connection.sql(query).fetchall(), max(repeat, 5))
    lazy = pl.from_pandas(items)
    late = (pl.lit(day) - pl.col("due_date")).dt.total_days()
    edges = [(late <= 0), late.is_between(1, 30), late.is_between(31, 60),
             late.is_between(61, 90), late > 90]

    def polars_aging() -> object:
        return (lazy.filter(pl.col("open_amount") != 0).group_by("customer").agg(
            *[pl.col("open_amount").filter(edge).sum().alias(f"b{i}")
              for i, edge in enumerate(edges)], pl.col("open_amount").sum().alias("total")))

    polars_ms = median_ms(polars_aging, max(repeat, 5))
    if BEFORE is not None:
        then, then_cpu = _aging_kpis_before(size, max(repeat, 5))
        print(f"(aging by customer + all KPIs on {size:,} invoices, before: {_ms(then)}, "
              f"CPU {_ms(then_cpu)}; now: {_ms(both)}, CPU {_ms(both_cpu)})")
    row(f"aging by customer + all KPIs on {size:,} invoices", both, "DuckDB aging alone", duck,
        f" (CPU {_ms(both_cpu)})")
    row(f"aging by customer + all KPIs on {size:,} invoices", both, "polars aging alone",
        polars_ms)


AGING_KPIS = """
import datetime as dt, sys
sys.path.insert(0, {folder!r})
from bench_engines import AS_OF
from generate import invoice_rows
from timing import median_ms
from dunning.core.aging import aging_by_customer
from dunning.core.ledger import build_ledger
from dunning.core.ledger_kpis import all_kpis
frame = build_ledger(invoice_rows({size})).frame
print(*median_ms({{"before": lambda: (aging_by_customer(frame, AS_OF),
                                      all_kpis(frame, AS_OF))}}, {repeat})["before"])
"""


def _aging_kpis_before(size: int, repeat: int) -> tuple[float, float]:
    """Aging + all KPIs timed on the `--before` checkout, in a child process (same run):
    median wall and CPU milliseconds."""
    code = AGING_KPIS.format(folder=str(Path(__file__).resolve().parent), size=size,
                             repeat=repeat)
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True,
                          env=dict(os.environ, PYTHONPATH=str(BEFORE)))
    wall, cpu = done.stdout.split()[-2:]
    return float(wall), float(cpu)


def udf_rows(invoices: int, repeat: int) -> None:
    from xlwings.conversion import Options, PandasDataFrameConverter

    from dunning.excel import functions as udfs

    rows = invoice_rows(invoices)
    width = len(rows[0])
    argument = rows + [[None] * width for _ in range(EXCEL_ROWS - len(rows))]
    day = dt.datetime.combine(AS_OF, dt.time())
    assert isinstance(udfs.DSO(argument, day), float)
    ours = median_ms(lambda: udfs.DSO(argument, day), max(repeat, 5))
    options = Options({"index": False})
    converter = median_ms(lambda: PandasDataFrameConverter.read_value(argument, options),
                          repeat)
    print(f"| `=DSO(Invoices!A:H)`: a {EXCEL_ROWS:,}-row argument holding {invoices:,} "
          f"invoices | {_ms(ours)} | xlwings' DataFrame converter alone: {_ms(converter)} | "
          f"{converter / ours:.1f}x faster |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--xlsx-sizes", type=int, nargs="*", default=[100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--udf-invoices", type=int, default=5_000,
                        help="invoices of the =DSO row (0: no =DSO row)")
    parser.add_argument("--in-process-only", action="store_true",
                        help="only the in-process rows (ledger, aging + KPIs, =DSO)")
    parser.add_argument("--before", type=Path, help="an older checkout's addin/ folder to time "
                        "`dunning aging` with too (e.g. from `git archive`)")
    parser.add_argument("--write", nargs=3, metavar=("KIND", "PATH", "SIZE"),
                        help=argparse.SUPPRESS)  # (a child process writing an invoice file)
    args = parser.parse_args()
    if args.write:
        kind, path, size = args.write
        writers = {"csv": write_invoice_csv, "xlsx": write_invoice_xlsx, "book": write_client_book}
        writers[kind](Path(path), int(size))
        return
    global BEFORE
    BEFORE = args.before
    print(f"Median of {args.repeat} runs; {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    print("| work | Dunning | reference | ratio |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        if args.in_process_only:
            args.xlsx_sizes = []
        global ENV
        ENV = {name: value for name, value in os.environ.items()
               if name != "PYTHONDONTWRITEBYTECODE"}
        ENV["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "bytecode")
        if not args.in_process_only:
            _warm_up(Path(folder))
        for size in [] if args.in_process_only else args.sizes:
            csv_rows(size, Path(folder), args.repeat)
        for size in args.xlsx_sizes:
            xlsx_rows(size, Path(folder), args.repeat)
    for size in args.sizes:
        in_process_rows(size, args.repeat)
    if args.udf_invoices:
        udf_rows(args.udf_invoices, args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
