"""The ribbon's actions, run headless on real workbook files and read back with calamine."""

import csv
import datetime as dt
import re

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from datasets import IBM, read_dataset
from dunning.app import actions, remind
from dunning.core.aging import TOTAL, aging_tables
from dunning.core.contactlog import Contact
from dunning.core.errors import DunningInputError
from dunning.core.worklist import HEADERS as WORKLIST_HEADERS
from dunning.demo import SAMPLE_AS_OF, sample_customers
from dunning.io.book import open_book
from dunning.io.client_workbook import build_workbook

NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)


def sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def table(path, name):
    found = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(name)
    return [dict(zip(found.columns, row, strict=True)) for row in found.to_python()
            if any(cell not in ("", None) for cell in row)]


def outbox_report(report):
    """The rows of a preview's outbox report (the Outbox sheet's columns), header first."""
    with report.outbox.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def test_refresh_writes_aging_and_kpis_stamped_with_the_date(book):
    before = table(book, "Invoices")
    result = actions.refresh(book)
    assert result.sheets == ("Aging", "KPIs", "KPIHistory", "Charts")
    aging = sheet(book, "Aging")
    assert aging[0][0] == f"Aging by customer as of {SAMPLE_AS_OF:%Y-%m-%d} (days past due)"
    header = aging[3]
    total_row = next(row for row in aging if row and row[0] == TOTAL)
    ledger = open_book(book, all_currencies=True).frame
    amounts, _ = aging_tables(ledger, SAMPLE_AS_OF)
    assert total_row[header.index(TOTAL)] == pytest.approx(amounts.at[TOTAL, TOTAL], abs=0.005)
    kpis = {row[0]: row[1] for row in sheet(book, "KPIs") if len(row) > 1}
    assert isinstance(kpis["DSO"], float) and kpis["Open items"] > 0
    assert table(book, "Invoices") == before  # nothing else touched


def test_worklist_sheet_is_ranked_with_reasons(book):
    result = actions.worklist(book, now=NOW)
    rows = [row[:len(WORKLIST_HEADERS)] for row in sheet(book, "Worklist")]
    assert rows[0] == list(WORKLIST_HEADERS)
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[0] != ""]
    assert [row["Rank"] for row in body] == list(range(1, len(body) + 1))
    assert len(body) == len(result.data) > 0
    assert all(row["Reason"] for row in body)
    scores = [row["Score"] for row in body if not str(row["Reason"]).startswith("on hold")]
    assert scores == sorted(scores, reverse=True)


def test_preview_writes_the_outbox_report_and_drafts_and_sends_nothing(book, tmp_path):
    before = book.read_bytes()
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    outbox = outbox_report(report)
    assert outbox[0][:5] == ["Customer", "Name", "To", "Action", "Stage"]
    assert len(report.messages) == sum(1 for row in outbox[1:] if row[3] == "send") > 0
    assert len(list((tmp_path / "drafts").glob("*.eml"))) == len(report.messages)
    assert table(book, "ContactLog") == []
    assert book.read_bytes() == before  # the Outbox sheet shows sends only


def test_preview_writes_beside_the_workbook_by_default(book):
    report = remind.preview(book, now=NOW)
    assert report.outbox == book.parent / "Client-drafts-2026-11-23" / "outbox.csv"
    assert {path.parent for path in report.drafts} == {report.outbox.parent}


def test_send_asks_first_with_the_counts_and_a_no_sends_nothing(book):
    asked = []
    before = book.read_bytes()
    report = remind.send(book, now=NOW, confirm=lambda q: asked.append(q) or False)
    assert report.cancelled and report.summary() == "Cancelled: nothing was sent."
    assert asked and asked[0].startswith("Send ") and "customer(s)" in asked[0]
    assert asked == [remind.confirm_text(report.messages)]
    assert table(book, "ContactLog") == []
    assert book.read_bytes() == before
    assert not remind.journal_path(book).exists()  # not even the journal was touched


def test_a_payment_plan_adds_up_holds_reminders_and_is_judged_on_refresh(book):
    ledger = open_book(book, all_currencies=True).frame
    customer = "CAS03"
    mine = ledger[(ledger["customer"] == customer)]
    balance = round(float(mine["open_amount"].sum()), 2)
    request = actions.PlanRequest(customer, 4, "monthly", dt.date(2026, 12, 1), user="ana")
    result = actions.payment_plan(book, request, now=NOW)
    rows = sheet(book, "PaymentPlans")
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[0]]
    assert len(body) == 4 and {row["Customer"] for row in body} == {customer}
    assert round(sum(row["Amount"] for row in body), 2) == balance  # to the cent
    assert "PP-CAS03-20261201" in result.message
    [logged] = table(book, "ContactLog")
    assert logged["Outcome"] == "payment plan agreed" and logged["Open Balance"] == balance
    outbox = remind.preview(book, now=NOW)
    reasons = {row[0]: row[8] for row in outbox_report(outbox)[1:] if row[0]}
    assert "payment plan being kept" in reasons[customer]
    assert customer not in {message.customer for message in outbox.messages}
    worklist = actions.worklist(book, now=NOW).data.set_index("customer")
    assert bool(worklist.loc[customer, "held"])
    assert actions.refresh(book).sheets == ("Aging", "KPIs", "KPIHistory", "Charts",
                                            "PaymentPlans")
    plans = sheet(book, "PaymentPlans")
    status = plans[0].index("Status")
    statuses = [row[status] for row in plans[1:] if row[0]]
    assert statuses == ["upcoming"] * 4  # nothing due before the first instalment


def test_a_plan_for_a_customer_owing_nothing_is_refused_and_nothing_written(book):
    ledger = open_book(book, all_currencies=True).frame
    owing = ledger.groupby("customer")["open_amount"].sum()
    settled = owing[owing == 0].index[0]
    before = book.read_bytes()
    with pytest.raises(DunningInputError, match="nothing open"):
        actions.payment_plan(book, actions.PlanRequest(settled, 3, "weekly",
                                                       dt.date(2026, 12, 1)), now=NOW)
    assert book.read_bytes() == before


def test_a_broken_promise_raises_the_customers_priority(book):
    from dunning.core.ledger import open_balance

    ledger = open_book(book, all_currencies=True).frame
    then = open_balance(ledger, NOW.date() - dt.timedelta(days=20))
    paid_since = (then - open_balance(ledger, NOW.date())).round(2) != 0
    unpaid = ledger.groupby("customer").filter(lambda items: not paid_since[items.index].any())
    overdue = unpaid[(unpaid["open_amount"] > 0) & (unpaid["due_date"] < "2026-10-01")]
    who = sample_customers()
    blocked = set(who.loc[who["Do Not Contact"] == "Yes", "Customer"])
    overdue = overdue[~overdue["customer"].isin(blocked)]
    customer = overdue["customer"].iloc[-1]  # owes, has paid nothing in 20 days, may be called
    before = actions.worklist(book, now=NOW).data.set_index("customer").loc[customer]
    actions.log_contact(book, Contact(customer, "phone", "promise", NOW - dt.timedelta(days=20),
                                      promise_date=dt.date(2026, 11, 10), promise_amount=100.0))
    after = actions.worklist(book, now=NOW).data.set_index("customer").loc[customer]
    assert after["broken_promise"] == 40 and after["rank"] <= before["rank"]
    assert after["score"] == pytest.approx(before["score"] + 40)
    assert after["reason"].startswith("promise to pay by 2026-11-10 broken")


def test_a_dispute_pauses_that_invoice_and_shows_its_age(book):
    ledger = open_book(book, all_currencies=True).frame
    open_items = ledger[ledger["open_amount"] > 0]
    counts = open_items.groupby("customer").size()
    customer = counts[counts == 1].index[0]
    invoice = open_items.loc[open_items["customer"] == customer, "invoice"].iloc[0]
    actions.log_contact(book, Contact(customer, "phone", "dispute", NOW - dt.timedelta(days=6),
                                      invoices=(invoice,), note="price differs from the order"))
    ranked = actions.worklist(book, now=NOW).data.set_index("customer")
    assert ranked.loc[customer, "reason"] == f"on hold: dispute open 6 days ({invoice})"


@pytest.fixture
def ibm_book(tmp_path):
    """The IBM dataset loaded into the template as it stood on 30 June 2013."""
    source = read_dataset(IBM)
    as_of = pd.Timestamp("2013-06-30")
    issued = pd.to_datetime(source["InvoiceDate"], format="%m/%d/%Y")
    settled = pd.to_datetime(source["SettledDate"], format="%m/%d/%Y")
    known = source[issued <= as_of]
    paid_by_then = settled[issued <= as_of] <= as_of
    invoices = pd.DataFrame({
        "Invoice No": known["invoiceNumber"],
        "Customer": known["customerID"],
        "Invoice Date": issued[issued <= as_of].dt.date,
        "Due Date": pd.to_datetime(known["DueDate"], format="%m/%d/%Y").dt.date,
        "Amount": known["InvoiceAmount"].astype(float),
        "Paid": known["InvoiceAmount"].astype(float).where(paid_by_then, 0.0),
        "Currency": "USD",
        "Disputed": known["Disputed"],
        "Settled Date": settled[issued <= as_of].dt.date.where(paid_by_then, None),
        "Written Off": "No",
        "Notes": "",
    })
    path = tmp_path / "IBM.xlsx"
    build_workbook(path, client="IBM sample", invoices=invoices, customers=None,
                   as_of=as_of.date())
    return path


def test_the_ibm_ledger_in_the_template_refreshes_and_ranks_with_the_risk_model(ibm_book):
    actions.refresh(ibm_book)
    aging = sheet(ibm_book, "Aging")
    total_row = next(row for row in aging if row and row[0] == TOTAL)
    ledger = open_book(ibm_book, all_currencies=True).frame
    amounts, _ = aging_tables(ledger, dt.date(2013, 6, 30))
    assert total_row[-1] == pytest.approx(amounts.at[TOTAL, TOTAL], abs=0.005)
    ranked = actions.worklist(ibm_book, now=dt.datetime(2013, 6, 30, 9, tzinfo=dt.timezone.utc),
                              as_of=dt.date(2013, 6, 30)).data
    assert len(ranked) > 10
    assert (ranked["risk"] > 0).any()  # the model scored the items not yet due
    assert ranked["reasons"].str.contains("risk of paying late").any()


def test_the_collectors_commands(book, capsys):
    from dunning.cli import main

    before = book.read_bytes()
    assert main(["worklist", str(book), "--print-only", "--now", "2026-11-23T11:00+00:00"]) == 0
    printed = capsys.readouterr().out
    assert "1. " in printed and "score" in printed
    assert book.read_bytes() == before  # --print-only changes nothing
    assert main(["worklist", str(book), "--now", "2026-11-23T11:00+00:00"]) == 0
    assert "written to the Worklist sheet" in capsys.readouterr().out
    assert main(["refresh", str(book)]) == 0
    assert "Aging and KPIs as of 2026-11-23" in capsys.readouterr().out
    assert main(["plan", str(book), "--customer", "CAS03", "--instalments", "3",
                 "--every", "fortnightly", "--start", "2026-12-01", "--first-payment",
                 "100", "--now", "2026-11-23T11:00+00:00"]) == 0
    printed = capsys.readouterr().out
    assert "Plan PP-CAS03-20261201" in printed and "2026-12-15" in printed
    assert main(["plan", str(book), "--customer", "nobody", "--instalments", "3",
                 "--start", "2026-12-01", "--as-of", "2026-11-23"]) == 1
    assert "no customer 'nobody'" in capsys.readouterr().err
    assert main(["plan", str(book), "--customer", "CAS03", "--instalments", "2",
                 "--start", "2026-11-30", "--as-of", "2026-12-01"]) == 1
    assert capsys.readouterr().err.startswith(  # the value came from --start, not a cell
        "Error: --start: the first instalment cannot fall due before today (2026-12-01)")
    assert main(["plan", str(book), "--customer", "CAS03", "--instalments", "2",
                 "--start", "2026-12-01", "--currency", "JPY", "--as-of", "2026-11-23"]) == 1
    assert capsys.readouterr().err.startswith(
        "Error: --currency: customer CAS03 has nothing open in JPY")


@pytest.fixture
def highradius_book(tmp_path):
    """The HighRadius open items (USD and CAD), imported by the ledger, in the template."""
    from datasets import HIGHRADIUS
    from dunning.core.ledger import build_ledger

    frame = build_ledger(read_dataset(HIGHRADIUS), sheet="open_items").frame
    invoices = pd.DataFrame({
        "Invoice No": frame["invoice"], "Customer": frame["customer"],
        "Invoice Date": frame["invoice_date"].dt.date, "Due Date": frame["due_date"].dt.date,
        "Amount": frame["amount"], "Paid": frame["amount"] - frame["open_amount"],
        "Currency": frame["currency"], "Disputed": "No", "Settled Date": None,
        "Written Off": "No", "Notes": "",
    })
    names = frame.drop_duplicates("customer")
    customers = pd.DataFrame({"Customer": names["customer"], "Name": names["customer_name"]})
    path = tmp_path / "HighRadius.xlsx"
    build_workbook(path, client="HighRadius sample", invoices=invoices, customers=customers,
                   as_of=dt.date(2020, 6, 30))
    return path


def test_every_action_on_the_highradius_open_items(highradius_book):
    path = highradius_book
    now = dt.datetime(2020, 6, 30, 10, tzinfo=dt.timezone.utc)
    ledger = open_book(path, all_currencies=True).frame
    assert set(ledger["currency"]) == {"USD", "CAD"}

    actions.refresh(path)
    aging = sheet(path, "Aging")
    blocks = [row[0] for row in aging if row and str(row[0]).startswith("Currency: ")]
    assert blocks == ["Currency: CAD", "Currency: USD"]  # never added together

    ranked = actions.worklist(path, now=now).data
    assert len(ranked) > 100 and ranked["rank"].is_monotonic_increasing
    cad_only = ranked[ranked["open_by_currency"].map(lambda owed: set(owed) == {"CAD"})]
    assert (cad_only["far_past_due"] > 0).any()  # CAD scaled against CAD balances

    preview = remind.preview(path, now=now)
    assert preview.messages == []  # no addresses in Customers: nothing can go, and says why
    reasons = [row[8] for row in outbox_report(preview)[1:] if row[0]]
    assert reasons and all(reason for reason in reasons)

    top = ranked.iloc[0]["customer"]
    invoice = ledger.loc[ledger["customer"] == top, "invoice"].iloc[0]
    actions.log_contact(path, Contact(top, "phone", "dispute", now.replace(tzinfo=None),
                                      invoices=(invoice,), note="goods returned"))
    after = actions.worklist(path, now=now).data.set_index("customer")
    assert f"dispute open 0 days ({invoice})" in after.loc[top, "reasons"]

    currency = ledger.loc[ledger["invoice"] == invoice, "currency"].iloc[0]
    plan = actions.payment_plan(path, actions.PlanRequest(
        top, 6, "fortnightly", dt.date(2020, 7, 15), first_payment=None, currency=currency),
        now=now)
    undisputed = ledger[(ledger["customer"] == top) & (ledger["currency"] == currency)
                        & (ledger["invoice"] != invoice)]["open_amount"].sum()
    assert round(plan.data["amount"].sum(), 2) == round(undisputed, 2)  # dispute left out
    with pytest.raises(DunningInputError, match="has nothing open in EUR"):
        actions.payment_plan(path, actions.PlanRequest(top, 2, "weekly", dt.date(2020, 7, 15),
                                                       currency="EUR"), now=now)


def test_a_second_plan_over_the_same_invoices_or_one_starting_in_the_past_is_refused(book):
    first = actions.PlanRequest("CAS03", 3, "monthly", dt.date(2026, 12, 1))
    actions.payment_plan(book, first, now=NOW)
    before = book.read_bytes()
    with pytest.raises(DunningInputError, match="already has plan PP-CAS03-20261201"):
        actions.payment_plan(book, first, now=NOW)
    with pytest.raises(DunningInputError, match="cannot fall due before today"):
        actions.payment_plan(book, actions.PlanRequest("EMA05", 3, "monthly",
                                                       dt.date(2020, 1, 31)), now=NOW)
    with pytest.raises(DunningInputError, match="at most 120 instalments"):
        actions.payment_plan(book, actions.PlanRequest("EMA05", 100_000, "monthly",
                                                       dt.date(2026, 12, 1)), now=NOW)
    assert book.read_bytes() == before


def test_a_csv_export_is_not_a_client_workbook(tmp_path, capsys):
    from dunning.cli import main

    export = tmp_path / "export.csv"
    export.write_text("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
                      "A-1,C1,2026-01-01,2026-01-31,100\n", encoding="utf-8")
    for command in (["worklist"], ["refresh"], ["remind", "--dry-run"]):
        assert main([command[0], str(export), *command[1:]]) == 1
        assert "is a CSV export: this needs the client's workbook" in capsys.readouterr().err


def test_the_worklist_and_the_reminder_run_print_the_ledgers_warnings(book, capsys):
    from dunning.cli import main
    from dunning.io.xlsx import append_rows

    append_rows(book, "Invoices", [{"Invoice No": "X-1", "Customer": "CAS03",
                                    "Invoice Date": dt.date(2026, 10, 1),
                                    "Due Date": dt.date(2026, 9, 1), "Amount": 10.0}])
    for command in (["worklist", "--print-only"], ["remind", "--dry-run"]):
        assert main([command[0], str(book), *command[1:], "--now",
                     "2026-11-23T11:00+00:00"]) == 0
        assert "Warning:" in capsys.readouterr().err


# ------------------------------------------------------------ sheets that read like a report

MADE = dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.timezone.utc)


def refreshed(book, days):
    for day in days:
        actions.refresh(book, as_of=day, now=MADE)
    return book


def formats(path, name):
    from openpyxl import load_workbook

    return load_workbook(path)[name]


def test_refreshed_sheets_have_number_formats_widths_headers_and_panes(book):
    refreshed(book, [SAMPLE_AS_OF])
    kpis = formats(book, "KPIs")
    rows = {row[0].value: row for row in kpis.iter_rows(min_row=1) if row[0].value}
    dso = rows["DSO"]
    assert (dso[1].number_format, dso[2].value) == ("0.0", "days")
    assert f"{dso[1].value:.1f}" == "58.4"
    assert rows["Open receivables"][1].number_format == "#,##0.00"  # the Unit column says EUR
    assert rows["Open receivables"][2].value == "EUR"
    share = rows["Current"]
    assert share[1].number_format == "0.0%" and 0 < share[1].value < 1
    widest = max(len(str(row[0].value)) for row in rows.values() if row[1].value is not None)
    assert kpis.column_dimensions["A"].width >= widest  # no KPI name is cut off
    assert rows["KPI"][0].font.b and rows["KPI"][0].fill.fgColor.rgb.endswith("DDEBF7")
    assert kpis["A2"].value == "Dunning, as of 2026-11-23; made 2026-11-24 08:30 UTC"
    assert kpis.freeze_panes == "B1"
    aging = formats(book, "Aging")
    total = next(row for row in aging.iter_rows() if row[0].value == TOTAL)
    assert total[-1].number_format == '#,##0.00 "EUR";-#,##0.00 "EUR"'
    assert aging.freeze_panes == "C1"
    history = formats(book, "KPIHistory")
    assert history["A2"].number_format == "yyyy-mm-dd"  # the Invoices table's date format
    assert history["G2"].number_format == "0.0%" and history["E2"].number_format == "0.0"
    assert history.freeze_panes == "A2" and "KPIHistory" in history.tables


def test_list_sheets_say_when_they_were_made_and_keep_their_headers(book):
    actions.worklist(book, now=MADE)
    worklist = formats(book, "Worklist")
    headers = [cell.value for cell in worklist[1]]
    assert headers[:len(WORKLIST_HEADERS)] == list(WORKLIST_HEADERS)
    assert headers[-1].startswith("Dunning, as of ")
    assert headers[-1].endswith("; made 2026-11-24 08:30 UTC")
    balance = headers.index("Open Balance") + 1
    assert worklist.cell(2, balance).number_format == "#,##0.00"
    assert worklist.freeze_panes == "A2"
    assert worklist.cell(1, 1).font.b
    outbox = remind.outbox_layout([list(remind.OUTBOX_HEADERS), ["C1", *[""] * 6, 12.5]], "s")
    total = remind.OUTBOX_HEADERS.index("Total")
    assert outbox.kinds[1][total] == "money" and outbox.rows[0][-1] == "s"
    customer = "CAS03"
    actions.payment_plan(book, actions.PlanRequest(customer, 4, "monthly",
                                                   dt.date(2026, 12, 1)), now=MADE)
    plans = formats(book, "PaymentPlans")
    header = [cell.value for cell in plans[1]]
    assert plans.cell(2, header.index("Due Date") + 1).number_format == "yyyy-mm-dd"
    assert plans.cell(2, header.index("Amount") + 1).number_format == "#,##0.00"
    assert plans.column_dimensions["E"].width >= 10  # no more ### for dates


def test_dates_follow_the_workbook_own_date_format(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "dotted.xlsx"
    build_workbook(path, client="Sample", invoices=sample_invoices_frame(),
                   customers=sample_customers(), as_of=SAMPLE_AS_OF)
    book = load_workbook(path)
    for row in book["Invoices"].iter_rows(min_row=2, min_col=3, max_col=4):
        for cell in row:
            cell.number_format = "dd.mm.yyyy"
    book.save(path)
    refreshed(path, [SAMPLE_AS_OF])
    assert formats(path, "KPIHistory")["A2"].number_format == "dd.mm.yyyy"


def sample_invoices_frame():
    from dunning.demo import sample_invoices

    return sample_invoices()


def test_kpi_history_keeps_one_row_per_day_and_currency(book):
    days = [dt.date(2026, 8, 31), dt.date(2026, 9, 30), dt.date(2026, 10, 31)]
    refreshed(book, days)
    first = table(book, "KPIHistory")
    assert [(row["As Of"], row["Currency"]) for row in first] == [
        (day, "EUR") for day in days]
    ledger = open_book(book, all_currencies=True).frame
    from dunning.core.kpi_history import history_records

    for row, day in zip(first, days, strict=True):
        expected = history_records(ledger, day)[0]
        assert [row[h] for h in ("Open Receivables", "DSO", "CEI Last 30 Days")] == pytest.approx(
            [expected[2], expected[4], expected[6]])
    # the same day again replaces its row, and only it
    with pytest.MonkeyPatch.context() as patch:
        from dunning.core import kpi_history

        real = kpi_history.history_records
        patch.setattr(actions, "history_records",
                      lambda frame, day: [[*row[:2], 1.0, *row[3:]] for row in real(frame, day)])
        refreshed(book, [days[1]])
    again = table(book, "KPIHistory")
    assert len(again) == 3
    assert again[1]["Open Receivables"] == 1.0
    assert [again[0], again[2]] == [first[0], first[2]]


def test_the_charts_follow_the_history_as_it_grows(book):
    import re
    import zipfile

    def chart_ranges():
        with zipfile.ZipFile(book) as archive:
            names = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
            return [re.findall(r"<c:f>(.*?)</c:f>", archive.read(n).decode()) for n in names]

    refreshed(book, [dt.date(2026, 9, 30)])
    first = chart_ranges()
    assert len(first) == 4
    assert first[0] == ["Charts!$A$5:$A$10", "Charts!$B$5:$B$10"]
    assert first[2][:2] == ["KPIHistory!$A$2:$A$2", "KPIHistory!$E$2:$E$2"]
    refreshed(book, [dt.date(2026, 10, 31), SAMPLE_AS_OF])
    grown = chart_ranges()
    assert len(grown) == 4  # the same parts, rewritten
    assert grown[2][:2] == ["KPIHistory!$A$2:$A$4", "KPIHistory!$E$2:$E$4"]
    assert grown[3][1] == "KPIHistory!$G$2:$G$4"
    charts = sheet(book, "Charts")
    top = charts.index(["Customer", "Name", "Overdue"])
    assert grown[1][0] == f"Charts!$B${top + 2}:$B${len(charts)}"


def test_libreoffice_and_calamine_open_the_refreshed_book(book, tmp_path):
    import shutil

    import xlsx_corpus as corpus

    refreshed(book, [dt.date(2026, 10, 31), SAMPLE_AS_OF])
    actions.worklist(book, now=MADE)
    for name in ("Aging", "KPIs", "KPIHistory", "Charts", "Worklist"):
        assert sheet(book, name)
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    shown = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    corpus.libreoffice_convert([book], tmp_path / "csv", shown)  # cells as LibreOffice shows them
    kpis = (tmp_path / "csv" / f"{book.stem}-KPIs.csv").read_text("utf-8").splitlines()
    assert "DSO,58.4,days" in kpis
    assert 'Open receivables,"110,461.59",EUR' in kpis  # the currency once, in the Unit column
    assert "Collection effectiveness index,88.6%," in kpis  # the % once, by its format
    history = (tmp_path / "csv" / f"{book.stem}-KPIHistory.csv").read_text("utf-8").splitlines()
    assert history[-1].startswith("2026-11-23,EUR,\"110,461.59\",")


def test_the_dashboard_and_charts_render_to_png(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    missing = [tool for tool in ("soffice", "pdftoppm", "pdftotext") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} to render the Dashboard")
    script = Path(__file__).resolve().parents[1] / "scripts" / "render_dashboard.py"
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    for name in ("dashboard", "charts"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_every_sheet_dunning_writes_reads_like_a_report(book, server, tmp_path):
    """Aging, KPIs, KPIHistory, Charts, Worklist, Outbox and PaymentPlans, each as written:
    a bold header row on a fill, frozen panes, the as-of and made line, amounts formatted
    with thousands and two decimals and shown with their currency (in the format, or a
    Currency column on the list sheets), and widths LibreOffice prints without ###."""
    import shutil

    from openpyxl import load_workbook

    actions.payment_plan(book, actions.PlanRequest("CAS03", 3, "monthly", dt.date(2026, 12, 1)),
                         now=MADE)
    refreshed(book, [dt.date(2026, 10, 31), SAMPLE_AS_OF])
    actions.worklist(book, now=MADE)
    remind.send(book, now=MADE.replace(hour=11), smtp=server.settings())
    written = load_workbook(book)
    made = "Dunning, as of 2026-11-23; made 2026-11-24"
    sheets = ("Aging", "KPIs", "KPIHistory", "Charts", "Worklist", "Outbox", "PaymentPlans")
    for name in sheets:
        ws = written[name]
        cells = [cell for row in ws.iter_rows() for cell in row if cell.value is not None]
        stamps = [c for c in cells if isinstance(c.value, str) and c.value.startswith("Dunning")]
        assert stamps and stamps[0].value.startswith("Dunning, as of 2026-11-2"), name
        assert "made 2026-11-24" in stamps[0].value, name
        assert ws.freeze_panes not in (None, "A1"), name
        headers = [c for c in cells if c.font.b and c.fill.fgColor.rgb
                   and str(c.fill.fgColor.rgb).endswith("DDEBF7")]
        assert headers, f"{name}: no styled header row"
        money = [c for c in cells if isinstance(c.value, float) and "#,##0.00" in c.number_format]
        header_text = {str(c.value) for c in headers}
        if name == "KPIs":  # an amount's unit is its currency, shown once: in the Unit column
            amounts = [row[1] for row in ws.iter_rows() if row[2].value == "EUR"]
            assert amounts and all(c.number_format == "#,##0.00" for c in amounts)
            assert not any("EUR" in c.number_format for c in cells)
        elif name in ("Aging", "Charts"):
            assert money and all('"EUR"' in c.number_format for c in money), name
        elif name in ("Worklist", "Outbox", "PaymentPlans"):
            assert money and "Currency" in header_text, name
        else:
            assert money and "Currency" in header_text, name  # KPIHistory: one row a currency
        for column, width in ws.column_dimensions.items():
            assert width.width is None or width.width >= 6, (name, column)
    assert made in written["KPIs"]["A2"].value
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice (soffice) or pdftotext is not installed")
    import xlsx_corpus as corpus
    from pdf_text import pdf_text

    pdf = corpus.libreoffice_convert([book], tmp_path / "pdf", "pdf")[0]
    text = pdf_text(pdf, tmp_path)
    assert "###" not in text  # no number is too wide for its column
    assert "110,461.59 EUR" in text and "Dunning, as of 2026-11-23" in text
    assert not re.search(r"EUR\s+EUR", text)  # KPIs: the currency once, in the Unit column
