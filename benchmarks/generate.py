"""Generated invoice ledgers of any size, shaped the way xlwings hands a range to Python."""

from __future__ import annotations

import datetime as dt

import numpy as np

HEADER = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount", "Paid",
          "Currency", "Disputed"]
START = dt.datetime(2025, 1, 1)


def invoice_rows(count: int, *, customers: int = 2_000, seed: int = 7) -> list[list[object]]:
    """Header then `count` rows: text ids, datetime dates, float amounts, None for blanks."""
    rng = np.random.default_rng(seed)
    offsets = rng.integers(0, 700, count)
    terms = rng.choice([14, 30, 45, 60], count)
    amounts = np.round(rng.lognormal(6, 1.2, count), 2)
    amounts[rng.random(count) < 0.04] *= -1  # credit notes
    paid_share = rng.choice([0.0, 0.0, 0.0, 0.5, 1.0], count)
    customer_ids = rng.integers(0, customers, count)
    disputed = rng.random(count) < 0.03
    rows: list[list[object]] = [HEADER]
    for i in range(count):
        issued = START + dt.timedelta(days=int(offsets[i]))
        paid = round(float(amounts[i] * paid_share[i]), 2) or None
        rows.append([
            f"INV-{i:07d}", f"C{customer_ids[i]:05d}", issued,
            issued + dt.timedelta(days=int(terms[i])), float(amounts[i]), paid, "EUR",
            "Yes" if disputed[i] else None,
        ])
    return rows


def write_invoice_csv(path: object, count: int, *, seed: int = 7) -> None:
    """The rows of `invoice_rows` as a CSV export: ISO dates, blanks empty, amounts as text."""
    import csv

    rows = invoice_rows(count, seed=seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(rows[0])
        for row in rows[1:]:
            writer.writerow([
                value.date().isoformat() if isinstance(value, dt.datetime)
                else "" if value is None else value
                for value in row])


def write_invoice_xlsx(path: object, count: int, *, seed: int = 7) -> None:
    """The rows of `invoice_rows` as a plain Invoices sheet, dates as date cells, blanks empty
    (written by XlsxWriter, as Excel would hold them)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Invoices")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, values in enumerate(invoice_rows(count, seed=seed)):
        for c, value in enumerate(values):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, date_format)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
