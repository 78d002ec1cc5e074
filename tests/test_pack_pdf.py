"""The management pack's layout (dunning.render.pack_pdf) from given figures: changes with
their signs, no change without a previous row, a block per currency, empty sections."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dunning.core.pack import Account, Contacted, Headline
from dunning.render.pack_pdf import PackData, change_text, pack_pdf, shown
from pdf_text import pdf_text

DAY = dt.date(2026, 11, 23)
VALUES = {"Open Receivables": 1234.5, "Past Due": 1000.0, "DSO": 58.44, "Best Possible DSO": 13.9,
          "CEI Last 30 Days": 0.338, "Average Days Late": 13.4, "Collection Rate": 0.826}


def data(**fields) -> PackData:
    base = dict(client="Łódź Sp. z o.o.", as_of=DAY, made="Dunning, as of 2026-11-23; made "
                "2026-11-24 08:30 UTC", headlines=[Headline("EUR", VALUES)],
                aging={"EUR": [("Current", 234.5), ("1-30", 1000.0)]},
                trends={"EUR": [(DAY, 58.44, 13.9)]})
    return PackData(**{**base, **fields})


def test_words_for_figures_and_changes():
    assert shown(1234.5, "money", "EUR") == "EUR 1,234.50"
    assert shown(0.338, "percent") == "33.8%" and shown(58.44, "days") == "58.4 days"
    assert shown(None, "days") == "not defined"
    assert change_text(-37117.2, "money") == "-37,117.20" and change_text(5, "money") == "+5.00"
    assert change_text(0.0, "money") == "0.00"
    assert change_text(-0.072, "percent") == "-7.2 pts" and change_text(0.0, "days") == "+0.0 days"
    assert change_text(None, "money") == "not defined"


def test_without_a_previous_row_no_change_is_shown(tmp_path):
    text = pdf_text(pack_pdf(data()), tmp_path)
    assert "Management pack: Łódź Sp. z o.o." in text
    assert "No change to show" in text and "Change" not in text
    assert "EUR 1,234.50" in text and "33.8%" in text and "58.4 days" in text
    assert "1 KPIHistory row(s) so far" in text
    for empty in ("None: nothing is past due.", "Due in the next 7 days: none.",
                  "Broken or partly kept: none.", "No reminders were sent in the period."):
        assert empty in text
    assert "Sent from 2026-10-25 to 2026-11-23" in text


def test_with_a_previous_row_each_figure_shows_then_and_its_change(tmp_path):
    before = {**VALUES, "Open Receivables": 1234.5, "DSO": 60.0, "CEI Last 30 Days": 0.41,
              "Best Possible DSO": None}
    headline = Headline("EUR", VALUES, before, dt.date(2026, 10, 31))
    text = pdf_text(pack_pdf(data(headlines=[headline])), tmp_path)
    lines = {line.split("  ")[0].strip(): line for line in text.splitlines() if "  " in line}
    assert lines["Open receivables"].split()[-1] == "0.00"  # a real zero change
    assert lines["DSO"].split()[-2:] == ["-1.6", "days"]
    assert lines["CEI, last 30 days"].split()[-2:] == ["-7.2", "pts"]
    assert "not defined" in lines["Best possible DSO"]
    assert "On 2026-10-31" in text and "No change to show" not in text


def test_each_currency_has_its_own_figures_and_charts(tmp_path):
    headlines = [Headline("EUR", VALUES), Headline("USD", {**VALUES, "Open Receivables": 99.0})]
    aging = {"EUR": [("Current", 1.0)], "USD": [("Current", 99.0)]}
    text = pdf_text(pack_pdf(data(headlines=headlines, aging=aging, trends={})), tmp_path)
    for code in ("EUR", "USD"):
        assert f"Headline figures ({code})" in text
        assert f"Aging by days past due ({code})" in text and f"DSO over time ({code})" in text
    assert "USD 99.00" in text


def test_the_sections_list_what_they_are_given(tmp_path):
    contact = Contacted(pd.Timestamp(2026, 11, 22, 9), "phone", "left voicemail", "", None)
    long_hold = "worklist #8: on hold: promise to pay until 2026-11-27 (" + ", ".join(
        f"INV-{n:04d}" for n in range(30)) + ")"
    accounts = [Account("C1", "Ærø Handel ApS", "EUR", 900.0, 40, contact, "follow up 2026-11-30"),
                Account("C2", "C2", "EUR", 100.0, 5, None, long_hold)]
    disputes = pd.DataFrame({"customer": ["C1"], "invoice": ["INV-7"],
                             "opened": [pd.Timestamp(2026, 11, 12)], "age_days": [11.0],
                             "open_balance": [50.0], "currency": ["EUR"], "reason": ["damaged"]})
    plans = pd.DataFrame({"plan": ["PP-C1-20261109"], "customer": ["C1"], "missed": [2],
                          "remaining": [300.0], "currency": ["EUR"],
                          "next_due_date": [pd.Timestamp(2026, 11, 9)], "next_amount": [100.0]})
    sent = pd.DataFrame({"stage": ["friendly"], "channel": ["email"], "messages": [3],
                         "customers": [2]})
    text = pdf_text(pack_pdf(data(accounts=accounts, disputes=disputes, plans_behind=plans,
                                  sent=sent, other_contacts={"left voicemail": 1})), tmp_path)
    assert "C1 Ærø Handel ApS" in text and "EUR 900.00" in text
    assert "2026-11-22: left" in text and "follow up 2026-11-30" in text
    assert "INV-0029" not in text and "…" in text  # a long hold is cut
    assert "INV-7" in text and "damaged" in text and "PP-C1-20261109" in text
    assert "friendly" in text and "Also logged in the period: 1 left voicemail." in text
