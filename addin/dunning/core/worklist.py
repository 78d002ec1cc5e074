"""The collector's worklist: whom to call today, in order, and why.

`build_worklist` ranks every customer with something that needs a person:
a broken promise, a missed plan instalment, a hand-off stage, a promise
falling due today, a large balance far past due, a high risk of paying late,
or simply the oldest overdue item. Each of these is a part of the score with
its own column, so the order can always be explained: the score is their sum.

Conventions, decided once here:

- Points. Flags count in full: broken promise 40 (a promise partly kept
  counts too: something promised was not paid), missed instalment 35,
  hand-off due 30 (a task stage raised today, or reached by the days past
  due while reminders still climb towards it; or a reminder held because the
  mail server refused the address for good: a person calls instead), promise
  due today 25. Measures are scaled to their
  weight: far past due 20 x (this customer's balance more than
  `far_past_due_days` past due / the largest such balance in the same
  currency), risk 15 x (the balance-weighted chance of paying late of the
  customer's items not yet due, when a risk score is given), oldest overdue
  10 x min(1, days past due of the oldest chased item / 120).
- Held customers go to the bottom, with their reason: everything they owe is
  under an open dispute, a promise not yet due, a payment plan being kept or a
  hold until a date (Invoices' Hold Until, a ContactLog "on hold until"); or the
  customer is held until a date (Customers' Hold Until) or marked Do Not Contact.
  A dispute logged in the ContactLog shows its age in days; one held open by the
  Invoices table's Disputed flag alone (no date logged) says so. Held customers
  keep their score parts (so a collector sees what waits behind the hold) but
  rank after all others.
  A customer still chased for other items is ranked as usual, and the items on
  hold (each open dispute as it is known) end their list of reasons.
- Who appears: customers with a positive open balance and a score above zero,
  or held. A customer with nothing overdue whose only points are the risk's is
  listed only when that risk is high (HIGH_RISK or more), as a courtesy call
  before the next item falls due, and the reason says so; with a lower risk, or
  nothing else to do, such a customer is not listed; nor is a customer whose
  items are all written off.
- Order: not held before held; then score, highest first; then the open
  balance, highest first; then customer id. Ranks count from 1.
- The open balance is what the aging shows: every open item, credit notes
  netted. Amounts in different currencies are never added: it is one number per
  customer when they owe in one currency, else text per currency.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dunning.core.amounts import money, total_cells
from dunning.core.policy import STAGE_LABELS, Decisions

SHEET = "Worklist"
POINTS: dict[str, float] = {
    "broken_promise": 40.0,
    "missed_instalment": 35.0,
    "hand_off": 30.0,
    "promise_due_today": 25.0,
    "far_past_due": 20.0,
    "risk": 15.0,
    "oldest_overdue": 10.0,
}
"""The most each part of the score can give; see the module docstring."""
OLDEST_FULL_DAYS = 120
HIGH_RISK = 0.5
PART_HEADERS: dict[str, str] = {
    "broken_promise": "Broken Promise",
    "missed_instalment": "Missed Instalment",
    "hand_off": "Hand-off",
    "promise_due_today": "Promise Due Today",
    "far_past_due": "Far Past Due",
    "risk": "Risk",
    "oldest_overdue": "Oldest Overdue",
}
HEADERS: tuple[str, ...] = (
    "Rank", "Customer", "Name", "Email", "Reason", "Score", *PART_HEADERS.values(),
    "Currency", "Open Balance", "Oldest Days Past Due", "Reminder Today", "All Reasons",
)
HELD_REASONS = ("disputed", "promise to pay until", "payment plan being kept", "on hold until")
COLUMNS: tuple[str, ...] = (
    "rank", "customer", "name", "email", "reason", "score", *POINTS, "held",
    "open_by_currency", "oldest_days", "reminder", "reasons",
)


def build_worklist(
    decisions: Decisions,
    *,
    promises: pd.DataFrame | None = None,
    disputes: pd.DataFrame | None = None,
    plans: pd.DataFrame | None = None,
    risk: pd.DataFrame | None = None,
    far_past_due_days: int = 60,
) -> pd.DataFrame:
    """Rank the customers who need a person today; one row each, with the score's parts.

    Args:
        decisions: the reminder policy's decisions for the same day (`policy.decide`).
        promises: `promises.promise_outcomes` (customer, promise_date, promised, paid,
            status, superseded); default: the ones the policy judged (`decisions.promises`).
        disputes: `disputes.dispute_register` (customer, invoice, status, age_days).
        plans: the plan summary of `plans.judge_plans` (plan, customer, status, missed).
        risk: `risk.score` (invoice, customer, p_late), one row per open invoice.
        far_past_due_days: how many days past due makes a balance "far" past due.

    Returns a frame with `COLUMNS`, ranked (see the module docstring).
    """
    items = decisions.items
    if items.empty:  # nothing open: a fresh workbook, or every invoice settled
        return pd.DataFrame(columns=list(COLUMNS))
    owed = items[items["open_balance"] > 0]
    promises = decisions.promises if promises is None else promises
    customers = sorted(set(owed["customer"]))
    parts: dict[str, dict[str, float]] = {c: dict.fromkeys(POINTS, 0.0) for c in customers}
    reasons: dict[str, list[tuple[float, str]]] = {c: [] for c in customers}

    def note(customer: str, part: str, points: float, text: str) -> None:
        if customer in parts and points > 0:
            parts[customer][part] = max(parts[customer][part], round(points, 1))
            reasons[customer].append((points, text))

    for customer, text in _broken_promises(promises, decisions.as_of):
        note(customer, "broken_promise", POINTS["broken_promise"], text)
    for customer, text in _missed_instalments(plans):
        note(customer, "missed_instalment", POINTS["missed_instalment"], text)
    for customer, text in _hand_offs(decisions.customers):
        note(customer, "hand_off", POINTS["hand_off"], text)
    for customer, text in _promises_due_today(promises, decisions.as_of):
        note(customer, "promise_due_today", POINTS["promise_due_today"], text)
    for customer, share, text in _far_past_due(items, far_past_due_days):
        note(customer, "far_past_due", POINTS["far_past_due"] * share, text)
    chances: dict[str, float] = {}
    for customer, chance, text in _risk(owed, risk):
        note(customer, "risk", POINTS["risk"] * chance, text)
        chances[customer] = chance
    for customer, days, text in _oldest_overdue(items):
        share = min(1.0, days / OLDEST_FULL_DAYS)
        note(customer, "oldest_overdue", POINTS["oldest_overdue"] * share, text)

    return _table(decisions, parts, reasons, _waiting(items, disputes),
                  _courtesy_calls(owed, parts, chances))


def worklist_rows(worklist: pd.DataFrame) -> list[list[object]]:
    """The Worklist sheet: the header, then one row per customer in rank order."""
    rows: list[list[object]] = [list(HEADERS)]
    for entry in worklist.itertuples(index=False):
        currency, balance = total_cells(entry.open_by_currency)
        rows.append([
            entry.rank, entry.customer, entry.name, entry.email, entry.reason, entry.score,
            *(getattr(entry, part) for part in POINTS),
            currency, balance, entry.oldest_days, entry.reminder, entry.reasons,
        ])
    return rows


# ------------------------------------------------------------------- parts


def _broken_promises(promises: pd.DataFrame | None,
                     as_of: object) -> list[tuple[str, str]]:
    latest = _latest_promises(promises)
    found = []
    for row in latest[latest["status"].isin(["broken", "partly kept"])].itertuples():
        paid = f"paid {money(row.paid)} of {money(row.promised)}"
        found.append((row.customer, f"promise to pay by {_day(row.promise_date)} "
                                    f"{'broken' if row.status == 'broken' else 'partly kept'} "
                                    f"({paid})"))
    return found


def _promises_due_today(promises: pd.DataFrame | None,
                        as_of: object) -> list[tuple[str, str]]:
    latest = _latest_promises(promises)
    if latest.empty or as_of is None:
        return []
    today = pd.Timestamp(as_of)
    due = latest[(latest["status"] == "pending") & (latest["promise_date"] == today)]
    return [(row.customer, f"promise of {money(row.promised)} falls due today "
                           f"(paid {money(row.paid)} so far)") for row in due.itertuples()]


def _latest_promises(promises: pd.DataFrame | None) -> pd.DataFrame:
    """The customer's most recent promise that no later promise replaced."""
    if promises is None or promises.empty:
        return pd.DataFrame(columns=["customer", "promise_date", "promised", "paid", "status"])
    current = promises[~promises["superseded"].astype(bool)]
    current = current.sort_values(["customer", "logged"], kind="stable")
    current = current.drop_duplicates("customer", keep="last")
    return current.assign(promise_date=pd.to_datetime(current["promise_date"]).dt.normalize())


def _missed_instalments(plans: pd.DataFrame | None) -> list[tuple[str, str]]:
    if plans is None or plans.empty:
        return []
    missed = plans[plans["status"] == "missed"]
    return [(row.customer, f"payment plan {row.plan}: {int(row.missed)} instalment"
                           f"{'s' if int(row.missed) != 1 else ''} missed")
            for row in missed.itertuples()]


def _hand_offs(customers: pd.DataFrame) -> list[tuple[str, str]]:
    """A task stage raised today, one the days past due have reached while the reminders
    still climb towards it, or an address refused for good: a person should take over now."""
    found = []
    for row in customers.itertuples():
        if getattr(row, "refused", ""):  # no reminder can reach them: a person calls
            why = row.reason.split(": ", 1)[-1].removesuffix(", or call")
            found.append((row.customer, f"call instead: {why}"))
        elif row.action == "task":
            found.append((row.customer, _hand_off_text(row.stage)))
        elif row.due_action == "task" and row.previous_stage.lower() != row.due_stage.lower():
            found.append((row.customer, _hand_off_text(row.due_stage, row.max_days_past_due)))
    return found


def _hand_off_text(stage: str, days: int | None = None) -> str:
    """"hand-off due (311 days past due)", or "hand-off due: legal review" for a task stage
    of another name: the stage named once, by its label."""
    label = STAGE_LABELS.get(stage.lower(), stage)
    text = "hand-off due" if label.lower() in ("hand-off", "handoff") else \
        f"hand-off due: {label}"
    return text + (f" ({days} day{'s' if days != 1 else ''} past due)" if days is not None
                   else "")


def _far_past_due(items: pd.DataFrame, days: int) -> list[tuple[str, float, str]]:
    """Each customer's chased balance more than `days` past due, as a share of the largest."""
    chased = items[items["included"] & (items["days_past_due"] > days)]
    sums = chased.groupby(["customer", "currency"], sort=True)["open_balance"].sum().round(2)
    sums = sums[sums > 0]
    if sums.empty:
        return []
    largest = sums.groupby(level="currency").transform("max")
    found = []
    for (customer, currency), amount in sums.items():
        share = float(amount / largest[(customer, currency)])
        found.append((customer, share, f"{_money(currency, amount)} more than {days} days "
                                       "past due"))
    return found


def _risk(owed: pd.DataFrame, risk: pd.DataFrame | None) -> list[tuple[str, float, str]]:
    """The balance-weighted chance of paying late over the customer's items not yet due.

    Items already past due are late for certain and count in the other parts; the
    risk part says who is likely to be late next, so a collector can call first.
    """
    owed = owed[owed["days_past_due"] <= 0]
    if risk is None or risk.empty or owed.empty:
        return []
    chances = risk.drop_duplicates(["customer", "invoice"]).set_index(["customer", "invoice"])
    keys = pd.MultiIndex.from_frame(owed[["customer", "invoice"]])
    p_late = chances["p_late"].reindex(keys).to_numpy(dtype=float)
    weights = owed["open_balance"].to_numpy(dtype=float)
    known = ~np.isnan(p_late)
    frame = pd.DataFrame({"customer": owed["customer"].to_numpy()[known],
                          "weighted": (p_late * weights)[known], "weight": weights[known]})
    sums = frame.groupby("customer", sort=True)[["weighted", "weight"]].sum()
    found = []
    for customer, row in sums.iterrows():
        if row["weight"] <= 0:
            continue
        chance = float(row["weighted"] / row["weight"])
        label = "high" if chance >= HIGH_RISK else "some"
        found.append((customer, chance,
                      f"{label} risk of paying late ({chance:.0%} by the risk score)"))
    return found


def _courtesy_calls(owed: pd.DataFrame, parts: dict[str, dict[str, float]],
                    chances: dict[str, float]) -> dict[str, str]:
    """Customers with nothing overdue (chased or on hold) whose only points are the risk's.

    Each maps to the reason of a courtesy call before their next item falls due when the
    risk is high, else to "" (a modest risk alone is no reason to call: not listed).
    """
    overdue = set(owed.loc[owed["days_past_due"] > 0, "customer"])
    only_risk = [customer for customer, values in parts.items() if values["risk"] > 0
                 and customer not in overdue
                 and not any(points for part, points in values.items() if part != "risk")]
    coming = owed[owed["included"] & (owed["days_past_due"] <= 0)]
    coming = coming.sort_values(["customer", "due_date", "invoice"], kind="stable")
    first = coming.drop_duplicates("customer").set_index("customer")
    calls = {}
    for customer in only_risk:
        chance = chances.get(customer, 0.0)
        if chance < HIGH_RISK or customer not in first.index:
            calls[customer] = ""
            continue
        nxt = first.loc[customer]
        calls[customer] = (f"courtesy call: nothing overdue yet, but a high risk of paying late "
                           f"({chance:.0%} by the risk score); {nxt['invoice']} falls due on "
                           f"{_day(nxt['due_date'])}")
    return calls


def _oldest_overdue(items: pd.DataFrame) -> list[tuple[str, int, str]]:
    chased = items[items["included"] & (items["open_balance"] > 0) & (items["days_past_due"] > 0)]
    if chased.empty:
        return []
    oldest = chased.loc[chased.groupby("customer", sort=True)["days_past_due"].idxmax()]
    return [(row.customer, int(row.days_past_due),
             f"{row.invoice} is {int(row.days_past_due)} days past due")
            for row in oldest.itertuples()]


def _waiting(items: pd.DataFrame,
             disputes: pd.DataFrame | None) -> dict[str, tuple[bool, str]]:
    """Per customer with owed items on hold (a dispute, a promise, a plan): whether all of
    them are, and why, a dispute with its age."""
    owed = items[items["open_balance"] > 0]
    chased = set(owed.loc[owed["included"], "customer"])
    ages = _dispute_ages(disputes)
    holds = owed[owed["reason"].map(_is_hold)]
    waiting: dict[str, tuple[bool, str]] = {}
    for customer, group in holds.groupby("customer", sort=True):
        text = "; ".join(_hold_text(reason, invoices, ages)
                         for reason, invoices in _by_reason(group).items())
        waiting[customer] = (customer not in chased, text)
    return waiting


def _is_hold(reason: str) -> bool:
    return reason.startswith(HELD_REASONS)


def _by_reason(items: pd.DataFrame) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for reason, invoice in zip(items["reason"], items["invoice"], strict=True):
        grouped.setdefault(reason, []).append(invoice)
    return grouped


def _hold_text(reason: str, invoices: Sequence[str], ages: dict[str, float | None]) -> str:
    """A hold with its invoices; disputes each said as they are known: logged ones with
    their age (one group per age, oldest first), flagged ones with no date as such."""
    if reason != "disputed":
        return f"{reason} ({', '.join(invoices)})"
    by_age: dict[int, list[str]] = {}
    flagged, unknown = [], []
    for invoice in invoices:
        if invoice not in ages:
            unknown.append(invoice)
        elif (age := ages[invoice]) is None:
            flagged.append(invoice)
        else:
            by_age.setdefault(int(age), []).append(invoice)
    texts = [f"dispute{'s' if len(listed) != 1 else ''} open {age} day{'s' if age != 1 else ''}"
             f" ({', '.join(listed)})" for age, listed in sorted(by_age.items(), reverse=True)]
    if flagged:
        texts.append(f"disputed, flagged in the Invoices table with no date logged "
                     f"({', '.join(flagged)})")
    if unknown:  # no register given: what the policy says, no more
        texts.append(f"dispute{'s' if len(unknown) != 1 else ''} open ({', '.join(unknown)})")
    return "; ".join(texts)


def _dispute_ages(disputes: pd.DataFrame | None) -> dict[str, float | None]:
    """Each open dispute's age in days, None where no date is logged (the Invoices table's
    Disputed flag alone holds it open: `disputes.dispute_register` gives it no age)."""
    if disputes is None or disputes.empty:
        return {}
    open_ones = disputes[disputes["status"] == "open"]
    ages = open_ones["age_days"].astype(float)
    return {invoice: None if np.isnan(age) else float(age)
            for invoice, age in zip(open_ones["invoice"], ages, strict=True)}


# ------------------------------------------------------------------- table


def _table(decisions: Decisions, parts: dict[str, dict[str, float]],
           reasons: dict[str, list[tuple[float, str]]],
           waiting: dict[str, tuple[bool, str]], courtesy: dict[str, str]) -> pd.DataFrame:
    frame = decisions.customers
    if "hold" not in frame.columns:
        frame = frame.assign(hold="")
    info = frame.set_index("customer")[["name", "email", "action", "reason",
                                        "do_not_contact", "hold"]]
    info = info[~info.index.duplicated()].to_dict("index")
    items = decisions.items
    owed = items[items["open_balance"] > 0]
    sums = items.groupby(["customer", "currency"], sort=True)["open_balance"].sum().round(2)
    open_by: dict[str, dict[str, float]] = {}
    for (customer, currency), amount in sums.items():
        open_by.setdefault(customer, {})[currency] = float(amount)
    oldest = owed.groupby("customer")["days_past_due"].max().to_dict()
    score = {customer: round(sum(values.values()), 1) for customer, values in parts.items()}
    held = {customer: text for customer, (all_held, text) in waiting.items() if all_held}
    for customer, entry in info.items():
        if entry["do_not_contact"] and customer in parts:
            held[customer] = "marked do not contact in the Customers table"
        elif entry["hold"] and customer in parts:
            held[customer] = entry["hold"]
    listed = [c for c in parts if c in held or (score[c] > 0 and courtesy.get(c) != "")]
    records = []
    for customer in listed:
        ranked = sorted(reasons[customer], key=lambda pair: -pair[0])
        texts = [text for _, text in ranked]
        hold = held.get(customer, "")
        if courtesy.get(customer) and not hold:  # the risk is its one reason: say it plainly
            texts = [courtesy[customer]]
        if hold:
            texts.insert(0, hold if hold.startswith("on hold") else f"on hold: {hold}")
        elif customer in waiting:
            texts.append(f"also on hold: {waiting[customer][1]}")
        decision = info.get(customer)
        reminder = "" if decision is None else f"{decision['action']}: {decision['reason']}"
        records.append({
            "customer": customer,
            "name": "" if decision is None else decision["name"],
            "email": "" if decision is None else decision["email"],
            "reason": texts[0],
            "score": float(score[customer]),
            **parts[customer],
            "held": bool(hold),
            "open_by_currency": open_by[customer],
            "oldest_days": int(max(oldest.get(customer, 0), 0)),
            "reminder": reminder,
            "reasons": "; ".join(texts),
        })
    table = pd.DataFrame.from_records(records, columns=[c for c in COLUMNS if c != "rank"])
    if table.empty:
        return table.assign(rank=pd.Series(dtype="int64")).loc[:, list(COLUMNS)]
    table["largest"] = [max(owed.values()) for owed in table["open_by_currency"]]
    table = table.sort_values(["held", "score", "largest", "customer"],
                              ascending=[True, False, False, True], kind="stable")
    table = table.drop(columns="largest").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1, dtype="int64"))
    return table.loc[:, list(COLUMNS)]


def _money(currency: str, amount: float) -> str:
    return f"{currency} {money(amount)}" if currency else money(amount)


def _day(value: object) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}" if pd.notna(value) else "(no date)"
