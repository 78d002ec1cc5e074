"""The Customers table: who to write to, in which language and time zone, and who not to contact."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from dunning.core.errors import DunningInputError, Issue, TablePlace, place_of
from dunning.core.parse import (
    AMOUNT_RANGE,
    DATE_RANGE,
    parse_amounts,
    parse_dates,
    parse_flags,
    parse_text,
    shown_value,
)
from dunning.core.policy import known_country

CUSTOMERS_TABLE = "Customers"
CUSTOMER_HEADERS: dict[str, str] = {
    "Customer": "customer",
    "Name": "name",
    "Contact Name": "contact_name",
    "Contact Email": "email",
    "Language": "language",
    "Time Zone": "time_zone",
    "Opt Out": "opt_out",
    "Do Not Contact": "do_not_contact",
    "Credit Limit": "credit_limit",
    "Terms Days": "terms_days",
    "Billing Contact": "billing_contact",
    "Billing Email": "billing_email",
    "CC Email": "cc_email",
    "Hold Until": "hold_until",
    "Hold Reason": "hold_reason",
    "Country": "country",
    "Channel": "channel",
}
"""The columns read, by header. Billing Contact and Billing Email, when filled in, stand in
for Contact Name and Contact Email; CC Email (";" between several) is copied on every
reminder; Hold Until (with Hold Reason) holds the customer through that date; Country (ISO
code or English name) names whose public holidays are not working days; Channel "letter"
sends reminders by post (checked, with the address, by `dunning.sheets.addresses`)."""
_FLAGS = ("opt_out", "do_not_contact")
_NUMBERS = ("credit_limit", "terms_days")
_DATES = ("hold_until",)


def customers_frame(table: pd.DataFrame | None, place: TablePlace | None = None) -> pd.DataFrame:
    """The Customers table's values with snake_case columns, flags as bools, numbers as floats.

    A bad flag or number raises `DunningInputError` naming the Customers cell: a misread
    opt-out is exactly the mistake a reminder run must not make. The cell is named where
    the table sits (`place`, else the one its frame was read with, else a table at the top
    of a Customers sheet, letters unknown).
    """
    if table is None:
        table = pd.DataFrame(columns=list(CUSTOMER_HEADERS))
    place = place or place_of(table, CUSTOMERS_TABLE)
    missing = [h for h in ("Customer", "Contact Email") if h not in table.columns]
    if missing:
        raise DunningInputError([Issue(
            f"the Customers table lacks the columns {', '.join(missing)}",
            sheet=place.sheet, row=place.header_row)])
    columns: dict[str, object] = {}
    issues: list[Issue] = []
    for header, name in CUSTOMER_HEADERS.items():
        values = (table[header] if header in table.columns
                  else pd.Series([None] * len(table), dtype=object)).to_numpy(dtype=object)
        if name in _FLAGS:
            parsed = parse_flags(values)
        elif name in _NUMBERS:
            parsed = parse_amounts(values)
        elif name in _DATES:
            parsed = parse_dates(values)
        else:
            parsed = parse_text(values)
        if name == "country":
            unknown = np.array([bool(text) and not known_country(text)
                                for text in parsed.values], dtype=bool)
            parsed = replace(parsed, values=np.array(
                [known_country(text) for text in parsed.values], dtype=object),
                bad=parsed.bad | unknown)
        for position in parsed.bad.nonzero()[0]:
            expected = {"opt_out": "Yes or No", "do_not_contact": "Yes or No",
                        "hold_until": "a date",
                        "country": "a country whose public holidays are known, by name or "
                                   "code, such as France or FR"}.get(name, "a number")
            if parsed.out_of_range is not None and parsed.out_of_range[position]:
                expected = (f"a date from {DATE_RANGE}" if name in _DATES
                            else f"a number {AMOUNT_RANGE}")
            issues.append(place.cell_issue(f"expected {expected}", position=position,
                                           header=header, headers=table.columns,
                                           value=shown_value(values[position])))
        columns[name] = parsed.values
    if issues:
        raise DunningInputError(issues)
    frame = pd.DataFrame(columns)
    frame["language"] = frame["language"].str.lower()
    return frame[frame["customer"] != ""].reset_index(drop=True)

