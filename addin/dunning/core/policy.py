"""Who gets which reminder today, and why: the dunning policy applied to a ledger.

`decide` takes the ledger, the Customers table, the ContactLog and the payment
plans, all as frames, and returns one decision per customer with something open
(send, task, skip or wait, with its reason in plain words) and one row per open
item saying whether it is chased. Nothing here sends, renders or writes.

Conventions, decided once here:

- Run date. Days past due and open balances are counted on `as_of`, which
  defaults to the date of `now` in the policy's default time zone (pass the
  workbook's As Of Date to replay a past day). The time of `now` in each
  customer's own zone decides only the send window and the working day.
- Paid items (zero open balance on the run date, or not yet issued) are not
  considered at all; a customer with nothing open does not appear.
- An item is excluded, with the first reason that applies: written off;
  disputed (the ledger's flag, or a dispute in the contact log); under a promise
  to pay whose date has not passed; covered by a payment plan being kept
  (status "active" or "kept"); a positive balance below the tolerance. Credit
  notes and unapplied payments (negative balances) are included and netted.
  Per currency, included items whose net total is not above the tolerance are
  excluded too, so a message only ever asks for money actually owed.
- Contact-log state. Of the log rows with outcome disputed, promised to pay,
  payment sent or waiting for approval, the latest one that applies to an item
  decides its state: a row applies to the invoices it names, or, naming none,
  to every item of the customer issued by then. So a dispute holds until a
  later promise, payment or approval is logged, and a later promise replaces an
  earlier one. A promise whose date has passed lets chasing resume, and is
  listed in `broken_promises` while its items stay open above the tolerance, no
  reminder has been sent since its date, and the amount promised has not been
  paid (`dunning.core.promises`: a promise for part of a balance can be kept while
  the rest stays open). A log row "opted out" opts the
  customer out for good, like the Customers table's Opt Out flag.
- Stages. The customer's most overdue included item sets the stage due
  (the highest stage whose Days From Due it has reached). Pre-due stages
  (Days From Due <= 0, the courtesy reminder) are only for customers with
  nothing past due; once something is overdue the climb runs over the past-due
  stages. The last stage sent is the stage of the latest log row with outcome
  "sent" that names one of the customer's open items (or names none); reminders
  about items since paid start a new climb. A customer climbs at most one stage
  per run; a stage already sent is not sent again. A stage whose action is
  "task" yields action "task": a person must act and nothing is sent (the run
  logs it with outcome "handed off" and its stage, so the climb knows it
  happened; such rows count as reached stages like "sent" ones).
- Holds: an item is held (left out, reason "on hold until DATE (why)") through
  the Invoices table's Hold Until (and Hold Reason), or through the Next Action
  Date of the latest ContactLog row "on hold until" that applies to it (its
  Note is the reason; a row naming no invoice holds all the customer's items
  issued by then). Log a new row with an earlier date to lift a hold.
- Overdue: `overdue_by_currency` nets the included items past their due date
  (credits whose date has passed net it); a message asks for that, never for
  items not yet due. A stage's Fee (Stages' Fee and Fee Currency, else the
  driving invoice's currency) is in `stage_fee` and `fee_currency`; its CC
  addresses, with the Customers table's CC Email, in `cc`. Billing Email and
  Billing Contact, when filled in, stand in for Contact Email and Contact Name.
- Start At Due Stage (for onboarding a backlog): the stage acted on is the
  one the days past due have reached, not the one above the last sent.
- Timing ("wait", never a silent drop): fewer than Minimum Days Between
  Reminders calendar days since the last message sent (log dates in the default
  zone); Max Reminders In Period already sent in the last Reminder Period Days
  days; a non-working day or a time outside [start, end) in the customer's zone.
  Tasks are not messages and do not wait.
- Addresses: Contact Email may hold one address, or several separated by ";";
  each must pass a strict syntax check (ASCII dot-atom local part, a domain with
  a dot and letters for its last label, no spaces, CR/LF, commas or display
  names). One bad address skips the customer with the reason; `recipients`
  holds the addresses and `email` joins them with ", " (an RFC 5322 list).
- Time zones: Customers' Time Zone is an IANA name (Europe/Berlin), matched
  without regard to case; a blank uses the default zone; a name not recognised
  uses the default zone and the reason says so (one typo must not stop a
  nightly run, and sending in the wrong zone is harmless).
- Order of the checks for a customer, the first that applies giving the reason:
  nothing included (skip: "all open items are disputed" when that is the only
  reason, else listing each exclusion with its invoices); do not
  contact (skip); opted out (skip; no task either); on hold (wait: the
  Customers table's Hold Until, through that day); a send in doubt (wait);
  no stage to act on (skip: not due yet, or that stage already sent); credits
  already due covering all that is overdue (skip); below
  the Minimum Overdue in every currency (skip: what is overdue, or for a
  courtesy stage what falls due); a task stage (task); no valid address
  (skip); an address refused for good (skip); the minimum gap, the cap,
  the working day, a public holiday of the customer's country (Customers'
  Country, else the Holiday Country setting; the `holidays` package), the
  window (wait); otherwise send. These checks
  are the rules of `RULES`, asked in that order, each a small function of
  one `Case` (the facts about one customer on the run date) returning a
  `Verdict`, or None to pass the customer on.
- Shape: the rules take one customer at a time, not whole columns. Everything
  that grows with the ledger or the log (aging, judging items, the stage last
  sent, the counts of messages) is vectorised over frames before the rules run;
  what is left is one `Case` per customer and a few scalar comparisons, the same
  per-customer loop the decision always was. The exclusion of items (written
  off, disputed, promised, on a plan, within the tolerance) stays one `np.select`
  over whole-column masks in `_judge_items`.
- A send in doubt (the mail server may have taken a reminder, and nobody has
  settled it yet: `dunning.mail.journal`) counts as a contact: the customer waits,
  neither that stage nor the next is sent (nor a task raised) while it stands,
  the reason naming it; the caller passes it as `in_doubt`, customer -> what is
  in doubt. Once settled as sent it is a log row like any other; settled as not
  sent, the customer is decided again as if it had never been tried.
- An address the mail server refused for good (a 5xx reply: the caller finds it
  in its send journal and passes it as `refused`, customer -> `Refusal`) gets
  nothing more: the customer is skipped with a reason naming the address, the
  day and the cell to fix ("address refused: ..."), while the Customers table
  still gives that address. Edited to another, the hold is gone at once; the
  same address is tried again only once the refusal is settled as not sent
  (the caller then passes no refusal). Such a customer is for a person to call.
- Log rows later than `now`, or dated after the run date, are ignored, so a
  replay of a past day sees the log as it stood.
- Output is sorted by customer id, items by customer, due date and invoice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pandas as pd

from dunning.core.aging import age_items
from dunning.core.columns import normal_header
from dunning.core.contactlog import STAGE_OUTCOMES, STATE_OUTCOMES
from dunning.core.errors import (
    PLACE,
    SETTINGS_SHEET,
    DunningInputError,
    Issue,
    TablePlace,
    place_of,
)
from dunning.core.ledger import Ledger
from dunning.core.parse import (
    AMOUNT_RANGE,
    MAX_AMOUNT,
    MAX_DAYS,
    column_or,
    is_blank,
    number_or_none,
    parse_flags,
    shown_value,
    stripped_texts,
)
from dunning.core.promises import promise_outcomes

ACTIONS = ("email", "letter", "task")  # letter: printed by dunning.app.attachments (issue 14)
STAGE_LABELS: Mapping[str, str] = {
    "courtesy": "courtesy reminder",
    "friendly": "friendly reminder",
    "firm": "firm reminder",
    "final": "final notice",
    "handoff": "hand-off",
}
HOLD_OUTCOME = "on hold until"
"""The ContactLog outcome that holds items (those it names, or all the customer's) until its
Next Action Date."""
REFUSED_REASON = "address refused"
"""How the reason of a customer held by an address refused for good begins."""
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
KEPT_PLAN_STATUSES = ("active", "kept")



@dataclass(frozen=True)
class Refusal:
    """A reminder the mail server refused for good, as the caller's send journal has it: the
    fact that holds that address (module docstring)."""

    address: str  # whom it went to: the message's To, addresses joined by ", "
    when: str  # the run date of the refused send (its key's date)
    error: str = ""  # the server's words
    key: str = ""  # the refused send's key: settled as not sent, the address is tried again
    cell: str = ""  # where the address is kept: "Customers!C7 (Contact Email)"

    def same_address(self, recipients: Sequence[str]) -> bool:
        """Whether `recipients` are the addresses refused (case aside, in any order)."""
        refused = {part.strip().lower() for part in self.address.split(",") if part.strip()}
        return bool(refused) and refused == {address.lower() for address in recipients}


@dataclass(frozen=True)
class Stage:
    """One row of the workbook's Stages table."""

    name: str
    days_from_due: int
    action: str = "email"  # "email", "letter" (printed), or "task": a person must act
    template: str = ""  # template name; "" means the stage name
    fee: float = 0.0  # a fixed fee charged with this stage's reminder (Stages' Fee column)
    fee_currency: str = ""  # the fee's currency; "" means the currency of the driving invoice
    cc: tuple[str, ...] = ()  # addresses copied on this stage's reminders (Stages' CC column)

    @property
    def courtesy(self) -> bool:
        """A pre-due stage (Days From Due <= 0): only for customers with nothing past due."""
        return self.days_from_due <= 0

    @property
    def template_name(self) -> str:
        return self.template or self.name

    @property
    def label(self) -> str:
        return STAGE_LABELS.get(self.name, self.name)


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("courtesy", -3, "email", "courtesy"),
    Stage("friendly", 1, "email", "friendly"),
    Stage("firm", 15, "email", "firm"),
    Stage("final", 30, "email", "final"),
    Stage("handoff", 60, "task", ""),
)


def stage_reached(days: float, stages: Sequence[Stage] = DEFAULT_STAGES) -> Stage | None:
    """The stage due after `days` past due by the days alone (the one with the most Days
    From Due not beyond them), or None before the first; no history, no climbing."""
    reached = [stage for stage in stages if stage.days_from_due <= days]
    return max(reached, key=lambda stage: stage.days_from_due) if reached else None


@dataclass(frozen=True)
class Policy:
    """The dunning rules of one workbook. Stages are kept sorted by Days From Due."""

    stages: tuple[Stage, ...] = DEFAULT_STAGES
    min_gap_days: int = 5
    tolerance: float = 5.0
    window_start: dt.time = dt.time(8)
    window_end: dt.time = dt.time(18)
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    default_time_zone: str = "UTC"
    cap_messages: int = 3
    cap_days: int = 30
    minimum_overdue: tuple[tuple[str, float], ...] = ()  # (currency or "" for any, amount)
    holiday_country: str = ""  # ISO country whose public holidays are not working days
    start_at_due_stage: bool = False  # a stage not yet sent starts at the one the days reached

    def minimum_for(self, currency: str) -> float:
        """The least overdue amount in `currency` that a reminder asks for (0: no minimum)."""
        amounts = dict(self.minimum_overdue)
        return amounts.get(currency.upper(), amounts.get("", 0.0))

    def __post_init__(self) -> None:
        problems = _policy_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        ordered = tuple(sorted(self.stages, key=lambda stage: stage.days_from_due))
        object.__setattr__(self, "stages", ordered)
        object.__setattr__(self, "working_days", frozenset(self.working_days))
        object.__setattr__(self, "default_time_zone", resolve_time_zone(self.default_time_zone))


@dataclass(frozen=True, eq=False)
class Decisions:
    """What `decide` found.

    `customers`, one row per customer with a non-zero open item, by customer id:
    customer, name (Customers table, else the ledger's), contact_name, email (the
    addresses joined by ", "), recipients (tuple), language, time_zone (the zone
    used), action ("send" | "task" | "skip" | "wait"), stage (to send, to create as
    a task, or due while waiting; "" when skipped), template (the stage's),
    previous_stage (last stage sent, "" if none), last_sent (date of the last
    message of any stage, or None), reason, total_by_currency ({currency: net of
    the included items}), max_days_past_due (of the item setting the stage; of all
    open items when none is chased), driving_invoice, items (included invoices, by
    due date), due_stage and due_action (the stage the days past due alone have
    reached, which may be above the one sent today, since stages climb one at a
    time; "" when none), do_not_contact (the Customers table's flag),
    overdue_by_currency ({currency: net of the included items past due}: what a
    reminder asks for), cc (tuple: the Customers table's CC Email and the stage's CC),
    stage_fee and fee_currency (the stage's fixed fee; 0.0 and "" when none), hold (the
    Customers table's hold on the run date, "on hold until ...", or ""), country (whose
    public holidays apply, "" for none), channel, refused (the address refused for good
    that holds the customer today, "" when none).

    `items`, one row per open item: customer, customer_name, invoice, invoice_date,
    due_date, amount, currency, open_balance, days_past_due, included, reason ("" or
    "credit, netted" when included; why not otherwise), row, payment_link (the Invoices
    table's own link for the item, "" when none).

    `broken_promises`: customer, promise_date, promise_amount, invoices (as logged),
    logged (the log row's timestamp, naive UTC), open_balance (of the items it covered).

    `as_of`: the run date used.

    `promises`: every promise to pay in the log, judged on the run date
    (`dunning.core.promises.promise_outcomes`, with the policy's tolerance).
    """

    customers: pd.DataFrame
    items: pd.DataFrame
    broken_promises: pd.DataFrame
    as_of: dt.date | None = field(default=None)
    promises: pd.DataFrame | None = field(default=None)


CUSTOMER_COLUMNS = (
    "customer", "name", "contact_name", "email", "recipients", "language", "time_zone",
    "action", "stage", "template", "previous_stage", "last_sent", "reason",
    "total_by_currency", "max_days_past_due", "driving_invoice", "items",
    "due_stage", "due_action", "do_not_contact", "overdue_by_currency", "cc", "stage_fee",
    "fee_currency", "hold", "country", "channel", "refused",
)
ITEM_COLUMNS = (
    "customer", "customer_name", "invoice", "invoice_date", "due_date", "amount", "currency",
    "open_balance", "days_past_due", "included", "reason", "row", "payment_link",
)
BROKEN_PROMISE_COLUMNS = (
    "customer", "promise_date", "promise_amount", "invoices", "logged", "open_balance",
)


# ------------------------------------------------------------------ checks


def _policy_problems(policy: Policy) -> list[str]:
    problems = []
    names = [stage.name for stage in policy.stages]
    days = [stage.days_from_due for stage in policy.stages]
    if not names:
        problems.append("a policy needs at least one stage")
    if len(set(names)) != len(names):
        problems.append(f"stage names repeat: {names}")
    if len(set(days)) != len(days):
        problems.append(f"two stages start on the same day: {days}")
    problems += [f"stage {stage.name!r}: action must be 'email', 'letter' or 'task'"
                 for stage in policy.stages if stage.action not in ACTIONS]
    if policy.window_start >= policy.window_end:
        problems.append("the send window must start before it ends")
    if not policy.working_days or not set(policy.working_days) <= set(range(7)):
        problems.append("working days must be some of 0 (Monday) to 6 (Sunday)")
    if policy.min_gap_days < 0 or policy.tolerance < 0:
        problems.append("the minimum gap and the tolerance cannot be negative")
    if policy.cap_messages < 1 or policy.cap_days < 1:
        problems.append("the reminder cap needs at least 1 message in at least 1 day")
    if not resolve_time_zone(policy.default_time_zone):
        problems.append(f"unknown time zone {policy.default_time_zone!r}")
    if policy.holiday_country and not known_country(policy.holiday_country):
        problems.append(f"no public holidays known for country {policy.holiday_country!r}")
    if any(amount < 0 for _, amount in policy.minimum_overdue):
        problems.append("a minimum overdue amount cannot be negative")
    return problems


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Every way a Customers Country cell may name a country the `holidays` package knows:
    its ISO 3166 alpha-2 and alpha-3 codes and its English name (upper case, letters only),
    each to the alpha-2 code. The same column prints on a letter's address, so "Germany"
    must mean DE as much as "DE" does."""
    import holidays  # a pure calendar library; imported on first use, it is not small

    names = {code: code for code in holidays.list_supported_countries()}
    try:
        from holidays.registry import COUNTRIES
    except ImportError:  # an older layout of the package: codes only
        return names
    for key, (class_name, alpha2, alpha3, *_aliases) in COUNTRIES.items():
        if alpha2 in names:
            names.setdefault(alpha3, alpha2)
            names.setdefault(re.sub(r"[^A-Z]", "", key.upper()), alpha2)
            names.setdefault(class_name.upper(), alpha2)
    return names


def known_country(code: object) -> str:
    """The ISO 3166 alpha-2 code when the `holidays` package knows the country (given as a
    code or by its English name), else ""."""
    text = "" if is_blank(code) else str(code).strip().upper()
    found = _countries()
    return found.get(text) or found.get(re.sub(r"[^A-Z]", "", text), "")


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> Mapping[dt.date, str]:
    import holidays

    return dict(holidays.country_holidays(country, years=year).items())


def public_holiday(country: str, day: dt.date) -> str:
    """The name of the public holiday `day` is in `country` (ISO code), or "" when none."""
    code = known_country(country)
    return _holidays(code, day.year).get(day, "") if code else ""


_MINIMUM_PART = re.compile(r"(?:([A-Za-z]{3})\s*)?([0-9][0-9.,]*)")


def parse_minimums(value: object) -> tuple[tuple[str, float], ...] | None:
    """Minimum overdue amounts from a cell: "50", or "EUR 50; USD 60", or "50; GBP 40" (a bare
    amount is for any other currency). None when unreadable; () when blank."""
    if is_blank(value):
        return ()
    number = number_or_none(value) if not isinstance(value, str) else None
    if number is not None:
        return (("", float(number)),)
    found: dict[str, float] = {}
    for part in filter(None, (piece.strip() for piece in re.split(r"[;\n]", str(value)))):
        match = _MINIMUM_PART.fullmatch(part)
        amount = number_or_none(match.group(2).replace(",", "")) if match else None
        currency = (match.group(1) or "").upper() if match else ""
        if amount is None or currency in found:
            return None
        found[currency] = float(amount)
    return tuple(found.items())


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


@lru_cache(maxsize=4096)
def resolve_time_zone(name: str) -> str:
    """The IANA name for `name`, matched without regard to case; "" when unknown."""
    text = str(name).strip()
    if not text:
        return ""
    known = _zone_names().get(text.lower())
    if known:
        return known
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    return text


_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP = r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
_ADDRESS = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>(?:{_LABEL}\.)+{_TOP})")


def is_valid_email(text: str) -> bool:
    """One bare address, strictly (see `ascii_address`)."""
    try:
        ascii_address(text)
    except ValueError:
        return False
    return True


def ascii_address(text: str) -> str:
    """The address with its domain IDNA-encoded (anna@xn--mller-kva.example), as the
    headers and the SMTP envelope carry it; an ASCII address comes back unchanged.

    One bare address, strictly: no display name, spaces, CR/LF or commas; an ASCII local
    part (anything else would need SMTPUTF8), and a domain that is ASCII or international
    (müller.example, checked in its IDNA form). Raises ValueError for anything else.
    """
    local, at, domain = str(text).rpartition("@")
    if not at or not local.isascii() or not domain or domain != domain.strip():
        raise ValueError(f"not an email address: {text!r}")
    address = f"{local}@{ascii_domain(domain)}"
    match = _ADDRESS.fullmatch(address)
    if not match or len(address) > 254 or len(match.group("local")) > 64:
        raise ValueError(f"not an email address: {text!r}")
    return address


def ascii_domain(domain: str) -> str:
    """A domain IDNA-encoded (müller.example -> xn--mller-kva.example); ASCII unchanged.
    Raises ValueError when it cannot be encoded."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"not a domain: {domain!r}") from None


def parse_recipients(cell: object) -> tuple[tuple[str, ...], str]:
    """The addresses in a Contact Email cell (";" separates several) and, if unusable, why."""
    text = "" if cell is None or (isinstance(cell, float) and cell != cell) else str(cell)
    if not text.strip():
        return (), "no email address in the Customers table"
    parts = [part.strip() for part in text.split(";")]
    addresses = tuple(dict.fromkeys(part for part in parts if part))
    bad = [part for part in addresses if not is_valid_email(part)]
    if bad or not addresses:
        shown = bad[0] if bad else text
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return (), (f"no valid email address: {shown!r} is not an address "
                    "(several must be separated by ';')")
    return addresses, ""


# ---------------------------------------------------------------- settings


def policy_from_settings(
    settings: Mapping[str, object] | None = None,
    stages_rows: Sequence[Sequence[object]] | pd.DataFrame | None = None,
    *,
    stages_first_column: int = 6,
) -> Policy:
    """The policy from typed settings and the Stages table's rows.

    `settings` maps `Policy`'s field names (min_gap_days, tolerance, window_start,
    window_end, working_days, default_time_zone, cap_messages, cap_days) to values
    already read and checked; a missing or None one takes the default. The core reads
    no (Setting, Value) pairs: `dunning.sheets.settings` reads the Settings sheet into
    these (`WorkbookSettings.policy`), naming each unusable cell there.
    `stages_rows` has its header first (Stage, Days From Due, Action, Template),
    as xlwings or calamine pass a range; None or no data rows means the default
    stages. `stages_first_column` (1-based, F in the template) places messages, a table in
    row 1 of the Settings sheet; a frame read from a workbook carries where its table sits.
    Raises `DunningInputError` naming every unusable Stages cell, and ValueError for
    settings no policy can have (`Policy`).
    """
    issues: list[Issue] = []
    stages = _stages_from_rows(stages_rows, stages_first_column, issues)
    if issues:
        raise DunningInputError(issues)
    values = {name: value for name, value in (settings or {}).items() if value is not None}
    return Policy(stages=stages or DEFAULT_STAGES, **values)  # type: ignore[arg-type]


_TIME_TEXT = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?(?::(\d{2}))?\s*([ap]\.?m\.?)?")


def parse_time(value: object) -> dt.time | None:
    """A time of day from a cell: a time or datetime, a day fraction, or text like 8:30 / 6 pm."""
    if isinstance(value, dt.datetime):
        return value.time().replace(microsecond=0)
    if isinstance(value, dt.time):
        return value
    number = number_or_none(value) if not isinstance(value, str) else None
    if number is not None:
        if 0 <= number < 1:  # Excel stores a time as a fraction of a day
            minutes = round(number * 24 * 60)
            return dt.time(minutes // 60, minutes % 60) if minutes < 24 * 60 else None
        return dt.time(int(number)) if number.is_integer() and number < 24 else None
    match = _TIME_TEXT.fullmatch(str(value).strip().lower())
    if not match:
        return None
    hour, minute, second = (int(part or 0) for part in match.group(1, 2, 3))
    if match.group(4):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match.group(4).startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


def parse_working_days(text: str) -> frozenset[int]:
    """Days from text like "Mon-Fri", "Sun-Thu" or "Mon, Tue, Thu"; empty when unreadable."""
    cleaned = re.sub(r"\s*(?:-|–|to)\s*", "-", text.strip().lower())
    days: set[int] = set()
    for token in filter(None, re.split(r"[,;/\s]+", cleaned)):
        ends = token.split("-")
        numbers = [_day_number(end) for end in ends]
        if len(ends) > 2 or None in numbers:
            return frozenset()
        first, last = numbers[0], numbers[-1]
        span = (last - first) % 7  # type: ignore[operator]
        days.update((first + offset) % 7 for offset in range(span + 1))  # type: ignore[operator]
    return frozenset(days)


def _day_number(token: str) -> int | None:
    matches = [i for i, name in enumerate(DAY_NAMES)
               if len(token) >= 2 and name.lower().startswith(token)]
    return matches[0] if len(matches) == 1 else None


def describe_days(days: frozenset[int]) -> str:
    """Working days as text: {0..4} -> "Mon-Fri", {0, 2} -> "Mon, Wed"."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    short = [name[:3] for name in DAY_NAMES]
    return ", ".join(f"{short[r[0]]}-{short[r[-1]]}" if len(r) > 2 else
                     ", ".join(short[d] for d in r) for r in runs)


def _stages_from_rows(
    rows: Sequence[Sequence[object]] | pd.DataFrame | None, first_column: int,
    issues: list[Issue],
) -> tuple[Stage, ...]:
    if rows is None:
        return ()
    place = TablePlace(SETTINGS_SHEET, 1, first_column)
    if isinstance(rows, pd.DataFrame):
        place = place_of(rows, SETTINGS_SHEET) if PLACE in rows.attrs else place
        rows = [list(rows.columns), *rows.to_numpy(dtype=object).tolist()]
    rows = [list(row) for row in rows]
    if not rows:
        return ()
    headers = [normal_header(h) for h in rows[0]]
    wanted = {"stage": "Stage", "daysfromdue": "Days From Due", "action": "Action",
              "template": "Template", "fee": "Fee", "feecurrency": "Fee Currency", "cc": "CC"}
    where = {key: headers.index(key) for key in wanted if key in headers}
    for key in ("stage", "daysfromdue"):
        if key not in where:
            issues.append(Issue(f"the Stages table has no {wanted[key]!r} column",
                                sheet=place.sheet, row=place.header_row))
    if "stage" not in where or "daysfromdue" not in where:
        return ()

    def cell(row: list[object], key: str) -> object:
        index = where.get(key)
        return row[index] if index is not None and index < len(row) else None

    def issue(row_number: int, key: str, message: str, value: object) -> None:
        issues.append(Issue(message, sheet=place.sheet, row=row_number, column=wanted[key],
                            column_letter=place.letter(where[key]), value=value))

    stages: list[Stage] = []
    names_seen: set[str] = set()
    days_seen: set[int] = set()
    for row_number, row in enumerate(rows[1:], start=place.header_row + 1):
        if all(is_blank(value) for value in row):
            continue
        name = "" if is_blank(cell(row, "stage")) else str(cell(row, "stage")).strip().lower()
        days = number_or_none(cell(row, "daysfromdue"))
        action = "email" if is_blank(cell(row, "action")) else str(cell(row, "action")).strip()
        template = "" if is_blank(cell(row, "template")) else str(cell(row, "template")).strip()
        if not name:
            issue(row_number, "stage", "a stage needs a name", cell(row, "stage"))
        elif name in names_seen:
            issue(row_number, "stage", f"stage {name!r} appears twice", cell(row, "stage"))
        names_seen.add(name)
        if days is not None and abs(days) > MAX_DAYS:
            days = None  # 1e308 days: no stage can start then
        if days is None or not days.is_integer():
            issue(row_number, "daysfromdue", "expected a whole number of days from the due "
                  f"date (negative before it), at most {MAX_DAYS:,} either way",
                  shown_value(cell(row, "daysfromdue")))
        elif int(days) in days_seen:
            issue(row_number, "daysfromdue", "another stage starts on the same day",
                  cell(row, "daysfromdue"))
        else:
            days_seen.add(int(days))
        if action.lower() not in ACTIONS:
            issue(row_number, "action", "expected 'email', 'letter' or 'task'",
                  cell(row, "action"))
        fee = 0.0 if is_blank(cell(row, "fee")) else number_or_none(cell(row, "fee"))
        if fee is not None and fee >= MAX_AMOUNT:
            fee = None
        if fee is None or fee < 0:
            issue(row_number, "fee", f"expected a fee of 0 or more, such as 10, {AMOUNT_RANGE}",
                  shown_value(cell(row, "fee")))
        fee_currency = ("" if is_blank(cell(row, "feecurrency"))
                        else str(cell(row, "feecurrency")).strip().upper())
        if fee_currency and not re.fullmatch(r"[A-Z]{3}", fee_currency):
            issue(row_number, "feecurrency", "expected a currency code such as EUR",
                  cell(row, "feecurrency"))
        cc, cc_problem = (() , "") if is_blank(cell(row, "cc")) else parse_recipients(
            cell(row, "cc"))
        if cc_problem:
            issue(row_number, "cc", "expected email addresses separated by ';'", cell(row, "cc"))
        if (name and days is not None and days.is_integer() and action.lower() in ACTIONS
                and fee is not None and fee >= 0 and not cc_problem):
            stages.append(Stage(name, int(days), action.lower(), template, round(fee, 2),
                                fee_currency, cc))
    return tuple(stages)


# ------------------------------------------------------------------ decide


def decide(
    ledger: pd.DataFrame | Ledger,
    customers: pd.DataFrame | None,
    log: pd.DataFrame | None,
    policy: Policy,
    now: dt.datetime,
    plans: pd.DataFrame | None = None,
    *,
    as_of: dt.date | None = None,
    in_doubt: Mapping[str, str] | None = None,
    refused: Mapping[str, Refusal] | None = None,
) -> Decisions:
    """Decide, for every customer with something open, what happens today and why.

    Args:
        ledger: the ledger frame (`dunning.core.ledger` contract) or a `Ledger`.
        customers: customer, name, contact_name, email, language, time_zone, opt_out,
            do_not_contact (missing columns take blanks / False).
        log: the contact log frame (`dunning.core.contactlog.contact_log_frame`), timestamps
            naive UTC; rows later than `now` are ignored.
        policy: the rules, usually from `policy_from_settings`.
        now: the moment of the run, timezone-aware.
        plans: customer, status; "active" and "kept" plans hold the customer's items.
        as_of: the run date for balances and days past due; default: `now`'s date in
            the policy's default time zone.
        in_doubt: customers with a send in doubt, each with what is in doubt (its key);
            they wait until it is settled.
        refused: customers whose last reminder the mail server refused for good, each with
            the `Refusal`; skipped while the Customers table gives the same address.

    Returns `Decisions`: `customers` has one row per customer with a non-zero open
    item, sorted by id, with action "send" | "task" | "skip" | "wait", the stage
    (to send, or due while waiting; "" otherwise), the reason in plain words, the
    included invoices (`items`) and their net `total_by_currency`; `items` has one
    row per open item with `included` and the reason it is left out; and
    `broken_promises` the promises whose date has passed with their items still open.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(timezone.utc)")
    run_date = as_of or now.astimezone(ZoneInfo(policy.default_time_zone)).date()
    frame = ledger.frame if isinstance(ledger, Ledger) else ledger
    history = _History(log, now, policy.default_time_zone, run_date)
    items = _open_items(frame, run_date)
    items, promises = _judge_items(items, history, plans, policy, run_date)
    outcomes = promise_outcomes(log, frame, run_date, tolerance=policy.tolerance,
                                time_zone=policy.default_time_zone)
    kept = _kept(outcomes)
    broken = _broken_promises(items, promises[~_logged_in(promises, items, kept)], history,
                              policy)
    table = _CustomerTable(items, _customers_info(customers), history, policy, run_date, now,
                           broken, in_doubt or {}, refused or {})
    return Decisions(table.build(), items.loc[:, list(ITEM_COLUMNS)], broken, run_date,
                     outcomes)


def _open_items(frame: pd.DataFrame, run_date: dt.date) -> pd.DataFrame:
    """Every item with a non-zero balance on the run date, in customer, due date, invoice order."""
    items = age_items(frame, run_date).drop(columns="bucket")
    for column in ("customer", "customer_name", "invoice", "currency"):  # clean by contract
        items[column] = items[column].astype(object).fillna("").astype(str)
    for column in ("disputed", "written_off"):
        items[column] = items[column].fillna(False).astype(bool)
    items["payment_link"] = stripped_texts(column_or(items, "payment_link", ""))
    items = items.sort_values(["customer", "due_date", "invoice"], kind="stable")
    return items.reset_index(drop=True)


class _History:
    """The contact log, cleaned: rows up to `now` and the run date, dated in the default zone."""

    def __init__(self, log: pd.DataFrame | None, now: dt.datetime, zone: str,
                 run_date: dt.date) -> None:
        columns = ["timestamp", "customer", "invoices", "stage", "outcome", "promise_date",
                   "promise_amount", "next_action_date", "note"]
        log = pd.DataFrame(columns=columns) if log is None else log
        rows = pd.DataFrame({
            "timestamp": pd.to_datetime(column_or(log, "timestamp", pd.NaT)),
            "customer": stripped_texts(column_or(log, "customer", "")),
            "invoices": stripped_texts(column_or(log, "invoices", "")),
            "stage": stripped_texts(column_or(log, "stage", "")).str.lower(),
            "outcome": stripped_texts(column_or(log, "outcome", "")).str.lower(),
            "promise_date": pd.to_datetime(column_or(log, "promise_date", pd.NaT)).dt.normalize(),
            "promise_amount": pd.to_numeric(column_or(log, "promise_amount", np.nan),
                                            errors="coerce"),
            "hold_until": pd.to_datetime(column_or(log, "next_action_date", pd.NaT)
                                         ).dt.normalize(),
            "note": stripped_texts(column_or(log, "note", "")),
        })
        if rows["timestamp"].dt.tz is not None:
            rows["timestamp"] = rows["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)
        rows["order"] = np.arange(len(rows))
        self.opted_out = frozenset(rows.loc[rows["outcome"] == "opted out", "customer"])
        now_utc = pd.Timestamp(now).tz_convert("UTC").tz_localize(None)
        rows = rows[rows["timestamp"].notna() & (rows["timestamp"] <= now_utc)]
        local = rows["timestamp"].dt.tz_localize("UTC").dt.tz_convert(zone)
        rows = rows.assign(date=local.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]"))
        rows = rows[rows["date"] <= pd.Timestamp(run_date)]
        self.rows = rows.sort_values(["timestamp", "order"], kind="stable")
        self.sent = self.rows[self.rows["outcome"].isin(STAGE_OUTCOMES)]

    def by_invoice(self, rows: pd.DataFrame) -> pd.DataFrame:
        """One row per invoice a log row names; a row naming none keeps invoice ""."""
        names_some = rows["invoices"].str.contains(r"[^,;\s]", regex=True).to_numpy(dtype=bool)
        names = rows["invoices"].str.split(r"[,;]", regex=True)
        exploded = rows.assign(invoice=names, names_some=names_some).explode("invoice")
        exploded["invoice"] = exploded["invoice"].fillna("").astype(str).str.strip()
        keep = (exploded["invoice"] != "") | ~exploded["names_some"].astype(bool)
        return exploded[keep].drop(columns="names_some")

    def latest_for_items(self, rows: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
        """For each item, the latest of `rows` that applies to it (see the module docstring).

        Returns a frame indexed like `items` with the log row's columns (NaN where none).
        """
        exploded = self.by_invoice(rows).reset_index(names="log_index")
        keys = items[["customer", "invoice", "invoice_date"]].reset_index(names="item")
        named = exploded[exploded["invoice"] != ""].merge(keys, on=["customer", "invoice"])
        named = named.drop_duplicates("item", keep="last").set_index("item")
        wide = exploded[exploded["invoice"] == ""].drop_duplicates("customer", keep="last")
        wide = keys.merge(wide.drop(columns="invoice"), on="customer").set_index("item")
        wide = wide[wide["date"] >= wide["invoice_date"]]
        columns = ["log_index", "timestamp", "date", "outcome", "stage", "invoices",
                   "promise_date", "promise_amount", "hold_until", "note"]
        named = named.reindex(items.index)[columns]
        wide = wide.reindex(items.index)[columns]
        use_wide = wide["timestamp"].notna() & ~(named["timestamp"] >= wide["timestamp"])
        return named.where(~use_wide, wide)


def _judge_items(
    items: pd.DataFrame, history: _History, plans: pd.DataFrame | None, policy: Policy,
    run_date: dt.date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mark each item included or not, with the first reason that applies."""
    state = history.latest_for_items(
        history.rows[history.rows["outcome"].isin(STATE_OUTCOMES)], items)
    outcome = state["outcome"].fillna("").to_numpy(dtype=object)
    promise_date = pd.to_datetime(state["promise_date"])
    day = pd.Timestamp(run_date)
    promised = (outcome == "promised to pay") & promise_date.notna().to_numpy()
    holding = promised & (promise_date >= day).to_numpy()
    balance = items["open_balance"].to_numpy()
    tolerance = policy.tolerance
    kept = _kept_plan_customers(plans)
    held, held_text = _item_holds(items, history, day)
    conditions = [
        items["written_off"].to_numpy(),
        items["disputed"].to_numpy() | (outcome == "disputed"),
        held,
        holding,
        items["customer"].isin(kept).to_numpy(),
        (balance > 0) & (balance < tolerance),
    ]
    until = ("promise to pay until " + promise_date.dt.strftime("%Y-%m-%d").fillna(""))
    choices = [
        np.full(len(items), "written off", dtype=object),
        np.full(len(items), "disputed", dtype=object),
        held_text,
        until.to_numpy(dtype=object),
        np.full(len(items), "payment plan being kept", dtype=object),
        np.full(len(items), f"below tolerance {tolerance:.2f}", dtype=object),
    ]
    reason = np.select(conditions, choices, default="").astype(object)
    items = items.assign(reason=reason)
    items["reason"] = _net_within_tolerance(items, tolerance)
    items["included"] = items["reason"] == ""
    credit = items["included"] & (items["open_balance"] < 0)
    items.loc[credit, "reason"] = "credit, netted"
    promises = state.loc[promised & ~holding].assign(covered_balance=balance[promised & ~holding])
    return items, promises


def hold_text(until: object, reason: object) -> str:
    """A hold as the reasons and the worklist show it: "on hold until 2026-12-20, audit"."""
    why = "" if is_blank(reason) else " ".join(str(reason).split())
    return f"on hold until {pd.Timestamp(until):%Y-%m-%d}" + (f", {why}" if why else "")


def _item_holds(items: pd.DataFrame, history: _History,
                day: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Items held on the run date, and the text of each hold: the Invoices table's Hold Until
    (and Hold Reason), else the latest ContactLog row "on hold until" that applies to the
    item (its Next Action Date the day, its Note the reason). A hold lasts through its day."""
    table_until = pd.to_datetime(column_or(items, "hold_until", pd.NaT)).dt.normalize()
    table_reason = stripped_texts(column_or(items, "hold_reason", ""))
    logged = history.latest_for_items(history.rows[history.rows["outcome"] == HOLD_OUTCOME],
                                      items)
    log_until = pd.to_datetime(logged["hold_until"]).reindex(items.index)
    log_reason = logged["note"].reindex(items.index)
    by_table = (table_until >= day).to_numpy()
    by_log = (log_until >= day).to_numpy() & ~by_table
    texts = np.full(len(items), "", dtype=object)
    for position in np.flatnonzero(by_table):
        texts[position] = hold_text(table_until.iloc[position], table_reason.iloc[position])
    for position in np.flatnonzero(by_log):
        texts[position] = hold_text(log_until.iloc[position], log_reason.iloc[position])
    return by_table | by_log, texts


def _kept_plan_customers(plans: pd.DataFrame | None) -> set[str]:
    if plans is None or plans.empty:
        return set()
    status = stripped_texts(column_or(plans, "status", "")).str.lower()
    customers = stripped_texts(column_or(plans, "customer", ""))
    return set(customers[status.isin(KEPT_PLAN_STATUSES)])


def _net_within_tolerance(items: pd.DataFrame, tolerance: float) -> np.ndarray:
    """Included items whose currency nets to no more than the tolerance are left out too."""
    reason = items["reason"].to_numpy(dtype=object).copy()
    candidate = reason == ""
    if not candidate.any():
        return reason
    chased = items.loc[candidate, ["customer", "currency", "open_balance"]]
    net = chased.groupby(["customer", "currency"], sort=False)["open_balance"].transform("sum")
    low = (net.round(2) <= tolerance).to_numpy()
    positions = np.flatnonzero(candidate)[low]
    for position, currency, total in zip(positions, chased["currency"].to_numpy()[low],
                                         net.to_numpy()[low], strict=True):
        money = f"{currency} {total:.2f}" if currency else f"{total:.2f}"
        reason[position] = f"net balance {money} is not above tolerance {tolerance:.2f}"
    return reason


def _kept(outcomes: pd.DataFrame) -> set[tuple[str, pd.Timestamp]]:
    """The promises (customer, time logged) whose promised amount has been paid.

    A promise for part of a balance is kept once that part is paid, though items
    stay open; `dunning.core.promises` judges it from the balance paid since.
    """
    kept = outcomes[outcomes["status"] == "kept"]
    return set(zip(kept["customer"], pd.to_datetime(kept["logged"]), strict=True))


def _logged_in(promises: pd.DataFrame, items: pd.DataFrame,
               kept: set[tuple[str, pd.Timestamp]]) -> np.ndarray:
    customers = items.loc[promises.index, "customer"].to_numpy()
    return np.array([(customer, pd.Timestamp(stamp)) in kept for customer, stamp in
                     zip(customers, promises["timestamp"], strict=True)], dtype=bool)


def _broken_promises(
    items: pd.DataFrame, promises: pd.DataFrame, history: _History, policy: Policy,
) -> pd.DataFrame:
    """Promises whose date passed with their items still open and no reminder sent since."""
    if promises.empty:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in BROKEN_PROMISE_COLUMNS})
    promises = promises.assign(customer=items.loc[promises.index, "customer"].to_numpy())
    grouped = promises.groupby("log_index", sort=False).agg(
        customer=("customer", "first"), promise_date=("promise_date", "first"),
        promise_amount=("promise_amount", "first"), invoices=("invoices", "first"),
        logged=("timestamp", "first"), open_balance=("covered_balance", "sum"))
    last_sent = history.sent.groupby("customer")["date"].max()
    since = pd.Series(last_sent.reindex(grouped["customer"]).to_numpy(), index=grouped.index)
    chased_since = since.notna() & (since > grouped["promise_date"])
    broken = grouped[(grouped["open_balance"].round(2) > policy.tolerance) & ~chased_since]
    broken = broken.assign(open_balance=broken["open_balance"].round(2))
    broken = broken.sort_values(["customer", "logged"], kind="stable").reset_index(drop=True)
    return broken.loc[:, list(BROKEN_PROMISE_COLUMNS)]


def _customers_info(customers: pd.DataFrame | None) -> pd.DataFrame:
    """The Customers table by customer id, first row per id, missing columns filled in.

    A customer listed twice keeps the first row's details, but an Opt Out or Do Not
    Contact on any of its rows holds: a wish not to be contacted is never lost to a
    duplicate row.
    """
    customers = pd.DataFrame() if customers is None else customers
    info = pd.DataFrame({
        name: stripped_texts(column_or(customers, name, ""))
        for name in ("customer", "name", "contact_name", "email", "language", "time_zone",
                     "billing_contact", "billing_email", "cc_email", "hold_reason", "country",
                     "channel")
    })
    info["hold_until"] = pd.to_datetime(column_or(customers, "hold_until", pd.NaT)
                                        ).dt.normalize().to_numpy()
    for flag in ("opt_out", "do_not_contact"):
        info[flag] = _flags(column_or(customers, flag, False), flag)
    info = info[info["customer"] != ""]
    held = info.groupby("customer", sort=False)[["opt_out", "do_not_contact"]].any()
    info = info.drop_duplicates("customer", keep="first").set_index("customer")
    info[["opt_out", "do_not_contact"]] = held.loc[info.index]
    return info


def _flags(values: pd.Series, name: str) -> np.ndarray:
    """Yes/No flags; text such as "No" must never count as true, so it is parsed, not cast."""
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    parsed = parse_flags(values.to_numpy(dtype=object))
    if parsed.bad.any():
        header = name.replace("_", " ").title()
        raise DunningInputError([
            Issue("expected Yes or No", sheet="Customers", row=int(position) + 2, column=header,
                  value=values.iloc[position]) for position in np.flatnonzero(parsed.bad)])
    return np.where(parsed.blank, False, parsed.values).astype(bool)


# ------------------------------------------------------- per-customer decision
#
# The decision for one customer is the first answer of `RULES`, in the manner of
# beancount's `ops/validation.py`: each rule takes the same `Case` and returns a
# `Verdict`, or None to leave the customer to the next rule. A rule may count on
# the rules before it having passed (a send window is only looked at once a
# stage is due and the address is good), but it checks its own case itself, so
# that called alone it answers only that case.


@dataclass(frozen=True)
class Verdict:
    """What a rule decides for one customer: action, reason, and the stage acted on."""

    action: str  # "send" | "task" | "skip" | "wait"
    reason: str
    stage: Stage | None = None  # to send, to create as a task, or due while waiting


@dataclass(frozen=True, slots=True)
class Case:
    """The facts about one customer on the run date that the rules read."""

    customer: str
    policy: Policy
    run_date: dt.date
    local_now: dt.datetime  # the run's moment in the customer's time zone
    zone: str  # that zone (the IANA name used)
    opt_out: bool  # the Customers table's Opt Out flag, or a log row "opted out"
    do_not_contact: bool  # the Customers table's flag
    invoice: str | None  # the included item setting the stage; None when nothing is chased
    days: int  # its days past due (of all open items when nothing is chased)
    stage: Stage | None  # the stage to act on today (one above `previous`); None if none
    due: Stage | None  # the stage the days alone have reached; None before the first
    previous: Stage | None  # the last stage reached (sent or handed off); None if none
    previous_date: pd.Timestamp | None  # the date it was reached
    address_problem: str  # why the recipients are unusable; "" when they are usable
    last_sent: pd.Timestamp  # date of the last message of any stage; NaT if none
    recent: int  # messages sent in the last Reminder Period Days days
    exclusions: Mapping[str, Sequence[str]]  # nothing chased: each reason with its invoices
    doubt: str = ""  # a send in doubt not yet settled (its key); "" when there is none
    asked: Mapping[str, float] = field(default_factory=dict)  # currency -> what a message asks
    hold: str = ""  # the Customers table's hold on the run date ("on hold until ..."), or ""
    country: str = ""  # whose public holidays are not working days ("" for none)
    refused: Refusal | None = None  # the address to write to was refused for good


Rule = Callable[[Case], "Verdict | None"]
"""A rule: a verdict for the customers it is about, None for the others."""


def held_by_dispute(case: Case) -> Verdict | None:
    """A customer whose open items are all disputed waits for the dispute, not for a reminder."""
    if case.invoice is not None or len(case.exclusions) != 1:
        return None
    ((reason, invoices),) = case.exclusions.items()
    if not reason.startswith("disputed"):
        return None
    return Verdict("skip", "all open items are " + _listed(reason, invoices))


def nothing_to_chase(case: Case) -> Verdict | None:
    """A message only asks for money owed: with every open item left out, there is none."""
    if case.invoice is not None:
        return None
    parts = [_listed(reason, invoices) for reason, invoices in case.exclusions.items()]
    return Verdict("skip", "nothing to chase: " + "; ".join(parts))


def marked_do_not_contact(case: Case) -> Verdict | None:
    """Do Not Contact in the Customers table means no contact at all: no reminder, no task."""
    if not case.do_not_contact:
        return None
    return Verdict("skip", "marked do not contact in the Customers table")


def opted_out(case: Case) -> Verdict | None:
    """Opting out (table flag or log row) is the customer's choice, for good: not even a task."""
    return Verdict("skip", "opted out of reminders") if case.opt_out else None


def on_hold(case: Case) -> Verdict | None:
    """A customer held until a date (Customers' Hold Until) gets nothing, not even a task."""
    if not case.hold or case.invoice is None:
        return None
    return Verdict("wait", f"waiting: {case.hold}", case.stage)


def held_by_a_send_in_doubt(case: Case) -> Verdict | None:
    """A reminder that may have gone out counts as sent until settled: nothing more goes."""
    if not case.doubt or case.invoice is None:
        return None
    return Verdict("wait", f"waiting: a send in doubt ({case.doubt}) may have reached the "
                           "customer; settle it (dunning remind BOOK --settle) before anything "
                           "more is sent", case.stage)


def no_stage_to_act_on(case: Case) -> Verdict | None:
    """Not due for a reminder yet, or the stage due was already sent: stages are sent once."""
    if case.invoice is None or case.stage is not None:
        return None
    stages = case.policy.stages
    last = stages.index(case.previous) if case.previous is not None else -1
    coming = [stage for index, stage in enumerate(stages)
              if stage.days_from_due > case.days and index > last]
    if case.due is not None and case.previous is not None:
        previous = case.previous
        sent = (f"{previous.label} task already logged" if previous.action == "task"
                else f"{previous.label} already sent")
        if case.previous_date is not None and pd.notna(case.previous_date):
            sent += f" on {case.previous_date:%Y-%m-%d}"
    else:
        sent = f"not due for a reminder yet: {case.invoice} is {_days_text(case.days)}"
    if not coming:
        return Verdict("skip", f"{sent}; no further stage")
    following = coming[0]
    wait = following.days_from_due - case.days
    return Verdict("skip", f"{sent}; next: {following.label} at "
                           f"{_threshold_text(following.days_from_due)}"
                           f" (in {wait} day{'s' if wait != 1 else ''})")


def credits_cover_what_is_overdue(case: Case) -> Verdict | None:
    """A reminder asks for what is overdue: when credits already due cover it, there is none."""
    if case.stage is None or case.stage.courtesy or not case.asked:
        return None
    if any(total > case.policy.tolerance for total in case.asked.values()):
        return None
    shown = ", ".join(f"{currency} {total:,.2f}".strip() for currency, total in case.asked.items())
    return Verdict("skip", f"nothing overdue once credits are netted ({shown} past due); the "
                           "items not yet due are not chased")


def below_the_minimum(case: Case) -> Verdict | None:
    """Minimum Overdue: no reminder (nor task) asking less than the minimum in every currency."""
    if case.stage is None or not case.policy.minimum_overdue or not case.asked:
        return None
    if any(total >= case.policy.minimum_for(currency) for currency, total in case.asked.items()):
        return None
    what = "falling due" if case.stage.courtesy else "overdue"
    shown = ", ".join(f"{currency} {total:,.2f}".strip() for currency, total in case.asked.items())
    least = ", ".join(f"{currency} {case.policy.minimum_for(currency):,.2f}".strip()
                      for currency in case.asked)
    return Verdict("skip", f"below the minimum: {shown} {what}, the least a reminder asks "
                           f"for is {least}")


def handed_to_a_person(case: Case) -> Verdict | None:
    """A task stage is for a person to act on; nothing is sent, so no address or timing applies."""
    if case.stage is None or case.stage.action != "task":
        return None
    return Verdict("task", f"{_stage_text(case)}; a person must take over, nothing is sent",
                   case.stage)


def no_usable_address(case: Case) -> Verdict | None:
    """A message needs valid addresses; a customer without them is skipped, saying why."""
    return Verdict("skip", case.address_problem) if case.address_problem else None


def refused_for_good(case: Case) -> Verdict | None:
    """An address refused for good would be refused every day: nothing goes until it changes."""
    if case.refused is None or case.stage is None or case.stage.action == "task":
        return None
    refusal = case.refused
    error = refusal.error if len(refusal.error) <= 160 else refusal.error[:157] + "..."
    return Verdict("skip", f"{REFUSED_REASON}: the mail server refused {refusal.address} for "
                           f"good on {refusal.when}" + (f" ({error})" if error else "")
                           + "; nothing more is sent to it: fix the e-mail address in "
                           f"{refusal.cell or 'the Customers table'}, or call")


def too_soon_after_the_last(case: Case) -> Verdict | None:
    """Minimum Days Between Reminders: calendar days since the last message of any stage."""
    if pd.isna(case.last_sent):
        return None
    gap = (case.run_date - case.last_sent.date()).days
    least = case.policy.min_gap_days
    if gap >= least:
        return None
    when = "today" if gap == 0 else (
        f"{gap} day{'s' if gap != 1 else ''} ago, on {case.last_sent:%Y-%m-%d}")
    return Verdict("wait", f"waiting: the last reminder was sent {when}; at least "
                           f"{least} days between reminders", case.stage)


def over_the_cap(case: Case) -> Verdict | None:
    """Max Reminders In Period: no more messages in any Reminder Period Days days."""
    policy = case.policy
    if case.recent < policy.cap_messages:
        return None
    return Verdict("wait", f"waiting: {case.recent} reminders sent in the last "
                           f"{policy.cap_days} days, the most allowed is {policy.cap_messages}",
                   case.stage)


def not_a_working_day(case: Case) -> Verdict | None:
    """Messages go on the customer's working days, as the customer's own clock has them."""
    day = case.local_now.weekday()
    if day in case.policy.working_days:
        return None
    return Verdict("wait", f"waiting: {DAY_NAMES[day]} in {case.zone} is not a working day "
                           f"({describe_days(case.policy.working_days)})", case.stage)


def a_public_holiday(case: Case) -> Verdict | None:
    """No reminder on a public holiday of the customer's country, on the customer's clock."""
    day = case.local_now.date()
    name = public_holiday(case.country, day) if case.country else ""
    if not name:
        return None
    return Verdict("wait", f"waiting: {day:%Y-%m-%d} is a public holiday in "
                           f"{case.country.upper()} ({name})", case.stage)


def outside_the_send_window(case: Case) -> Verdict | None:
    """Messages go within [Send Window Start, Send Window End) in the customer's zone."""
    policy, local = case.policy, case.local_now
    if policy.window_start <= local.time() < policy.window_end:
        return None
    return Verdict("wait", f"waiting: {local:%H:%M} in {case.zone} is outside the send window "
                           f"{policy.window_start:%H:%M}-{policy.window_end:%H:%M}", case.stage)


def send_the_stage(case: Case) -> Verdict | None:
    """Nothing held the customer back: the email stage due today is sent."""
    if case.stage is None or case.stage.action == "task":
        return None
    return Verdict("send", _stage_text(case), case.stage)


RULES: tuple[Rule, ...] = (
    held_by_dispute,
    nothing_to_chase,
    marked_do_not_contact,
    opted_out,
    on_hold,
    held_by_a_send_in_doubt,
    no_stage_to_act_on,
    credits_cover_what_is_overdue,
    below_the_minimum,
    handed_to_a_person,
    no_usable_address,
    refused_for_good,
    too_soon_after_the_last,
    over_the_cap,
    not_a_working_day,
    a_public_holiday,
    outside_the_send_window,
    send_the_stage,
)
"""The rules in the order they are asked; the first that answers decides (module docstring)."""


def _decide(case: Case, rules: Sequence[Rule] = RULES) -> Verdict:
    """The verdict of the first rule that answers for `case`."""
    for rule in rules:
        verdict = rule(case)
        if verdict is not None:
            return verdict
    raise ValueError(f"no rule decided for customer {case.customer!r}")


def _listed(reason: str, invoices: Sequence[str]) -> str:
    """A reason with its invoices, the first five named: "disputed (INV-1, INV-2)"."""
    listed = ", ".join(invoices[:5])
    more = f" and {len(invoices) - 5} more" if len(invoices) > 5 else ""
    return f"{reason} ({listed}{more})"


def _stage_text(case: Case) -> str:
    """The stage acted on and why: "firm reminder: 20 days past due (INV-1)"."""
    stage, due = case.stage, case.due
    assert stage is not None
    what = f"{stage.label}: {_days_text(case.days)} ({case.invoice})"
    if due is not None and due != stage:
        what += (f"; {due.label} is due, but stages climb one at a time (Start At Due Stage "
                 "starts a backlog there)")
    return what


def _next_stage(stages: Sequence[Stage], days: int, last: int,
                jump: bool = False) -> tuple[Stage | None, Stage | None]:
    """The stage to act on today (or None) and the stage due by the days alone; with `jump`
    (Start At Due Stage) the stage due itself rather than the one above the last."""
    ladder = [i for i, stage in enumerate(stages)
              if (stage.days_from_due > 0) == (days > 0) and stage.days_from_due <= days]
    if not ladder:
        return None, None
    due = stages[ladder[-1]]
    above = [i for i in ladder if i > last]
    if not above:
        return None, due
    return (due if jump else stages[above[0]]), due


class _CustomerTable:
    """Aggregates the judged items per customer and decides for each one."""

    def __init__(self, items: pd.DataFrame, info: pd.DataFrame, history: _History,
                 policy: Policy, run_date: dt.date, now: dt.datetime,
                 broken: pd.DataFrame, in_doubt: Mapping[str, str],
                 refused: Mapping[str, Refusal]) -> None:
        self.items = items
        self.in_doubt = in_doubt
        self.refused = refused
        self.info = info
        self.history = history
        self.policy = policy
        self.run_date = run_date
        self.now = now
        self.broken = broken.groupby("customer")["promise_date"].max().to_dict()
        self.stage_index = {stage.name.lower(): i for i, stage in enumerate(policy.stages)}
        self.local_times: dict[str, dt.datetime] = {}

    def build(self) -> pd.DataFrame:
        items = self.items
        customers = pd.Index(pd.unique(items["customer"]), dtype=object)
        included = items[items["included"]]
        owed = included[included["open_balance"] > 0]
        driver = owed.loc[owed.groupby("customer", sort=False)["days_past_due"].idxmax()]
        driver = driver.set_index("customer").reindex(customers)
        all_max = items.groupby("customer", sort=False)["days_past_due"].max().reindex(customers)
        invoices = _lists_by(included["customer"].to_numpy(dtype=object),
                             included["invoice"].to_numpy(dtype=object))
        totals = self._totals(included)
        names = items.groupby("customer", sort=False)["customer_name"].first().reindex(customers)
        info = self.info.reindex(customers)
        known = info["email"].notna().to_numpy()
        info = info.fillna({"name": "", "contact_name": "", "email": "", "language": "",
                            "time_zone": "", "opt_out": False, "do_not_contact": False,
                            "billing_contact": "", "billing_email": "", "cc_email": "",
                            "hold_reason": "", "country": ""})
        info["channel"] = info["channel"].fillna("").str.lower()
        overdue = self._totals(included[included["days_past_due"] > 0])
        currencies = driver["currency"].to_dict()
        last_stage, last_stage_date = self._last_stage(items)
        sent = self.history.sent
        last_sent = sent.groupby("customer")["date"].max().to_dict()
        window_start = pd.Timestamp(self.run_date) - pd.Timedelta(days=self.policy.cap_days - 1)
        recent = sent[sent["date"] >= window_start].groupby("customer").size().to_dict()
        chased = set(driver.index[driver["invoice"].notna()])
        excluded = self._excluded_by_reason(items, chased)
        stages, opted_out_in_log = self.policy.stages, self.history.opted_out

        columns = [info[name].to_numpy(dtype=object).tolist() for name in
                   ("name", "contact_name", "email", "language", "time_zone", "opt_out",
                    "do_not_contact")]
        extra = info[["billing_contact", "billing_email", "cc_email", "hold_until",
                      "hold_reason", "country", "channel"]].to_dict("index")
        records = []
        for (customer, is_known, fallback_name, invoice, days, any_days, name, contact, email,
             language, time_zone, opt_out, do_not_contact) in zip(
                customers.tolist(), known.tolist(), names.to_numpy(dtype=object).tolist(),
                driver["invoice"].to_numpy(dtype=object).tolist(),
                driver["days_past_due"].to_numpy(dtype=float).tolist(), all_max.tolist(),
                *columns, strict=True):
            zone, zone_note = self._zone(time_zone)
            more = extra.get(customer, {})
            contact = more.get("billing_contact") or contact
            recipients, address_problem = parse_recipients(more.get("billing_email") or email)
            cc, cc_problem = ((), "") if not more.get("cc_email") else parse_recipients(
                more["cc_email"])
            if cc_problem and not address_problem:
                address_problem = cc_problem.replace("no valid email address",
                                                     "no valid CC Email address")
            if not is_known:
                address_problem = "not in the Customers table, so no email address"
            until = more.get("hold_until")
            hold = (hold_text(until, more.get("hold_reason"))
                    if until is not None and pd.notna(until)
                    and pd.Timestamp(until) >= pd.Timestamp(self.run_date) else "")
            has_driver = isinstance(invoice, str)
            previous = last_stage.get(customer, "")
            last = self.stage_index.get(previous.lower(), -1)
            days = int(days) if has_driver else int(any_days)
            stage, due = (_next_stage(stages, days, last, self.policy.start_at_due_stage)
                          if has_driver else (None, None))
            channel = ("letter" if more.get("channel") == "letter"
                       or (stage is not None and stage.action == "letter") else "email")
            if channel == "letter" and is_known:
                address_problem = ""  # a letter goes by post: no email address needed
            sent_on = last_sent.get(customer, pd.NaT)
            asked = (overdue.get(customer, {}) if has_driver and days > 0
                     else totals.get(customer, {}))
            country = known_country(more.get("country") or self.policy.holiday_country)
            refusal = self.refused.get(customer)
            if refusal is not None and not (channel == "email"
                                            and refusal.same_address(recipients)):
                refusal = None  # the address was changed (or the reminder goes by post)
            case = Case(
                customer, self.policy, self.run_date, self._local(zone), zone,
                bool(opt_out) or customer in opted_out_in_log, bool(do_not_contact),
                invoice if has_driver else None, days, stage, due,
                stages[last] if last >= 0 else None, last_stage_date.get(customer),
                address_problem, sent_on, recent.get(customer, 0), excluded.get(customer, {}),
                self.in_doubt.get(customer, ""), asked, hold, country, refusal)
            verdict = _decide(case)
            reason = verdict.reason
            if verdict.action in ("send", "task") and customer in self.broken:
                promised = pd.Timestamp(self.broken[customer]).date()
                reason += f"; the promise to pay by {promised:%Y-%m-%d} was not kept"
            if zone_note and verdict.action in ("send", "wait"):
                reason += f"; {zone_note}"
            stage = verdict.stage
            fee_currency = ((stage.fee_currency or currencies.get(customer) or "")
                            if stage is not None and stage.fee else "")
            copied = tuple(dict.fromkeys((*cc, *(stage.cc if stage is not None else ()))))
            records.append((
                customer, name or fallback_name, contact, ", ".join(recipients), recipients,
                language, zone, verdict.action, stage.name if stage else "",
                stage.template_name if stage else "", previous,
                None if pd.isna(sent_on) else sent_on.date(), reason,
                totals.get(customer, {}), days, invoice if has_driver else "",
                invoices.get(customer, []), due.name if due else "", due.action if due else "",
                bool(do_not_contact), overdue.get(customer, {}), copied,
                stage.fee if stage is not None else 0.0, fee_currency, hold, country, channel,
                refusal.address if refusal is not None
                and verdict.reason.startswith(REFUSED_REASON) else "",
            ))
        table = pd.DataFrame.from_records(records, columns=list(CUSTOMER_COLUMNS))
        table["max_days_past_due"] = table["max_days_past_due"].astype("int64")
        return table

    @staticmethod
    def _excluded_by_reason(items: pd.DataFrame, chased: set[str]) -> dict[str, dict]:
        """For customers with nothing included: each reason with its invoices."""
        rest = items[~items["customer"].isin(chased)]
        excluded: dict[str, dict[str, list[str]]] = {}
        for customer, reason, invoice in zip(*(rest[name].to_numpy(dtype=object).tolist()
                                               for name in ("customer", "reason", "invoice")),
                                             strict=True):
            excluded.setdefault(customer, {}).setdefault(reason, []).append(invoice)
        return excluded

    def _totals(self, included: pd.DataFrame) -> dict[str, dict[str, float]]:
        sums = included.groupby(["customer", "currency"], sort=True)["open_balance"].sum()
        totals: dict[str, dict[str, float]] = {}
        for (customer, currency), total in sums.round(2).items():
            totals.setdefault(customer, {})[currency] = float(total)
        return totals

    def _last_stage(self, items: pd.DataFrame) -> tuple[dict[str, str], dict[str, pd.Timestamp]]:
        """The latest stage sent about any currently open item (or about no item in particular)."""
        sent = self.history.sent[self.history.sent["stage"].isin(list(self.stage_index))]
        if sent.empty:
            return {}, {}
        exploded = self.history.by_invoice(sent)
        open_keys = items[["customer", "invoice"]].drop_duplicates()
        named = exploded[exploded["invoice"] != ""].merge(open_keys, on=["customer", "invoice"])
        relevant = pd.concat([named, exploded[exploded["invoice"] == ""]])
        relevant = relevant.sort_values(["timestamp", "order"], kind="stable")
        latest = relevant.drop_duplicates("customer", keep="last").set_index("customer")
        return latest["stage"].to_dict(), latest["date"].to_dict()

    def _zone(self, name: str) -> tuple[str, str]:
        default = self.policy.default_time_zone
        if not name:
            return default, ""
        zone = resolve_time_zone(name)
        if zone:
            return zone, ""
        return default, f"time zone {name!r} not recognised, used {default}"

    def _local(self, zone: str) -> dt.datetime:
        if zone not in self.local_times:
            self.local_times[zone] = self.now.astimezone(ZoneInfo(zone))
        return self.local_times[zone]


def _lists_by(keys: np.ndarray, values: np.ndarray) -> dict[str, list]:
    """Values listed per key, for keys already sorted so that each key's rows are together."""
    if not len(keys):
        return {}
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    chunks = np.split(values, starts[1:])
    return dict(zip(keys[starts].tolist(), (chunk.tolist() for chunk in chunks), strict=True))


def _days_text(days: int) -> str:
    if days > 0:
        return f"{days} day{'s' if days != 1 else ''} past due"
    if days == 0:
        return "due today"
    return "due tomorrow" if days == -1 else f"due in {-days} days"


def _threshold_text(days: int) -> str:
    if days > 0:
        return f"{days} day{'s' if days != 1 else ''} past due"
    if days == 0:
        return "the due date"
    return f"{-days} day{'s' if days != -1 else ''} before the due date"
