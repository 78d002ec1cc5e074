"""Letters that say exactly what is owed (issue 14), end to end on real workbooks.

Each test builds a client workbook (the real template, written and read back), runs the
real preview or send (drafts on disk, or the real yagmail client to an aiosmtpd server on
127.0.0.1) and parses what came out with the standard library's `email` package. Totals
are checked against the invoice rows themselves, worked out here without Dunning's code.
Every date is simulated: the run's moment is always given.
"""

import datetime as dt
import email
from email import policy as email_policy
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

pytest.importorskip("cryptography", reason="the loopback SMTP server makes its certificate "
                    "with the cryptography package (pip install '.[test]')")

from dunning.app import remind  # noqa: E402
from dunning.cli import main  # noqa: E402
from dunning.core.amounts import money  # noqa: E402
from dunning.core.errors import DunningInputError  # noqa: E402
from dunning.demo import SAMPLE_SETTINGS  # noqa: E402
from dunning.io.client_workbook import build_workbook  # noqa: E402
from dunning.io.xlsx import append_rows  # noqa: E402
from dunning.render.words import labels_for  # noqa: E402

AS_OF = dt.date(2026, 11, 23)  # a Monday
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)
LANGUAGES = {"D1": "de", "E1": "en", "F1": "fr", "N1": "nl", "S1": "es"}
ZONES = {"de": "Europe/Berlin", "en": "Europe/London", "fr": "Europe/Paris",
         "nl": "Europe/Amsterdam", "es": "Europe/Madrid"}


def invoice(number, customer, due, amount, paid="0", issued="2026-09-01", **extra):
    row = {"Invoice No": number, "Customer": customer, "Invoice Date": issued, "Due Date": due,
           "Amount": amount, "Paid": paid, "Currency": "EUR"}
    row.update(extra)
    return row


def customer(code, language="en", **extra):
    row = {"Customer": code, "Name": f"{code} Trading", "Contact Name": f"Contact {code}",
           "Contact Email": f"ap@{code.lower()}.example", "Language": language,
           "Time Zone": ZONES.get(language, "Europe/London")}
    row.update(extra)
    return row


def mixed_invoices(days_overdue=20):
    """Each language's customer owes one overdue invoice (partly paid: cents matter), one
    credit note already due, and one invoice that falls due next week."""
    due = (AS_OF - dt.timedelta(days=days_overdue)).isoformat()
    rows = []
    for index, code in enumerate(LANGUAGES):
        rows.append(invoice(f"{code}-1", code, due, f"{1000 + 137.45 * index:.2f}",
                            paid=f"{12.34 * index:.2f}"))
        rows.append(invoice(f"{code}-CN", code, due, "-45.10", issued=due))
        rows.append(invoice(f"{code}-2", code, "2026-12-01", f"{500 + 11.11 * index:.2f}",
                            issued="2026-11-01"))
    return rows


def make_book(path, invoices, customers, **settings):
    build_workbook(path, client="Letters", invoices=pd.DataFrame(invoices),
                   customers=pd.DataFrame(customers),
                   settings={**SAMPLE_SETTINGS, **settings})
    return path


def overdue_by_hand(invoices, code, as_of=AS_OF):
    """What the customer owes now, from the rows: amount less paid, due before the run date."""
    return round(sum(float(row["Amount"]) - float(row["Paid"]) for row in invoices
                     if row["Customer"] == code and dt.date.fromisoformat(row["Due Date"]) < as_of),
                 2)


def parsed_drafts(report):
    """customer -> the draft as the email package reads it back from the file."""
    by_key = {message.key: message.customer for message in report.messages}
    found = {}
    for path in report.drafts:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email_policy.default)
        key = next(key for key in by_key if path.name.startswith(key.rsplit("|", 1)[1])
                   and f"_{_safe(by_key[key])}_" in path.name)
        found[by_key[key]] = parsed
    return found


def _safe(text):
    return text.replace(" ", "_")


def spaced(text):
    """Text with its no-break spaces as plain ones (a header folds them so)."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def bodies(parsed):
    return (parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content())


# ------------------------------------------------------------ overdue apart from due soon


def test_in_five_languages_the_subject_and_total_count_only_what_is_overdue(tmp_path):
    invoices = mixed_invoices()
    customers = [customer(code, language) for code, language in LANGUAGES.items()]
    book = make_book(tmp_path / "Mixed.xlsx", invoices, customers)
    report = remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    drafts = parsed_drafts(report)
    assert set(drafts) == set(LANGUAGES)
    for code, language in LANGUAGES.items():
        owed = overdue_by_hand(invoices, code)
        soon = next(float(row["Amount"]) for row in invoices if row["Invoice No"] == f"{code}-2")
        parsed = drafts[code]
        message = next(m for m in report.messages if m.customer == code)
        assert message.totals == {"EUR": owed} and message.due_soon == {"EUR": soon}
        text, html = bodies(parsed)
        heading = labels_for(language).due_soon
        for part in (text, html):
            asked, _, later = part.partition(heading)
            assert later, f"{language}: no heading {heading!r}"
            assert money(owed, "EUR", language) in asked  # the headline total
            assert money(owed + soon, "EUR", language) not in part  # never the whole balance
            assert f"{code}-1" in asked and f"{code}-CN" in asked and f"{code}-2" not in asked
            assert f"{code}-2" in later and "2026-12-01" in later


def test_the_subjects_that_name_a_total_name_the_overdue_one(tmp_path):
    invoices = mixed_invoices(days_overdue=20)
    customers = [customer(code, language) for code, language in LANGUAGES.items()]
    book = make_book(tmp_path / "Firm.xlsx", invoices, customers, **{"Start At Due Stage": "Yes"})
    report = remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    drafts = parsed_drafts(report)
    for code, language in LANGUAGES.items():
        assert report.decisions.customers.set_index("customer").loc[code, "stage"] == "firm"
        owed = overdue_by_hand(invoices, code)
        assert spaced(money(owed, "EUR", language)) in spaced(drafts[code]["Subject"])


def test_a_courtesy_reminder_only_from_its_stage_and_nothing_for_items_not_yet_due(tmp_path):
    invoices = [invoice("C-1", "C1", "2026-11-25", "400.00"),  # due in 2 days: courtesy (-3)
                invoice("X-1", "X1", "2026-12-20", "900.00")]  # due in 27 days: nothing yet
    book = make_book(tmp_path / "Soon.xlsx", invoices, [customer("C1"), customer("X1")])
    report = remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    decided = report.decisions.customers.set_index("customer")
    assert decided.loc["C1", "action"] == "send" and decided.loc["C1", "stage"] == "courtesy"
    assert decided.loc["X1", "action"] == "skip"
    assert decided.loc["X1", "reason"].startswith("not due for a reminder yet")
    [message] = report.messages
    assert message.totals == {"EUR": 400.0} and message.due_soon == {}
    text, _ = bodies(parsed_drafts(report)["C1"])
    assert "fall due soon" in text and "overdue" not in text.lower().replace("days overdue", "")


def test_the_demo_french_letter_no_longer_calls_items_not_yet_due_overdue(book, tmp_path):
    report = remind.preview(book, tmp_path / "drafts", now=NOW.replace(hour=11), as_of=AS_OF)
    french = next(m for m in report.messages if m.customer == "CAS03")
    ledger = report.decisions.items
    mine = ledger[(ledger["customer"] == "CAS03") & ledger["included"]]
    overdue = round(float(mine.loc[mine["days_past_due"] > 0, "open_balance"].sum()), 2)
    later = mine[mine["days_past_due"] <= 0]
    assert not later.empty  # the demo's point: some fall due in a few days
    assert french.totals == {"EUR": overdue}
    parsed = parsed_drafts(report)["CAS03"]
    text, _ = bodies(parsed)
    asked, _, soon = text.partition(labels_for("fr").due_soon)
    assert all(invoice not in asked for invoice in later["invoice"])
    assert all(invoice in soon for invoice in later["invoice"])
    assert money(overdue, "EUR", "fr") in parsed["Subject"] or money(overdue, "EUR", "fr") in asked


# ------------------------------------------------------------ final notice and its date


@pytest.mark.parametrize(("days", "pay_by"), [(None, "2026-11-30"), (10, "2026-12-03")])
def test_the_final_notice_names_its_pay_by_date_in_every_language(tmp_path, days, pay_by):
    invoices = mixed_invoices(days_overdue=40)
    customers = [customer(code, language) for code, language in LANGUAGES.items()]
    settings = {"Start At Due Stage": "Yes", **({"Pay By Days": days} if days else {})}
    book = make_book(tmp_path / "Final.xlsx", invoices, customers, **settings)
    report = remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    drafts = parsed_drafts(report)
    for code, language in LANGUAGES.items():
        assert report.decisions.customers.set_index("customer").loc[code, "stage"] == "final"
        text, html = bodies(drafts[code])
        request = text.split(labels_for(language).due_soon)[1]
        assert pay_by in request and pay_by in html
        owed = money(overdue_by_hand(invoices, code), "EUR", language)
        assert owed in request.split(pay_by)[0]  # "pay EUR ... by DATE"
        assert any(word in request for word in ("collection", "Inkasso", "recouvrement",
                                                "incasso", "recobro"))


def test_the_pay_by_date_follows_the_run_date_given(tmp_path):
    later = dt.date(2027, 2, 26)  # a Friday; the notice asks by the next Friday
    invoices = [invoice("L-1", "L1", "2027-01-10", "700.00")]
    book = make_book(tmp_path / "Later.xlsx", invoices, [customer("L1")],
                     **{"Start At Due Stage": "Yes"})
    moment = dt.datetime(2027, 2, 26, 10, 0, tzinfo=dt.timezone.utc)
    [message] = remind.preview(book, tmp_path / "drafts", now=moment, as_of=later).messages
    assert message.stage == "final" and message.pay_by == "2027-03-05"
    assert "by 2027-03-05" in message.text


# ------------------------------------------------------------ payment links


LINK = "https://pay.example.com/p?c={customer}&i={invoice}&a={amount}&cur={currency}"


def test_payment_links_per_message_and_per_invoice_and_the_invoices_column_wins(tmp_path):
    invoices = [invoice("A&1", "K 1", "2026-10-01", "120.50"),
                invoice("A-2", "K 1", "2026-10-05", "80.00",
                        **{"Payment Link": "https://portal.example.net/inv/A-2"})]
    book = make_book(tmp_path / "Links.xlsx", invoices,
                     [customer("K 1", **{"Contact Email": "ap@k1.example"})],
                     **{"Payment Link": LINK})
    report = remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    [message] = report.messages
    text, html = bodies(parsed_drafts(report)["K 1"])
    query = parse_qs(urlsplit(message.payment_link).query)
    assert query == {"c": ["K 1"], "a": ["200.50"], "cur": ["EUR"]}
    first = parse_qs(urlsplit(message.invoice_links["A&1"]).query)
    assert first == {"c": ["K 1"], "i": ["A&1"], "a": ["120.50"], "cur": ["EUR"]}
    assert message.invoice_links["A-2"] == "https://portal.example.net/inv/A-2"
    for link in (message.payment_link, *message.invoice_links.values()):
        assert link in text
        assert f'href="{link.replace("&", "&amp;")}"' in html


@pytest.mark.parametrize("template", ["javascript:alert({customer})",
                                      "https://pay.example.com/{customer}/{total}"])
def test_a_bad_payment_link_template_is_a_settings_error_naming_its_cell(tmp_path, template):
    book = make_book(tmp_path / "Bad.xlsx", [invoice("B-1", "B1", "2026-10-01", "10.00")],
                     [customer("B1")], **{"Payment Link": template})
    with pytest.raises(DunningInputError) as caught:
        remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    [issue] = [issue for issue in caught.value.issues if "Payment Link" in issue.message]
    assert issue.sheet == "Settings" and issue.column == "Value" and issue.row


def test_a_bad_link_in_the_invoices_table_names_its_row(tmp_path):
    invoices = [invoice("B-1", "B1", "2026-10-01", "10.00",
                        **{"Payment Link": "javascript:alert(1)"})]
    book = make_book(tmp_path / "BadRow.xlsx", invoices, [customer("B1")])
    with pytest.raises(DunningInputError) as caught:
        remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row, issue.column) == ("Invoices", 2, "Payment Link")


# ------------------------------------------------------------ recipients


def test_billing_contact_and_cc_reach_the_server_and_a_stage_adds_its_cc(tmp_path, server):
    invoices = [invoice("R-1", "R1", "2026-10-27", "300.00"),  # 27 days: the notice stage
                invoice("Q-1", "Q1", "2026-10-27", "300.00")]
    customers = [customer("R1", **{"Billing Contact": "Rita Billing",
                                   "Billing Email": "billing@r1.example",
                                   "CC Email": "boss@r1.example; ap2@r1.example"}),
                 customer("Q1", **{"CC Email": "not an address"})]
    book = make_book(tmp_path / "Cc.xlsx", invoices, customers, **{"Start At Due Stage": "Yes"})
    append_rows(book, "Stages", [{"Stage": "notice", "Days From Due": 25, "Action": "email",
                                  "Template": "firm", "Fee": 15, "CC": "manager@acme.example"}])
    report = remind.send(book, now=NOW, as_of=AS_OF, smtp=server.settings())
    decided = report.decisions.customers.set_index("customer")
    assert decided.loc["Q1", "action"] == "skip"
    assert "no valid CC Email address" in decided.loc["Q1", "reason"]
    [received] = server.messages
    assert set(received.recipients) == {"billing@r1.example", "boss@r1.example",
                                        "ap2@r1.example", "manager@acme.example"}
    parsed = email.message_from_bytes(received.data, policy=email_policy.default)
    assert parsed["To"] == "Rita Billing <billing@r1.example>"
    assert {a.addr_spec for a in parsed["Cc"].addresses} == {
        "boss@r1.example", "ap2@r1.example", "manager@acme.example"}
    text = parsed.get_body(("plain",)).get_content()
    assert text.startswith("Dear Rita Billing,")
    # the stage's fee, beside the balance, in the message and in what the statement reads
    assert "A reminder fee of EUR 15.00 is charged with this reminder." in text
    assert decided.loc["R1", "stage_fee"] == 15.0 and decided.loc["R1", "fee_currency"] == "EUR"
    assert report.messages[0].fees == {"EUR": 15.0}


def test_header_injection_through_a_cc_column_is_refused(tmp_path):
    customers = [customer("H1", **{"CC Email": "x@h1.example\r\nBcc: all@evil.example"})]
    book = make_book(tmp_path / "Inject.xlsx", [invoice("H-1", "H1", "2026-10-20", "30.00")],
                     customers)
    report = remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    assert report.messages == []
    assert "no valid" in report.decisions.customers.iloc[0]["reason"]


# ------------------------------------------------------------ collector rules


def test_a_minimum_per_currency_and_a_hold_stop_a_send(tmp_path, server):
    invoices = [invoice("M-1", "M1", "2026-10-20", "40.00"),  # under EUR 50
                invoice("M-2", "M2", "2026-10-20", "55.00", Currency="USD"),  # under USD 60
                invoice("M-3", "M3", "2026-10-20", "70.00", Currency="USD"),
                invoice("H-1", "H1", "2026-10-20", "900.00"),
                invoice("I-1", "I1", "2026-10-20", "900.00", **{"Hold Until": "2026-11-30",
                                                                "Hold Reason": "credit check"})]
    customers = [customer("M1"), customer("M2"), customer("M3"), customer("I1"),
                 customer("H1", **{"Hold Until": "2026-11-30", "Hold Reason": "audit"})]
    book = make_book(tmp_path / "Rules.xlsx", invoices, customers,
                     **{"Minimum Overdue": "EUR 50; USD 60"})
    report = remind.send(book, now=NOW, as_of=AS_OF, smtp=server.settings())
    decided = report.decisions.customers.set_index("customer")
    assert [m.customer for m in report.messages] == ["M3"]
    assert decided.loc["M1", "reason"] == ("below the minimum: EUR 40.00 overdue, the least a "
                                           "reminder asks for is EUR 50.00")
    assert decided.loc["M2", "action"] == "skip"
    assert decided.loc["H1", "reason"] == "waiting: on hold until 2026-11-30, audit"
    assert decided.loc["I1", "reason"] == ("nothing to chase: on hold until 2026-11-30, "
                                           "credit check (I-1)")
    assert len(server.messages) == 1
    # the day after the holds end, both go (a Tuesday)
    later = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
    again = remind.send(book, now=later, as_of=later.date(), smtp=server.settings())
    assert {"H1", "I1"} <= {m.customer for m in again.messages}
    assert {"M1", "M2"}.isdisjoint(m.customer for m in again.messages)


def test_a_hold_logged_with_dunning_log_holds_until_its_date(tmp_path, capsys):
    book = make_book(tmp_path / "Log.xlsx", [invoice("G-1", "G1", "2026-10-20", "500.00")],
                     [customer("G1")])
    assert main(["log", str(book), "--customer", "G1", "--outcome", "on hold until",
                 "--next-action", "2026-11-27", "--note", "awaiting PO", "--channel", "phone",
                 "--now", "2026-11-20T09:00:00+00:00"]) == 0
    held = remind.preview(book, tmp_path / "d1", now=NOW, as_of=AS_OF)
    assert held.messages == []
    reason = held.decisions.customers.iloc[0]["reason"]
    assert reason == "nothing to chase: on hold until 2026-11-27, awaiting PO (G-1)"
    after = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone.utc)
    assert [m.customer for m in remind.preview(book, tmp_path / "d2", now=after,
                                               as_of=after.date()).messages] == ["G1"]


def test_no_reminder_on_a_public_holiday_of_the_customers_country(tmp_path):
    invoices = [invoice("P-1", "P1", "2026-11-20", "500.00"),
                invoice("P-2", "P2", "2026-11-20", "500.00"),
                invoice("P-3", "P3", "2026-11-20", "500.00")]
    customers = [customer("P1", "fr", Country="FR"), customer("P2", "en", Country="US"),
                 customer("P3", "en")]
    book = make_book(tmp_path / "Holiday.xlsx", invoices, customers,
                     **{"Holiday Country": "GB"})
    christmas = dt.datetime(2026, 12, 25, 10, 0, tzinfo=dt.timezone.utc)  # a Friday
    report = remind.preview(book, tmp_path / "drafts", now=christmas, as_of=christmas.date())
    decided = report.decisions.customers.set_index("customer")
    assert report.messages == []
    assert decided.loc["P1", "reason"] == ("waiting: 2026-12-25 is a public holiday in FR "
                                           "(Noël)") or "public holiday in FR" in \
        decided.loc["P1", "reason"]
    assert "public holiday in GB" in decided.loc["P3", "reason"]  # the Settings default
    boxing = dt.datetime(2026, 12, 28, 10, 0, tzinfo=dt.timezone.utc)  # Monday: GB's substitute
    report = remind.preview(book, tmp_path / "d2", now=boxing, as_of=boxing.date())
    assert sorted(m.customer for m in report.messages) == ["P1", "P2"]


def test_an_unknown_country_names_its_customers_cell(tmp_path):
    book = make_book(tmp_path / "Country.xlsx", [invoice("U-1", "U1", "2026-11-20", "5.00")],
                     [customer("U1", Country="Atlantis")])
    with pytest.raises(DunningInputError) as caught:
        remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row, issue.column) == ("Customers", 2, "Country")


# ------------------------------------------------------------ onboarding a backlog


def test_a_backlog_starts_at_the_stage_its_days_have_reached(tmp_path, capsys):
    invoices = [invoice("O-1", "O1", "2026-01-16", "800.00"),  # 311 days past due
                invoice("O-2", "O2", "2026-10-25", "800.00")]  # 29 days: firm by the days
    book = make_book(tmp_path / "Backlog.xlsx", invoices, [customer("O1"), customer("O2")])
    climbing = remind.preview(book, tmp_path / "d1", now=NOW, as_of=AS_OF)
    assert set(climbing.decisions.customers["stage"]) == {"friendly"}
    jumped = remind.preview(book, tmp_path / "d2", now=NOW, as_of=AS_OF, start_at_due_stage=True)
    stages = jumped.decisions.customers.set_index("customer")
    assert stages.loc["O1", "action"] == "task" and stages.loc["O1", "stage"] == "handoff"
    assert stages.loc["O2", "stage"] == "firm"
    assert main(["remind", str(book), "--dry-run", "--start-at-due-stage", "--drafts",
                 str(tmp_path / "d3"), "--now", NOW.isoformat()]) == 0
    assert "1 hand-off task(s)" in capsys.readouterr().out


def test_reminders_sent_by_hand_before_dunning_count(tmp_path, capsys):
    book = make_book(tmp_path / "ByHand.xlsx", [invoice("Y-1", "Y1", "2026-10-20", "800.00")],
                     [customer("Y1")])
    assert main(["log", str(book), "--customer", "Y1", "--outcome", "reminder sent",
                 "--stage", "Firm", "--channel", "email", "--as-of", "2026-11-10"]) == 0
    report = remind.preview(book, tmp_path / "drafts", now=NOW, as_of=AS_OF)
    row = report.decisions.customers.iloc[0]
    assert (row["previous_stage"], row["stage"]) == ("firm", "final")
    assert row["last_sent"] == dt.date(2026, 11, 10)
    status = main(["log", str(book), "--customer", "Y1", "--outcome", "reminder sent",
                   "--as-of", "2026-11-11"])
    assert status != 0 and "--stage" in capsys.readouterr().err


# ------------------------------------------------------------ a dry run's own drafts


def test_a_dry_run_clears_its_own_earlier_drafts_of_the_day(tmp_path, capsys):
    invoices = [invoice("W-1", "W1", "2026-10-20", "500.00"),
                invoice("V-1", "V1", "2026-10-20", "500.00")]
    book = make_book(tmp_path / "Dry.xlsx", invoices, [customer("W1"), customer("V1")])
    folder = tmp_path / "drafts"
    first = remind.preview(book, folder, now=NOW, as_of=AS_OF)
    assert len(first.drafts) == 2
    kept_name = next(p for p in first.drafts if "_V1_" in p.name)
    foreign = folder / f"{AS_OF}_W1_friendly_000000000000.eml"  # not a name Dunning gives
    foreign.write_bytes(next(p for p in first.drafts if "_W1_" in p.name).read_bytes())
    note = folder / "notes.eml"
    note.write_text("From: me@example.com\n\nmy own file\n")
    assert main(["log", str(book), "--customer", "W1", "--outcome", "promise",
                 "--promise-date", "2026-12-04", "--now", "2026-11-23T09:30:00+00:00"]) == 0
    capsys.readouterr()
    second = remind.preview(book, folder, now=NOW, as_of=AS_OF)
    assert [m.customer for m in second.messages] == ["V1"]
    left = sorted(p.name for p in folder.glob("*.eml"))
    assert left == sorted([kept_name.name, foreign.name, note.name])
    assert any("no longer apply" in line for line in second.notes)
    earlier_day = remind.preview(book, tmp_path / "other", now=NOW, as_of=AS_OF).drafts
    assert earlier_day  # another folder is another preview's: untouched by this one


def test_the_worklist_shows_holds_at_the_bottom_with_their_reasons(tmp_path):
    from dunning.app.actions import worklist

    invoices = [invoice("H-1", "H1", "2026-06-01", "900.00"),
                invoice("I-1", "I1", "2026-06-01", "900.00", **{"Hold Until": "2026-12-15",
                                                                "Hold Reason": "audit"}),
                invoice("Z-1", "Z1", "2026-06-01", "100.00")]
    customers = [customer("H1", **{"Hold Until": "2026-12-31", "Hold Reason": "insolvency"}),
                 customer("I1"), customer("Z1")]
    book = make_book(tmp_path / "Work.xlsx", invoices, customers)
    table = worklist(book, now=NOW, as_of=AS_OF, write=False).data.set_index("customer")
    assert table.loc["H1", "held"] and table.loc["I1", "held"] and not table.loc["Z1", "held"]
    assert table.loc["H1", "reasons"].startswith("on hold until 2026-12-31, insolvency")
    assert table.loc["I1", "reasons"].startswith("on hold until 2026-12-15, audit (I-1)")
    assert table.loc["Z1", "rank"] < min(table.loc["H1", "rank"], table.loc["I1", "rank"])
