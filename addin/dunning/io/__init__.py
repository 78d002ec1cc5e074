"""Workbooks on disk: the Workbook interface and its file host, the lossless
part-level writer (`xlsx/`), durable saves, the client workbook template.

The rooms above use what the writer offers through this module, never `io.xlsx`
itself, so the writer can change inside without reaching anyone. Its names are
imported when first used: a command that only reads a CSV export (`dunning aging`)
does not load the writer."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dunning.io.xlsx import WorkbookLockedError
    from dunning.io.xlsx.cells import RISKY_START
    from dunning.io.xlsx.chart_ranges import range_ref, split_range
    from dunning.io.xlsx.charts import OWN_NAME as CHART_NAME
    from dunning.io.xlsx.charts import Chart, Series
    from dunning.io.xlsx.locks import check_not_open, names_open_file
    from dunning.io.xlsx.tables import TableColumn, rows_in_column_order

_WHERE = {"WorkbookLockedError": ("dunning.io.xlsx", "WorkbookLockedError"),
          "RISKY_START": ("dunning.io.xlsx.cells", "RISKY_START"),
          "range_ref": ("dunning.io.xlsx.chart_ranges", "range_ref"),
          "split_range": ("dunning.io.xlsx.chart_ranges", "split_range"),
          "CHART_NAME": ("dunning.io.xlsx.charts", "OWN_NAME"),
          "Chart": ("dunning.io.xlsx.charts", "Chart"),
          "Series": ("dunning.io.xlsx.charts", "Series"),
          "check_not_open": ("dunning.io.xlsx.locks", "check_not_open"),
          "names_open_file": ("dunning.io.xlsx.locks", "names_open_file"),
          "TableColumn": ("dunning.io.xlsx.tables", "TableColumn"),
          "rows_in_column_order": ("dunning.io.xlsx.tables", "rows_in_column_order")}
"""Each name the facade offers: the module that holds it and its name there."""

__all__ = ["CHART_NAME", "RISKY_START", "Chart", "Series", "TableColumn",
           "WorkbookLockedError", "check_not_open", "names_open_file", "range_ref",
           "rows_in_column_order", "split_range"]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - whichever name the facade offers
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'dunning.io' has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value
    return value
