"""Payment plans: a customer's balance split into dated instalments, and how well it is kept.

`schedule` splits a balance into instalments; `adherence` applies the payments
received to them; `plan_status` sums that up in the words the policy reads
("active", "kept", "missed", "closed"); `plan_rows` lays a plan out for the
PaymentPlans sheet, `plans_from_rows` reads the sheet back, `judge_plans` judges
every plan on it from the ledger and `plan_rows_for_sheet` rebuilds the sheet.
Pure core: pandas, numpy, the standard library and the core modules only.

Conventions, decided once here:

- Money is split in whole cents (integers), so the instalments add up to the
  balance exactly. A balance or first payment with a fraction of a cent is
  rounded to the cent, halves away from zero, before splitting. Amounts are
  returned as floats rounded to two places.
- `count` is the number of instalments in all, the first payment included.
  Without a first payment every instalment is the balance divided evenly,
  rounded down to the cent, and the last one takes what is left over (so it is
  at most `count - 1` cents larger). With a first payment, instalment 1 is that
  amount and the other `count - 1` instalments split the rest the same way.
- Instalment 1 falls due on `start`; instalment k falls due k-1 weeks,
  fortnights or months later. Monthly dates are counted from `start` each time
  (never from the previous date), keeping its day of the month and clamped to
  the month's end: 31 Jan, 29 Feb (28 in a common year), 31 Mar, 30 Apr.
- Payments are applied in date order, cumulatively, to the oldest instalment
  first; payments dated after `as_of` are not counted yet, and anything paid
  beyond the plan's total is reported in `attrs["overpaid"]`. An instalment is
  covered when what it still lacks is within `tolerance`.
- An instalment's state is judged on `as_of`: "paid" when covered (even if it
  was covered late: a customer who catches up is keeping the plan again);
  "missed" when its due date plus `grace_days` has passed (strictly before
  `as_of`) and it is not covered, partly paid or not; otherwise "partly paid"
  when something went to it, "due" when its due date has come, "upcoming"
  before that.
- A plan is "closed" when every instalment is paid, "missed" when any is
  missed, "kept" when at least one instalment has fallen due and all that have
  are paid, and "active" otherwise (nothing due yet, or one due but still in
  its grace days).
- The PaymentPlans sheet has one row per instalment: Plan, Customer, Invoices
  (the invoices the plan covers, "A, B"), Instalment, Due Date, Amount,
  Currency, Paid, Status. A plan's invoices are those named on any of its rows
  (filling the first row is enough). Sheets written before the Invoices column
  existed still read. The plans may sit lower on their sheet (a title above them, a
  table at C4): they are read from their header row, and `plans_place` says where
  they are written back (Dunning's columns only, `BLOCK_WIDTH` wide, checked by
  `check_block_free`), so the rows above them and the cells beside them stay.
- What a plan has been paid is read from the ledger, not from payments: the
  ledger records no payment dates, only what is still open. So paid = the
  plan's total minus the current open balance of its invoices (in the plan's
  currency), clipped to 0..total, and applied by `adherence` as one payment on
  the run date. Consequences: a payment toward an invoice outside the plan does
  not count, an invoice issued after the plan is not in it, a credit note on a
  covered invoice counts as paid, and a covered invoice the ledger no longer
  holds counts as paid (exports of open items drop paid invoices; such names
  are listed in `unmatched` so a typo shows). A plan naming no invoices (an
  older sheet) keeps the Paid it has on the sheet (`paid_from` "sheet").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from dunning.core.aging import open_balances
from dunning.core.errors import (
    PLACE,
    DunningInputError,
    Issue,
    TablePlace,
    column_letter,
    place_of,
)
from dunning.core.ledger import DateLike, Ledger, trim_trailing_blank_rows
from dunning.core.parse import (
    AMOUNT_RANGE,
    DATE_RANGE,
    AmbiguousDatesError,
    blank_mask,
    parse_amounts,
    parse_dates,
    parse_text,
    shown_value,
)

FREQUENCIES = ("weekly", "fortnightly", "monthly")
INSTALMENT_STATUSES = ("paid", "partly paid", "missed", "due", "upcoming")
PLAN_STATUSES = ("active", "kept", "missed", "closed")
SHEET = "PaymentPlans"
MAX_INSTALMENTS = 120
"""Ten years of monthly instalments: anything longer is not a plan but a loan."""
HEADERS = ["Plan", "Customer", "Invoices", "Instalment", "Due Date", "Amount", "Currency",
           "Paid", "Status"]
BLOCK_WIDTH = len(HEADERS) + 2
"""The columns the written plans take: their headers, one empty column and the stamp."""
OPTIONAL_HEADERS = ("Invoices", "Currency", "Paid", "Status")
"""Columns a PaymentPlans sheet may lack (older sheets, or plans typed by hand)."""
PLAN_COLUMNS = ("plan", "customer", "invoices", "instalment", "due_date", "amount", "currency",
                "paid", "status")
SUMMARY_COLUMNS = ("plan", "customer", "currency", "total", "paid", "remaining", "status",
                   "missed", "next_due_date", "next_amount", "invoices", "paid_from",
                   "unmatched")

_DAYS = {"weekly": 7, "fortnightly": 14}


def schedule(
    balance: float | int | Decimal | str,
    start: DateLike,
    count: int,
    frequency: str,
    *,
    first_payment: float | int | Decimal | str | None = None,
    currency: str = "",
) -> pd.DataFrame:
    """Instalments that add up to `balance` to the cent, one row each.

    Returns columns instalment (1..count), due_date (Timestamp), amount (float,
    two places) and currency. Raises DunningInputError listing every bad
    argument: a balance not above zero, a count below one or above the balance
    in cents, a first payment not between zero and the balance (or with no
    instalment left for the rest), an unknown frequency or start date.
    """
    issues: list[Issue] = []
    balance_cents = _cents(balance, "balance", issues)
    first_cents = None if first_payment is None else _cents(first_payment, "first payment", issues)
    count_ok = _check_count(count, issues)
    period = _frequency(frequency, issues)
    start_day = _start(start, issues)
    if balance_cents is not None and balance_cents <= 0:
        issues.append(Issue("the balance must be more than zero", value=balance))
    if not issues and first_cents is not None:
        _check_first(first_cents, balance_cents, count, first_payment, issues)
    if not issues and count_ok:
        _check_split(balance_cents, first_cents, count, issues)
    if issues:
        raise DunningInputError(issues)
    cents = _split(balance_cents, count, first_cents)
    return pd.DataFrame({
        "instalment": np.arange(1, count + 1, dtype="int64"),
        "due_date": _due_dates(start_day, count, period),
        "amount": [value / 100 for value in cents],
        "currency": (currency or "").strip().upper(),
    })


def adherence(
    plan: pd.DataFrame,
    payments: pd.DataFrame,
    as_of: DateLike,
    *,
    grace_days: int = 0,
    tolerance: float = 0.005,
) -> pd.DataFrame:
    """The plan's rows with paid_amount, paid_date and status as of `as_of`.

    `plan` needs columns instalment, due_date and amount (a `schedule` frame);
    `payments` needs columns date and amount, one row per payment received for
    the plan. paid_date is the payment date from which the instalment has been
    covered (NaT when it is not); fallen_due says its due date has come.
    `attrs["overpaid"]` holds what was paid beyond the plan's total.
    """
    run_date = _required_date(as_of, "as of date")
    if grace_days < 0 or tolerance < 0:
        raise DunningInputError([Issue("grace days and tolerance cannot be negative",
                                       value=(grace_days, tolerance))])
    rows = _plan_frame(plan)
    dates, running = _payment_totals(payments, run_date)
    total_paid = float(running[-1]) if len(running) else 0.0
    amounts = rows["amount"].to_numpy(dtype=float)
    owed_through = np.cumsum(amounts)
    owed_before = owed_through - amounts
    paid = np.clip(total_paid - owed_before, 0.0, amounts).round(2)
    covered = total_paid >= owed_through - tolerance
    due = rows["due_date"].to_numpy()
    rows["paid_amount"] = paid
    rows["paid_date"] = _covered_since(dates, running, owed_through - tolerance, covered)
    rows["status"] = _statuses(covered, paid, due, run_date, grace_days)
    rows["fallen_due"] = due <= np.datetime64(run_date)
    plan_total = float(owed_through[-1]) if len(rows) else 0.0
    rows.attrs["overpaid"] = round(max(total_paid - plan_total, 0.0), 2)
    return rows


def plan_status(judged: pd.DataFrame) -> str:
    """One word for the plan, as the policy reads it, from an `adherence` frame."""
    status = judged["status"].astype(str).to_numpy()
    fallen_due = judged["fallen_due"].to_numpy(dtype=bool)
    if len(status) and (status == "paid").all():
        return "closed"
    if (status == "missed").any():
        return "missed"
    if fallen_due.any() and (status[fallen_due] == "paid").all():
        return "kept"
    return "active"


def plan_rows(plan: pd.DataFrame, customer: str, plan_id: str,
              invoices: Sequence[str] | str = ()) -> list[list[object]]:
    """Rows for the PaymentPlans sheet, the header first.

    Takes a `schedule` frame, or an `adherence` frame to fill Paid and Status
    (a bare schedule gives Paid 0 and a blank Status). `invoices` are the
    invoices the plan covers (written "A, B"; the plan is judged by their
    balance). Due dates are `datetime.date`; texts are returned as given, and
    the writer must store them as text so that none can become a formula.
    """
    rows = _plan_frame(plan)
    plan = plan.sort_values(["due_date", "instalment"], kind="stable").reset_index(drop=True)
    paid = plan["paid_amount"] if "paid_amount" in plan else pd.Series(0.0, index=plan.index)
    status = plan["status"] if "status" in plan else pd.Series("", index=plan.index)
    currency = plan["currency"] if "currency" in plan else pd.Series("", index=plan.index)
    covered = _invoices_text(invoices)
    body = [
        [str(plan_id), str(customer), covered, int(number), due.date(), round(float(amount), 2),
         _text(code), round(float(paid_amount), 2), _text(state)]
        for number, due, amount, code, paid_amount, state in zip(
            rows["instalment"], rows["due_date"], rows["amount"], currency, paid, status,
            strict=True)
    ]
    return [list(HEADERS), *body]


def plans_from_rows(rows: Sequence[Sequence[object]], sheet: str = SHEET, *,
                    header_row: int = 1) -> pd.DataFrame:
    """The PaymentPlans sheet's values as a frame with `PLAN_COLUMNS` and the sheet `row`.

    `rows` are the sheet's values with the header row first, as calamine or
    xlwings give them (dates as dates, serial numbers or text; blanks as None or
    ""). Blank rows are skipped. The header is the first row holding a Plan header, so a
    sheet's rows from A1 whose plans are a table lower down (at C4, below a title, say) are
    read from it, at sheet row `header_row` plus the rows above it (the rows' cells count
    from column A, so the letters are the sheet's); without one it is the first row. Raises
    DunningInputError with one issue per missing header or bad cell, naming the sheet, row
    and column. The frame's `attrs` carry where the plans sit (`plans_place`), so the sheet
    is written back there.
    """
    rows = trim_trailing_blank_rows([list(_cells(row)) for row in rows])
    above = next((index for index, row in enumerate(rows)
                  if any(_text(cell).strip().lower() == "plan" for cell in row)), 0)
    rows = rows[above:]
    if not rows:
        return _empty_plans()
    reader = _SheetReader(rows, sheet, header_row + above)
    frame = reader.read()
    if reader.issues:
        raise DunningInputError(reader.issues)
    frame.attrs[PLACE] = TablePlace(sheet, header_row + above, 1 + min(reader.where.values()))
    return frame


def plans_place(plans: pd.DataFrame | None) -> tuple[int, int] | None:
    """The sheet cell (row, column, from 1) of the plans' first header, where the sheet is
    written back, or None for a sheet laid out from A1 (or none yet), which is rewritten
    whole as before: a title above the plans, notes beside them and a table lower down
    keep their place."""
    place = place_of(plans, SHEET)
    corner = (place.header_row, place.first_column or 1)
    return None if corner == (1, 1) else corner


def check_block_free(rows: Sequence[Sequence[object]], at: tuple[int, int],
                     sheet: str = SHEET) -> None:
    """Refuse to write plans from `at` over the user's own cells.

    A block written lower on the sheet takes `BLOCK_WIDTH` columns from `at` (the plans,
    one empty column, the stamp beside the headers) from its header row down. `rows` are
    the sheet's values from A1. A cell there that is not under one of the plans' headers
    (a column of the user's beside Status, a note under the empty column) would be lost,
    so each is named; the stamp's own cell is Dunning's.
    """
    top, left = at[0] - 1, at[1] - 1
    span = range(left, left + BLOCK_WIDTH)
    header = list(_cells(rows[top])) if top < len(rows) else []
    names = {name.lower() for name in HEADERS}
    plan_columns = {index for index in span
                    if index < len(header) and _text(header[index]).strip().lower() in names}
    issues = []
    for number, row in enumerate(rows[top:], start=top + 1):
        cells = list(_cells(row))
        for index in span:
            if index in plan_columns or index >= len(cells) or not _text(cells[index]).strip():
                continue
            if number == top + 1 and index == left + BLOCK_WIDTH - 1:
                continue  # the stamp
            issues.append(Issue(
                f"this cell is in the columns the payment plans are written to "
                f"({column_letter(left)} to {column_letter(left + BLOCK_WIDTH - 1)}, from row "
                f"{top + 1} down) but under none of their headers: move it beside them, or "
                "it would be lost", sheet=sheet, row=number, column_letter=column_letter(index),
                value=cells[index]))
    if issues:
        raise DunningInputError(issues[:50])


def judge_plans(
    plans: pd.DataFrame,
    ledger: pd.DataFrame | Ledger,
    as_of: DateLike,
    *,
    grace_days: int = 0,
    tolerance: float = 0.005,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every plan judged on `as_of` from its invoices' open balance in the ledger.

    `plans` is a `plans_from_rows` frame. Returns (instalments, summary):
    instalments are the input rows in plan and instalment order with paid and
    status filled in (`INSTALMENT_STATUSES`); summary has one row per plan with
    `SUMMARY_COLUMNS`: status is `plan_status`'s word (so the frame can be given
    to `dunning.core.policy.decide` as its `plans`), missed counts missed instalments,
    next_due_date and next_amount are the first instalment not yet covered and
    what it still lacks (NaT and 0 when none). See the module docstring.
    """
    day = _required_date(as_of, "as of date")
    if plans is None or plans.empty:
        return _empty_plans(), _empty_summary()
    frame = ledger.frame if isinstance(ledger, Ledger) else ledger
    balances = _InvoiceBalances(frame, day)
    ordered = plans.sort_values(["plan", "instalment"], kind="stable")
    judged_rows, summaries = [], []
    for plan_id, rows in ordered.groupby("plan", sort=False):
        judged, summary = _judge_plan(str(plan_id), rows, balances, day, grace_days, tolerance)
        judged_rows.append(judged)
        summaries.append(summary)
    instalments = pd.concat(judged_rows).reset_index(drop=True)
    summary = pd.DataFrame.from_records(summaries, columns=list(SUMMARY_COLUMNS))
    summary["next_due_date"] = pd.to_datetime(summary["next_due_date"]).astype("datetime64[ns]")
    summary["missed"] = summary["missed"].astype("int64")
    return instalments, summary


def new_plan_id(customer: str, start: DateLike, existing_ids: Sequence[str] = ()) -> str:
    """A plan id not yet taken: PP-<customer>-<YYYYMMDD>, then -2, -3 and so on.

    Ids are compared without regard to case or surrounding spaces, as people
    retype them; spaces inside the customer id become hyphens.
    """
    day = _required_date(start, "plan start")
    who = re.sub(r"\s+", "-", str(customer).strip()) or "customer"
    base = f"PP-{who}-{day:%Y%m%d}"
    taken = {str(identifier).strip().lower() for identifier in existing_ids}
    candidate, suffix = base, 1
    while candidate.lower() in taken:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def plan_rows_for_sheet(existing: pd.DataFrame | None,
                        new: Sequence[Sequence[object]] = ()) -> list[list[object]]:
    """The whole PaymentPlans sheet, header first: the existing plans' rows, then the new ones.

    `existing` is a `plans_from_rows` frame or `judge_plans`' instalments (so the
    sheet carries today's Paid and Status); `new` holds rows as `plan_rows` gives
    them, for one or more plans (header rows among them are dropped). A new plan
    whose id is already on the sheet is refused. Texts are returned as given.
    """
    body = [] if existing is None or existing.empty else _sheet_body(existing)
    added = [list(row) for row in new if list(row) != HEADERS]
    taken = {str(row[0]).strip().lower() for row in body}
    clashes = sorted({str(row[0]) for row in added if str(row[0]).strip().lower() in taken})
    if clashes:
        raise DunningInputError([Issue(
            f"the {SHEET} sheet already has a plan {plan!r}: choose another id (new_plan_id)",
            sheet=SHEET, column="Plan", value=plan) for plan in clashes])
    return [list(HEADERS), *body, *added]


def _sheet_body(plans: pd.DataFrame) -> list[list[object]]:
    paid = plans["paid"] if "paid" in plans else pd.Series(0.0, index=plans.index)
    status = plans["status"] if "status" in plans else pd.Series("", index=plans.index)
    return [
        [_text(plan), _text(customer), _invoices_text(invoices), int(number),
         pd.Timestamp(due).date(), round(float(amount), 2), _text(code),
         round(float(0.0 if pd.isna(paid_amount) else paid_amount), 2), _text(state)]
        for plan, customer, invoices, number, due, amount, code, paid_amount, state in zip(
            plans["plan"], plans["customer"], plans["invoices"], plans["instalment"],
            plans["due_date"], plans["amount"], plans["currency"], paid, status, strict=True)
    ]


def _invoices_text(invoices: Sequence[str] | str | None) -> str:
    """Invoices as the sheet holds them: "A, B"."""
    if invoices is None or (isinstance(invoices, float) and invoices != invoices):
        return ""
    names = _invoice_names(invoices) if isinstance(invoices, str) else [
        str(name).strip() for name in invoices if str(name).strip()]
    return ", ".join(names)


def _invoice_names(text: object) -> tuple[str, ...]:
    names = (name.strip() for name in re.split(r"[,;]", _text(text)))
    return tuple(dict.fromkeys(name for name in names if name))


def _cells(row: object) -> Sequence[object]:
    return row if isinstance(row, (list, tuple)) else (row,)


class _SheetReader:
    """Reads the PaymentPlans sheet's values, collecting an issue per bad cell."""

    def __init__(self, rows: list[list[object]], sheet: str, header_row: int) -> None:
        self.sheet = sheet
        self.header_row = header_row
        self.issues: list[Issue] = []
        headers = [_text(value).strip().lower() for value in rows[0]]
        self.where = {name: headers.index(name.lower()) for name in HEADERS
                      if name.lower() in headers}
        width = len(headers)
        self.body = [(row + [None] * width)[:width] for row in rows[1:]]
        self.numbers = np.arange(header_row + 1, header_row + 1 + len(self.body))

    def read(self) -> pd.DataFrame:
        missing = [name for name in HEADERS
                   if name not in self.where and name not in OPTIONAL_HEADERS]
        if missing:
            self.issues.append(Issue(
                f"the {self.sheet} sheet lacks the columns {', '.join(missing)}",
                sheet=self.sheet, row=self.header_row))
            return _empty_plans()
        values = {name: self._values(name) for name in HEADERS}
        blank = np.logical_and.reduce([blank_mask(column) for column in values.values()])
        keep = ~blank
        values = {name: column[keep] for name, column in values.items()}
        self.numbers = self.numbers[keep]
        frame = pd.DataFrame({
            "plan": self._required_text(values, "Plan"),
            "customer": self._required_text(values, "Customer"),
            "invoices": [_invoice_names(text) for text in parse_text(values["Invoices"]).values],
            "instalment": self._instalments(values["Instalment"]),
            "due_date": self._dates(values["Due Date"]),
            "amount": self._amounts(values["Amount"], "Amount", required=True),
            "currency": pd.Series(parse_text(values["Currency"]).values, dtype=object)
            .str.upper().to_numpy(dtype=object),
            "paid": self._amounts(values["Paid"], "Paid", required=False),
            "status": pd.Series(parse_text(values["Status"]).values, dtype=object)
            .str.lower().to_numpy(dtype=object),
            "row": self.numbers.astype("int64"),
        })
        self._check_plans(frame)
        return frame.reset_index(drop=True)

    def _values(self, header: str) -> np.ndarray:
        array = np.empty(len(self.body), dtype=object)
        index = self.where.get(header)
        array[:] = [row[index] if index is not None else None for row in self.body]
        return array

    def _issue(self, position: int, header: str, message: str, value: object) -> None:
        index = self.where.get(header)
        self.issues.append(Issue(
            message, sheet=self.sheet, row=int(self.numbers[position]), column=header,
            column_letter=None if index is None else column_letter(index), value=value))

    def _required_text(self, values: dict[str, np.ndarray], header: str) -> np.ndarray:
        parsed = parse_text(values[header])
        for position in np.flatnonzero(parsed.blank):
            self._issue(position, header, f"every instalment row needs its {header.lower()}",
                        values[header][position])
        return parsed.values

    def _instalments(self, values: np.ndarray) -> np.ndarray:
        parsed = parse_amounts(values)
        numbers = parsed.values
        whole = np.isfinite(numbers) & (np.mod(np.nan_to_num(numbers), 1) == 0) & (numbers >= 1)
        for position in np.flatnonzero(~whole):
            self._issue(position, "Instalment", "expected an instalment number: 1, 2, 3 ...",
                        values[position])
        return np.where(whole, numbers, 0).astype("int64")

    def _dates(self, values: np.ndarray) -> np.ndarray:
        try:
            parsed = parse_dates(values)
        except AmbiguousDatesError as error:
            self.issues.append(Issue(str(error), sheet=self.sheet, row=self.header_row,
                                     column="Due Date"))
            return np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
        far = parsed.out_of_range
        for position in np.flatnonzero(parsed.blank | parsed.bad):
            self._issue(position, "Due Date", f"expected a date from {DATE_RANGE}"
                        if far is not None and far[position] else "expected a date (a date "
                        "cell, an Excel serial number, or text such as 2024-03-31)",
                        shown_value(values[position]))
        return parsed.values

    def _amounts(self, values: np.ndarray, header: str, *, required: bool) -> np.ndarray:
        parsed = parse_amounts(values)
        amounts = parsed.values
        lowest, word = (0.01, "more than zero") if required else (0.0, "zero or more")
        wrong = parsed.bad | (required & parsed.blank) | (~parsed.blank & ~parsed.bad & (
            np.round(np.nan_to_num(amounts), 2) < lowest))
        far = parsed.out_of_range
        for position in np.flatnonzero(wrong):
            self._issue(position, header, f"expected an amount {AMOUNT_RANGE}"
                        if far is not None and far[position]
                        else f"expected an amount {word}, such as 125.00",
                        shown_value(values[position]))
        return np.where(parsed.blank, 0.0, np.nan_to_num(amounts)).round(2)

    def _check_plans(self, frame: pd.DataFrame) -> None:
        """One customer and one currency per plan, each instalment number once.

        A blank Currency takes the plan's (hand-typed plans often fill it once).
        """
        repeated = frame.duplicated(["plan", "instalment"]) & (frame["instalment"] > 0)
        for position in np.flatnonzero(repeated.to_numpy()):
            self._issue(position, "Instalment", f"plan {frame['plan'].iloc[position]!r} "
                        "already has this instalment", frame["instalment"].iloc[position])
        named = frame["currency"].where(frame["currency"] != "")
        frame["currency"] = named.groupby(frame["plan"]).transform("first").fillna("")
        for header, name, values in (("Customer", "customer", frame["customer"]),
                                     ("Currency", "currency", named)):
            first = frame.groupby("plan", sort=False)[name].transform("first")
            differs = values.notna() & (values != first)
            for position in np.flatnonzero(differs.to_numpy()):
                self._issue(position, header, f"plan {frame['plan'].iloc[position]!r} has "
                            f"{header.lower()} {first.iloc[position]!r} on its first row",
                            values.iloc[position])


class _InvoiceBalances:
    """Open balances on the run date, by customer and invoice."""

    def __init__(self, frame: pd.DataFrame, day: pd.Timestamp) -> None:
        balance, _ = open_balances(frame, day)
        self.items = pd.DataFrame({
            "customer": frame["customer"].astype(str).str.strip().to_numpy(dtype=object),
            "invoice": frame["invoice"].astype(str).str.strip().to_numpy(dtype=object),
            "currency": frame["currency"].fillna("").astype(str).to_numpy(dtype=object),
            "balance": balance,
        })
        self.by_customer = self.items.groupby("customer", sort=False).indices

    def covered(self, customer: str, invoices: Sequence[str],
                currency: str) -> tuple[float, list[str]]:
        """The open balance of these invoices of the customer, and the names not found."""
        positions = self.by_customer.get(customer, np.array([], dtype="int64"))
        items = self.items.iloc[positions]
        items = items[items["invoice"].isin(list(invoices))]
        unmatched = [name for name in invoices if name not in set(items["invoice"])]
        if currency:
            items = items[items["currency"].isin([currency, ""])]
        return round(float(items["balance"].sum()), 2), unmatched


def _judge_plan(plan_id: str, rows: pd.DataFrame, balances: _InvoiceBalances,
                day: pd.Timestamp, grace_days: int,
                tolerance: float) -> tuple[pd.DataFrame, dict[str, object]]:
    rows = rows.sort_values("instalment", kind="stable")
    customer = _text(rows["customer"].iloc[0])
    currency = _text(rows["currency"].iloc[0]) if "currency" in rows else ""
    invoices = list(dict.fromkeys(name for names in rows["invoices"] for name in names))
    total = round(float(rows["amount"].sum()), 2)
    if invoices:
        open_now, unmatched = balances.covered(customer, invoices, currency)
        paid = round(min(max(total - open_now, 0.0), total), 2)
        source = "ledger"
    else:
        recorded = pd.to_numeric(rows["paid"], errors="coerce") if "paid" in rows else None
        paid = 0.0 if recorded is None else round(float(recorded.fillna(0).sum()), 2)
        unmatched, source = [], "sheet"
    received = pd.DataFrame({"date": [day], "amount": [paid]}) if paid > 0 else None
    judged = adherence(rows[["instalment", "due_date", "amount"]], received, day,
                       grace_days=grace_days, tolerance=tolerance)
    by_number = judged.set_index("instalment")
    out = rows.assign(paid=by_number["paid_amount"].reindex(rows["instalment"]).to_numpy(),
                      status=by_number["status"].reindex(rows["instalment"]).to_numpy())
    uncovered = judged[judged["status"] != "paid"]
    next_due = uncovered["due_date"].iloc[0] if len(uncovered) else pd.NaT
    next_amount = (round(float(uncovered["amount"].iloc[0] - uncovered["paid_amount"].iloc[0]),
                         2) if len(uncovered) else 0.0)
    summary = {
        "plan": plan_id, "customer": customer, "currency": currency, "total": total,
        "paid": paid, "remaining": round(total - paid, 2), "status": plan_status(judged),
        "missed": int((judged["status"] == "missed").sum()), "next_due_date": next_due,
        "next_amount": next_amount, "invoices": ", ".join(invoices), "paid_from": source,
        "unmatched": ", ".join(unmatched),
    }
    return out, summary


def _empty_plans() -> pd.DataFrame:
    kinds = {"instalment": "int64", "due_date": "datetime64[ns]", "amount": float,
             "paid": float, "row": "int64"}
    return pd.DataFrame({name: pd.Series(dtype=kinds.get(name, object))
                         for name in (*PLAN_COLUMNS, "row")})


def _empty_summary() -> pd.DataFrame:
    kinds = {"total": float, "paid": float, "remaining": float, "missed": "int64",
             "next_due_date": "datetime64[ns]", "next_amount": float}
    return pd.DataFrame({name: pd.Series(dtype=kinds.get(name, object))
                         for name in SUMMARY_COLUMNS})


def _text(value: object) -> str:
    return "" if value is None or pd.api.types.is_scalar(value) and pd.isna(value) else str(value)


def _cents(value: object, name: str, issues: list[Issue]) -> int | None:
    if isinstance(value, bool):
        issues.append(Issue(f"the {name} must be an amount of money", value=value))
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if not amount.is_finite():
        issues.append(Issue(f"the {name} must be an amount of money", value=value))
        return None
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check_count(count: object, issues: list[Issue]) -> bool:
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        issues.append(Issue("the number of instalments must be a whole number", value=count))
        return False
    if count < 1:
        issues.append(Issue("the number of instalments must be at least 1", value=count))
        return False
    if count > MAX_INSTALMENTS:
        issues.append(Issue(f"a plan has at most {MAX_INSTALMENTS} instalments", value=count))
        return False
    return True


def _frequency(frequency: object, issues: list[Issue]) -> str | None:
    name = str(frequency).strip().lower()
    if name not in FREQUENCIES:
        issues.append(Issue(f"the frequency must be one of {', '.join(FREQUENCIES)}",
                            value=frequency))
        return None
    return name


def _start(start: object, issues: list[Issue]) -> pd.Timestamp | None:
    try:
        day = pd.Timestamp(start)
    except (TypeError, ValueError):
        day = pd.NaT
    if pd.isna(day):
        issues.append(Issue("the start must be a date", value=start))
        return None
    return day.normalize().tz_localize(None) if day.tzinfo else day.normalize()


def _check_first(first: int, balance: int, count: int, given: object,
                 issues: list[Issue]) -> None:
    if first <= 0:
        issues.append(Issue("the first payment must be more than zero", value=given))
    elif first >= balance:
        issues.append(Issue(
            f"the first payment must be less than the balance ({balance / 100:.2f}); "
            "to take it all at once, use one instalment", value=given))
    elif count < 2:
        issues.append(Issue("with a first payment the plan needs at least 2 instalments",
                            value=count))


def _check_split(balance: int, first: int | None, count: int, issues: list[Issue]) -> None:
    rest, even = (balance, count) if first is None else (balance - first, count - 1)
    if rest < even:
        issues.append(Issue(
            f"{rest / 100:.2f} cannot be split into {even} instalments of at least one cent",
            value=count))


def _split(balance: int, count: int, first: int | None) -> list[int]:
    """Even cents, the rounding difference on the last instalment."""
    head = [] if first is None else [first]
    rest = balance - (first or 0)
    even = count - len(head)
    each = rest // even
    return [*head, *([each] * (even - 1)), rest - each * (even - 1)]


def _due_dates(start: pd.Timestamp, count: int, period: str) -> pd.DatetimeIndex:
    if period == "monthly":
        days = [start + pd.DateOffset(months=step) for step in range(count)]
    else:
        days = [start + pd.Timedelta(days=_DAYS[period] * step) for step in range(count)]
    return pd.DatetimeIndex(days).as_unit("ns")


def _required_date(value: object, name: str) -> pd.Timestamp:
    issues: list[Issue] = []
    day = _start(value, issues)
    if day is None:
        raise DunningInputError([Issue(f"the {name} must be a date", value=value)])
    return day


def _plan_frame(plan: pd.DataFrame) -> pd.DataFrame:
    missing = [name for name in ("instalment", "due_date", "amount") if name not in plan]
    if missing:
        raise DunningInputError([Issue(
            f"the plan needs columns instalment, due_date and amount; missing {', '.join(missing)}",
            sheet=SHEET)])
    rows = plan.sort_values(["due_date", "instalment"], kind="stable").reset_index(drop=True)
    due = pd.to_datetime(rows["due_date"], errors="coerce")
    amount = pd.to_numeric(rows["amount"], errors="coerce")
    issues = [Issue("an instalment needs a due date and an amount", sheet=SHEET,
                    row=int(number), value=(rows["due_date"][i], rows["amount"][i]))
              for i, number in enumerate(rows["instalment"])
              if pd.isna(due[i]) or pd.isna(amount[i])]
    if issues:
        raise DunningInputError(issues)
    judged = [c for c in ("paid_amount", "paid_date", "status", "fallen_due") if c in rows]
    out = rows.drop(columns=judged)
    out["due_date"] = due.dt.normalize()
    out["amount"] = amount.astype(float)
    return out


def _payment_totals(payments: pd.DataFrame, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Payment dates up to `as_of`, in order, and the running total paid after each."""
    if payments is None or payments.empty:
        return np.array([], dtype="datetime64[ns]"), np.array([], dtype=float)
    missing = [name for name in ("date", "amount") if name not in payments]
    if missing:
        raise DunningInputError([Issue(
            f"payments need columns date and amount; missing {', '.join(missing)}")])
    dates = pd.to_datetime(payments["date"], errors="coerce").dt.normalize()
    amounts = pd.to_numeric(payments["amount"], errors="coerce")
    bad = dates.isna() | amounts.isna()
    if bad.any():
        raise DunningInputError([
            Issue("a payment needs a date and an amount", row=int(position) + 1,
                  value=(payments["date"].iloc[position], payments["amount"].iloc[position]))
            for position in np.flatnonzero(bad.to_numpy())])
    frame = pd.DataFrame({"date": dates.to_numpy(), "amount": amounts.to_numpy(dtype=float)})
    frame = frame[frame["date"] <= as_of].sort_values("date", kind="stable")
    return frame["date"].to_numpy(dtype="datetime64[ns]"), frame["amount"].cumsum().to_numpy()


def _covered_since(dates: np.ndarray, running: np.ndarray, needed: np.ndarray,
                   covered: np.ndarray) -> pd.Series:
    """The payment date from which the running total never fell below what was needed."""
    if not len(running):
        return pd.Series(pd.NaT, index=range(len(needed)), dtype="datetime64[ns]")
    lowest_after = np.minimum.accumulate(running[::-1])[::-1]
    first = np.searchsorted(lowest_after, needed, side="left")
    first = np.minimum(first, len(dates) - 1)
    since = np.where(covered, dates[first], np.datetime64("NaT"))
    return pd.Series(since, dtype="datetime64[ns]")


def _statuses(covered: np.ndarray, paid: np.ndarray, due: np.ndarray, as_of: pd.Timestamp,
              grace_days: int) -> np.ndarray:
    due = pd.DatetimeIndex(due)
    has_come = (due <= as_of)
    lapsed = (due + pd.Timedelta(days=grace_days)) < as_of
    return np.select(
        [covered, lapsed, paid > 0, has_come],
        ["paid", "missed", "partly paid", "due"],
        default="upcoming",
    ).astype(object)
