"""Speed of a worksheet function on a whole-column reference, beside xlwings' DataFrame converter.

Run: python benchmarks/bench_udfs.py [--invoices 5000] [--repeat 7] [--before DIR]

`--before DIR` (an older checkout's `addin/` folder, e.g. from `git archive`) first runs
the same benchmark in a child process with Dunning imported from there, so the older code
and its own converter reference are measured in the same run, just before this code.

The argument is what `=DSO(Invoices!A:H)` hands over: a header, the invoices,
and blank rows down to row 1,048,576. Measured in rounds that take turns (the
machine is shared), medians of wall time and of this process's CPU time:

* Dunning: `dunning.udfs.DSO` and `AGING` called with those rows, i.e. trimming,
  conversion, the ledger build, the KPI and the conversion of the result; once
  with lists (how xlwings Lite and Server pass a range), once with tuples
  holding COM's zone-stamped dates (how classic xlwings' "raw" converter does),
  and once with a stand-in for the Range classic xlwings hands over with
  `TABLE_CONVERTER`: it counts the cells it is asked for, which is what crosses
  COM in Excel.
* xlwings: `PandasDataFrameConverter.read_value`, the step that turns the
  rows into a DataFrame for `@xw.arg("invoices", pd.DataFrame, index=False)`,
  on the same rows; and xlwings' whole reader pipelines run through
  `xlwings.conversion.read`, for a DataFrame argument, a plain `ndim=2`
  argument and a "raw" one. Those pipelines call the engine to clean every
  cell; Excel's engine needs pywin32, so a stand-in that cleans a cell the way
  xlwings' Windows engine does (`_xlwindows._clean_value_data_element`) takes
  its place. COM's own transfer of the range happens before all of this and
  cannot be timed without Excel; the cells it would carry are counted instead.

Targets (issues 3 and 17): under 100 ms for Dunning, at least 20 times faster than the
converter alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
import xlwings  # noqa: E402
from xlwings import conversion  # noqa: E402
from xlwings.conversion import Options, PandasDataFrameConverter  # noqa: E402
from xlwings.main import Engine  # noqa: E402

from dunning.core.ledger import trim_trailing_blank_rows  # noqa: E402
from dunning.excel import functions as udfs  # noqa: E402
from generate import invoice_rows  # noqa: E402
from timing import median_ms  # noqa: E402

EXCEL_ROWS = 1_048_576
AS_OF = dt.datetime(2026, 6, 30)
TARGET_MS = 100
TARGET_RATIO = 20
COM_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?",
              -2146826288: "#NULL!", -2146826252: "#NUM!", -2146826265: "#REF!",
              -2146826273: "#VALUE!"}


class ComTime(dt.datetime):
    """A date cell as pywin32 returns it: a datetime subclass stamped with UTC.

    No instance dictionary, like pywin32's own C type, so the garbage collector
    does not track a million of them.
    """

    __slots__ = ()


class WindowsLikeEngine:
    """Stand-in for xlwings' Excel engine on Windows: cleans each cell as that engine does."""

    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(value: object) -> object:
            if value in ("", None):
                return empty_as
            if isinstance(value, (dt.date, dt.datetime)):
                return datetime_builder(value.year, value.month, value.day)
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            if isinstance(value, int) and value in COM_ERRORS:
                return COM_ERRORS[value] if err_to_str else None
            return value

        return [[clean(cell) for cell in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(value: object, options: object) -> object:
        return "" if value is None else value



def whole_column(invoices: int) -> tuple[list[list[object]], tuple[tuple[object, ...], ...]]:
    """The same whole-column argument as lists (Lite, Server) and as COM tuples (classic)."""
    rows = invoice_rows(invoices)
    width = len(rows[0])
    as_lists = rows + [[None] * width for _ in range(EXCEL_ROWS - len(rows))]
    as_tuples = tuple(
        tuple(ComTime(v.year, v.month, v.day, tzinfo=dt.timezone.utc)
              if isinstance(v, dt.datetime) else v for v in row)
        for row in as_lists)
    return as_lists, as_tuples


class UsedRangeSheet:
    """A sheet whose values are `rows` from A1, and whose used range ends with them."""

    def __init__(self, rows: tuple[tuple[object, ...], ...]) -> None:
        self.rows, self.cells_read = rows, 0

    @property
    def used_range(self) -> StandInRange:
        return StandInRange(self, 1, len(self.rows), len(self.rows[0]))


class StandInRange:
    """A Range as classic xlwings hands it over: its place and size known, each cell read
    (what crosses COM) counted."""

    def __init__(self, sheet: UsedRangeSheet, row: int, height: int, width: int) -> None:
        self.sheet, self.row, self.shape = sheet, row, (height, width)

    def resize(self, height: int, width: int) -> StandInRange:
        return StandInRange(self.sheet, self.row, height, width)

    @property
    def last_cell(self) -> StandInRange:
        return StandInRange(self.sheet, self.row + self.shape[0] - 1, 1, self.shape[1])

    @property
    def raw_value(self) -> object:
        height, width = self.shape
        self.sheet.cells_read += height * width
        return self.sheet.rows[self.row - 1:self.row - 1 + height]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--before", type=Path, help="an older checkout's addin/ folder, "
                        "benchmarked first in a child process")
    args = parser.parse_args()
    if args.before:
        print(f"Before ({args.before}), in a child process:")
        subprocess.run([sys.executable, __file__, "--invoices", str(args.invoices), "--repeat",
                        str(args.repeat)], check=True,
                       env=dict(os.environ, PYTHONPATH=str(args.before)))
        print("Now:")
    repeat = args.repeat
    xlwings.engines.add(Engine(impl=WindowsLikeEngine()))
    as_lists, as_tuples = whole_column(args.invoices)
    sheet = UsedRangeSheet(as_tuples[:args.invoices + 1])
    reference = StandInRange(sheet, 1, EXCEL_ROWS, len(as_lists[0]))  # Invoices!A:H
    check = udfs.DSO(as_lists, AS_OF)
    assert isinstance(check, float), check
    assert udfs.DSO(as_tuples, AS_OF) == check == udfs.DSO(reference, AS_OF)
    sheet.cells_read = 0
    udfs.DSO(reference, AS_OF)
    cells_read = sheet.cells_read

    frame_options = Options({"index": False})
    timed = median_ms({
        "DSO, rows as lists (Lite, Server)": lambda: udfs.DSO(as_lists, AS_OF),
        "DSO, COM tuples (classic, raw)": lambda: udfs.DSO(as_tuples, AS_OF),
        "DSO, a Range (classic, TABLE_CONVERTER)": lambda: udfs.DSO(reference, AS_OF),
        "AGING by customer, rows as lists": lambda: udfs.AGING(as_lists, AS_OF, True),
        "of which the core trim of blank rows": lambda: trim_trailing_blank_rows(as_lists),
        "DataFrame converter (read_value)": lambda: PandasDataFrameConverter.read_value(
            as_lists, frame_options),
    }, repeat)
    pipelines = median_ms({
        "DataFrame argument, whole pipeline": lambda: conversion.read(
            None, as_tuples, {"convert": pd.DataFrame, "index": False}),
        "ndim=2 argument, whole pipeline": lambda: conversion.read(
            None, as_tuples, {"ndim": 2, "err_to_str": True}),
        "raw argument, whole pipeline": lambda: conversion.read(
            None, as_tuples, {"convert": "raw"}),
    }, max(2, repeat // 3))
    width = len(as_lists[0])
    print(f"Whole-column argument: {EXCEL_ROWS:,} rows x {width} columns, "
          f"{args.invoices:,} invoices (medians of {repeat} rounds; load average "
          f"{os.getloadavg()[0]:.1f})")
    print(f"  {'':<42} {'wall':>9} {'CPU':>9}")
    print("Dunning (trim + conversion + ledger + result):")
    for label in list(timed)[:5]:
        print(f"  {label:<42} {timed[label][0]:6.1f} ms {timed[label][1]:6.1f} ms")
    print(f"  cells read from the Range: {cells_read:,} (a raw read of the reference: "
          f"{EXCEL_ROWS * width:,})")
    print("xlwings:")
    for label, (wall, cpu) in [("DataFrame converter (read_value)",
                                timed["DataFrame converter (read_value)"]), *pipelines.items()]:
        print(f"  {label:<42} {wall:6.1f} ms {cpu:6.1f} ms")

    lists, converter = timed["DSO, rows as lists (Lite, Server)"], timed[
        "DataFrame converter (read_value)"]
    classic = [a + b for a, b in zip(timed["DSO, COM tuples (classic, raw)"],
                                     pipelines["raw argument, whole pipeline"], strict=True)]
    frame_pipeline = pipelines["DataFrame argument, whole pipeline"]
    ratio = [c / d for c, d in zip(converter, lists, strict=True)]
    print("Ratios (wall, CPU):")
    print(f"  converter alone / DSO on lists:                      "
          f"{ratio[0]:5.1f}x {ratio[1]:5.1f}x")
    print(f"  DataFrame pipeline / (raw pipeline + DSO on tuples): "
          f"{frame_pipeline[0] / classic[0]:5.1f}x {frame_pipeline[1] / classic[1]:5.1f}x")
    worst = max(wall for wall, _ in list(timed.values())[:4])
    print(f"Target under {TARGET_MS} ms: {'met' if worst < TARGET_MS else 'NOT met'} "
          f"(slowest {worst:.1f} ms)")
    print(f"Target {TARGET_RATIO}x against the converter alone: "
          f"{'met' if min(ratio) >= TARGET_RATIO else 'NOT met'} "
          f"({ratio[0]:.1f}x wall, {ratio[1]:.1f}x CPU)")


if __name__ == "__main__":
    main()
