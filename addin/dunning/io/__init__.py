"""Workbooks on disk: the Workbook interface and its file host, the lossless
part-level writer (`xlsx/`), durable saves, the client workbook template.

The rooms above use what the writer offers through this module, never `io.xlsx`
itself, so the writer can change inside without reaching anyone."""

from dunning.io.xlsx import WorkbookLockedError
from dunning.io.xlsx.cells import RISKY_START
from dunning.io.xlsx.chart_ranges import range_ref, split_range
from dunning.io.xlsx.charts import OWN_NAME as CHART_NAME
from dunning.io.xlsx.charts import Chart, Series
from dunning.io.xlsx.locks import check_not_open
from dunning.io.xlsx.tables import TableColumn, rows_in_column_order

__all__ = ["CHART_NAME", "RISKY_START", "Chart", "Series", "TableColumn",
           "WorkbookLockedError", "check_not_open", "range_ref", "rows_in_column_order",
           "split_range"]
