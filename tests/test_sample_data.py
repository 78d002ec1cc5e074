"""The bundled sample data shows what the demo promises, and regenerates identically."""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from dunning.core.aging import aging_summary, bucket_labels
from dunning.core.ledger import build_ledger
from dunning.demo import SAMPLE_AS_OF, sample_customers, sample_invoices
from dunning.io.client_workbook import table_headers

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "addin" / "dunning" / "data"
SCRIPT = ROOT / "scripts" / "make_sample_data.py"
DEMO_DATE = SAMPLE_AS_OF
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_sample_data", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def invoices() -> pd.DataFrame:
    return sample_invoices()


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return sample_customers()


@pytest.fixture(scope="module")
def numbers(invoices: pd.DataFrame) -> pd.DataFrame:
    """Amounts, payments and dates as numbers, beside the text as written."""
    paid = pd.to_numeric(invoices["Paid"].replace("", "0"))
    amount = pd.to_numeric(invoices["Amount"])
    return pd.DataFrame(
        {
            "amount": amount,
            "paid": paid,
            "open": (amount - paid).round(2),
            "invoice_date": pd.to_datetime(invoices["Invoice Date"]),
            "settled": invoices["Settled Date"] != "",
            "disputed": invoices["Disputed"] == "Yes",
            "written_off": invoices["Written Off"] == "Yes",
        }
    )


def test_headers_are_the_templates(invoices: pd.DataFrame, customers: pd.DataFrame) -> None:
    assert tuple(invoices.columns) == table_headers()["Invoices"]
    assert tuple(customers.columns) == table_headers()["Customers"]


def test_a_few_hundred_invoices_over_the_year(invoices: pd.DataFrame) -> None:
    assert 200 <= len(invoices) <= 600
    dates = invoices["Invoice Date"]
    assert dates.str.match(ISO_DATE).all() and invoices["Due Date"].str.match(ISO_DATE).all()
    settled = invoices.loc[invoices["Settled Date"] != "", "Settled Date"]
    assert settled.str.match(ISO_DATE).all()
    assert dates.min() >= "2025-11-01" and dates.max() <= "2026-10-31"
    assert dates.str[:7].nunique() == 12, "every month of the year has invoices"


def test_invoice_numbers_are_unique_text_with_some_leading_zeros(invoices: pd.DataFrame) -> None:
    numbers = invoices["Invoice No"]
    assert numbers.is_unique
    assert numbers.str.match(r"^(INV-\d{4}-\d{4}|CN-\d{4}-\d{4}|0\d{5})$").all()
    assert numbers.str.startswith("INV-2026-").sum() > 100
    assert numbers.str.match(r"^0\d{5}$").sum() >= 3


def test_customers_are_varied_and_fictional(
    invoices: pd.DataFrame, customers: pd.DataFrame
) -> None:
    assert 8 <= len(customers) <= 12
    assert customers["Customer"].is_unique
    assert set(invoices["Customer"]) <= set(customers["Customer"])
    assert invoices["Customer"].nunique() == len(customers)
    assert customers["Contact Email"].str.match(r"^[^@\s]+@([\w-]+\.)*example\.(com|org)$").all()
    assert customers["Language"].nunique() >= 4
    assert customers["Time Zone"].nunique() >= 5
    assert (customers["Opt Out"] == "Yes").sum() == 1
    assert set(customers["Opt Out"]) | set(customers["Do Not Contact"]) <= {"Yes", "No"}
    assert pd.to_numeric(customers["Terms Days"]).nunique() >= 3


def test_customers_pay_differently(invoices: pd.DataFrame, numbers: pd.DataFrame) -> None:
    """Days from due date to settlement differ by customer: some prompt, some slow."""
    paid = numbers["settled"] & ~numbers["written_off"] & (numbers["amount"] > 0)
    late = (
        pd.to_datetime(invoices.loc[paid, "Settled Date"])
        - pd.to_datetime(invoices.loc[paid, "Due Date"])
    ).dt.days
    by_customer = late.groupby(invoices.loc[paid, "Customer"]).mean()
    assert by_customer.min() <= 2
    assert by_customer.max() >= 20


def test_partial_payments_credit_notes_disputes_and_write_offs(numbers: pd.DataFrame) -> None:
    invoices_only = numbers["amount"] > 0
    partial = invoices_only & (numbers["paid"] > 0) & (numbers["paid"] < numbers["amount"])
    credits = numbers["amount"] < 0
    assert partial.sum() >= 5
    assert credits.sum() >= 5
    assert (credits & (numbers["open"] != 0)).sum() >= 1, "an unapplied credit note"
    assert (credits & numbers["settled"]).sum() >= 1, "an applied credit note"
    assert numbers["disputed"].sum() >= 3
    assert (numbers["disputed"] & (numbers["open"] != 0)).sum() >= 2
    assert 1 <= numbers["written_off"].sum() <= 2
    assert numbers["settled"].sum() >= 100


def test_settled_items_are_settled_consistently(invoices: pd.DataFrame) -> None:
    """Settled Date falls between the invoice and the demo date; Paid is the amount or blank."""
    settled = invoices[invoices["Settled Date"] != ""]
    assert (settled["Settled Date"] >= settled["Invoice Date"]).all()
    assert (settled["Settled Date"] <= DEMO_DATE.isoformat()).all()
    paid_in_full = settled["Paid"] == settled["Amount"]
    cleared_without_payment = (settled["Paid"] == "") & (settled["Written Off"] == "Yes")
    assert (paid_in_full | cleared_without_payment).all()


def test_the_core_reads_the_sample_without_errors(invoices: pd.DataFrame) -> None:
    ledger = build_ledger(invoices)
    assert len(ledger) == len(invoices)
    assert not [issue for issue in ledger.issues if issue.severity != "warning"]
    assert ledger.frame["invoice"].tolist() == invoices["Invoice No"].tolist()


def test_every_aging_bucket_has_open_items_on_the_demo_date(invoices: pd.DataFrame) -> None:
    summary = aging_summary(build_ledger(invoices).frame, DEMO_DATE)
    counts = summary.loc[bucket_labels(), "count"]
    assert (counts >= 3).all(), counts.to_dict()
    assert (summary.loc[bucket_labels(), "amount"] > 0).all()


def test_the_script_regenerates_the_same_files() -> None:
    script = _script()
    assert script.DEMO_DATE == DEMO_DATE
    invoice_rows, customer_rows = script.generate()
    for name, headers, rows in (
        ("sample_invoices.csv", script.INVOICE_HEADERS, invoice_rows),
        ("sample_customers.csv", script.CUSTOMER_HEADERS, customer_rows),
    ):
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=headers, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        assert (DATA / name).read_text(encoding="utf-8") == text.getvalue(), (
            f"{name} is out of date: run python scripts/make_sample_data.py"
        )
