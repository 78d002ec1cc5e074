"""The Customers table's postal side: each customer's address and channel (email or letter).

Read from the same Customers table as `dunning.sheets.customers` (who to email, in which
language), for the statement of account and for letters: `Address` (street lines; line
breaks in the cell, or ";", separate lines), `Postcode`, `City`, `Country` and `Channel`
(blank or "email", or "letter": that customer's reminders are printed letters). Every
column is optional; an unknown channel is an error naming its row and column, since a
misread channel is a reminder that goes the wrong way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from dunning.core.columns import normal_header
from dunning.core.errors import DunningInputError, TablePlace, place_of
from dunning.core.parse import parse_text

CUSTOMERS_TABLE = "Customers"
ADDRESS_HEADERS: Mapping[str, tuple[str, ...]] = {
    "customer": ("Customer", "Customer ID"),
    "address": ("Address", "Street", "Address Lines", "Postal Address"),
    "postcode": ("Postcode", "Postal Code", "ZIP", "ZIP Code", "Post Code"),
    "city": ("City", "Town"),
    "country": ("Country",),
    "channel": ("Channel", "Reminder Channel"),
}
CHANNELS = ("email", "letter")
_LINE_BREAK = re.compile(r"\s*(?:\r\n|\r|\n|;)\s*")


def addresses_frame(table: pd.DataFrame | None, place: TablePlace | None = None) -> pd.DataFrame:
    """customer, address (a tuple of lines: street lines, "postcode city", country) and
    channel ("email" or "letter") of every customer of the Customers table (a bad channel
    is named at its cell: `place`, else the one the frame was read with)."""
    columns = ["customer", "address", "channel"]
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    found = {normal_header(header): header for header in table.columns}
    place = place or place_of(table, CUSTOMERS_TABLE)

    def values(key: str) -> list[str]:
        for header in ADDRESS_HEADERS[key]:
            if normal_header(header) in found:
                cells = table[found[normal_header(header)]].to_numpy(dtype=object)
                return parse_text(cells).values.tolist()
        return [""] * len(table)

    issues = []
    channels = []
    for position, channel in enumerate(values("channel")):
        word = channel.strip().lower() or "email"
        if word not in CHANNELS:
            issues.append(place.cell_issue(
                "expected email or letter (blank: email)", position=position,
                header=_header(found, "channel"), headers=table.columns, value=channel))
        channels.append(word)
    if issues:
        raise DunningInputError(issues)
    rows = []
    for customer, street, postcode, city, country, channel in zip(
            values("customer"), values("address"), values("postcode"), values("city"),
            values("country"), channels, strict=True):
        if not customer.strip():
            continue
        lines = [line for line in _LINE_BREAK.split(street.strip()) if line]
        place = " ".join(part.strip() for part in (postcode, city) if part.strip())
        lines += [line for line in (place, country.strip()) if line]
        rows.append((customer.strip(), tuple(lines), channel))
    return pd.DataFrame(rows, columns=columns)


def address_lines(text: str) -> tuple[str, ...]:
    """A multi-line address cell (the Company Address setting) as its lines."""
    return tuple(line for line in _LINE_BREAK.split(str(text or "").strip()) if line)


def _header(found: Mapping[str, str], key: str) -> str:
    for header in ADDRESS_HEADERS[key]:
        if normal_header(header) in found:
            return found[normal_header(header)]
    return ADDRESS_HEADERS[key][0]
