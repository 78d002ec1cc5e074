"""The workbook's Settings, read into one frozen object with sensible defaults.

The Settings sheet is a table of (Setting, Value) pairs that an accountant edits
by hand, so names are matched loosely ("As Of Date", "as-of date") and every
value is checked, with a message naming the setting when it is not usable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dunning.core.aging import DEFAULT_EDGES, Basis
from dunning.core.columns import normal_header
from dunning.core.errors import DunningInputError, Issue
from dunning.core.parse import parse_dates

SETTINGS_SHEET = "Settings"


@dataclass(frozen=True)
class Settings:
    """What the core needs to know about a client's workbook.

    `as_of` None means today. `bucket_edges` are the aging buckets' upper
    edges in days past due, Current first.
    """

    client: str = ""
    company_name: str = ""
    as_of: dt.date | None = None
    aging_basis: Basis = "due"
    bucket_edges: tuple[int, ...] = DEFAULT_EDGES


def settings_from_pairs(pairs: Mapping[str, object]) -> Settings:
    """Settings from the workbook's (Setting, Value) pairs; unknown names are ignored."""
    values = {normal_header(name): value for name, value in pairs.items()}
    issues: list[Issue] = []
    defaults = Settings()

    def text(name: str) -> str:
        value = values.get(normal_header(name))
        return "" if value is None else str(value).strip()

    as_of = None
    if text("As Of Date"):
        parsed = parse_dates(np.array([values[normal_header("As Of Date")]], dtype=object))
        if parsed.bad[0]:
            issues.append(_issue("As Of Date", "expected a date, or blank for today"))
        else:
            as_of = pd.Timestamp(parsed.values[0]).date()

    basis = text("Aging Basis").lower() or defaults.aging_basis
    if basis not in ("due", "invoice"):
        issues.append(_issue("Aging Basis", "expected 'due' or 'invoice'"))
        basis = defaults.aging_basis

    edges = [0]
    for number in range(1, 10):
        raw = text(f"Bucket {number} Days")
        if not raw:
            continue
        try:
            edges.append(int(float(raw)))
        except ValueError:
            issues.append(_issue(f"Bucket {number} Days", "expected a whole number of days"))
    if len(edges) == 1:
        edges = list(defaults.bucket_edges)
    if any(b <= a for a, b in zip(edges[:-1], edges[1:], strict=False)):
        issues.append(_issue("Bucket 1 Days", "bucket days must increase from bucket to bucket"))
    if issues:
        raise DunningInputError(issues)
    return Settings(
        client=text("Client"),
        company_name=text("Company Name"),
        as_of=as_of,
        aging_basis=basis,  # type: ignore[arg-type]
        bucket_edges=tuple(edges),
    )


def _issue(name: str, message: str) -> Issue:
    return Issue(f"setting {name!r}: {message}", sheet=SETTINGS_SHEET, column="Value")
