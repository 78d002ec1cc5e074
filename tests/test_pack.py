"""The management pack's figures (dunning.core.pack): changes against the previous recorded
day, last contacts, next actions, sends in the period, promises to show."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dunning.core.contactlog import contact_log_frame
from dunning.core.pack import (
    dso_trend,
    headlines,
    history_as_read,
    last_contacts,
    other_contacts,
    overdue_accounts,
    promises_to_show,
    sent_in_period,
)

DAY = dt.date(2026, 11, 23)


def row(day, currency, open_, dso, cei=0.5):
    return [day, currency, open_, open_ / 2, dso, dso / 2, cei, 3.0, 0.8]


def test_the_change_is_against_the_latest_earlier_row_of_the_same_currency():
    history = history_as_read([
        row(dt.datetime(2026, 9, 30), "EUR", 900.0, 50.0),
        row(dt.datetime(2026, 10, 31), "EUR", 1000.0, 60.0, cei=0.4),
        row(dt.datetime(2026, 11, 23), "EUR", 1234.5, 58.0),  # today's own row: not "previous"
        row(dt.datetime(2026, 10, 31), "USD", 10.0, 5.0),
        ["not a date", "EUR", 1.0],
    ])
    eur, usd, gbp = headlines([row(DAY, "EUR", 1234.5, 58.0), row(DAY, "USD", 10.0, 5.0),
                               row(DAY, "GBP", 7.0, 1.0)], history, DAY)
    assert eur.previous_as_of == dt.date(2026, 10, 31)
    assert eur.change("Open Receivables") == 234.5
    assert eur.change("DSO") == -2.0
    assert eur.change("CEI Last 30 Days") == 0.1
    assert usd.change("Open Receivables") == 0.0  # a real zero change stays a zero
    assert gbp.previous is None and gbp.change("Open Receivables") is None  # nothing to compare


def test_a_figure_not_defined_has_no_change():
    history = history_as_read([row(dt.date(2026, 10, 31), "EUR", 10.0, 5.0)])
    today = row(DAY, "EUR", 10.0, 5.0)
    today[4] = None  # DSO not defined: no sales in the period
    [eur] = headlines([today], history, DAY)
    assert eur.change("DSO") is None and eur.change("Past Due") == 0.0


def test_the_dso_trend_is_the_currencys_rows_up_to_the_day():
    history = history_as_read([row(dt.date(2026, 9, 30), "EUR", 1.0, 50.0),
                               row(dt.date(2026, 12, 31), "EUR", 1.0, 40.0),
                               row(dt.date(2026, 10, 31), "USD", 1.0, 9.0),
                               row(dt.date(2026, 10, 31), "EUR", 1.0, 60.0)])
    assert dso_trend(history, "EUR", DAY) == [(dt.date(2026, 9, 30), 50.0, 25.0),
                                              (dt.date(2026, 10, 31), 60.0, 30.0)]


def log_frame(rows):
    headers = ["Timestamp", "Customer", "Invoices", "Channel", "Stage", "Subject", "Message-ID",
               "Outcome", "Promise Date", "Promise Amount", "Next Action Date", "User", "Note",
               "Open Balance"]
    table = pd.DataFrame([[*r, *[None] * (len(headers) - len(r))] for r in rows],
                         columns=headers, dtype=object)
    return contact_log_frame(table)


LOG = [
    [dt.datetime(2026, 10, 24, 9), "C1", "", "email", "friendly", "", "", "sent"],  # before
    [dt.datetime(2026, 10, 25, 9), "C1", "", "email", "friendly", "", "", "sent"],  # first day
    [dt.datetime(2026, 11, 20, 9), "C2", "", "email", "friendly", "", "", "sent"],
    [dt.datetime(2026, 11, 21, 9), "C2", "", "letter", "firm", "", "", "reminder sent"],
    [dt.datetime(2026, 11, 22, 15), "C1", "", "phone", "", "", "", "left voicemail", None,
     None, dt.datetime(2026, 11, 30)],
    [dt.datetime(2026, 11, 23, 23, 59), "C2", "", "email", "final", "", "", "failed"],
    [dt.datetime(2026, 11, 24, 0, 1), "C2", "", "email", "final", "", "", "sent"],  # after
]


def test_the_last_contact_is_the_latest_row_up_to_the_end_of_the_day():
    contacts = last_contacts(log_frame(LOG), DAY)
    assert contacts["C1"].outcome == "left voicemail" and contacts["C1"].channel == "phone"
    assert contacts["C1"].next_action_date == pd.Timestamp(2026, 11, 30)
    assert contacts["C2"].outcome == "failed" and contacts["C2"].stage == "final"
    assert last_contacts(log_frame([]), DAY) == {}


def test_sends_in_the_period_by_stage_and_channel():
    log = log_frame(LOG)
    table = sent_in_period(log, DAY)
    assert table.to_dict("records") == [
        {"stage": "friendly", "channel": "email", "messages": 2, "customers": 2},
        {"stage": "firm", "channel": "letter", "messages": 1, "customers": 1},
    ]
    assert sent_in_period(log, DAY, days=3)["messages"].sum() == 1
    assert other_contacts(log, DAY) == {"failed": 1, "left voicemail": 1}
    assert sent_in_period(log_frame([]), DAY).empty


def test_an_account_s_next_action_is_its_follow_up_and_its_worklist_line():
    contacts = last_contacts(log_frame(LOG), DAY)
    worklist = pd.DataFrame({"rank": [1], "customer": ["C2"], "reason": ["promise broken"],
                             "oldest_days": [40]})
    c1, c2, c3 = overdue_accounts([("C1", "One", 50.0), ("C2", "Two", 40.0),
                                   ("C3", "C3", 1.0)], "EUR", worklist, contacts, DAY)
    assert c1.next_action == "follow up 2026-11-30" and c1.last_contact.outcome == "left voicemail"
    assert c2.next_action == "worklist #1: promise broken" and c2.oldest_days == 40
    assert c3.next_action == "nothing due today" and c3.last_contact is None
    aged = pd.DataFrame({"customer": ["C3", "C3", "C1"], "open_balance": [1.0, -5.0, 50.0],
                         "days_past_due": [12, 90, 33]})
    with_ages = overdue_accounts([("C1", "One", 50.0), ("C3", "C3", 1.0)], "EUR", worklist,
                                 contacts, DAY, aged)
    assert [account.oldest_days for account in with_ages] == [33, 12]  # owed items only
    later = overdue_accounts([("C1", "One", 50.0)], "EUR", worklist, contacts,
                             dt.date(2026, 12, 1))
    assert later[0].next_action == "nothing due today"  # the follow-up date has passed


def test_promises_due_soon_and_broken_leave_out_replaced_ones():
    outcomes = pd.DataFrame({
        "customer": ["A", "B", "C", "D", "E"],
        "logged": pd.to_datetime(["2026-11-01"] * 5),
        "promise_date": pd.to_datetime(["2026-11-25", "2026-12-15", "2026-11-10", "2026-11-01",
                                        "2026-11-24"]),
        "status": ["pending", "pending", "broken", "partly kept", "pending"],
        "days_overdue": [0, 0, 13, 22, 0],
        "superseded": [False, False, False, False, True],
    })
    due, broken = promises_to_show(outcomes, DAY)
    assert due["customer"].tolist() == ["A"]
    assert broken["customer"].tolist() == ["D", "C"]
