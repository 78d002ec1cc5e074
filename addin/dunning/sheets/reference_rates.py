"""The reference-rate tables a run reads: the shipped CSV, the user's own file, the
workbook's ReferenceRates table, each checked and typed with its bad cells named.

The calculations live in `dunning.core.charges`, which is given the table; this module
is where the files and the workbook's cells come in.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from dunning.core.charges import (
    RATE_COLUMNS,
    RATES_SHEET,
    blank_cells,
    merge_rates,
    normalise_rates,
    percent_or_none,
)
from dunning.core.columns import normal_header
from dunning.core.errors import PLACE, DunningInputError, Issue, TablePlace, place_of
from dunning.core.parse import AmbiguousDatesError, parse_dates

RATES_FILE = "reference_rates.csv"
USER_RATES_VARIABLE = "DUNNING_RATES"

_RATE_HEADERS: Mapping[str, tuple[str, ...]] = {
    "regime": ("regime",),
    "effective_from": ("effectivefrom", "from", "start", "halfyear"),
    "rate_percent": ("ratepercent", "rate", "ratepct", "referencerate"),
    "source": ("source", "note", "notes"),
}


def load_reference_rates(path: str | Path | None = None, *,
                         env: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Reference rates from a CSV, checked and typed.

    With no `path`: the packaged table with the user's rates file (`user_rates_path(env)`)
    laid over it when that file exists, a row of the user's replacing the packaged row of the
    same regime and half-year. With a `path`: that file alone. A bad row is named by its
    file and row.
    """
    if path is not None:
        return read_rates_file(path)
    table = shipped_reference_rates()
    user = user_rates_path(env)
    if user.is_file():
        table = merge_rates(table, read_rates_file(user))
    return table


def shipped_reference_rates() -> pd.DataFrame:
    """The reference rates packaged with Dunning (``dunning/data/reference_rates.csv``)."""
    source = resources.files("dunning").joinpath("data", RATES_FILE)
    with source.open("r", encoding="utf-8") as handle:
        raw = pd.read_csv(handle, dtype=str, keep_default_na=False)
    return normalise_rates(raw, sheet=RATES_FILE)


def read_rates_file(path: str | Path) -> pd.DataFrame:
    """A rates CSV (regime, effective_from, rate_percent, source), checked and typed."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return normalise_rates(raw, sheet=str(path))


def user_rates_path(env: Mapping[str, str] | None = None, *,
                    platform: str | None = None) -> Path:
    """Where the user's own reference rates live (the file may not exist yet).

    The environment variable DUNNING_RATES names the file, if set; otherwise it is
    ``reference_rates.csv`` in the platform's configuration folder: ``%APPDATA%\\Dunning``
    on Windows, ``~/Library/Application Support/Dunning`` on macOS, and
    ``$XDG_CONFIG_HOME/dunning`` (default ``~/.config/dunning``) elsewhere.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    named = str(env.get(USER_RATES_VARIABLE, "") or "").strip()
    if named:
        return Path(named).expanduser()
    if platform.startswith("win"):
        base = env.get("APPDATA") or Path.home() / "AppData" / "Roaming"
        return Path(base) / "Dunning" / RATES_FILE
    if platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Dunning" / RATES_FILE
    base = env.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "dunning" / RATES_FILE


def rate_columns(header: Sequence[object]) -> dict[str, int]:
    """Which position of a Reference Rates header holds each field (names matched loosely)."""
    names = [normal_header(cell) for cell in header]
    where: dict[str, int] = {}
    for name, aliases in _RATE_HEADERS.items():
        found = [names.index(alias) for alias in aliases if alias in names]
        if found:
            where[name] = found[0]
    return where


def reference_rates_from_rows(rows: Sequence[Sequence[object]] | pd.DataFrame,
                              base: pd.DataFrame | None = None, *, sheet: str = RATES_SHEET,
                              header_row: int = 1,
                              first_column: int | None = None) -> pd.DataFrame:
    """The shipped rates (or `base`) with a workbook's Reference Rates table laid over them.

    `rows` has its header first (Regime, Effective From, Rate %, Source), as xlwings or
    calamine pass a range, or is a DataFrame. A workbook row replaces the shipped row of the
    same regime and half-year and adds the half-years the shipped table lacks, so a user can
    correct a rate or enter a national one (Germany's Basiszinssatz) without waiting for a
    release. Dates may be date cells, Excel serial numbers or text; blank rows are skipped.
    Rates are in percent (type 4.25 for 4.25%). Every bad cell is reported, named by its
    sheet, row and (with `first_column`, the sheet column of the table's first, from 1) its
    letter; a frame read from a workbook carries where its table sits, which names them.
    """
    table = normalise_rates(base) if base is not None else load_reference_rates()
    place = TablePlace(sheet, header_row, first_column)
    if isinstance(rows, pd.DataFrame):
        place = place_of(rows, sheet) if PLACE in rows.attrs else place
        rows = [list(rows.columns), *rows.astype(object).values.tolist()]
    sheet, header_row = place.sheet, place.header_row
    if not rows:
        return table
    where = rate_columns(rows[0])
    missing = [name for name in RATE_COLUMNS[:3] if name not in where]
    if missing:
        raise DunningInputError([Issue(
            "the Reference Rates table needs the columns Regime, Effective From and Rate % "
            f"(Source optional); missing: {', '.join(missing)}", sheet=sheet,
            row=header_row)])
    body = [list(row) for row in rows[1:]]
    cells = {name: np.array([row[index] if index < len(row) else None for row in body],
                            dtype=object) for name, index in where.items()}
    filled = ~np.all([blank_cells(values) for values in cells.values()], axis=0)
    numbers = np.flatnonzero(filled)
    if numbers.size == 0:
        return table
    try:
        dates = parse_dates(cells["effective_from"][numbers], dayfirst=None)
    except AmbiguousDatesError as error:
        raise DunningInputError([Issue(
            f"dates such as {error.example!r} can be read day-first or month-first; write "
            "them as 2025-07-01 or use date cells", sheet=sheet,
            column="Effective From")]) from None
    rates = [percent_or_none(value) for value in cells["rate_percent"][numbers]]
    frame = pd.DataFrame({
        "regime": [str(value or "").strip() for value in cells["regime"][numbers]],
        "effective_from": pd.to_datetime(dates.values),
        "rate_percent": [np.nan if rate is None else rate for rate in rates],
        "source": ([str(value or "").strip() or f"{sheet} row {header_row + 1 + i}"
                    for i, value in zip(numbers, cells["source"][numbers], strict=True)]
                   if "source" in cells else
                   [f"{sheet} row {header_row + 1 + i}" for i in numbers]),
    })
    try:
        ours = normalise_rates(frame, sheet=sheet, first_row=0)
    except DunningInputError as error:  # rows counted in `frame`: name the sheet's rows
        raise DunningInputError([
            Issue(issue.message, sheet=sheet, row=int(header_row + 1 + numbers[issue.row or 0]),
                  column=_RATE_TITLES[issue.column or "regime"],
                  column_letter=place.letter(where[issue.column or "regime"]),
                  value=cells[issue.column or "regime"][numbers[issue.row or 0]])
            for issue in error.issues]) from None
    repeated = ours.duplicated(["regime", "effective_from"])
    if repeated.any():
        raise DunningInputError([
            Issue(f"{ours.at[i, 'regime'].upper()} has a second rate for the half-year "
                  f"starting {ours.at[i, 'effective_from']:%Y-%m-%d}; keep one", sheet=sheet,
                  row=int(header_row + 1 + numbers[i]), column="Effective From",
                  column_letter=place.letter(where["effective_from"]))
            for i in np.flatnonzero(repeated.to_numpy())])
    return merge_rates(table, ours)


_RATE_TITLES = {"regime": "Regime", "effective_from": "Effective From",
                "rate_percent": "Rate %"}
