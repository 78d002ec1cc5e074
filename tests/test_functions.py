"""Worksheet functions called with the values each xlwings runtime passes, checked against the core.

Excel cannot run here, so the parts only Excel exercises are taken as close
as Linux allows: xlwings' real classic decorators and VBA generator (with the
pywin32 modules stubbed out) and xlwings' real conversion pipeline (with a
stand-in engine that cleans cells the way its Windows engine does).
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets import CASSANDRA_TEST, CASSANDRA_TRAIN, HIGHRADIUS, IBM, read_dataset
from dunning.core import kpis, ledger_kpis
from dunning.core.aging import aging_by_customer, bucket_labels
from dunning.core.kpis import NotDefined
from dunning.core.ledger import build_ledger, single_currency
from dunning.core.parse import EXCEL_EPOCH
from dunning.excel import arguments as cells
from dunning.excel import functions as udfs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import invoice_rows  # noqa: E402

EXCEL_ROWS = 1_048_576
AS_OF = dt.datetime(2026, 6, 30)

LEDGER_FUNCTIONS = ("DSO", "BEST_POSSIBLE_DSO", "AVG_DAYS_DELINQUENT", "CEI", "PERCENT_CURRENT",
                    "PERCENT_PAST_DUE", "AVG_DAYS_TO_PAY", "AVG_DAYS_LATE", "OPEN_BALANCE",
                    "AGING")
ROW_FUNCTIONS = ("DAYS_PAST_DUE", "AGING_BUCKET", "DUNNING_STAGE")
NUMBER_FUNCTIONS = ("DSO_FROM", "COUNTBACK_DSO", "CEI_FROM")
ALL_FUNCTIONS = LEDGER_FUNCTIONS + ROW_FUNCTIONS + NUMBER_FUNCTIONS

# A ledger small enough to check by hand, as of 2024-03-31 over 90 days, i.e. the period
# (2024-01-01, 2024-03-31]: receivables 500 + 300 = 800, sales 1000 + 500 + 300 = 1800.
HAND_HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid",
               "Settled Date"]
HAND_ROWS = [
    HAND_HEADER,
    ["I1", "A", dt.datetime(2024, 1, 10), dt.datetime(2024, 2, 9), 1000.0, 1000.0,
     dt.datetime(2024, 2, 19)],  # paid 40 days after issue, 10 late
    ["I2", "A", dt.datetime(2024, 2, 15), dt.datetime(2024, 3, 16), 500.0, None, None],
    ["I3", "B", dt.datetime(2024, 3, 20), dt.datetime(2024, 4, 19), 300.0, None, None],
    ["I4", "B", dt.datetime(2023, 12, 1), dt.datetime(2023, 12, 31), 200.0, 200.0,
     dt.datetime(2024, 1, 5)],  # paid 35 days after issue, 5 late
]
HAND_AS_OF = dt.datetime(2024, 3, 31)


class ComTime(dt.datetime):
    """What pywin32 hands over for a date cell: a datetime subclass stamped with UTC."""


def com_time(day: dt.datetime) -> ComTime:
    return ComTime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def com_error(text: str) -> int:
    """An error cell as COM passes it to the raw converter (an HRESULT integer)."""
    code = {value: key for key, value in cells.XL_ERROR_CODES.items()}[text]
    return cells.COM_ERROR_BASE + code


def serial(day: object) -> float:
    return float((pd.Timestamp(day) - EXCEL_EPOCH).days)


def padded(rows: list, height: int = EXCEL_ROWS) -> list:
    """Rows as a whole-column reference brings them: blank rows down to the sheet's end."""
    blank = type(rows[0])([None] * len(rows[0]))
    return list(rows) + [blank] * (height - len(rows))


def with_serial_dates(rows: list) -> list:
    return [rows[0], *([serial(v) if isinstance(v, dt.datetime) else v for v in row]
                       for row in rows[1:])]


def as_com(rows: list) -> tuple:
    """Rows as COM returns a range: tuples, zone-stamped dates."""
    return tuple(tuple(com_time(v) if isinstance(v, dt.datetime) else v for v in row)
                 for row in rows)


def plain_types_only(value: object) -> bool:
    """True when a result holds only what a cell can show: no NaN, numpy or pandas values."""
    if isinstance(value, list):
        return all(plain_types_only(item) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return type(value) in (int, str, bool, dt.datetime)


def same(result: object, core: object, name: str, *, percent: bool = False) -> None:
    """A function's cell result against the core's value for the same data."""
    if isinstance(core, NotDefined):
        assert result == f"#DUNNING! {name} not defined: {core.reason}"
        return
    assert type(result) is float, result
    assert result == pytest.approx(core / 100 if percent else core, rel=1e-12, abs=1e-12)


def ledger_results(rows: object, as_of: object, *, currency: object = None) -> dict:
    """Every ledger function on one invoice argument (90-day KPIs, the CEI's quarter)."""
    day = EXCEL_EPOCH + pd.Timedelta(days=as_of) if isinstance(as_of, float) else as_of
    start = pd.Timestamp(day) - pd.Timedelta(days=90)
    return {
        "DSO": udfs.DSO(rows, as_of, None, currency),
        "DSO90": udfs.DSO(rows, as_of, 90.0, currency),
        "BEST_POSSIBLE_DSO": udfs.BEST_POSSIBLE_DSO(rows, as_of, 90.0, currency),
        "AVG_DAYS_DELINQUENT": udfs.AVG_DAYS_DELINQUENT(rows, as_of, 90.0, currency),
        "CEI": udfs.CEI(rows, start.to_pydatetime(), as_of, currency),
        "PERCENT_CURRENT": udfs.PERCENT_CURRENT(rows, as_of, currency),
        "PERCENT_PAST_DUE": udfs.PERCENT_PAST_DUE(rows, as_of, currency),
        "AVG_DAYS_TO_PAY": udfs.AVG_DAYS_TO_PAY(rows, as_of, 90.0, currency),
        "AVG_DAYS_LATE": udfs.AVG_DAYS_LATE(rows, as_of, None, currency),
        "OPEN_BALANCE": udfs.OPEN_BALANCE(rows, None, as_of, currency),
        "AGING": udfs.AGING(rows, as_of, True, None, currency),
    }


def assert_matches_core(results: dict, frame: pd.DataFrame, as_of: object) -> None:
    """The results of `ledger_results` equal the core's functions on the ledger frame."""
    day = pd.Timestamp(as_of)
    start = day - pd.Timedelta(days=90)
    year_start = day - pd.Timedelta(days=365)
    same(results["DSO"], ledger_kpis.dso(frame, day), "DSO")
    same(results["DSO90"], ledger_kpis.dso(frame, day, 90), "DSO")
    same(results["BEST_POSSIBLE_DSO"], ledger_kpis.best_possible_dso(frame, day, 90),
         "BEST_POSSIBLE_DSO")
    same(results["AVG_DAYS_DELINQUENT"], ledger_kpis.average_days_delinquent(frame, day, 90),
         "AVG_DAYS_DELINQUENT")
    same(results["CEI"], ledger_kpis.cei(frame, start, day), "CEI", percent=True)
    same(results["PERCENT_CURRENT"], ledger_kpis.percent_current(frame, day),
         "PERCENT_CURRENT", percent=True)
    same(results["PERCENT_PAST_DUE"], ledger_kpis.percent_past_due(frame, day),
         "PERCENT_PAST_DUE", percent=True)
    same(results["AVG_DAYS_TO_PAY"], ledger_kpis.average_days_to_pay(frame, start, day),
         "AVG_DAYS_TO_PAY")
    same(results["AVG_DAYS_LATE"], ledger_kpis.average_days_late(frame, year_start, day),
         "AVG_DAYS_LATE")
    assert results["OPEN_BALANCE"] == round(ledger_kpis.receivables(frame, day), 2)
    assert results["AGING"] == expected_aging(aging_by_customer(frame, day), by_customer=True)
    assert plain_types_only(list(results.values()))


def expected_aging(table: pd.DataFrame, *, by_customer: bool) -> list:
    rows = [["Customer", *table.columns]]
    body = table if by_customer else table.loc[["Total"]]
    rows += [[name, *(float(v) for v in values)] for name, values in body.iterrows()]
    return rows


@pytest.fixture(scope="module")
def generated() -> list:
    return invoice_rows(2_000, customers=300)


# ------------------------------------------------------------------ the decorated functions


def test_decorated_functions_stay_plain_callables_on_linux():
    assert all(callable(getattr(udfs, name)) for name in ALL_FUNCTIONS)
    assert udfs.DSO_FROM(1_000.0, 12_000.0, 360.0) == 30.0
    parameters = list(inspect.signature(udfs.DSO).parameters.values())
    assert [p.name for p in parameters] == ["invoices", "as_of", "days", "currency"]
    assert [p.default for p in parameters[1:]] == [None, None, None]


def test_names_are_safe_in_excel_and_vba():
    """No built-in clash, nothing Excel reads as a reference, valid VBA procedure names."""
    import xlsxwriter.worksheet
    from openpyxl.utils.formulas import FORMULAE

    future = set(re.findall(r"_xl(?:fn|ws)\.(?:_xlws\.)?([A-Z][A-Z0-9._]*)\(",
                            inspect.getsource(xlsxwriter.worksheet)))
    bas = Path(inspect.getfile(__import__("xlwings"))).with_name("xlwings.bas").read_text()
    xlwings_vba = {name.upper() for name in re.findall(r"(?:Function|Sub) (\w+)\(", bas)}
    a1_cell = re.compile(r"^[A-Z]{1,3}[0-9]+$")
    r1c1 = re.compile(r"^(R[0-9]*C?[0-9]*|C[0-9]*)$")
    for name in ALL_FUNCTIONS:
        assert name == name.upper() and re.fullmatch(r"[A-Z][A-Z0-9_]{2,254}", name), name
        assert name not in FORMULAE and name not in future, f"{name} is an Excel function"
        assert not a1_cell.match(name) and not r1c1.match(name), f"{name} reads as a cell"
        assert name not in xlwings_vba, f"{name} clashes with xlwings' own VBA"
    assert "ADD" not in ALL_FUNCTIONS  # renamed AVG_DAYS_DELINQUENT: see the README


def test_descriptions_fit_excels_function_wizard():
    for name in ALL_FUNCTIONS:
        doc = getattr(udfs, name).__doc__
        assert doc and "\n" not in doc and len(doc) <= 255, name


CLASSIC_SCRIPT = r'''
import datetime as dt, io, json, sys, types
for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
    sys.modules[name] = types.ModuleType(name)
sys.modules["win32com"].client = sys.modules["win32com.client"]
sys.modules["win32com.client"].Dispatch = lambda *args, **kwargs: None
sys.modules["pythoncom"].CoInitialize = lambda: None
# imported before the platform is set
import pandas, numpy, dunning.excel.arguments, dunning.core.ledger_kpis, dunning.core.aging
import xlwings
import xlwings.udfs as classic
from xlwings import conversion
from xlwings.main import Engine

xlwings.func, xlwings.arg, xlwings.ret = classic.xlfunc, classic.xlarg, classic.xlret
platform, sys.platform = sys.platform, sys.argv[1]
import dunning.udfs as module
sys.platform = platform

ERRORS = {-2146826246: "#N/A", -2146826273: "#VALUE!"}

class WindowsLikeEngine:
    """Cleans cells as xlwings' Windows engine does (that engine needs pywin32)."""
    name, type = "excel", "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(value):
            if value in ("", None):
                return empty_as
            if isinstance(value, dt.datetime):
                return datetime_builder(value.year, value.month, value.day)
            if type(value) is int and value in ERRORS:
                return ERRORS[value] if err_to_str else None
            return value
        return [[clean(cell) for cell in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(value, options):
        return "" if value is None else value

xlwings.engines.add(Engine(impl=WindowsLikeEngine()))

class ComTime(dt.datetime):
    pass

def com(day):
    return ComTime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)

table = (("Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Settled Date"),
         ("I1", "A", com(dt.date(2024, 1, 10)), com(dt.date(2024, 2, 9)), 1000.0, None),
         ("I2", "B", com(dt.date(2024, 2, 15)), com(dt.date(2024, 3, 16)), 500.0, None),
         ("I0", "B", com(dt.date(2024, 1, 5)), com(dt.date(2024, 2, 4)), 300.0,
          com(dt.date(2024, 2, 1))),
         (None, None, None, None, None, None), (None, None, None, None, None, None))
calls = {
    "DSO": (table, com(dt.date(2024, 3, 31)), 90.0),
    "AGING": (table, 45382.0, True),
    "OPEN_BALANCE": (table, "B", -2146826246),
    "DAYS_PAST_DUE": (com(dt.date(2024, 3, 1)), 45382.0),
    "COUNTBACK_DSO": (5000.0, ((3000.0,), (3000.0,))),
}

def call_udf(function, args):
    """What xlwings.udfs.call_udf does once COM has handed over the arguments."""
    info = function.__xlfunc__
    args = list(args) + [info["args"][i].get("optional") for i in range(len(args),
                                                                           len(info["args"]))]
    values = [conversion.read(None, arg, info["args"][i]["options"])
              for i, arg in enumerate(args)]
    return conversion.write(function(*values), None, info["ret"]["options"])

vba = io.StringIO()
classic.generate_vba_wrapper("dunning.udfs", module, vba, types.SimpleNamespace(
    Name="Dunning.xlam"))
functions = {
    name: {"category": f.__xlfunc__["category"], "doc": f.__xlfunc__["ret"]["doc"],
           "args": [[a["name"], a.get("optional", "required"), a["doc"], a["options"]]
                    for a in f.__xlfunc__["args"]]}
    for name, f in vars(module).items() if hasattr(f, "__xlfunc__")}
results = {name: call_udf(getattr(module, name), args) for name, args in calls.items()}
print(json.dumps({"vba": vba.getvalue(), "functions": functions, "results": results},
                 default=repr))
'''


def run_classic(platform: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CLASSIC_SCRIPT, platform], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def classic_windows() -> dict:
    return run_classic("win32")


def test_classic_decorators_describe_every_function(classic_windows):
    functions = classic_windows["functions"]
    assert sorted(functions) == sorted(ALL_FUNCTIONS)
    assert {f["category"] for f in functions.values()} == {"Dunning"}
    dso = functions["DSO"]
    assert [a[:2] for a in dso["args"]] == [["invoices", "required"], ["as_of", None],
                                            ["days", None], ["currency", None]]
    # tables arrive as their Range, read only down to the used rows (issue 17)
    assert dso["args"][0][3] == {"convert": udfs.TABLE_CONVERTER}
    assert dso["args"][1][3] == {"err_to_str": True}
    assert functions["DAYS_PAST_DUE"]["args"][0][3] == {"ndim": 2, "err_to_str": True}
    for name, function in functions.items():
        assert function["doc"] == getattr(udfs, name).__doc__
        assert all(arg[2] and not arg[2].startswith("Positional") and len(arg[2]) <= 255
                   for arg in function["args"]), name


def test_import_functions_would_write_these_vba_wrappers(classic_windows):
    """The VBA that xlwings' Import Functions writes into the add-in, generated here."""
    vba = classic_windows["vba"]
    declared = re.findall(r"^Function (\w+)\((.*)\)$", vba, re.M)
    assert dict(declared) == {
        "AGING": "invoices, Optional as_of, Optional by_customer, Optional settings, "
                 "Optional currency",
        "AGING_BUCKET": "due_date, Optional as_of, Optional settings",
        "AVG_DAYS_DELINQUENT": "invoices, Optional as_of, Optional days, Optional currency",
        "AVG_DAYS_LATE": "invoices, Optional as_of, Optional days, Optional currency",
        "AVG_DAYS_TO_PAY": "invoices, Optional as_of, Optional days, Optional currency",
        "BEST_POSSIBLE_DSO": "invoices, Optional as_of, Optional days, Optional currency",
        "CEI": "invoices, start, end, Optional currency",
        "CEI_FROM": "beginning, sales, ending, ending_current",
        "COUNTBACK_DSO": "receivables, sales_newest_first, Optional days_per_period",
        "DAYS_PAST_DUE": "due_date, Optional as_of",
        "DSO": "invoices, Optional as_of, Optional days, Optional currency",
        "DSO_FROM": "receivables, credit_sales, Optional days",
        "DUNNING_STAGE": "days_past_due, Optional stages",
        "OPEN_BALANCE": "invoices, Optional customer, Optional as_of, Optional currency",
        "PERCENT_CURRENT": "invoices, Optional as_of, Optional currency",
        "PERCENT_PAST_DUE": "invoices, Optional as_of, Optional currency",
    }
    assert 'XLPy.CallUDF("dunning.udfs", "DSO", Array(invoices, as_of, days, currency), '\
           'ActiveWorkbook, Application.Caller)' in vba


def test_values_through_xlwings_own_conversion_pipeline(classic_windows):
    """COM-shaped arguments (tuples, zone-stamped dates, error integers) go through xlwings'
    real read and write stages and come back as the 2-D values a cell receives."""
    results = classic_windows["results"]
    table = [["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Settled Date"],
             ["I1", "A", dt.datetime(2024, 1, 10), dt.datetime(2024, 2, 9), 1000.0, None],
             ["I2", "B", dt.datetime(2024, 2, 15), dt.datetime(2024, 3, 16), 500.0, None],
             ["I0", "B", dt.datetime(2024, 1, 5), dt.datetime(2024, 2, 4), 300.0,
              dt.datetime(2024, 2, 1)]]
    frame = build_ledger(table).frame
    day = dt.datetime(2024, 3, 31)
    assert results["DSO"] == [[pytest.approx(ledger_kpis.dso(frame, day, 90))]]
    assert results["AGING"] == expected_aging(aging_by_customer(frame, day), by_customer=True)
    assert results["OPEN_BALANCE"] == [["#DUNNING! as_of: the cell holds the error #N/A; "
                                        "correct it or clear it"]]
    assert results["DAYS_PAST_DUE"] == [[30]]
    assert results["COUNTBACK_DSO"] == [[pytest.approx(kpis.countback_dso(5000, [3000, 3000]))]]


def test_tables_arrive_as_rows_outside_classic_windows():
    assert udfs.table_options("win32", {}) == {"convert": udfs.TABLE_CONVERTER}
    assert udfs.table_options("win32", {"XLWINGS_ON_SERVER": "true"})["ndim"] == 2
    assert udfs.table_options("emscripten", {}) == {"ndim": 2, "err_to_str": True}  # Lite
    assert udfs.table_options("darwin", {})["ndim"] == 2


# ------------------------------------------------------------------ hand-checked values


def test_hand_checked_ledger():
    rows, day = HAND_ROWS, HAND_AS_OF
    assert udfs.DSO(rows, day, 90.0) == pytest.approx(800 / 1800 * 90)  # 40 days
    assert udfs.BEST_POSSIBLE_DSO(rows, day, 90.0) == pytest.approx(300 / 1800 * 90)  # 15
    assert udfs.AVG_DAYS_DELINQUENT(rows, day, 90.0) == pytest.approx(25.0)
    assert udfs.PERCENT_CURRENT(rows, day) == pytest.approx(0.375)
    assert udfs.PERCENT_PAST_DUE(rows, day) == pytest.approx(0.625)
    assert udfs.AVG_DAYS_TO_PAY(rows, day, 90.0) == pytest.approx(37.5)  # (40 + 35) / 2
    assert udfs.AVG_DAYS_LATE(rows, day, 90.0) == pytest.approx(7.5)  # (10 + 5) / 2
    # B = 200 (I4 open at the close of 2023-12-31), S = 1800, E = 800, EC = 300
    assert udfs.CEI(rows, dt.datetime(2023, 12, 31), day) == pytest.approx(1200 / 1700)
    assert udfs.OPEN_BALANCE(rows, None, day) == 800.0
    assert udfs.OPEN_BALANCE(rows, "A", day) == 500.0
    assert udfs.OPEN_BALANCE(rows, "b", day) == 300.0  # a name matches in any case
    assert udfs.OPEN_BALANCE(rows, "Z", day) == 0.0  # a customer with nothing open
    labels = bucket_labels()
    assert udfs.AGING(rows, day, True) == [
        ["Customer", *labels, "Total"],
        ["A", 0.0, 500.0, 0.0, 0.0, 0.0, 0.0, 500.0],
        ["B", 300.0, 0.0, 0.0, 0.0, 0.0, 0.0, 300.0],
        ["Total", 300.0, 500.0, 0.0, 0.0, 0.0, 0.0, 800.0],
    ]
    assert udfs.AGING(rows, day) == [["Customer", *labels, "Total"],
                                     ["Total", 300.0, 500.0, 0.0, 0.0, 0.0, 0.0, 800.0]]
    assert udfs.DAYS_PAST_DUE(dt.datetime(2024, 3, 16), day) == 15
    assert udfs.AGING_BUCKET(dt.datetime(2024, 3, 16), day) == "1-30"
    assert udfs.DUNNING_STAGE(15.0) == "firm"


def test_hand_checked_number_formulas():
    assert udfs.DSO_FROM(800.0, 1800.0, 90.0) == pytest.approx(40.0)
    assert udfs.DSO_FROM(1000.0, 12000.0) == pytest.approx(1000 / 12000 * 365)
    # 5,000 open against 3,000 + 3,000 of sales: one full 30-day month and two thirds of the next
    assert udfs.COUNTBACK_DSO(5000.0, [[3000.0], [3000.0]]) == pytest.approx(50.0)
    assert udfs.COUNTBACK_DSO(5000.0, [[3000.0, 3000.0]], [[31.0, 29.0]]) == pytest.approx(
        31 + 29 * 2000 / 3000)
    assert udfs.CEI_FROM(100.0, 500.0, 150.0, 100.0) == pytest.approx(450 / 500)


# ------------------------------------------------------------------ equal to the core


@pytest.mark.parametrize("shape", ["datetimes", "serial dates", "whole column", "COM raw",
                                   "COM raw whole column"])
def test_ledger_functions_equal_the_core(generated, shape):
    frame = build_ledger(generated).frame
    argument = {
        "datetimes": generated,
        "serial dates": with_serial_dates(generated),
        "whole column": padded(generated),
        "COM raw": as_com(generated),
        "COM raw whole column": tuple(padded(list(as_com(generated)))),
    }[shape]
    as_of = serial(AS_OF) if shape == "serial dates" else AS_OF
    assert_matches_core(ledger_results(argument, as_of), frame, AS_OF)


def test_hand_ledger_equals_the_core_including_payments():
    frame = build_ledger(HAND_ROWS).frame
    assert_matches_core(ledger_results(HAND_ROWS, HAND_AS_OF), frame, HAND_AS_OF)


def test_as_of_defaults_to_today(generated, monkeypatch):
    monkeypatch.setattr(udfs, "_today", lambda: dt.date(2031, 3, 14))  # what Excel's clock says
    today = pd.Timestamp(2031, 3, 14)
    frame = build_ledger(generated).frame
    same(udfs.DSO(generated), ledger_kpis.dso(frame, today), "DSO")
    assert udfs.OPEN_BALANCE(generated, None, "") == round(ledger_kpis.receivables(frame, today),
                                                           2)


def test_text_dates_as_of_and_one_cell_ranges(generated):
    frame = build_ledger(generated).frame
    expected = ledger_kpis.dso(frame, AS_OF)
    same(udfs.DSO(generated, "2026-06-30"), expected, "DSO")
    same(udfs.DSO(generated, [[AS_OF]], [[365.0]]), expected, "DSO")
    same(udfs.DSO(generated, pd.Timestamp(AS_OF)), expected, "DSO")
    same(udfs.DSO(generated, AS_OF.replace(hour=17, minute=30)), expected, "DSO")


def test_aging_follows_the_settings_table(generated):
    settings = [["Setting", "Value"], ["As Of Date", AS_OF], ["Aging Basis", "invoice"],
                ["Bucket 1 Days", 15.0], ["Bucket 2 Days", 45.0], [None, None]]
    frame = build_ledger(generated).frame
    table = aging_by_customer(frame, AS_OF, edges=(0, 15, 45), basis="invoice")
    assert udfs.AGING(generated, None, True, settings) == expected_aging(table, by_customer=True)
    assert udfs.AGING(generated, None, False, settings)[0][1:] == ["Current", "1-15", "16-45",
                                                                   "Over 45", "Total"]


def test_one_currency_of_several():
    rows = [["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Currency"],
            ["1", "A", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 31), 100.0, "USD"],
            ["2", "A", dt.datetime(2024, 1, 5), dt.datetime(2024, 2, 4), 70.0, "EUR"]]
    assert udfs.OPEN_BALANCE(rows, None, HAND_AS_OF, "eur") == 70.0
    message = udfs.OPEN_BALANCE(rows, None, HAND_AS_OF)
    assert message.startswith("#DUNNING! ") and "several currencies (EUR, USD)" in message


# ------------------------------------------------------------------ row helpers


def test_days_past_due_and_buckets_equal_the_core():
    dates = [[dt.datetime(2026, 7, 10)], [serial(dt.datetime(2026, 6, 30))],
             [dt.datetime(2026, 5, 1)], [None], ["2025-01-31"], [com_time(dt.datetime(2026, 6, 1))]]
    days = udfs.DAYS_PAST_DUE(dates, AS_OF)
    assert days == [[-10], [0], [60], [""], [515], [29]]
    labels = bucket_labels()
    assert udfs.AGING_BUCKET(dates, AS_OF) == [
        [labels[0]], [labels[0]], ["31-60"], [""], ["Over 120"], ["1-30"]]
    settings = [["Setting", "Value"], ["Bucket 1 Days", 10.0], ["As Of Date", AS_OF]]
    assert udfs.AGING_BUCKET(dates, None, settings) == [
        ["Current"], ["Current"], ["Over 10"], [""], ["Over 10"], ["Over 10"]]
    assert udfs.DAYS_PAST_DUE([[dt.datetime(2026, 6, 1), dt.datetime(2026, 6, 20)]],
                              AS_OF) == [[29, 10]]


def test_a_bad_cell_in_a_date_range_marks_only_that_cell():
    result = udfs.DAYS_PAST_DUE([["#N/A"], [dt.datetime(2026, 6, 1)], ["soon"], [True]], AS_OF)
    assert result[1] == [29]
    assert result[0][0] == "#DUNNING! the due date cell holds the error #N/A"
    assert result[2][0].startswith("#DUNNING! due date: expected a date") and "'soon'" in \
        result[2][0]
    assert result[3][0].startswith("#DUNNING! due date: expected a date")


def test_dunning_stage_follows_the_template_or_the_stages_table():
    days = [[-10.0], [-3.0], [0.0], [1.0], [14.0], [15.0], [30.0], [59.0], [60.0], [400.0],
            [None]]
    assert udfs.DUNNING_STAGE(days) == [[""], ["courtesy"], ["courtesy"], ["friendly"],
                                       ["friendly"], ["firm"], ["final"], ["final"],
                                       ["handoff"], ["handoff"], [""]]
    stages = [["Stage", "Days From Due", "Action", "Template"],
              ["reminder", 7.0, "email", "friendly"], ["call", 21.0, "task", None],
              [None, None, None, None]]
    assert udfs.DUNNING_STAGE(days, stages) == [[""]] * 4 + [["reminder"]] * 2 + [
        ["call"]] * 4 + [[""]]
    assert udfs.DUNNING_STAGE(25.0, stages) == "call"
    assert udfs.DUNNING_STAGE(5.0, [["Stage", "Action"], ["x", "email"]]).startswith(
        "#DUNNING! stages: expected the Stages table")


# ------------------------------------------------------------------ scalar KPIs from numbers


def test_number_formulas_equal_the_core():
    same(udfs.DSO_FROM(1234.5, 9876.0, 360.0), kpis.dso(1234.5, 9876.0, 360), "DSO_FROM")
    same(udfs.DSO_FROM("1,234.50", "9,876.00", 360.0), kpis.dso(1234.5, 9876.0, 360),
         "DSO_FROM")
    same(udfs.DSO_FROM(100.0, 0.0), kpis.dso(100.0, 0.0), "DSO_FROM")
    sales = [[4000.0], [3500.0], [5000.0], [None], [None]]
    same(udfs.COUNTBACK_DSO(9000.0, sales),
         kpis.countback_dso(9000.0, [4000.0, 3500.0, 5000.0], 30), "COUNTBACK_DSO")
    same(udfs.COUNTBACK_DSO(90000.0, sales),
         kpis.countback_dso(90000.0, [4000.0, 3500.0, 5000.0], 30), "COUNTBACK_DSO")
    same(udfs.CEI_FROM(1000.0, 5000.0, 1500.0, 900.0),
         kpis.collection_effectiveness_index(1000.0, 5000.0, 1500.0, 900.0), "CEI_FROM",
         percent=True)
    same(udfs.CEI_FROM(0.0, 0.0, 0.0, 0.0), kpis.collection_effectiveness_index(0, 0, 0, 0),
         "CEI_FROM")


def test_number_formulas_say_what_is_wrong():
    assert udfs.DSO_FROM(None, 100.0) == ("#DUNNING! receivables: the cell is empty; "
                                          "expected a number")
    assert udfs.DSO_FROM("lots", 100.0) == "#DUNNING! receivables: expected a number, found 'lots'"
    assert udfs.DSO_FROM(True, 100.0) == "#DUNNING! receivables: expected a number, found True"
    assert udfs.DSO_FROM("#DIV/0!", 100.0).startswith(
        "#DUNNING! receivables: the cell holds the error #DIV/0!")
    assert udfs.DSO_FROM([[1.0], [2.0]], 100.0) == ("#DUNNING! receivables: expected one cell, "
                                                    "got a range of 2 cells")
    assert udfs.COUNTBACK_DSO(100.0, [[10.0], [None], [20.0]]) == (
        "#DUNNING! sales_newest_first: value 2 is empty; enter 0 for a period without sales")
    assert "days_per_period has 3 entries but there are 2" in udfs.COUNTBACK_DSO(
        100.0, [[10.0], [20.0]], [[30.0], [31.0], [30.0]])


# ------------------------------------------------------------------ messages, not tracebacks


def test_error_cells_are_named_with_the_count_of_others(generated):
    rows = [list(row) for row in generated[:50]]
    rows[6][3] = "#N/A"  # D7
    rows[9][4] = "#VALUE!"
    rows[12][1] = "#REF!"
    assert udfs.DSO(rows, AS_OF) == ("#DUNNING! D7 (Due Date): the cell holds the error #N/A; "
                                     "correct it or clear it (and 2 more problems)")
    com = [list(row) for row in as_com(generated[:50])]
    com[6][3] = com_error("#N/A")
    assert udfs.DSO(tuple(map(tuple, com)), AS_OF).startswith(
        "#DUNNING! D7 (Due Date): the cell holds the error #N/A")


def test_errors_that_arrive_as_blanks_are_missing_values(generated):
    rows = [list(row) for row in generated[:50]]
    assert rows[7][4] > 0  # an invoice: only credit notes may lack a due date
    rows[7][3] = None  # an error cell without err_to_str, or simply empty
    assert udfs.DSO(rows, AS_OF).startswith("#DUNNING! D8 (Due Date): missing due date")


def test_bad_values_are_named_by_cell(generated):
    rows = [list(row) for row in generated[:50]]
    rows[6][3] = "next week"
    rows[7][4] = "lots"
    assert udfs.DSO(padded(rows), AS_OF) == (
        "#DUNNING! D7 (Due Date): expected a date (a date cell, an Excel serial number, or text "
        "such as 2024-03-31) (found 'next week') (and 1 more problem)")


@pytest.mark.parametrize(("args", "message"), [
    ((5.0,), "invoices: expected a table with its header row, such as Invoices[#All] or "
             "Invoices!A:F; got a single value"),
    ((None,), "invoices: the range is empty; give the table with its header row, such as "
              "Invoices[#All] or Invoices!A:F"),
    (([["I1", "A", AS_OF, AS_OF, 10.0]],), "invoices: the first row holds values, not column "
                                           "headers; give the table with its header row"),
    ((HAND_ROWS, "someday"), "as_of: expected a date (a date cell, a serial number such as "
                             "45382, or text such as 2024-03-31), found 'someday'"),
    ((HAND_ROWS, True), "as_of: expected a date"),
    ((HAND_ROWS, "#N/A"), "as_of: the cell holds the error #N/A; correct it or clear it"),
    ((HAND_ROWS, [[AS_OF, AS_OF]]), "as_of: expected one cell, got a range of 2 cells"),
    ((HAND_ROWS, AS_OF, 30.5), "days: expected a whole number such as 365, found 30.5"),
    ((HAND_ROWS, AS_OF, 0.0), "days: expected 1 or more, found 0"),
    ((HAND_ROWS, AS_OF, "a year"), "days: expected a number, found 'a year'"),
    (([["Invoice No", "Amount"], ["1", 10.0]],), "row 1: no column for the customer"),
])
def test_wrong_arguments_come_back_as_messages(args, message):
    result = udfs.DSO(*args)
    assert result.startswith("#DUNNING! " + message), result
    assert "\n" not in result and len(result) <= cells.MAX_MESSAGE


def test_cei_needs_both_dates():
    assert udfs.CEI(HAND_ROWS, None, HAND_AS_OF).startswith(
        "#DUNNING! start: the cell is empty; expected a date")
    assert udfs.CEI(HAND_ROWS, HAND_AS_OF, dt.datetime(2024, 1, 1)).startswith(
        "#DUNNING! the period ends (2024-01-01 00:00:00) before it starts")


def test_an_empty_table_gives_not_defined_and_zeros():
    header_only = padded([HAND_HEADER], 5000)
    assert udfs.DSO(header_only, AS_OF) == ("#DUNNING! DSO not defined: no credit sales in "
                                            "the period")
    assert udfs.OPEN_BALANCE(header_only, None, AS_OF) == 0.0
    assert udfs.AGING(header_only, AS_OF)[-1] == ["Total", *[0.0] * 7]


def test_an_unexpected_failure_is_a_message_not_a_traceback(monkeypatch):
    def broken(*args: object) -> float:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ledger_kpis, "dso", broken)
    assert udfs.DSO(HAND_ROWS, HAND_AS_OF) == ("#DUNNING! unexpected RuntimeError in DSO: disk "
                                               "on fire (please report this)")


def test_results_hold_only_what_a_cell_can_show():
    assert cells.excel_result(np.float64(2.5)) == 2.5 and type(cells.excel_result(np.float64(1))) \
        is float
    assert type(cells.excel_result(np.int64(3))) is int
    assert cells.excel_result(float("nan")) == "#DUNNING! the result is not a number"
    assert cells.excel_result(pd.NaT) == "" and cells.excel_result(None) == ""
    assert cells.excel_result(pd.Timestamp("2024-03-31")) == dt.datetime(2024, 3, 31)
    assert cells.excel_result([[np.float64(1.0), None, np.bool_(True)]]) == [[1.0, "", True]]
    assert cells.excel_result(NotDefined("no sales"), "DSO") == (
        "#DUNNING! DSO not defined: no sales")


def test_long_messages_are_cut_to_fit_a_cell():
    text = cells.error_text([cells.Issue("x" * 1000)] * 3)
    assert len(text) == cells.MAX_MESSAGE and text.endswith("x… (and 2 more problems)")
    assert cells.message_text("two\nlines") == "#DUNNING! two lines"


# ------------------------------------------------------------------ the public datasets


def typed_like_excel(source: pd.DataFrame, dates: dict[str, str]) -> list:
    """A CSV as the sheet Excel makes of it: numbers as floats, dates as date cells, blanks
    as None; id columns stay text (the template formats them as text)."""
    columns = []
    for name in source.columns:
        values = source[name]
        if name in dates:
            parsed = pd.to_datetime(values.where(values != ""), format=dates[name])
            columns.append([None if pd.isna(v) else v.to_pydatetime() for v in parsed])
            continue
        numbers = pd.to_numeric(values.where(values != ""), errors="coerce")
        numeric = numbers.notna().sum() == (values != "").sum() and not re.search(
            r"(?i)id|number|no$|key", name)
        columns.append([None if pd.isna(v) else float(v) for v in numbers] if numeric
                       else [v if v != "" else None for v in values])
    return [list(source.columns), *map(list, zip(*columns, strict=True))]


DATASETS = {
    IBM: ({"PaperlessDate": "%m/%d/%Y", "InvoiceDate": "%m/%d/%Y", "DueDate": "%m/%d/%Y",
           "SettledDate": "%m/%d/%Y"}, dt.datetime(2013, 6, 30), None),
    HIGHRADIUS: ({"posting_date": "%Y-%m-%d", "document_create_date": "%Y-%m-%d",
                  "document_create_date.1": "%Y-%m-%d", "due_in_date": "%Y-%m-%d",
                  "baseline_create_date": "%Y-%m-%d"}, dt.datetime(2020, 4, 30), "USD"),
    CASSANDRA_TRAIN: ({"Invoice_Date": "%d-%b-%y", "Due_Date": "%d-%b-%y"},
                      dt.datetime(2017, 6, 30), None),
    CASSANDRA_TEST: ({"Invoice_Date": "%d-%b-%y", "Due_Date": "%d-%b-%y"},
                     dt.datetime(2017, 6, 30), None),
}


@pytest.mark.parametrize("name", list(DATASETS))
def test_public_datasets_as_sheet_ranges(name):
    """Each dataset as text cells (an imported export) and as typed cells in a whole-column
    reference gives the core's figures for the same file."""
    dates, as_of, currency = DATASETS[name]
    source = read_dataset(name)
    frame = single_currency(build_ledger(source).frame, currency)
    as_text = [list(source.columns), *source.to_numpy().tolist()]
    assert_matches_core(ledger_results(as_text, as_of, currency=currency), frame, as_of)

    typed = ledger_results(padded(typed_like_excel(source, dates)), serial(as_of),
                           currency=currency)
    expected = ledger_results(as_text, as_of, currency=currency)
    # The same figures; customer ids that Excel would read as numbers may group differently.
    typed_total, expected_total = typed["AGING"][-1], expected["AGING"][-1]
    assert typed_total[0] == expected_total[0]  # the "Total" label
    assert typed_total[1:] == pytest.approx(expected_total[1:], rel=1e-12)
    for key in set(expected) - {"AGING"}:
        assert typed[key] == (pytest.approx(expected[key], rel=1e-12)
                              if isinstance(expected[key], float) else expected[key]), key


def test_ibm_payment_figures_agree_with_its_own_columns():
    """IBM states DaysToSettle and DaysLate per invoice: the functions' averages match them."""
    source = read_dataset(IBM)
    rows = [list(source.columns), *source.to_numpy().tolist()]
    settled = pd.to_datetime(source["SettledDate"], format="%m/%d/%Y")
    window = (settled > pd.Timestamp("2013-03-31")) & (settled <= pd.Timestamp("2013-06-30"))
    day = dt.datetime(2013, 6, 30)
    assert udfs.AVG_DAYS_TO_PAY(rows, day, 91.0) == pytest.approx(
        source.loc[window, "DaysToSettle"].astype(int).mean())
    assert udfs.AVG_DAYS_LATE(rows, day, 91.0) == pytest.approx(
        source.loc[window, "DaysLate"].astype(int).mean())


def test_the_classic_table_converter_passes_a_range_unread_and_values_as_they_came():
    import types

    from xlwings.conversion import accessors

    options = udfs.table_options("win32", {})
    pipeline = accessors[options["convert"]].reader(options)  # what conversion.read runs
    rows = as_com(HAND_ROWS)
    values = types.SimpleNamespace(range=None, value=rows)  # an array constant, a spilled result
    pipeline(values)
    assert values.value is rows
    reference = object()  # the Range classic xlwings' call_udf wraps COM's range in
    given = types.SimpleNamespace(range=reference, value=None)
    pipeline(given)
    assert given.value is reference
