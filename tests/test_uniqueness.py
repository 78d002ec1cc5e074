"""A repeated invoice number is refused where amounts are added up (aging, kpis), naming rows."""

from __future__ import annotations

import pandas as pd
import pytest

from dunning.cli import main
from dunning.core.errors import DunningInputError
from dunning.core.ledger import build_ledger
from dunning.core.uniqueness import repeated_invoices
from dunning.io.book import open_book

CSV = ("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
       "INV-0002,Bayside Club,2026-10-12,2026-10-26,2560.00\n"
       "INV-0003,City Agency,2026-10-14,2026-10-28,100.00\n"
       "INV-0002,Bayside Club,2026-10-12,2026-10-26,2360.00\n")


def test_each_repeated_number_is_one_error_naming_both_rows():
    table = [line.split(",") for line in CSV.splitlines()]
    frame = build_ledger(table, sheet="Invoices").frame
    [issue] = repeated_invoices(frame, sheet="Invoices")
    assert (issue.sheet, issue.row, issue.severity) == ("Invoices", 4, "error")
    assert "INV-0002 is on rows 2 and 4" in issue.message
    assert repeated_invoices(frame.iloc[:2]) == []


def test_open_book_refuses_only_when_asked(tmp_path):
    path = tmp_path / "xero.csv"
    path.write_text(CSV, encoding="utf-8")
    assert len(open_book(path).frame) == 3  # reminders and the rest: a warning as before
    with pytest.raises(DunningInputError, match="INV-0002 is on rows 2 and 4"):
        open_book(path, unique_invoices=True)


@pytest.mark.parametrize("command", ["aging", "kpis"])
def test_aging_and_kpis_refuse_a_repeated_number_instead_of_summing_it(tmp_path, capsys, command):
    path = tmp_path / "xero.csv"
    path.write_text(CSV, encoding="utf-8")
    assert main([command, str(path), "--as-of", "2026-11-30"]) == 1
    captured = capsys.readouterr()
    assert "Error: xero.csv!A4 (Invoice No): invoice number INV-0002 is on rows 2 and 4" in \
        captured.err or "invoice number INV-0002 is on rows 2 and 4" in captured.err
    assert "4,920.00" not in captured.out


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dunning.core.uniqueness import has_repeats  # noqa: E402


@given(st.lists(st.sampled_from(["INV-1", "INV-2", "inv-1", "0001", "1", "", " 1", "ä"]),
                max_size=12),
       st.sampled_from(["object", "arrow"]))
def test_has_repeats_is_duplicated_any_for_arrow_and_object_text(values, held):
    dtype = pd.StringDtype("pyarrow") if held == "arrow" else object
    series = pd.Series(values, dtype=dtype)
    assert has_repeats(series) == bool(series.duplicated().any())
