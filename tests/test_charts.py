"""The charts Refresh draws: ranges on the Charts sheet and on one currency's KPIHistory rows."""

from __future__ import annotations

import datetime as dt

from dunning.app.charts import report_charts

DAY = dt.date(2026, 3, 31)


def rows(top: int) -> list[list[object]]:
    body = [["title"], ["stamp"], [], ["Days past due", "Open amount"],
            *[[f"b{i}", 1.0] for i in range(6)], [], ["Customer", "Name", "Overdue"]]
    return body + [[f"C{i}", "n", 1.0] for i in range(top)]


def test_the_four_charts_name_their_ranges():
    history = [[DAY, "EUR"], [DAY, "USD"], [DAY, "USD"]]
    charts = report_charts(rows(3), history, "USD")
    aging, top, dso, cei = charts
    assert aging.series[0].values == "Charts!$B$5:$B$10"
    assert aging.series[0].categories == "Charts!$A$5:$A$10"
    assert top.kind == "bar" and top.series[0].values == "Charts!$C$13:$C$15"
    assert [s.values for s in dso.series] == ["KPIHistory!$E$3:$E$4", "KPIHistory!$F$3:$F$4"]
    assert cei.series[0].values == "KPIHistory!$G$3:$G$4" and cei.number_format == "0%"


def test_nothing_overdue_and_no_history_leave_only_the_aging_chart():
    assert [chart.kind for chart in report_charts(rows(0), [], "EUR")] == ["column"]
