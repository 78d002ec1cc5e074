"""Speed of a worksheet function on a whole-column reference, beside xlwings' DataFrame converter.

Run: python benchmarks/bench_udfs.py [--invoices 5000] [--repeat 5]

The argument is what `=DSO(Invoices!A:H)` hands over: a header, the invoices,
and blank rows down to row 1,048,576. Measured, best of several runs:

* Dunning: `dunning.udfs.DSO` and `AGING` called with those rows, i.e. trimming,
  conversion, the ledger build, the KPI and the conversion of the result; once
  with lists (how xlwings Lite and Server pass a range) and once with tuples
  holding COM's zone-stamped dates (how classic xlwings' "raw" converter does).
* xlwings: `PandasDataFrameConverter.read_value`, the step that turns the
  rows into a DataFrame for `@xw.arg("invoices", pd.DataFrame, index=False)`,
  on the same rows; and xlwings' whole reader pipelines run through
  `xlwings.conversion.read`, for a DataFrame argument, a plain `ndim=2`
  argument and a "raw" one. Those pipelines call the engine to clean every
  cell; Excel's engine needs pywin32, so a stand-in that cleans a cell the way
  xlwings' Windows engine does (`_xlwindows._clean_value_data_element`) takes
  its place. COM's own transfer of the range happens before all of this, is
  the same for every option, and cannot be measured without Excel.

Targets (issue 3): under 100 ms for Dunning, at least 20 times faster than the converter.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from timing import best_ms  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repeat = args.repeat
    xlwings.engines.add(Engine(impl=WindowsLikeEngine()))
    as_lists, as_tuples = whole_column(args.invoices)
    check = udfs.DSO(as_lists, AS_OF)
    assert isinstance(check, float) and udfs.DSO(as_tuples, AS_OF) == check, check

    ours = {
        "DSO, rows as lists (Lite, Server)": best_ms(lambda: udfs.DSO(as_lists, AS_OF), repeat),
        "DSO, COM tuples (classic, raw)": best_ms(lambda: udfs.DSO(as_tuples, AS_OF), repeat),
        "AGING by customer, rows as lists": best_ms(
            lambda: udfs.AGING(as_lists, AS_OF, True), repeat),
    }
    trim = best_ms(lambda: trim_trailing_blank_rows(as_lists), repeat)
    frame_options = Options({"index": False})
    converter = best_ms(lambda: PandasDataFrameConverter.read_value(as_lists, frame_options),
                        max(2, repeat // 2))
    frame_pipeline = best_ms(lambda: conversion.read(
        None, as_tuples, {"convert": pd.DataFrame, "index": False}), 2)
    values_pipeline = best_ms(lambda: conversion.read(
        None, as_tuples, {"ndim": 2, "err_to_str": True}), 2)
    raw_pipeline = best_ms(lambda: conversion.read(None, as_tuples, {"convert": "raw"}), repeat)

    print(f"Whole-column argument: {EXCEL_ROWS:,} rows x {len(as_lists[0])} columns, "
          f"{args.invoices:,} invoices (best of {repeat})")
    print("Dunning (trim + conversion + ledger + result):")
    for label, ms in ours.items():
        print(f"  {label:<40} {ms:8.1f} ms")
    print(f"  {'of which the core trim of blank rows':<40} {trim:8.1f} ms")
    print("xlwings:")
    print(f"  {'DataFrame converter (read_value)':<40} {converter:8.1f} ms")
    print(f"  {'DataFrame argument, whole pipeline':<40} {frame_pipeline:8.1f} ms")
    print(f"  {'ndim=2 argument, whole pipeline':<40} {values_pipeline:8.1f} ms")
    print(f"  {'raw argument, whole pipeline':<40} {raw_pipeline:8.1f} ms")

    lists_ms = ours["DSO, rows as lists (Lite, Server)"]
    classic_ms = ours["DSO, COM tuples (classic, raw)"] + raw_pipeline
    print("Ratios:")
    print(f"  converter alone / DSO on lists:                      {converter / lists_ms:6.1f}x")
    print(f"  DataFrame pipeline / (raw pipeline + DSO on tuples): "
          f"{frame_pipeline / classic_ms:6.1f}x")
    worst = max(ours.values())
    print(f"Target under {TARGET_MS} ms: {'met' if worst < TARGET_MS else 'NOT met'} "
          f"(slowest {worst:.1f} ms)")
    print(f"Target {TARGET_RATIO}x against the converter: "
          f"{'met' if converter / lists_ms >= TARGET_RATIO else 'NOT met'} for read_value "
          f"alone, {'met' if frame_pipeline / classic_ms >= TARGET_RATIO else 'NOT met'} "
          "for the pipeline a classic UDF runs")


if __name__ == "__main__":
    main()
