"""The report sheets' layouts: KPIs rounded by unit with the unit beside, amounts with their
currency, the Charts sheet's figures equal to the core's."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from dunning.cli import main
from dunning.core.aging import TOTAL, aging_tables
from dunning.core.ledger import build_ledger
from dunning.core.ledger_kpis import all_kpis
from dunning.render.report_sheets import (
    aging_sheet,
    chart_currency,
    charts_sheet,
    kpi_sheet,
    largest_overdue,
)

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture
def ledger():
    customers = [f"C{i:02d}" for i in range(12)]
    return build_ledger(pd.DataFrame({  # one settled invoice: a ledger with paid history
        "Invoice No": [str(i) for i in range(15)],
        "Customer": [*customers, "C00", "X", "C01"],
        "Invoice Date": ["2026-01-01"] * 15,
        "Due Date": ["2026-01-31"] * 12 + ["2026-04-30", "2026-01-31", "2026-01-31"],
        "Amount": [100.0 * (i + 1) for i in range(12)] + [50.0, 999.0, 80.0],
        "Paid": [0.0] * 14 + [80.0],
        "Settled Date": [None] * 14 + ["2026-02-10"],
        "Currency": ["EUR"] * 13 + ["USD", "EUR"],
    })).frame


def test_kpis_are_numbers_with_their_unit_in_its_own_column(ledger):
    layout = kpi_sheet(ledger, AS_OF, "stamp")
    assert layout.rows[1] == ["stamp"]
    eur_block = layout.rows.index(["Currency: USD"])
    by_label = {row[0]: (row[1], row[2], kind[1]) for row, kind in
                zip(layout.rows[:eur_block], layout.kinds[:eur_block], strict=True)
                if len(row) == 3 and kind}
    euros = ledger[ledger["currency"] == "EUR"]
    values = all_kpis(euros, AS_OF)
    first = next(v for k, v in by_label.items() if k == "DSO")
    assert first == (pytest.approx(float(values["dso"]), abs=1e-4), "days", "days")
    assert by_label["Open receivables"][1:] == ("EUR", "money")  # the currency shown once
    share, unit, kind = by_label["Past due"]
    assert (unit, kind) == ("", "percent")  # the % shown once: by the cell's percent format
    assert share == pytest.approx(float(values["percent_past_due"]) / 100, abs=1e-6)


def test_the_refreshed_kpis_sheet_shows_each_unit_once_as_libreoffice_reads_it(book, tmp_path,
                                                                              capsys):
    """Money and days are plain numbers with their unit beside; a percentage is a fraction
    (as PERCENT_CURRENT and KPIHistory hold it) in Excel's percent format, its Unit blank."""
    import shutil

    import xlsx_corpus as corpus

    assert main(["refresh", str(book), "--as-of", "2026-11-23",
                 "--now", "2026-11-24T08:30:00Z"]) == 0
    capsys.readouterr()
    cells = {row[0]: row for row in CalamineWorkbook.from_path(str(book))
             .get_sheet_by_name("KPIs").to_python() if row and row[0]}
    assert cells["Current"][2] == "" and 0 < cells["Current"][1] < 1  # a number, kept one
    assert cells["Open receivables"][2] == "EUR" and cells["DSO"][2] == "days"
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    as_shown = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    corpus.libreoffice_convert([book], tmp_path / "csv", as_shown)  # cells as shown
    shown = (tmp_path / "csv" / f"{book.stem}-KPIs.csv").read_text("utf-8").splitlines()
    percents = [line for line in shown if "%" in line]
    assert percents and all(line.count("%") == 1 and line.endswith("%,")
                            for line in percents), percents
    assert "Collection effectiveness index,88.6%," in shown
    assert 'Open receivables,"110,461.59",EUR' in shown and "DSO,58.4,days" in shown


def test_aging_amounts_show_their_currency(ledger):
    layout = aging_sheet(ledger, AS_OF, "stamp")
    assert layout.rows[1] == ["stamp"] and layout.kinds[1] == ["note"]
    usd = layout.rows.index(["Currency: USD"])
    assert layout.kinds[usd + 2][3:] == ["money:USD"] * (len(layout.rows[usd + 2]) - 3)
    assert layout.kinds[3] == ["header"] * len(layout.rows[3])


def test_the_largest_overdue_are_the_core_past_due_balances(ledger):
    euros = ledger[ledger["currency"] == "EUR"]
    top = largest_overdue(euros, AS_OF)
    amounts, _ = aging_tables(euros, AS_OF)
    past_due = (amounts[TOTAL] - amounts["Current"]).drop(TOTAL)
    expected = past_due.sort_values(ascending=False).head(10)
    assert [(c, v) for c, _, v in top] == [(c, round(v, 2)) for c, v in expected.items()]
    assert len(top) == 10 and top[0][0] == "C11"


def test_the_charts_sheet_holds_one_currency(ledger):
    assert chart_currency(ledger) == "EUR" and chart_currency(ledger, "usd") == "USD"
    layout = charts_sheet(ledger, AS_OF, "USD", "stamp")
    assert layout.rows[0][0].startswith("Charts: receivables in USD")
    buckets = layout.rows[4:10]
    assert sum(row[1] for row in buckets) == pytest.approx(999.0)
    assert layout.rows[-1] == ["X", "X", 999.0]
