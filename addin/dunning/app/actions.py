"""Actions on a client's workbook: what a ribbon button or a command does.

Each action takes a workbook (`dunning.io.workbook.Workbook`: a file, or the book
open in Excel) and what the user chose, reads what it needs, decides in the
core, writes its sheets and rows, and says in plain words what it changed. On a
file every write of an action lands in one atomic save, or none does.

The ribbon's buttons (`dunning.excel.ribbon`) and the command line (`dunning.cli`)
call these same functions. The reminder run (preview and send) is `dunning.app.remind`,
which both hosts call too; there is no second one here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from dunning.app.charts import report_charts
from dunning.app.remind import RunInputs, plan_summary, read_plans, read_run_inputs, run_date
from dunning.core.aging import open_balances
from dunning.core.amounts import money
from dunning.core.contactlog import (
    CONTACT_LOG_TABLE,
    OPTIONAL_HEADERS,
    RUN_ONLY_OUTCOMES,
    Contact,
    contact_log_frame,
    log_row,
    log_time,
    outcome_code,
)
from dunning.core.disputes import dispute_register
from dunning.core.errors import DunningInputError, Issue
from dunning.core.kpi_history import HISTORY_HEADERS, history_records, merge_history
from dunning.core.plans import SHEET as PLANS_SHEET
from dunning.core.plans import (
    check_block_free,
    judge_plans,
    new_plan_id,
    plan_rows,
    plan_rows_for_sheet,
    plans_place,
    schedule,
)
from dunning.core.policy import Stage, decide, policy_from_settings
from dunning.core.promises import invoice_names
from dunning.core.worklist import PART_HEADERS, build_worklist, worklist_rows
from dunning.core.worklist import SHEET as WORKLIST_SHEET
from dunning.io.book import open_book
from dunning.io.reading import read_table_frame
from dunning.io.workbook import Workbook, opened
from dunning.render.report_sheets import (
    CHARTS_SHEET,
    HISTORY_SHEET,
    aging_sheet,
    chart_currency,
    charts_sheet,
    history_sheet,
    kpi_sheet,
)
from dunning.render.sheet_layout import SheetLayout, list_layout, made_line
from dunning.sheets.customers import CUSTOMERS_TABLE, customers_frame

AGING_SHEET = "Aging"
KPI_SHEET = "KPIs"
PLAN_KINDS = {"Instalment": "count", "Due Date": "date", "Amount": "money", "Paid": "money"}
WORKLIST_KINDS = {"Rank": "count", "Score": "points", "Open Balance": "money",
                  "Oldest Days Past Due": "count",
                  **dict.fromkeys(PART_HEADERS.values(), "points")}


@dataclass(frozen=True)
class ActionResult:
    """What an action did, for a message box or the terminal."""

    title: str
    message: str
    sheets: tuple[str, ...] = ()
    data: object = None
    warnings: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class Today:
    """Everything the collector's actions decide from, read once from the workbook."""

    inputs: RunInputs
    as_of: dt.date
    plan_summary: pd.DataFrame
    disputes: pd.DataFrame


# ------------------------------------------------------------------ refresh


def refresh(source: str | Path | Workbook, *, as_of: dt.date | None = None,
            today: dt.date | None = None, now: dt.datetime | None = None) -> ActionResult:
    """Recompute the Aging, KPIs and Charts sheets, the KPI history and the payment plans.

    The as-of date is `as_of`, else the Settings' As Of Date, else `today` (else the
    day of `now`). Each sheet says which day it shows and when it was made (`now`,
    the moment the caller passes; nothing here reads the clock). The KPIHistory
    table gets one row per currency for the as-of date, replacing the one an
    earlier refresh of the same day wrote; the Charts sheet draws the aging, the
    largest overdue balances and the DSO and CEI history of one currency (the
    Settings' Currency, else the largest).
    """
    with opened(source) as workbook:
        book = open_book(workbook, as_of=as_of, today=today or (now.date() if now else None),
                         all_currencies=True)
        if book.as_of is None:
            raise DunningInputError([Issue(
                "the Settings give no As Of Date: say which day to refresh for (--as-of)")])
        settings, day = book.settings, book.as_of
        stamp = made_line(day, now) if now is not None else f"Dunning, as of {day:%Y-%m-%d}"
        plans = read_plans(workbook)
        edges, basis = settings.bucket_edges, settings.aging_basis
        aging = aging_sheet(book.frame, day, stamp, edges=edges, basis=basis)
        workbook.replace_sheet(AGING_SHEET, aging.rows, layout=aging)
        kpis = kpi_sheet(book.frame, day, stamp)
        workbook.replace_sheet(KPI_SHEET, kpis.rows, layout=kpis)
        history = merge_history(recorded_history(workbook), history_records(book.frame, day))
        layout = history_sheet(history, stamp)
        workbook.replace_sheet(HISTORY_SHEET, layout.rows, layout=layout, table=HISTORY_SHEET)
        currency = chart_currency(book.frame, getattr(settings, "currency", ""))
        data = charts_sheet(book.frame, day, currency, stamp, edges=edges, basis=basis)
        workbook.replace_sheet(CHARTS_SHEET, data.rows, layout=data)
        workbook.set_charts(CHARTS_SHEET, report_charts(data.rows, history, currency))
        sheets = [AGING_SHEET, KPI_SHEET, HISTORY_SHEET, CHARTS_SHEET]
        if not plans.empty:
            instalments, _ = judge_plans(plans, book.frame, day)
            write_plans(workbook, plan_rows_for_sheet(instalments), stamp, plans)
            sheets.append(PLANS_SHEET)
        workbook.save()
    return ActionResult("Refreshed", f"Aging and KPIs as of {day:%Y-%m-%d} written to "
                        f"the {', '.join(sheets)} sheet(s).", tuple(sheets))


def recorded_history(workbook: Workbook) -> list[list[object]]:
    """The KPI history recorded so far: the KPIHistory table's rows, else (a sheet without
    its table: an open book refreshed before the ribbon kept the table) the sheet's rows
    under its headers."""
    found = workbook.table(HISTORY_SHEET)
    if found is not None:
        return found.rows
    if HISTORY_SHEET not in workbook.sheet_names():
        return []
    return [row[: len(HISTORY_HEADERS)] for row in workbook.sheet_rows(HISTORY_SHEET)[1:]]


def write_plans(workbook: Workbook, rows: list[list[object]], stamp: str,
                read: pd.DataFrame) -> None:
    """Queue the PaymentPlans sheet's rows (header first) where the plans were `read`.

    On a sheet Dunning laid out (or a new one) the sheet is rewritten whole from A1, as
    ever; plans the user put lower down or further right (a title above them, notes beside)
    are written from their header cell, keeping the rows above and the cells beside them,
    after checking that no cell of the user's would be lost (`check_block_free`).
    """
    at = plans_place(read)
    if at is not None:
        check_block_free(workbook.sheet_rows(PLANS_SHEET), at)
    layout = _plans_layout(rows, stamp)
    workbook.replace_sheet(PLANS_SHEET, layout.rows, layout=layout, at=at)


def _plans_layout(rows: list[list[object]], stamp: str) -> SheetLayout:
    """The PaymentPlans block laid out as a list (its headers in its first row: the sheet is
    read back)."""
    return list_layout(rows, [PLAN_KINDS.get(str(h)) for h in rows[0]], stamp)


# ----------------------------------------------------------------- worklist


def read_today(workbook: Workbook, now: dt.datetime, *,
               as_of: dt.date | None = None) -> Today:
    """The run inputs, the payment plans and disputes, as of the run date."""
    inputs = read_run_inputs(workbook, as_of=as_of, preview=True)
    zone = inputs.policy.default_time_zone
    day = run_date(inputs, now)
    return Today(
        inputs=inputs, as_of=day, plan_summary=plan_summary(inputs, now),
        disputes=dispute_register(inputs.log, inputs.ledger, day, time_zone=zone))


def worklist(source: str | Path | Workbook, *, now: dt.datetime,
             as_of: dt.date | None = None, write: bool = True) -> ActionResult:
    """Today's prioritised list of customers to call, written to the Worklist sheet."""
    with opened(source) as workbook:
        today = read_today(workbook, now, as_of=as_of)
        inputs = today.inputs
        decisions = decide(inputs.ledger, inputs.customers, inputs.log, inputs.policy, now,
                           today.plan_summary, as_of=today.as_of, refused=inputs.refused)
        ranked = build_worklist(decisions, disputes=today.disputes,
                                plans=today.plan_summary, risk=_risk(inputs.ledger, today.as_of))
        if write:
            rows = worklist_rows(ranked)
            layout = list_layout(rows, [WORKLIST_KINDS.get(str(h)) for h in rows[0]],
                                 made_line(today.as_of, now))
            workbook.replace_sheet(WORKLIST_SHEET, layout.rows, layout=layout)
            workbook.save()
    held = int(ranked["held"].sum()) if not ranked.empty else 0
    return ActionResult("Worklist", f"{len(ranked)} customer(s) on today's worklist "
                        f"({held} on hold), written to the {WORKLIST_SHEET} sheet.",
                        (WORKLIST_SHEET,), ranked, inputs.issues)


def _risk(ledger: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The late-payment risk of each open item.

    Imported here, not at the top: scikit-learn takes a second to load, and only
    the worklist needs it.
    """
    from dunning.core import risk

    return risk.score(ledger, as_of)


# ----------------------------------------------------------------- contacts


def log_contact(source: str | Path | Workbook, contact: Contact) -> ActionResult:
    """Append one contact (a call, a promise to pay, a dispute) to the workbook's ContactLog.

    The customer may be given by id or name, in any case, and must be one the
    workbook knows; invoice numbers must be that customer's. So a typo cannot
    start a log of a customer or a dispute of an invoice that does not exist.
    What only the reminder run records is refused, and a reminder sent or a file
    handed off by hand needs its stage (`_by_hand`). A payment plan agreed must be in
    the PaymentPlans sheet already (`_check_planned`). The open balance the contact is
    about is recorded with it.
    """
    with opened(source) as workbook:
        day = contact.timestamp.date()
        book = open_book(workbook, as_of=day, all_currencies=True)
        customers = customers_frame(read_table_frame(workbook, CUSTOMERS_TABLE))
        customer = resolve_customer(contact.customer, book.frame, customers)
        check_invoices(book.frame, customer, contact.invoices)
        balance = covered_balance(book.frame, customer, contact.invoices, day)
        contact = _by_hand(workbook, contact)
        outcome = contact.outcome
        if outcome == "promised to pay":
            _check_promise(customer, contact, balance)
        if outcome == "payment plan agreed":
            _check_planned(customer, contact.invoices, read_plans(workbook), book.frame, day)
        if outcome == "dispute resolved":
            log = contact_log_frame(read_table_frame(workbook, CONTACT_LOG_TABLE))
            _check_disputed(customer, contact.invoices, dispute_register(log, book.frame, day))
        row = log_row(replace(contact, customer=customer, open_balance=balance))
        append_to_log(workbook, [row])
        workbook.save()
    return ActionResult("Log contact", f"Logged '{row['Outcome']}' for {customer} in the "
                        f"{CONTACT_LOG_TABLE}.", (CONTACT_LOG_TABLE,), row)


def _by_hand(workbook: Workbook, contact: Contact) -> Contact:
    """The contact as a person logs it: its outcome's code, and the stage it reached.

    The run's own outcomes are refused (`RUN_ONLY_OUTCOMES`: typed in, a "failed" or a
    "promise broken" would record an event that did not happen). A reminder "sent" by hand
    is the outcome "reminder sent" (the run's "sent" rows are its own sends, each with its
    Message-ID), and it needs its stage, which the reminders climb on from. A file passed to
    an agency or a lawyer by hand ("handed off", as the run logs its hand-off tasks) needs
    its stage too, one whose action is task, so that the reminders stop there.
    """
    outcome = hand_outcome(contact.outcome)
    if outcome not in ("reminder sent", "handed off"):
        return replace(contact, outcome=outcome, channel=contact.channel or "phone")
    stages = contact_stages(workbook)
    tasks = ", ".join(known.name for known in stages if known.action == "task") or "none"
    if outcome == "reminder sent" and not contact.stage.strip():
        raise DunningInputError([Issue(
            "--stage: a reminder sent by hand needs its stage, so that the reminders climb on "
            "from it")])
    if outcome == "handed off" and not contact.stage.strip():
        raise DunningInputError([Issue(
            f"--stage: a hand-off needs the stage it was made at, one whose action is task "
            f"(here: {tasks})")])
    stage = _known_stage(stages, contact.stage)
    if outcome == "handed off" and stage.action != "task":
        raise DunningInputError([Issue(
            f"--stage: a hand-off is made at a stage whose action is task (here: {tasks}), "
            f"not at {stage.name!r}; a reminder sent by hand is 'reminder sent'")])
    if outcome == "reminder sent" and stage.action == "task":
        sent = ", ".join(known.name for known in stages if known.action != "task") or "none"
        raise DunningInputError([Issue(
            f"--stage: a reminder is sent at a stage that sends one (here: {sent}), not at "
            f"{stage.name!r}, whose action is task; a file passed on by hand is 'handed off'")])
    channel = contact.channel or ("phone" if outcome == "handed off" else stage.action)
    return replace(contact, outcome=outcome, stage=stage.name, channel=channel)


def hand_outcome(text: str) -> str:
    """The outcome code for what a person typed, as logged by hand: the run's own outcomes
    refused (`RUN_ONLY_OUTCOMES`), "sent" taken as "reminder sent"."""
    outcome = outcome_code(text)
    if outcome in RUN_ONLY_OUTCOMES:
        raise DunningInputError([Issue(
            f"--outcome: '{outcome}' is recorded by the reminder run itself "
            f"({RUN_ONLY_OUTCOMES[outcome]}), not logged by hand")])
    return "reminder sent" if outcome == "sent" else outcome


def contact_stages(source: str | Path | Workbook) -> tuple[Stage, ...]:
    """The workbook's reminder stages (its Stages table, else the default ones): what a
    reminder sent or a file handed off by hand may name, so a prompt can offer them."""
    with opened(source) as workbook:
        return policy_from_settings(None, read_table_frame(workbook, "Stages")).stages


def _check_planned(customer: str, invoices: tuple[str, ...], plans: pd.DataFrame,
                   ledger: pd.DataFrame, day: dt.date) -> None:
    """A payment plan agreed is one in the PaymentPlans sheet, not closed, covering the
    invoices named: `dunning plan` makes it (and logs the agreement itself), and only a
    plan there holds the reminders, so a row without one would record a plan nobody can
    follow."""
    _, summary = judge_plans(plans, ledger, day)
    running = summary[(summary["customer"] == customer) & (summary["status"] != "closed")]
    for plan in running.itertuples():
        covered = invoice_names(plan.invoices)
        if not covered or set(invoices) <= set(covered):
            return
    about = f" covering {', '.join(invoices)}" if invoices and not running.empty else ""
    raise DunningInputError([Issue(
        f"--outcome: customer {customer} has no running payment plan{about} in the "
        f"{PLANS_SHEET} sheet: make the plan first with `dunning plan` (or the Payment plan "
        f"button), which logs 'payment plan agreed' itself")])


def _known_stage(stages: tuple[Stage, ...], stage: str) -> Stage:
    """A stage named in the Stages table (or the default stages), as the policy spells it."""
    wanted = stage.strip().lower()
    for known in stages:
        if known.name == wanted:
            return known
    raise DunningInputError([Issue(f"--stage: no stage named {stage!r}; stages are "
                                   f"{', '.join(known.name for known in stages)}")])


def _check_promise(customer: str, contact: Contact, balance: float | None) -> None:
    """A promise is for money owed: something must be open, and no more than that promised."""
    about = ", ".join(contact.invoices) or "their account"
    if balance is not None and balance <= 0:
        raise DunningInputError([Issue(f"customer {customer} owes nothing on {about}: "
                                       "there is nothing to promise")])
    amount = contact.promise_amount
    if balance is not None and amount is not None and amount > balance + 0.005:
        raise DunningInputError([Issue(
            f"--promise-amount: the promised {amount:,.2f} is more than the {balance:,.2f} "
            f"open on {about}")])


def _check_disputed(customer: str, invoices: tuple[str, ...], register: pd.DataFrame) -> None:
    """Only an open dispute can be resolved, so the log never ends one that never began."""
    disputed = set(register.loc[(register["status"] == "open")
                                & (register["customer"] == customer), "invoice"])
    undisputed = [invoice for invoice in invoices if invoice not in disputed]
    if undisputed:
        raise DunningInputError([Issue(
            f"{', '.join(undisputed)} of customer {customer} has no open dispute to resolve")])


def append_to_log(workbook: Workbook, rows: list[dict[str, object]]) -> None:
    """Append ContactLog rows, leaving out columns added since an older log was made."""
    found = workbook.table(CONTACT_LOG_TABLE)
    if found is None:
        raise DunningInputError([Issue(f"the workbook has no {CONTACT_LOG_TABLE} table")])
    present = {column.casefold() for column in found.columns}
    absent = {h for h in OPTIONAL_HEADERS if h.casefold() not in present}
    workbook.append_rows(CONTACT_LOG_TABLE, [
        {key: value for key, value in row.items() if key not in absent} for row in rows])


def check_invoices(ledger: pd.DataFrame, customer: str, invoices: tuple[str, ...]) -> None:
    """Every invoice named must be the customer's, so a typo never logs a phantom dispute."""
    theirs = set(ledger.loc[ledger["customer"] == customer, "invoice"])
    unknown = [invoice for invoice in invoices if invoice not in theirs]
    if unknown:
        raise DunningInputError([Issue(
            f"customer {customer} has no invoice {', '.join(unknown)} in the Invoices table")])


def covered_balance(ledger: pd.DataFrame, customer: str, invoices: tuple[str, ...],
                    as_of: dt.date) -> float | None:
    """The open balance a contact is about: its invoices', else all the customer's.

    Recorded with the contact so that a promise can later be judged by what was
    paid since, even where the ledger does not date partial payments. None when
    the items are in more than one currency (amounts in different currencies
    are never added).
    """
    balance, is_open = open_balances(ledger, as_of)
    mine = (ledger["customer"] == customer).to_numpy()
    if invoices:
        mine = mine & ledger["invoice"].isin(invoices).to_numpy()
    chosen = mine & is_open
    if ledger.loc[chosen, "currency"].nunique() > 1:
        return None
    return round(float(balance[chosen].sum()), 2)


def resolve_customer(given: str, ledger: pd.DataFrame, customers: pd.DataFrame) -> str:
    """The customer id for what a user typed: an id or a name, in any case."""
    wanted = given.strip().casefold()
    names = pd.concat([
        ledger[["customer", "customer_name"]].rename(columns={"customer_name": "name"}),
        customers[["customer", "name"]],
    ]).drop_duplicates()
    for column in ("customer", "name"):
        found = sorted(set(names.loc[names[column].str.casefold() == wanted, "customer"]))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise DunningInputError([Issue(
                f"{given!r} could be any of the customers {', '.join(found)}: give the id")])
    raise DunningInputError([Issue(
        f"no customer {given!r} in the Invoices or Customers table (give its id or name)")])


# ------------------------------------------------------------ payment plans


@dataclass(frozen=True)
class PlanRequest:
    """A payment plan as agreed with the customer."""

    customer: str
    count: int
    frequency: str
    start: dt.date
    first_payment: float | None = None
    currency: str | None = None
    user: str = ""


def payment_plan(source: str | Path | Workbook, request: PlanRequest, *,
                 now: dt.datetime, as_of: dt.date | None = None) -> ActionResult:
    """Split the customer's open balance into instalments on the PaymentPlans sheet.

    The plan covers the customer's open invoices in one currency (the only one,
    or the one named), undisputed and not written off; it is logged in the
    ContactLog at `now`, and holds the customer's reminders while it is kept.
    It is judged as of `as_of` (default: the day of `now`, in UTC).
    """
    today = as_of or now.astimezone(dt.timezone.utc).date()
    with opened(source) as workbook:
        book = open_book(workbook, as_of=today, all_currencies=True)
        customers = customers_frame(read_table_frame(workbook, CUSTOMERS_TABLE))
        customer = resolve_customer(request.customer, book.frame, customers)
        log = contact_log_frame(read_table_frame(workbook, CONTACT_LOG_TABLE))
        register = dispute_register(log, book.frame, today)
        contested = set(register.loc[register["status"] == "open", "invoice"])
        invoices, currency, balance = _plan_items(book.frame, customer, today,
                                                  request.currency, contested)
        existing = read_plans(workbook)
        _check_plan(request, customer, invoices, existing, book.frame, today)
        plan_id = new_plan_id(customer, request.start, existing["plan"].tolist())
        instalments = schedule(balance, request.start, request.count, request.frequency,
                               first_payment=request.first_payment, currency=currency)
        rows = plan_rows_for_sheet(existing, plan_rows(instalments, customer, plan_id, invoices))
        write_plans(workbook, rows, made_line(today, now), existing)
        append_to_log(workbook, [log_row(Contact(
            customer=customer, channel="phone", outcome="payment plan agreed",
            timestamp=log_time(now),
            invoices=tuple(invoices), user=request.user, open_balance=balance,
            note=f"{plan_id}: {request.count} {request.frequency} instalments from "
                 f"{request.start:%Y-%m-%d}"))])
        workbook.save()
    return ActionResult("Payment plan", f"Plan {plan_id}: {currency} {money(balance)} in "
                        f"{request.count} {request.frequency} instalments from "
                        f"{request.start:%Y-%m-%d}, written to the {PLANS_SHEET} sheet.",
                        (PLANS_SHEET, CONTACT_LOG_TABLE), instalments)


def _check_plan(request: PlanRequest, customer: str, invoices: list[str],
                existing: pd.DataFrame, ledger: pd.DataFrame, today: dt.date) -> None:
    """A plan starts today or later, and no running plan covers the same invoices."""
    if request.start < today:
        raise DunningInputError([Issue(
            f"--start: the first instalment cannot fall due before today ({today:%Y-%m-%d})",
            value=f"{request.start:%Y-%m-%d}")])
    _, summary = judge_plans(existing, ledger, today)
    running = summary[(summary["customer"] == customer) & (summary["status"] != "closed")]
    for other in running.itertuples():
        covered = invoice_names(other.invoices)
        shared = sorted(set(covered) & set(invoices))
        if shared or not covered:
            raise DunningInputError([Issue(
                f"customer {customer} already has plan {other.plan} ({other.status}) covering "
                f"{', '.join(shared) or 'their balance'}: delete its rows from the "
                f"{PLANS_SHEET} sheet first to replace it", sheet=PLANS_SHEET)])


def _plan_items(ledger: pd.DataFrame, customer: str, as_of: dt.date, currency: str | None,
                contested: set[str]) -> tuple[list[str], str, float]:
    """The customer's open invoices in one currency, and their balance.

    Written-off items and invoices under an open dispute are left out: a plan is
    what the customer agrees to pay, and a contested invoice is not agreed.
    """
    balance, is_open = open_balances(ledger, as_of)
    mine = is_open & (ledger["customer"] == customer).to_numpy() & ~ledger[
        "written_off"].to_numpy(dtype=bool)
    disputed = mine & ledger["invoice"].isin(contested).to_numpy()
    mine = mine & ~disputed
    found = sorted(set(ledger.loc[mine, "currency"]))
    aside = (f" ({int(disputed.sum())} disputed invoice(s) left out)" if disputed.any() else "")
    if not found:
        raise DunningInputError([Issue(
            f"customer {customer} has nothing open to put in a payment plan{aside}")])
    if currency:
        found = [code for code in found if code.upper() == currency.upper()] or _no_currency(
            customer, currency, found)
    elif len(found) > 1:
        raise DunningInputError([Issue(
            f"a payment plan covers one currency: customer {customer} has open items in "
            f"{', '.join(found)}; name the currency (--currency)")])
    chosen = mine & (ledger["currency"] == found[0]).to_numpy()
    total = round(float(balance[chosen].sum()), 2)
    if total <= 0:
        raise DunningInputError([Issue(f"customer {customer} owes nothing in {found[0]} "
                                       f"(credits cover the invoices){aside}")])
    return ledger.loc[chosen, "invoice"].tolist(), found[0], total


def _no_currency(customer: str, currency: str, found: list[str]) -> list[str]:
    raise DunningInputError([Issue(f"--currency: customer {customer} has nothing open in "
                                   f"{currency}; their open items are in {', '.join(found)}")])
