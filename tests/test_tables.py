"""The items and charges tables: aligned text columns."""

from __future__ import annotations

import re

from dunning.render.tables import items_text_table


def test_text_table_columns_are_aligned():
    items = [dict(invoice="INV-1", invoice_date="2026-09-01", due_date="2026-10-01",
                  amount=1234.5, open_balance=1234.5, currency="EUR", days_past_due=53,
                  is_credit=False),
             dict(invoice="CREDIT-0000002", invoice_date="2026-10-05", due_date="2026-10-05",
                  amount=-100.0, open_balance=-100.0, currency="EUR", days_past_due=49,
                  is_credit=True)]
    table = items_text_table(items, {"EUR": 1134.5}, "en").splitlines()
    header, rule, first, second, _rule, total = table
    columns = [match.span() for match in re.finditer(r"-+", rule)]
    assert len(columns) == 6
    start, end = columns[4]  # "Open", right-aligned
    for line, shown in ((first, "EUR 1,234.50"), (second, "EUR -100.00"),
                        (total, "EUR 1,134.50")):
        assert line[start:end].strip() == shown and line[end - 1] == "0"
    assert first[: columns[0][1]].rstrip() == "INV-1"
    assert second[columns[5][0]:].strip() == "credit note"
    assert total.startswith("Total")
