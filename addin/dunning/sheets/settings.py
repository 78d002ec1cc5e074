"""The workbook's Settings: one schema, read once into one frozen, typed record.

The Settings sheet is a table of (Setting, Value) pairs that an accountant edits by
hand. `SCHEMA` describes every setting any part of Dunning reads, once: its name as
the template writes it, the other names accepted, its kind (text, date, whole number,
number, percent, yes/no, choice, email, time, weekdays, time zone), its default and a
line of help (the template's note beside it; the template's Settings rows are built
from this list). `read_settings` reads the pairs against it once: names are matched
loosely (case, spaces, hyphens and other punctuation, and the aliases), every value is
typed and checked, and all the problems are raised together as one
`DunningInputError`, each naming the sheet, the setting's row and the Value column. A
name the schema does not know ("SMTP Hots") is never ignored silently: it is a warning
(`WorkbookSettings.warnings`, carried by the error too when there is one) naming its
row and the nearest known setting.

`WorkbookSettings` is what every consumer takes. It is a `Settings` (what reports
need: client, company, as-of date, aging basis, bucket edges) with a typed field for
each other setting; `policy(stages_rows)` is the dunning policy, `charges` the
late-payment charges, and the app builds the sender and the mail server from its
fields (`dunning.app.remind`), the worksheet functions read it from their settings
argument (`dunning.excel.arguments`).

Settings a feature does not use while it is off are not read, so a leftover value in
an unused row is no error (`Setting.read_when`): the charges' details only when Late
Payment Charges picks a regime that uses them, SMTP Port, Security and User only when
an SMTP Host is set.

The cut between this module and the core: the core reads no (Setting, Value) pairs.
Its constructors take typed values: `dunning.core.policy.policy_from_settings` takes
`Policy`'s fields already typed (and reads the Stages table, a table of its own), and
`dunning.core.charges.charge_settings_from_pairs` takes `ChargeSettings`' fields
already typed, keeping the rules of law between them (the UK Act's fixed margin, a
contract's rate). What concerns cells (names, aliases, blanks, percent-formatted
cells, which settings a choice switches on, defaults, rows) is here, using the core's
parsers of single values (`parse_time`, `parse_working_days`, `parse_amounts`, ...),
so a setting is added in one place: a `Setting` in `SCHEMA` and a field of
`WorkbookSettings`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from dunning.core.aging import DEFAULT_EDGES, Basis
from dunning.core.charges import (
    EU_COMPENSATION,
    EU_MINIMUM_MARGIN,
    STATUTORY_MARGIN,
    ChargeSettings,
    charge_settings_from_pairs,
    percent_or_none,
)
from dunning.core.columns import normal_header
from dunning.core.errors import SETTINGS_SHEET, DunningInputError, Issue, Severity, TablePlace
from dunning.core.parse import (
    AMOUNT_RANGE,
    MAX_AMOUNT,
    MAX_DAYS,
    AmbiguousDatesError,
    is_blank,
    number_or_none,
    parse_amounts,
    parse_dates,
    parse_flags,
)
from dunning.core.payments import template_problem
from dunning.core.policy import (
    Policy,
    describe_days,
    is_valid_email,
    known_country,
    parse_minimums,
    parse_time,
    parse_working_days,
    policy_from_settings,
    resolve_time_zone,
)

VALUE_COLUMN = "Value"
MAX_BUCKETS = 9
"""Bucket 1 Days .. Bucket 9 Days are read; the template writes the first four."""

Kind = Literal["text", "date", "whole number", "number", "percent", "yes/no", "choice",
               "email", "time", "weekdays", "time zone", "amounts", "country", "link"]
KINDS: tuple[str, ...] = get_args(Kind)


@dataclass(frozen=True)
class Setting:
    """One row of the Settings sheet, described once.

    `name` is the name as the template writes it and `aliases` the other names accepted,
    all matched loosely; `key` is the `WorkbookSettings` field it fills; `default` is the
    typed value a blank or missing row means; `help` is the template's note. `choices`
    are a choice's values (lower case) and `synonyms` other words for them ("gb" -> "uk";
    a word mapped to "" means off). `minimum` is the least number accepted, `maximum` the
    largest (a whole number's is `MAX_WHOLE` unless given). `expected` is
    the message for an unusable value ("" derives one from the kind). `read_when` =
    (setting, values): this one is read only when that earlier setting has one of these
    values (no values: when it is filled in at all), and if `required` it must then be
    filled in. `template` is what the template's Value cell holds (`...`: the default as
    a cell shows it); `in_template` is whether the template has a row for it at all.
    """

    name: str
    key: str
    kind: Kind
    default: object = None
    help: str = ""
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    expected: str = ""
    read_when: tuple[str, tuple[str, ...]] | None = None
    required: bool = False
    template: object = ...
    in_template: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        """The name, then the aliases."""
        return (self.name, *self.aliases)

    @property
    def template_value(self) -> object:
        """What the template's Value cell holds for this setting."""
        return _cell(self.default) if self.template is ... else self.template

    @property
    def expected_text(self) -> str:
        """What an unusable value is told: "expected ..."."""
        if self.expected:
            return self.expected
        least = "" if self.minimum is None else f"{self.minimum:g}"
        if self.kind == "choice":
            shown = [repr(choice) for choice in self.choices]
            return f"expected {', '.join(shown[:-1])} or {shown[-1]}" if len(shown) > 1 \
                else f"expected {shown[0]}"
        return {
            "date": "expected a date",
            "whole number": f"expected a whole number{f' of at least {least}' if least else ''}",
            "number": f"expected an amount{f' of {least} or more' if least else ''}",
            "percent": "expected a number of percent, such as 8 for 8% (type 8, not 8%)"
                       + (f", {least} or more" if least else ""),
            "yes/no": "expected Yes or No",
            "email": "expected one email address such as ar@example.com",
            "time": "expected a time of day such as 08:00 or 18:30",
            "weekdays": "expected days such as Mon-Fri, or Mon, Tue, Thu",
            "time zone": "expected a time zone name such as Europe/Berlin or America/New_York",
            "amounts": "expected an amount such as 50, or amounts per currency such as "
                       "EUR 50; USD 60",
            "country": "expected a two-letter country code such as FR, DE or GB",
            "link": "expected a link starting with https:// with the fields {customer}, "
                    "{invoice}, {amount} and {currency} only",
        }.get(self.kind, "expected text")


def _cell(value: object) -> object:
    """A typed default as the template's cell shows it (8.0 -> 8, 08:00, Mon-Fri)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, frozenset):
        return describe_days(value)
    if isinstance(value, tuple):
        return "; ".join(f"{currency} {amount:g}".strip() for currency, amount in value) or None
    return value


MAX_WHOLE = MAX_DAYS
"""The largest whole-number setting (a count of days, reminders or instalments): as many
days as the dates a ledger accepts span; 1e308 is no count."""
_POLICY = {item.name: item.default for item in fields(Policy)}
_BUCKET_HELP = {
    1: "Upper edge of the first past-due bucket (1-30).",
    2: "Upper edge of the second bucket.",
    3: "Upper edge of the third bucket.",
    4: "Upper edge of the fourth bucket; older is 'Over'.",
}
_CHARGES = "Late Payment Charges"
_REGIMES = ("uk", "eu", "contract")
_SMTP_HOST = "SMTP Host"

SCHEMA: tuple[Setting, ...] = (
    Setting("Client", "client", "text", "", "The client's name, shown on the Dashboard."),
    Setting("Company Name", "company_name", "text", "",
            "The company the invoices are from, as it signs reminders.",
            aliases=("Firm Name",)),
    Setting("Sender Name", "sender_name", "text", "", "The person reminders come from."),
    Setting("Sender Email", "sender_email", "email", "", "The address reminders are sent from."),
    Setting("Payment Instructions", "payment_instructions", "text", "",
            "Bank details or payment link, quoted in reminders."),
    Setting("Reply To", "reply_to", "email", "", "Where replies go, if not to the Sender Email."),
    Setting("Opt Out Address", "opt_out_address", "email", "",
            "Where opt-out requests go, if not to the Sender Email."),
    Setting("As Of Date", "as_of", "date", None,
            "Blank means today. Set a date to see the aging on that day.",
            expected="expected a date, or blank for today"),
    Setting("Currency", "currency", "text", "",
            "The currency the Dashboard and the Charts show (ISO code such as EUR); blank: "
            "the first invoice's."),
    Setting("Aging Basis", "aging_basis", "choice", "due",
            "due or invoice (Dunning's reports; the Dashboard ages by due date).",
            choices=("due", "invoice")),
    *(Setting(f"Bucket {number} Days", f"bucket_{number}", "whole number", None,
              _BUCKET_HELP.get(number, f"Upper edge of bucket {number}, to add a bucket."),
              minimum=1, expected="expected a whole number of days",
              template=DEFAULT_EDGES[number] if number < len(DEFAULT_EDGES) else None,
              in_template=number < len(DEFAULT_EDGES))
      for number in range(1, MAX_BUCKETS + 1)),
    Setting("Minimum Days Between Reminders", "min_gap_days", "whole number",
            _POLICY["min_gap_days"], "No customer gets two reminders closer than this.",
            aliases=("Min Gap Days",), minimum=0),
    Setting("Tolerance Amount", "tolerance", "number", _POLICY["tolerance"],
            "Open items below this amount are not chased.", aliases=("Tolerance",), minimum=0,
            expected="expected an amount of 0 or more, such as 5 or 5.00"),
    Setting("Send Window Start", "window_start", "time", _POLICY["window_start"],
            "Earliest local time (customer's time zone) to send."),
    Setting("Send Window End", "window_end", "time", _POLICY["window_end"],
            "Latest local time to send."),
    Setting("Working Days", "working_days", "weekdays", _POLICY["working_days"],
            "Days reminders may go out, e.g. Mon-Fri or Sun-Thu."),
    Setting("Default Time Zone", "default_time_zone", "time zone", _POLICY["default_time_zone"],
            "For customers without a Time Zone, e.g. Europe/London.", aliases=("Time Zone",)),
    Setting("Max Reminders In Period", "cap_messages", "whole number", _POLICY["cap_messages"],
            "At most this many reminders to one customer ...",
            aliases=("Max Messages", "Max Reminders"), minimum=1),
    Setting("Reminder Period Days", "cap_days", "whole number", _POLICY["cap_days"],
            "... in any this many days.", aliases=("Cap Days",), minimum=1),
    Setting("Minimum Overdue", "minimum_overdue", "amounts", _POLICY["minimum_overdue"],
            "No reminder asks for less: an amount (any currency), or per currency, e.g. "
            "EUR 50; USD 60. Blank: no minimum.", aliases=("Minimum Amount",), template=None),
    Setting("Holiday Country", "holiday_country", "country", _POLICY["holiday_country"],
            "No reminder on this country's public holidays (for customers without a Country), "
            "e.g. FR. Blank: none.", template=None),
    Setting("Start At Due Stage", "start_at_due_stage", "yes/no", _POLICY["start_at_due_stage"],
            "Yes: a customer starts at the stage its days past due have reached, not one "
            "stage a run (onboarding a backlog)."),
    Setting("Pay By Days", "pay_by_days", "whole number", 7,
            "The final notice asks for payment within this many days of the notice.",
            minimum=1),
    Setting("Payment Link", "payment_link", "link", "",
            "A payment page's link for reminders, with {customer}, {invoice}, {amount} and "
            "{currency} filled in, e.g. https://pay.example.com/?c={customer}&a={amount}.",
            template=None),
    Setting(_SMTP_HOST, "smtp_host", "text", "",
            "Mail server for sending, e.g. smtp.office365.com."),
    Setting("SMTP Port", "smtp_port", "whole number", 587, "587 for STARTTLS, 465 for TLS.",
            minimum=1, maximum=65535,
            expected="expected a whole number, such as 587 or 465",
            read_when=(_SMTP_HOST, ())),
    Setting("SMTP Security", "smtp_security", "choice", "starttls",
            "starttls or tls (none only to a server on this computer).",
            choices=("starttls", "tls", "none"), read_when=(_SMTP_HOST, ())),
    Setting("SMTP User", "smtp_user", "text", "",
            "Login name. The password is never kept here: see the README.",
            read_when=(_SMTP_HOST, ())),
    Setting("SMTP CA File", "smtp_ca_file", "text", "",
            "Full path of a PEM file of the certificate authorities to trust, for a mail "
            "server with its own; blank: the system's trust store.",
            aliases=("SMTP CA Bundle",), read_when=(_SMTP_HOST, ()), in_template=False),
    # -- statements, invoice copies and letters (issue 14)
    Setting("Company Address", "company_address", "text", "",
            "The company's postal address, one line per line of the cell (or separated by ;): "
            "on statements and as the return line of letters.",
            aliases=("Firm Address",), in_template=False),
    Setting("Attach Statement", "attach_statement", "yes/no", False,
            "Yes attaches a PDF statement of account to every reminder.", in_template=False),
    Setting("Invoice PDFs", "invoice_pdfs", "text", "",
            "A folder of invoice PDFs named after the invoice number (INV-001.pdf): reminders "
            "attach those of the overdue invoices.", aliases=("Invoice PDF Folder",),
            in_template=False),
    Setting(_CHARGES, "late_payment_charges", "choice", "",
            "Blank for none; UK, EU or Contract to show interest and compensation per invoice "
            "in reminders (business customers only).",
            choices=_REGIMES,
            synonyms=(("gb", "uk"), ("contractual", "contract"),
                      *((word, "") for word in ("none", "off", "no", "false", "0", "n"))),
            expected='expected "UK", "EU", "Contract", or "None" for no charges'),
    Setting("Charges From Stage", "charges_from_stage", "text", "",
            "The first stage whose reminders show the charges.", template="Firm"),
    Setting("Statutory Margin", "statutory_margin", "percent", STATUTORY_MARGIN,
            "EU: the member state's points over the reference rate (8 or more).",
            minimum=EU_MINIMUM_MARGIN,
            expected="expected the margin over the reference rate in percentage points, "
                     "8 or more (type 8, not 8%)",
            read_when=(_CHARGES, ("uk", "eu"))),
    Setting("EU Compensation", "eu_compensation", "number", EU_COMPENSATION,
            "EU: fixed compensation per late invoice, in euro (40 or more).",
            minimum=EU_COMPENSATION, expected="expected the fixed sum per late invoice, 40 or more",
            read_when=(_CHARGES, ("eu",))),
    Setting("Contract Rate %", "contract_rate_percent", "percent", None,
            "Contract: the agreed annual interest rate, e.g. 6 for 6%.", minimum=0,
            expected="expected the agreed annual rate in percent, such as 8 for 8% a year "
                     "(type 8, not 8%)",
            read_when=(_CHARGES, ("contract",)), required=True),
    Setting("Contract Fee", "contract_fee", "number", 0.0,
            "Contract: the agreed fixed fee per late invoice.", minimum=0,
            expected="expected an amount of 0 or more, such as 25",
            read_when=(_CHARGES, ("contract",)), template=None),
    Setting("Round Daily Interest", "round_daily_interest", "yes/no", False,
            "Yes rounds the daily interest to the cent before multiplying by the days, as "
            "GOV.UK's worked example does.",
            read_when=(_CHARGES, _REGIMES), in_template=False),
)
"""Every setting Dunning reads, in the template's order (rows not in the template last
within their group)."""

SETTINGS_BY_NAME: Mapping[str, Setting] = {spec.name: spec for spec in SCHEMA}
_BY_NORMAL_NAME: Mapping[str, Setting] = {
    normal_header(name): spec for spec in SCHEMA for name in spec.names}
_CHARGE_KEYS = frozenset(spec.key for spec in SCHEMA if spec.read_when
                         and spec.read_when[0] == _CHARGES) | {"late_payment_charges"}


@dataclass(frozen=True)
class Settings:
    """What reports need to know about a client's workbook (a part of `WorkbookSettings`).

    `as_of` None means today. `bucket_edges` are the aging buckets' upper
    edges in days past due, Current first.
    """

    client: str = ""
    company_name: str = ""
    as_of: dt.date | None = None
    aging_basis: Basis = "due"
    bucket_edges: tuple[int, ...] = DEFAULT_EDGES


_DEFAULTS: Mapping[str, object] = {spec.key: spec.default for spec in SCHEMA}


def _default(key: str) -> Any:
    """The schema's default for the field `key`, so the record's defaults are the schema's."""
    return _DEFAULTS[key]


POLICY_KEYS: tuple[str, ...] = ("min_gap_days", "tolerance", "window_start", "window_end",
                                "working_days", "default_time_zone", "cap_messages", "cap_days",
                                "minimum_overdue", "holiday_country", "start_at_due_stage")
"""The fields of `WorkbookSettings` that are `Policy`'s fields of the same name."""


@dataclass(frozen=True)
class WorkbookSettings(Settings):
    """Every setting of a workbook, typed and checked: what `read_settings` returns.

    One field per `Setting` of `SCHEMA` (its `key`), with the schema's defaults; the Bucket
    N Days settings make `bucket_edges`. `late_payment_charges` is "", "uk", "eu" or
    "contract"; `charges_from_stage` is checked against the Stages table by the reminder
    run (it is on another table). `warnings` are the rows not understood (unknown names,
    a setting given twice); `rows` the sheet row of each setting found, by name, for
    messages (`issue`).
    """

    sender_name: str = _default("sender_name")
    sender_email: str = _default("sender_email")
    payment_instructions: str = _default("payment_instructions")
    reply_to: str = _default("reply_to")
    opt_out_address: str = _default("opt_out_address")
    min_gap_days: int = _default("min_gap_days")
    tolerance: float = _default("tolerance")
    window_start: dt.time = _default("window_start")
    window_end: dt.time = _default("window_end")
    working_days: frozenset[int] = _default("working_days")
    currency: str = _default("currency")
    default_time_zone: str = _default("default_time_zone")
    cap_messages: int = _default("cap_messages")
    cap_days: int = _default("cap_days")
    minimum_overdue: tuple[tuple[str, float], ...] = _default("minimum_overdue")
    holiday_country: str = _default("holiday_country")
    start_at_due_stage: bool = _default("start_at_due_stage")
    pay_by_days: int = _default("pay_by_days")
    payment_link: str = _default("payment_link")
    smtp_host: str = _default("smtp_host")
    smtp_port: int = _default("smtp_port")
    smtp_security: str = _default("smtp_security")
    smtp_user: str = _default("smtp_user")
    smtp_ca_file: str = _default("smtp_ca_file")
    company_address: str = _default("company_address")
    payment_link: str = _default("payment_link")
    attach_statement: bool = _default("attach_statement")
    invoice_pdfs: str = _default("invoice_pdfs")
    late_payment_charges: str = _default("late_payment_charges")
    charges_from_stage: str = _default("charges_from_stage")
    statutory_margin: float = _default("statutory_margin")
    eu_compensation: float = _default("eu_compensation")
    contract_rate_percent: float | None = _default("contract_rate_percent")
    contract_fee: float = _default("contract_fee")
    round_daily_interest: bool = _default("round_daily_interest")
    warnings: tuple[Issue, ...] = field(default=(), compare=False)
    rows: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    sheet: str = field(default=SETTINGS_SHEET, compare=False, repr=False)
    letters: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """The sheet letters of the Setting and Value columns, by header (empty: not known)."""

    def as_settings(self) -> Settings:
        """The `Settings` part alone: what reports and the worksheet functions take."""
        return Settings(**{item.name: getattr(self, item.name) for item in fields(Settings)})

    def policy(self, stages_rows: Sequence[Sequence[object]] | pd.DataFrame | None = None, *,
               stages_first_column: int = 6) -> Policy:
        """The dunning policy: these settings with the Stages table's rows (header first; None
        or no data rows: the default stages). Raises `DunningInputError` naming each bad
        Stages cell."""
        return policy_from_settings({key: getattr(self, key) for key in POLICY_KEYS},
                                    stages_rows, stages_first_column=stages_first_column)

    @property
    def charges(self) -> ChargeSettings | None:
        """The late-payment charges claimed, None when Late Payment Charges is off."""
        return charge_settings_from_pairs({
            "regime": self.late_payment_charges,
            "margin_points": self.statutory_margin,
            "contract_rate_percent": self.contract_rate_percent,
            "contract_fee": self.contract_fee,
            "eu_compensation": self.eu_compensation,
            "round_daily": self.round_daily_interest,
        })

    def issue(self, name: str, message: str, value: object = None, *,
              severity: Severity = "error") -> Issue:
        """A problem with setting `name` ("setting 'X': ..."), at its row's Value cell."""
        return Issue(f"setting {name!r}: {message}", severity=severity, sheet=self.sheet,
                     row=self.rows.get(name), column=VALUE_COLUMN,
                     column_letter=self.letters.get(VALUE_COLUMN), value=value)

    def located(self, issue: Issue) -> Issue:
        """`issue` ("setting 'X': ..." from the core) placed at the row of setting X."""
        named = re.match(r"setting '([^']+)'", issue.message)
        row = self.rows.get(named.group(1)) if named else None
        column = issue.column or VALUE_COLUMN
        return replace(issue, sheet=self.sheet, row=row if row is not None else issue.row,
                       column=column, column_letter=issue.column_letter
                       or self.letters.get(column))


def read_settings(
    pairs: Mapping[str, object] | Iterable[Sequence[object]] | None = None,
    *,
    sheet: str = SETTINGS_SHEET,
    first_row: int | None = None,
    letters: Mapping[str, str] | None = None,
) -> WorkbookSettings:
    """Every setting, from the Settings table's (Setting, Value) pairs, read once against `SCHEMA`.

    `pairs` is a mapping of name to value, or the table's body rows in order (each row's
    first two cells are the name and the value); `first_row` is the sheet row of the first
    of them, so each problem names its setting's row (None: rows unknown), and `letters` the
    sheet letters of the Setting and Value columns by header (for their cells). Names are
    matched loosely and by their aliases; a blank or missing value takes the default. Raises
    one `DunningInputError` with every unusable value (and the warnings after them);
    unknown names, and a setting given twice, are warnings in the result.
    """
    found: dict[str, list[tuple[int, object, int | None]]] = {}
    warnings: list[Issue] = []
    for name, value, row in _entries(pairs, first_row):
        spec = _BY_NORMAL_NAME.get(normal_header(name))
        if spec is None:
            warnings.append(_unknown(name, sheet, row))
            continue
        rank = [normal_header(known) for known in spec.names].index(normal_header(name))
        found.setdefault(spec.key, []).append((rank, value, row))

    values: dict[str, object] = {}
    raw: dict[str, object] = {}
    rows: dict[str, int] = {}
    issues: list[Issue] = []
    bad: set[str] = set()

    def problem(spec: Setting, message: str, value: object) -> None:
        issues.append(Issue(f"setting {spec.name!r}: {message}", sheet=sheet,
                            row=rows.get(spec.name), column=VALUE_COLUMN, value=value))
        bad.add(spec.key)

    for spec in SCHEMA:
        given = sorted(found.get(spec.key, []), key=lambda entry: entry[0])  # name, then aliases
        filled = [entry for entry in given if not is_blank(entry[1])]
        chosen = filled[0] if filled else (given[0] if given else None)
        if chosen is not None and chosen[2] is not None:
            rows[spec.name] = chosen[2]
        if len(filled) > 1:
            warnings.append(Issue(
                f"setting {spec.name!r} is given {len(filled)} times; the value in "
                f"{_place(filled[0][2])} is used", severity="warning", sheet=sheet,
                row=filled[1][2], column="Setting"))
        values[spec.key] = spec.default
        if not _applies(spec, values):
            continue
        if not filled:
            if spec.required:
                other, wanted = spec.read_when or ("", ())
                problem(spec, f"required when {other} is {_shown(values, other)}", None)
            continue
        value = raw[spec.key] = filled[0][1]
        typed, message = _typed(spec, value)
        if message:
            problem(spec, message, value)
        else:
            values[spec.key] = typed

    edges = [0]
    for number in range(1, MAX_BUCKETS + 1):
        spec = SETTINGS_BY_NAME[f"Bucket {number} Days"]
        days = values.pop(spec.key)
        if days is None:
            continue
        if days <= edges[-1]:  # type: ignore[operator]
            problem(spec, "bucket days must increase from bucket to bucket", raw[spec.key])
        else:
            edges.append(days)  # type: ignore[arg-type]
    values["bucket_edges"] = tuple(edges) if len(edges) > 1 else DEFAULT_EDGES
    if not {"window_start", "window_end"} & bad \
            and values["window_start"] >= values["window_end"]:  # type: ignore[operator]
        problem(SETTINGS_BY_NAME["Send Window End"], "the send window must end after it starts",
                raw.get("window_end"))

    letters = dict(letters or {})

    def lettered(issue: Issue) -> Issue:
        known = letters.get(issue.column or "") if issue.row is not None else None
        return replace(issue, column_letter=issue.column_letter or known)

    warnings = [lettered(issue) for issue in warnings]
    issues = [lettered(issue) for issue in issues]
    settings = WorkbookSettings(**values, warnings=tuple(warnings), rows=rows,  # type: ignore[arg-type]
                                sheet=sheet, letters=letters)
    if not bad & _CHARGE_KEYS:
        try:
            settings.charges  # noqa: B018 - the law's rules between the charge settings
        except DunningInputError as error:
            issues += [settings.located(issue) for issue in error.issues]
    if issues:  # top to bottom, as the sheet shows them
        issues.sort(key=lambda issue: (issue.row is None, issue.row or 0))
        raise DunningInputError([*issues, *warnings])
    return settings


def read_settings_table(rows: Sequence[Sequence[object]], *, sheet: str = SETTINGS_SHEET,
                        header_row: int = 1, first_column: int | None = None) -> WorkbookSettings:
    """`read_settings` of the Settings table's rows, its header first at sheet row
    `header_row` and its first column the sheet's `first_column` (from 1; None: letters not
    known): the Setting and Value columns found by their headers, else the first two."""
    if not rows:
        return read_settings(sheet=sheet)
    headers = [normal_header(cell) for cell in rows[0]]
    name_at = headers.index("setting") if "setting" in headers else 0
    value_at = headers.index("value") if "value" in headers else 1
    body = [(_at(row, name_at), _at(row, value_at)) for row in rows[1:]]
    place = TablePlace(sheet, header_row, first_column)
    letters = {header: letter for header, letter in (("Setting", place.letter(name_at)),
                                                      (VALUE_COLUMN, place.letter(value_at)))
               if letter is not None}
    return read_settings(body, sheet=sheet, first_row=header_row + 1, letters=letters)


def settings_from_pairs(pairs: Mapping[str, object]) -> WorkbookSettings:
    """`read_settings` of (Setting, Value) pairs whose rows are not known."""
    return read_settings(pairs)


def _entries(pairs: Mapping[str, object] | Iterable[Sequence[object]] | None,
             first_row: int | None) -> Iterator[tuple[str, object, int | None]]:
    """(name, value, row) of each row that has a name."""
    items: Iterable[Sequence[object]] = (
        () if pairs is None else pairs.items() if isinstance(pairs, Mapping) else pairs)
    for index, item in enumerate(items):
        name = _at(item, 0)
        if not is_blank(name):
            yield str(name).strip(), _at(item, 1), None if first_row is None else first_row + index


def _at(row: Sequence[object], index: int) -> object:
    return row[index] if index < len(row) else None


def _applies(spec: Setting, values: Mapping[str, object]) -> bool:
    """Whether `spec` is read, given the settings read before it (`Setting.read_when`)."""
    if spec.read_when is None:
        return True
    other, wanted = spec.read_when
    value = values[SETTINGS_BY_NAME[other].key]
    return value in wanted if wanted else bool(value)


def _shown(values: Mapping[str, object], name: str) -> str:
    word = str(values[SETTINGS_BY_NAME[name].key])
    return word.upper() if len(word) <= 2 else word.capitalize()


def _place(row: int | None) -> str:
    return "the first row" if row is None else f"row {row}"


def _unknown(name: str, sheet: str, row: int | None) -> Issue:
    """A warning for a name the schema does not know, with the nearest known name."""
    near = difflib.get_close_matches(normal_header(name), list(_BY_NORMAL_NAME), n=1,
                                     cutoff=0.75)
    hint = f"; did you mean {_BY_NORMAL_NAME[near[0]].name!r}?" if near else ""
    return Issue(f"unknown setting {name!r} is ignored{hint}", severity="warning", sheet=sheet,
                 row=row, column="Setting")


def _typed(spec: Setting, value: object) -> tuple[object, str]:
    """`value` as `spec`'s kind, and "" or the message saying why it is unusable."""
    expected = spec.expected_text
    kind = spec.kind
    typed: object = None
    if kind == "text":
        return str(value).strip(), ""
    if kind == "email":
        typed = str(value).strip()
        return typed, "" if is_valid_email(typed) else expected  # type: ignore[arg-type]
    if kind == "date":
        try:
            parsed = parse_dates(np.array([value], dtype=object))
        except AmbiguousDatesError:
            return None, f"{expected}; {value!r} can be read day-first or month-first: " \
                         "write it as YYYY-MM-DD"
        typed = None if parsed.bad[0] else pd.Timestamp(parsed.values[0]).date()
    elif kind == "whole number":
        number = number_or_none(value)
        typed = int(number) if number is not None and number.is_integer() else None
    elif kind == "number":
        parsed = parse_amounts(np.array([value], dtype=object))
        typed = None if parsed.bad[0] else float(parsed.values[0])
    elif kind == "percent":
        typed = percent_or_none(value)
        typed = None if typed is not None and 0 < typed < 1 else typed  # 8% read as 0.08
    elif kind == "yes/no":
        parsed = parse_flags(np.array([value], dtype=object))
        typed = None if parsed.bad[0] else bool(parsed.values[0])
    elif kind == "choice":
        word = str(value).strip().lower()
        synonyms = dict(spec.synonyms)
        typed = synonyms.get(word, word if word in spec.choices else None)
    elif kind == "time":
        typed = parse_time(value)
    elif kind == "weekdays":
        typed = parse_working_days(str(value)) or None
    elif kind == "time zone":
        typed = resolve_time_zone(str(value)) or None
    elif kind == "amounts":
        typed = parse_minimums(value)
    elif kind == "country":
        typed = known_country(value) or None
    elif kind == "link":
        typed = str(value).strip()
        problem = template_problem(typed)
        return (typed, "") if not problem else (None, f"{expected} ({problem})")
    if typed is None or (spec.minimum is not None and isinstance(typed, (int, float))
                         and not isinstance(typed, bool) and typed < spec.minimum):
        return None, expected
    largest = spec.maximum if spec.maximum is not None else (
        MAX_WHOLE if kind == "whole number" else None)
    if largest is not None and isinstance(typed, (int, float)) and typed > largest:
        return None, f"{expected}, at most {largest:,g}"
    if kind == "amounts" and any(abs(amount) >= MAX_AMOUNT for _, amount in typed):
        return None, f"{expected}, each {AMOUNT_RANGE}"
    return typed, ""


