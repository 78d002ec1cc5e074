"""Published reference-rate series: read them, derive the half-year rates, store them.

`dunning rates update` keeps the late-payment reference rates (`dunning.core.charges`) current
between releases, in three steps:

1. **Read the published series.** The ECB main refinancing operations fixed rate, ECB Data
   Portal series FM.B.U2.EUR.4F.KR.MRR_FR.LEV (`ECB_URL`, SDMX-CSV: one row per change of
   rate, TIME_PERIOD the day the new rate took effect), and the Bank of England Bank Rate,
   database series IUDBEDR (`BOE_URL`, CSV export: a ``DATE,IUDBEDR`` header, then one row
   per business day such as ``02 Jan 2025,4.75``). `fetch_text` is the only function here
   that touches the network (urllib, with a timeout); `--from-file` reads saved answers
   instead, and everything else is pure: `parse_ecb_csv`, `parse_boe_csv`, `read_series`.
2. **Derive the half-years** (`half_year_rates`), by each regime's rule: "eu", the rate in
   force on the first calendar day of the half-year (1 January, 1 July); "uk", the rate in
   force on 31 December or 30 June, for the half-year that follows. A half-year is derived
   only once it has begun by the as-of date (no code here reads the clock: the command line
   passes today), only from the first half-year the shipped table covers, and only when the
   series reaches its fixing day. The Bank of England series has a row for every business
   day, so it shows how far it reaches; the ECB series has a row only when the rate
   changes, so its last rate is taken to be still in force on the as-of date: a saved
   answer given with ``--from-file`` must be recent. When a series gives no rate for the
   half-year the as-of date is in, the update warns (`current_half_year_gap`).
3. **Add what the rates the run reads lack** (`plan_update`), to one place:

   - with a workbook (``--book``), rows appended to its ReferenceRates table, which the
     reminder run lays over the shipped rates;
   - otherwise the user's rates file, `dunning.sheets.reference_rates.user_rates_path`
     (the file named by DUNNING_RATES, else ``reference_rates.csv`` in the platform's
     configuration folder), which `dunning.sheets.reference_rates.load_reference_rates`
     lays over the shipped table for every workbook on the computer.

   A row already there is never changed. A published figure that differs from a row the
   rates have is reported and left alone; and when the destination's own rows of a regime
   differ from the series (a workbook holding Germany's Basiszinssatz under "eu", say), no
   rows of that regime are added to it, since they would mix two reference rates.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import io
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dunning.core.charges import (
    RATE_COLUMNS,
    empty_rates,
    half_year_start,
    merge_rates,
    rate_fixing_day,
)
from dunning.core.errors import DunningInputError, Issue
from dunning.core.ledger import DateLike, as_timestamp
from dunning.sheets.reference_rates import (
    load_reference_rates,
    rate_columns,
    read_rates_file,
    reference_rates_from_rows,
    shipped_reference_rates,
    user_rates_path,
)

if TYPE_CHECKING:
    from dunning.io.workbook import Workbook

ECB_SERIES = "FM.B.U2.EUR.4F.KR.MRR_FR.LEV"
BOE_SERIES = "IUDBEDR"
ECB_URL = f"https://data-api.ecb.europa.eu/service/data/FM/{ECB_SERIES[3:]}?format=csvdata"
BOE_URL = ("https://www.bankofengland.co.uk/boeapps/database/_iadb-fromshowcolumns.asp?csv.x=yes"
           f"&Datefrom=01/Dec/2010&Dateto=now&SeriesCodes={BOE_SERIES}&CSVF=TN&UsingCodes=Y"
           "&VPD=Y&VFD=N")
TIMEOUT_SECONDS = 30.0
# The Bank of England database answers a request without a browser-like User-Agent with an
# error page, so the request names itself the way browsers do, then says what it is.
USER_AGENT = "Mozilla/5.0 (compatible; dunning-rates-update; +https://pypi.org/project/dunning/)"
RATES_TABLE = "ReferenceRates"  # the workbook table (dunning.app.remind.RATES_TABLE)
DAILY_SLACK = pd.Timedelta(days=3)  # a weekend or a holiday between the last row and the day
_CLOSE = 1e-9


class FetchError(DunningInputError):
    """A published series could not be read from the network; the message says what to do."""


@dataclass(frozen=True)
class RateSeries:
    """One published rate series, parsed.

    Attributes:
        regime: the regime whose reference rate it is ("eu" or "uk").
        name: what it is, with its series code, for the rows' Source.
        origin: where it was read: its URL, or the saved file.
        rates: percent by day (midnight timestamps, ascending, no duplicates).
        daily: True when there is a row for every business day (so the series shows how far
            it reaches); False when there is a row only when the rate changed.
    """

    regime: str
    name: str
    origin: str
    rates: pd.Series
    daily: bool


@dataclass(frozen=True)
class UpdatePlan:
    """What an update adds, and what it found but left alone."""

    added: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateResult:
    """What `update_rates` did, for the terminal."""

    message: str
    added: pd.DataFrame
    target: str
    warnings: tuple[Issue, ...] = ()


# ------------------------------------------------------------------ the network


def fetch_text(url: str, *, timeout: float = TIMEOUT_SECONDS) -> str:
    """The body of `url` as text; any failure is a `FetchError` naming the URL."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                   "Accept": "text/csv, text/plain, */*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            charset = response.headers.get_content_charset() or "utf-8"
            return response.read().decode(charset, errors="replace")
    except urllib.error.HTTPError as error:
        reason = f"the server answered {error.code} {error.reason}"
    except urllib.error.URLError as error:
        reason = str(error.reason)
    except (OSError, ValueError, http.client.HTTPException) as error:
        reason = str(error) or type(error).__name__
    raise FetchError([Issue(
        f"could not read {url} ({reason}). Check the internet connection (and any proxy) and "
        "run `dunning rates update` again; or save that page from a browser and run "
        "`dunning rates update --from-file FILE`")])


# ------------------------------------------------------------------ parsing


def parse_ecb_csv(text: str, *, origin: str = ECB_URL) -> RateSeries:
    """The ECB main refinancing rate from an ECB Data Portal SDMX-CSV answer (``csvdata``).

    Columns are found by name (KEY, TIME_PERIOD, OBS_VALUE); rows of other series and rows
    without a value are left out.
    """
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    header = set(rows[0]) if rows else set(_first_line(text).split(","))
    if not {"TIME_PERIOD", "OBS_VALUE"} <= header:
        raise DunningInputError([Issue(
            f"{origin}: not an ECB Data Portal CSV answer (expected the columns TIME_PERIOD "
            f"and OBS_VALUE; it begins {_first_line(text)[:60]!r})")])
    days, values = [], []
    for row in rows:
        if row.get("KEY") not in (None, "", ECB_SERIES):
            continue
        value = (row.get("OBS_VALUE") or "").strip()
        if not value:
            continue
        days.append(_iso_day(row.get("TIME_PERIOD"), origin))
        values.append(_number(value, origin, row.get("TIME_PERIOD")))
    return RateSeries("eu", f"ECB main refinancing operations rate, series {ECB_SERIES}",
                      origin, _series(days, values, origin), daily=False)


def parse_boe_csv(text: str, *, origin: str = BOE_URL) -> RateSeries:
    """The Bank of England Bank Rate from a database CSV export (``DATE,IUDBEDR`` rows)."""
    body = text.lstrip("\ufeff")
    if body.lstrip()[:1] == "<":
        raise DunningInputError([Issue(
            f"{origin}: the Bank of England database answered with a web page, not the CSV "
            "export (it does so when it rejects a request); try again later, or save the "
            "export from https://www.bankofengland.co.uk/boeapps/database/Bank-Rate.asp and "
            "run `dunning rates update --from-file FILE`")])
    rows = [row for row in csv.reader(io.StringIO(body)) if any(cell.strip() for cell in row)]
    start = next((i for i, row in enumerate(rows)
                  if row and row[0].strip().upper() == "DATE"), None)
    names = [cell.strip().upper() for cell in rows[start]] if start is not None else []
    if BOE_SERIES not in names:
        raise DunningInputError([Issue(
            f"{origin}: not a Bank of England export of {BOE_SERIES} (expected a header "
            f"DATE,{BOE_SERIES}; it begins {_first_line(text)[:60]!r})")])
    column = names.index(BOE_SERIES)
    days, values = [], []
    for row in rows[start + 1:]:
        value = row[column].strip() if column < len(row) else ""
        if not value:
            continue
        try:
            day = dt.datetime.strptime(row[0].strip(), "%d %b %Y")
        except ValueError:
            raise DunningInputError([Issue(
                f"{origin}: expected a date such as 02 Jan 2025, found {row[0]!r}")]) from None
        days.append(pd.Timestamp(day))
        values.append(_number(value, origin, row[0]))
    return RateSeries("uk", f"Bank of England Bank Rate, series {BOE_SERIES}", origin,
                      _series(days, values, origin), daily=True)


def read_series(text: str, origin: str) -> RateSeries:
    """A saved answer of either service, told apart by its header."""
    head = _first_line(text).upper()
    if "TIME_PERIOD" in head and "OBS_VALUE" in head:
        return parse_ecb_csv(text, origin=origin)
    if BOE_SERIES in text[:4000].upper() or text.lstrip().startswith("<"):
        return parse_boe_csv(text, origin=origin)
    raise DunningInputError([Issue(
        f"{origin}: neither an ECB Data Portal CSV answer ({ECB_SERIES}) nor a Bank of "
        f"England export of {BOE_SERIES} (it begins {_first_line(text)[:60]!r})")])


def _first_line(text: str) -> str:
    stripped = text.lstrip("\ufeff").strip()
    return stripped.splitlines()[0] if stripped else ""


def _iso_day(text: str | None, origin: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(text).strip()))
    except ValueError:
        raise DunningInputError([Issue(
            f"{origin}: expected a TIME_PERIOD such as 2025-06-11, found {text!r}")]) from None


def _number(text: str, origin: str, where: object) -> float:
    try:
        return round(float(text), 6)
    except ValueError:
        raise DunningInputError([Issue(
            f"{origin}: expected a rate in percent on {where}, found {text!r}")]) from None


def _series(days: list[pd.Timestamp], values: list[float], origin: str) -> pd.Series:
    if not days:
        raise DunningInputError([Issue(f"{origin}: the answer holds no rates")])
    series = pd.Series(values, index=pd.DatetimeIndex(days), dtype=float).sort_index()
    return series[~series.index.duplicated(keep="last")]


# ------------------------------------------------------------------ half-years


def first_half_year(regime: str) -> pd.Timestamp:
    """The first half-year the shipped table covers for `regime`: none earlier is derived."""
    shipped = shipped_reference_rates()
    return pd.Timestamp(shipped.loc[shipped["regime"] == regime, "effective_from"].min())


def half_year_rates(series: RateSeries, as_of: DateLike, *,
                    since: DateLike | None = None) -> pd.DataFrame:
    """The reference rate of each half-year that has begun by `as_of`, from `series`.

    The rate of the half-year starting on a 1 January or 1 July is the last one the series
    shows on or before that half-year's fixing day (`dunning.core.charges.rate_fixing_day`: the
    day itself for "eu", the day before for "uk"). Half-years start at `since` (default:
    `first_half_year`); one is left out when the series begins after its fixing day, or
    (a daily series) ends more than a few days before it. Returns the rates table's columns,
    each row's source naming the series, the rate's first day and where it was read.
    """
    day = as_timestamp(as_of).normalize()
    first = half_year_start(since) if since is not None else first_half_year(series.regime)
    last = half_year_start(day)
    rates = series.rates
    rows = []
    for start in pd.date_range(first, last, freq="6MS"):
        fixing = rate_fixing_day(series.regime, start)
        known = rates[rates.index <= fixing]
        if known.empty or (series.daily and rates.index[-1] < fixing - DAILY_SLACK):
            continue
        rate = float(known.iloc[-1])
        changed = known.ne(known.shift())
        began = known.index[changed.to_numpy()][-1]
        word = (("since at least" if began == rates.index[0] else "since") if series.daily
                else "from")
        rows.append({"regime": series.regime, "effective_from": start, "rate_percent": rate,
                     "source": _source(series, fixing, rate, f"{word} {_day(began)}", day)})
    return pd.DataFrame(rows, columns=list(RATE_COLUMNS)) if rows else empty_rates()


def _source(series: RateSeries, fixing: pd.Timestamp, rate: float, began: str,
            as_of: pd.Timestamp) -> str:
    return (f"{series.name}: {_pct(rate)} in force on {_day(fixing)} ({began}); read from "
            f"{series.origin} on {as_of:%Y-%m-%d} by dunning rates update")


def _day(stamp: pd.Timestamp) -> str:
    return f"{stamp.day} {stamp:%b %Y}"


def _pct(rate: float) -> str:
    """2.4 -> '2.40%', 3.125 -> '3.125%'."""
    return f"{rate:.2f}%" if round(rate, 2) == rate else f"{rate:g}%"


# ------------------------------------------------------------------ what to add


def plan_update(derived: pd.DataFrame, current: pd.DataFrame, target: pd.DataFrame, *,
                target_name: str) -> UpdatePlan:
    """The derived half-years to add to `target`, and what was found and left alone.

    `current` is every rate the run reads now (shipped, user file, workbook); `target` the
    rows of the place being written (a workbook's ReferenceRates table, the user's file),
    which `current` includes. A half-year `current` lacks is added. One it has with another
    figure is reported (as a warning) and kept. When `target`'s own rows of a regime differ
    from the series, none of that regime is added: they hold some other reference rate.
    """
    issues: list[Issue] = []
    added = []
    have = _by_key(current)
    mine = _by_key(target)
    for regime, rows in derived.groupby("regime", sort=False):
        keys = list(zip(rows["effective_from"], rows["rate_percent"], strict=True))
        clashes = [(start, mine[(regime, start)], rate) for start, rate in keys
                   if (regime, start) in mine and abs(mine[(regime, start)] - rate) > _CLOSE]
        if clashes:
            start, theirs, rate = clashes[-1]
            issues.append(Issue(
                f"{len(clashes)} {regime.upper()} row(s) of {target_name} differ from the "
                f"published series (for the half-year starting {start:%Y-%m-%d}: {_pct(theirs)}"
                f", the series gives {_pct(rate)}), so they look like another reference rate "
                f"(a national one, such as Germany's Basiszinssatz): no {regime.upper()} rows "
                f"were added to {target_name}; add its new half-years by hand",
                severity="warning"))
            continue
        for index, (start, rate) in zip(rows.index, keys, strict=True):
            known = have.get((regime, start))
            if known is None:
                added.append(rows.loc[index])
            elif abs(known - rate) > _CLOSE:
                issues.append(Issue(
                    f"the {regime.upper()} reference rate for the half-year starting "
                    f"{start:%Y-%m-%d} is {_pct(known)} in the rates Dunning reads, but the "
                    f"published series gives {_pct(rate)}; the row was left as it is (correct "
                    "it in the ReferenceRates table if the series is right)",
                    severity="warning"))
    frame = (pd.DataFrame(added, columns=list(RATE_COLUMNS)).reset_index(drop=True)
             if added else empty_rates())
    return UpdatePlan(frame, issues)


def _by_key(table: pd.DataFrame) -> dict[tuple[str, pd.Timestamp], float]:
    return {(regime, pd.Timestamp(start)): float(rate) for regime, start, rate in zip(
        table["regime"], table["effective_from"], table["rate_percent"], strict=True)}


# ------------------------------------------------------------------ the update


def update_rates(as_of: dt.date, *, book: str | Path | Workbook | None = None,
                 files: Sequence[str | Path] = (),
                 fetch: Callable[[str], str] | None = None,
                 env: Mapping[str, str] | None = None) -> UpdateResult:
    """Read the series, derive the half-years begun by `as_of`, and store the missing ones.

    `files` are saved answers (either service, told apart by content) read instead of the
    network; without them both series are fetched with `fetch` (default `fetch_text`). With `book`
    (a path or an open `dunning.io.workbook.Workbook`) the rows go to its ReferenceRates table;
    otherwise to the user's rates file, `user_rates_path(env)`.
    """
    series = _read_all(files, fetch)
    parts = [half_year_rates(one, as_of) for one in series]
    gaps = [issue for one, part in zip(series, parts, strict=True)
            for issue in current_half_year_gap(one, part, as_of)]
    derived = pd.concat(parts, ignore_index=True)
    if book is not None:
        result = _update_book(book, derived, env)
    else:
        path = user_rates_path(env)
        mine = read_rates_file(path) if path.is_file() else empty_rates()
        plan = plan_update(derived, load_reference_rates(env=env), mine,
                           target_name=f"the rates file {path}")
        if not plan.added.empty:
            write_rates_file(path, merge_rates(mine, plan.added))
        result = UpdateResult(_message(plan.added, derived, f"the rates file {path}"),
                              plan.added, str(path), tuple(plan.issues))
    return replace(result, warnings=(*gaps, *result.warnings))


def current_half_year_gap(series: RateSeries, derived: pd.DataFrame,
                          as_of: DateLike) -> list[Issue]:
    """A warning when `series` gives no rate for the half-year `as_of` is in (it ends too soon)."""
    start = half_year_start(as_of)
    if start < first_half_year(series.regime) or (derived["effective_from"] == start).any():
        return []
    fixing = rate_fixing_day(series.regime, start)
    return [Issue(
        f"{series.origin} ends on {_day(series.rates.index[-1])}, before {_day(fixing)}: it "
        f"gives no {series.regime.upper()} rate for the half-year starting {start:%Y-%m-%d} "
        "yet; run `dunning rates update` again once the series has it", severity="warning")]


def _read_all(files: Sequence[str | Path],
              fetch: Callable[[str], str] | None) -> list[RateSeries]:
    if not files:
        fetch = fetch or fetch_text
        return [parse_ecb_csv(fetch(ECB_URL)), parse_boe_csv(fetch(BOE_URL))]
    found: dict[str, RateSeries] = {}
    for name in files:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            text = path.read_text(encoding="latin-1")
        one = read_series(text, path.name)
        if one.regime in found:
            raise DunningInputError([Issue(
                f"{path.name} and {found[one.regime].origin} are both the {one.name}; "
                "give one file of each series")])
        found[one.regime] = one
    return list(found.values())


def _update_book(book: str | Path | Workbook, derived: pd.DataFrame,
                 env: Mapping[str, str] | None) -> UpdateResult:
    from dunning.io.workbook import opened

    with opened(book) as workbook:
        table = workbook.table(RATES_TABLE)
        if table is None:
            raise DunningInputError([Issue(
                f"{workbook.name} has no {RATES_TABLE} table (new workbooks have one on the "
                "Settings sheet): add one with the columns Regime, Effective From, Rate % and "
                "Source, or run `dunning rates update` without --book to update your own "
                "rates file")])
        rows = table.frame()  # read as the reminder run reads it (dunning.app.remind)
        mine = reference_rates_from_rows(rows, base=empty_rates(), sheet=RATES_TABLE)
        current = reference_rates_from_rows(rows, base=load_reference_rates(env=env),
                                            sheet=RATES_TABLE)
        where = f"the {RATES_TABLE} table of {workbook.name}"
        plan = plan_update(derived, current, mine, target_name=where)
        if not plan.added.empty:
            workbook.append_rows(RATES_TABLE, workbook_rows(plan.added, table.columns))
            workbook.save()
    return UpdateResult(_message(plan.added, derived, where), plan.added, where,
                        tuple(plan.issues))


def workbook_rows(rows: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, object]]:
    """Rows for a ReferenceRates table with these headers (matched loosely, as it is read)."""
    where = rate_columns(columns)
    missing = [name for name in RATE_COLUMNS if name not in where]
    if missing:
        raise DunningInputError([Issue(
            f"the {RATES_TABLE} table needs the columns Regime, Effective From, Rate % and "
            f"Source; missing: {', '.join(missing)}", sheet=RATES_TABLE)])
    out = []
    for row in rows.itertuples(index=False):
        values = {"regime": row.regime, "effective_from": row.effective_from.date(),
                  "rate_percent": float(row.rate_percent), "source": row.source}
        out.append({columns[where[name]]: value for name, value in values.items()})
    return out


def rates_csv(table: pd.DataFrame) -> str:
    """A rates table as the CSV `dunning.sheets.reference_rates.read_rates_file` reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RATE_COLUMNS)
    for row in table.itertuples(index=False):
        rate = float(row.rate_percent)
        writer.writerow([row.regime, f"{pd.Timestamp(row.effective_from):%Y-%m-%d}",
                         f"{rate:.2f}" if round(rate, 2) == rate else repr(rate), row.source])
    return buffer.getvalue()


def write_rates_file(path: str | Path, table: pd.DataFrame) -> None:
    """Write the user's rates file whole (a temporary file renamed over it, never half)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        handle.write(rates_csv(table))
    os.replace(temporary, path)


def _message(added: pd.DataFrame, derived: pd.DataFrame, where: str) -> str:
    if not added.empty:
        listed = "; ".join(f"{row.regime.upper()} from {row.effective_from:%Y-%m-%d}: "
                           f"{_pct(row.rate_percent)}" for row in added.itertuples())
        return f"Added {len(added)} reference rate(s) to {where}: {listed}."
    if derived.empty:
        return f"Nothing added to {where}: the series give no half-year that has begun."
    latest = derived.sort_values("effective_from").groupby("regime").tail(1)
    listed = ", ".join(f"{row.regime.upper()} from {row.effective_from:%Y-%m-%d}"
                       for row in latest.sort_values("regime").itertuples())
    return (f"Nothing added to {where}: the rates Dunning reads already have every half-year "
            f"the published series give (the latest: {listed}).")
