"""Dunning's worksheet functions: the module xlwings imports (UDF_MODULES = dunning.udfs).

Each function converts Excel's values with `dunning.excel.arguments`, calls the core and
hands the answer back as cell values; a problem becomes a "#DUNNING! ..." text
in the cell. The decorators are xlwings' own: on Windows (classic xlwings)
"Import Functions" turns them into VBA wrappers; elsewhere they leave the
functions as they are, so tests call them directly.

Two xlwings habits shape this module:

* No type hints on the functions. Classic xlwings makes a parameter's
  annotation its converter (`as_of: float | None` would break every call), so
  the arguments are described by `@xw.arg` options and docs instead.
* Tables arrive as the Range they refer to on classic xlwings (`TABLE_CONVERTER`).
  Its standard converter reads all 6,291,456 cells of `Invoices!A:F` over COM and
  cleans each in Python before the function runs; given the Range,
  `dunning.excel.arguments.used_values` reads only down to the sheet's last used
  row, as COM's raw values. An argument that is no reference (an array constant,
  another function's result) arrives as those raw values, and the blank rows are
  trimmed first. Runtimes without COM (xlwings Lite, Server) get the standard
  `ndim=2` lists.

Excel's function names are the Python names, in capitals, as Excel shows its
own functions. Percentages are fractions (0.25 shows as 25% in a cell
formatted as percent), as in Excel's own functions.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Mapping

import xlwings as xw

from dunning.core import kpis, ledger_kpis
from dunning.core.aging import aging_by_customer
from dunning.core.kpis import KpiValue, NotDefined
from dunning.core.ledger_kpis import DEFAULT_DAYS
from dunning.core.policy import DEFAULT_STAGES
from dunning.excel import arguments as cells
from dunning.excel.arguments import cell_function

CATEGORY = "Dunning"
DEFAULT_PERIOD_DAYS = 30


TABLE_CONVERTER = "dunning.table"
"""The converter name of a table argument on classic xlwings: the Range, else raw values."""


def _register_table_converter() -> None:
    """Teach classic xlwings `TABLE_CONVERTER`: a reference arrives as its Range, unread,
    anything else as the raw values COM passed (what the "raw" converter would give)."""
    from xlwings.conversion import Accessor
    from xlwings.conversion.framework import Pipeline

    def range_or_values(context: object) -> None:
        if getattr(context, "range", None) is not None:
            context.value = context.range  # type: ignore[attr-defined]

    class TableArgument(Accessor):
        @classmethod
        def reader(cls, options: object) -> Pipeline:
            return Pipeline().append_stage(range_or_values)

    TableArgument.register(TABLE_CONVERTER)


def table_options(platform: str = sys.platform,
                  environ: Mapping[str, str] = os.environ) -> dict[str, object]:
    """xlwings options for a table argument: the Range on classic xlwings, else rows."""
    classic = platform.startswith("win") and environ.get("XLWINGS_ON_SERVER") != "true"
    if classic:
        _register_table_converter()
        return {"convert": TABLE_CONVERTER}
    return {"ndim": 2, "err_to_str": True}


def _today() -> dt.date:
    """Today's date, for an as-of cell left blank, as Excel's TODAY() would give it.

    Excel calls these functions directly: like the command line, they are an
    entry point, and the one place below Excel that reads the clock.
    """
    return dt.date.today()


TABLE = table_options()
VALUE = {"err_to_str": True}
"""A single value; error cells arrive as their text ("#N/A") so they can be reported."""
CELLS = {"ndim": 2, "err_to_str": True}
"""A cell or a small range, always as rows, so results can take the range's shape."""

INVOICES = ("The invoice table with its header row, such as Invoices[#All] or Invoices!A:F "
            "(whole columns are fine)")
AS_OF = "The date to measure at; blank for today"
DAYS = f"Length of the sales period in days (default {DEFAULT_DAYS}; 360 for a banker's year)"
CURRENCY = "Currency code to total when the invoices are in several, such as USD"
SETTINGS = "Optional: the Settings table (Settings[#All]), for its aging buckets and As Of Date"


def _arg(name: str, doc: str, options: Mapping[str, object]) -> Callable:
    return xw.arg(name, doc=doc, **options)


def _percent(value: KpiValue) -> KpiValue:
    """The core's 0-100 percentage as the fraction Excel formats as a percent."""
    return value if isinstance(value, NotDefined) else value / 100


# ------------------------------------------------------------------ ledger KPIs


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("as_of", AS_OF, VALUE)
@_arg("days", DAYS, VALUE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def DSO(invoices, as_of=None, days=None, currency=None):
    """Days sales outstanding: open receivables at the as-of date / credit sales of the
    days before it * days."""
    frame = cells.invoice_frame(invoices, currency)
    day = cells.as_of_date(as_of, today=_today())
    return ledger_kpis.dso(frame, day, cells.whole_number(days, "days", DEFAULT_DAYS))


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("as_of", AS_OF, VALUE)
@_arg("days", DAYS, VALUE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def BEST_POSSIBLE_DSO(invoices, as_of=None, days=None, currency=None):
    """Best possible DSO: receivables not yet due at the as-of date / credit sales of the
    days before it * days."""
    frame = cells.invoice_frame(invoices, currency)
    day = cells.as_of_date(as_of, today=_today())
    return ledger_kpis.best_possible_dso(frame, day, cells.whole_number(days, "days",
                                                                        DEFAULT_DAYS))


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("as_of", AS_OF, VALUE)
@_arg("days", DAYS, VALUE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def AVG_DAYS_DELINQUENT(invoices, as_of=None, days=None, currency=None):
    """Average days delinquent (ADD): DSO minus best possible DSO, over the same period."""
    frame = cells.invoice_frame(invoices, currency)
    day = cells.as_of_date(as_of, today=_today())
    return ledger_kpis.average_days_delinquent(frame, day, cells.whole_number(days, "days",
                                                                              DEFAULT_DAYS))


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("start", "The day before the period's first day (the period is start < date <= end)",
      VALUE)
@_arg("end", "The period's last day", VALUE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def CEI(invoices, start, end, currency=None):
    """Collection effectiveness index over the period, as a fraction:
    (B + S - E) / (B + S - E not yet due)."""
    frame = cells.invoice_frame(invoices, currency)
    first, last = cells.required_date(start, "start"), cells.required_date(end, "end")
    return _percent(ledger_kpis.cei(frame, first, last))


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("as_of", AS_OF, VALUE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def PERCENT_CURRENT(invoices, as_of=None, currency=None):
    """Share of open receivables not yet past due at the as-of date, as a fraction."""
    frame = cells.invoice_frame(invoices, currency)
    day = cells.as_of_date(as_of, today=_today())
    return _percent(ledger_kpis.percent_current(frame, day))


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("as_of", AS_OF, VALUE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def PERCENT_PAST_DUE(invoices, as_of=None, currency=None):
    """Share of open receivables past due (1 day or more) at the as-of date, as a fraction."""
    frame = cells.invoice_frame(invoices, currency)
    day = cells.as_of_date(as_of, today=_today())
    return _percent(ledger_kpis.percent_past_due(frame, day))


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("as_of", AS_OF, VALUE)
@_arg("days", f"Look back this many days (default {DEFAULT_DAYS})", VALUE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def AVG_DAYS_TO_PAY(invoices, as_of=None, days=None, currency=None):
    """Average days from invoice date to settlement, over invoices settled in the days up
    to the as-of date."""
    frame = cells.invoice_frame(invoices, currency)
    return ledger_kpis.average_days_to_pay(frame, *cells.look_back(as_of, days, today=_today()))


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("as_of", AS_OF, VALUE)
@_arg("days", f"Look back this many days (default {DEFAULT_DAYS})", VALUE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def AVG_DAYS_LATE(invoices, as_of=None, days=None, currency=None):
    """Average days paid after the due date (0 when on time), over invoices settled in the
    days up to the as-of date."""
    frame = cells.invoice_frame(invoices, currency)
    return ledger_kpis.average_days_late(frame, *cells.look_back(as_of, days, today=_today()))


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("customer", "Customer id or name; blank for all customers", VALUE)
@_arg("as_of", AS_OF, VALUE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def OPEN_BALANCE(invoices, customer=None, as_of=None, currency=None):
    """Open balance at the end of the as-of date, credit notes netted: of one customer, or
    of all."""
    frame = cells.invoice_frame(invoices, currency, customer)
    return round(ledger_kpis.receivables(frame, cells.as_of_date(as_of, today=_today())), 2)


@xw.func(category=CATEGORY)
@_arg("invoices", INVOICES, TABLE)
@_arg("as_of", "The date to age at; blank for the Settings' As Of Date, else today", VALUE)
@_arg("by_customer", "TRUE for one row per customer; FALSE or blank for the total only", VALUE)
@_arg("settings", SETTINGS, TABLE)
@_arg("currency", CURRENCY, VALUE)
@cell_function
def AGING(invoices, as_of=None, by_customer=None, settings=None, currency=None):
    """Aging of open balances by days past due, as a table that spills: a header row, one
    row per customer if asked, and a total row."""
    frame = cells.invoice_frame(invoices, currency)
    options = cells.settings_from_table(settings)
    day = cells.as_of_date(as_of, today=_today(), default=options.as_of)
    table = aging_by_customer(frame, day, edges=options.bucket_edges, basis=options.aging_basis)
    return cells.aging_rows(table, by_customer=cells.flag(by_customer, "by_customer", False))


# ------------------------------------------------------------------ row helpers


@xw.func(category=CATEGORY)
@_arg("due_date", "A due date, or a range of them", CELLS)
@_arg("as_of", AS_OF, VALUE)
@cell_function
def DAYS_PAST_DUE(due_date, as_of=None):
    """Days from the due date to the as-of date; 0 or less means not yet due."""
    rows = cells.grid(due_date)
    day = cells.as_of_date(as_of, today=_today())
    return cells.shaped(cells.days_past_due_cells(rows, day), rows)


@xw.func(category=CATEGORY)
@_arg("due_date", "A due date, or a range of them", CELLS)
@_arg("as_of", "The date to age at; blank for the Settings' As Of Date, else today", VALUE)
@_arg("settings", SETTINGS, TABLE)
@cell_function
def AGING_BUCKET(due_date, as_of=None, settings=None):
    """The aging bucket of a due date at the as-of date: Current, 1-30, 31-60, ... Over 120."""
    options = cells.settings_from_table(settings)
    rows = cells.grid(due_date)
    day = cells.as_of_date(as_of, today=_today(), default=options.as_of)
    days = cells.days_past_due_cells(rows, day)
    return cells.shaped(cells.buckets_of(days, options.bucket_edges), rows)


@xw.func(category=CATEGORY)
@_arg("days_past_due", "Days past due (from DAYS_PAST_DUE), or a range of them", CELLS)
@_arg("stages", "Optional: the Stages table (Stages[#All]); blank for the template's stages",
      TABLE)
@cell_function
def DUNNING_STAGE(days_past_due, stages=None):
    """The reminder stage reached after this many days past due; empty before the first stage."""
    if stages is None:
        steps = [(stage.name, float(stage.days_from_due)) for stage in DEFAULT_STAGES]
    else:
        steps = cells.stages_from_table(stages)
    rows = cells.grid(days_past_due)
    return cells.shaped(cells.stages_of(rows, steps), rows)


# ------------------------------------------------------------------ KPIs from plain numbers


@xw.func(category=CATEGORY)
@_arg("receivables", "Open receivables at the end of the period", VALUE)
@_arg("credit_sales", "Net credit sales over the period", VALUE)
@_arg("days", f"Days in the period (default {DEFAULT_DAYS})", VALUE)
@cell_function
def DSO_FROM(receivables, credit_sales, days=None):
    """Days sales outstanding from figures: receivables / credit sales * days."""
    return kpis.dso(cells.number_value(receivables, "receivables"),
                    cells.number_value(credit_sales, "credit_sales"),
                    cells.number_value(days, "days", DEFAULT_DAYS))


@xw.func(category=CATEGORY)
@_arg("receivables", "Open receivables now", VALUE)
@_arg("sales_newest_first", "Credit sales per period, newest period first (a row or column)",
      CELLS)
@_arg("days_per_period", f"Days per period: one number (default {DEFAULT_PERIOD_DAYS}) or "
      "one per period", CELLS)
@cell_function
def COUNTBACK_DSO(receivables, sales_newest_first, days_per_period=None):
    """Countback DSO: walks back through the periods' sales until the receivables are used up."""
    days = cells.number_or_numbers(days_per_period, "days_per_period", DEFAULT_PERIOD_DAYS)
    return kpis.countback_dso(cells.number_value(receivables, "receivables"),
                              cells.numbers_in_order(sales_newest_first, "sales_newest_first"),
                              days)


@xw.func(category=CATEGORY)
@_arg("beginning", "Receivables at the start of the period", VALUE)
@_arg("sales", "Credit sales in the period", VALUE)
@_arg("ending", "Receivables at the end of the period", VALUE)
@_arg("ending_current", "The part of the ending receivables not yet past due", VALUE)
@cell_function
def CEI_FROM(beginning, sales, ending, ending_current):
    """Collection effectiveness index from figures, as a fraction: (B + S - E) / (B + S - EC)."""
    return _percent(kpis.collection_effectiveness_index(
        cells.number_value(beginning, "beginning"), cells.number_value(sales, "sales"),
        cells.number_value(ending, "ending"),
        cells.number_value(ending_current, "ending_current")))
