"""The ribbon's buttons on a stand-in for the open workbook, with a scripted user.

The stand-in (tests/fake_excel.py) holds the sample workbook's values as
xlwings passes them, so these tests run the live-Excel path of every action:
reading tables in one block, appending rows by resizing the table, replacing
owned sheets, and the message boxes a user sees.
"""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dunning.app import actions
from dunning.core.worklist import HEADERS as WORKLIST_HEADERS
from dunning.excel import ribbon
from dunning.excel.live import ExcelWorkbook, cell_value
from dunning.io.book import open_book
from dunning.io.workbook import FileWorkbook
from fake_excel import FakeBook, Formula
from ooxml_schema import chart_parts, invalid_parts

NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)


class ScriptedUi:
    """Answers questions from a script and keeps every message shown."""

    def __init__(self, answers=(), confirm=False):
        self.answers = list(answers)
        self.confirmed = confirm
        self.alerts: list[tuple[str, str]] = []
        self.questions: list[str] = []
        self.opened: list[str] = []

    def alert(self, title, message):
        self.alerts.append((title, message))

    def confirm(self, title, question):
        self.questions.append(question)
        return self.confirmed

    def ask(self, title, prompt, default=""):
        self.questions.append(prompt)
        return self.answers.pop(0) if self.answers else None

    def open(self, target):
        self.opened.append(target)


@pytest.fixture
def excel(book):
    return FakeBook(book)


@pytest.fixture(autouse=True)
def support_log(tmp_path, monkeypatch):
    """A test's unexpected failures go to its own log file, never the user's ~/.dunning."""
    import logging

    monkeypatch.setattr(ribbon, "LOG_FILE", tmp_path / "ribbon.log")
    yield
    logger = logging.getLogger("dunning.ribbon")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def press(button, book, ui=None):
    ui = ui or ScriptedUi()
    return ribbon.dispatch(button, ExcelWorkbook(book), ui, NOW), ui


def test_the_open_book_reads_the_same_ledger_as_the_file(book, excel):
    from_file = open_book(book, all_currencies=True).frame
    from_excel = open_book(ExcelWorkbook(excel), all_currencies=True).frame
    pd.testing.assert_frame_equal(from_excel.drop(columns="row"), from_file.drop(columns="row"))
    assert from_excel["row"].tolist() == from_file["row"].tolist()


def test_worklist_button_writes_the_same_sheet_as_the_command(book, excel):
    result, ui = press("worklist", excel)
    assert ui.alerts == [("Worklist", result.message)]
    expected = actions.worklist(book, now=NOW).data
    rows = excel.sheets["Worklist"].rows()
    assert rows[0][:len(WORKLIST_HEADERS)] == list(WORKLIST_HEADERS)
    assert str(rows[0][-1]).startswith("Dunning, as of ")  # the stamp beside the headers
    assert [row[1] for row in rows[1:]] == expected["customer"].tolist()


def test_refresh_button_adds_the_aging_and_kpi_sheets_at_the_end(excel):
    press("refresh", excel)
    names = [sheet.name for sheet in excel.sheets]
    assert names[-4:] == ["Aging", "KPIs", "KPIHistory", "Charts"]
    assert excel.sheets["Aging"].rows()[0][0].startswith("Aging by customer as of 2026-11-23")


def test_log_contact_appends_to_the_table_and_keeps_text_as_text(excel):
    invoices = excel.table_rows("Invoices")
    header = invoices[0]
    position = next(i for i, row in enumerate(invoices[1:], start=1)
                    if row[header.index("Customer")] == "CAS03"
                    and (row[header.index("Paid")] or 0) < row[header.index("Amount")])
    excel.select("Invoices", 1 + position, 3)
    before = len(excel.table_rows("ContactLog"))
    ui = ScriptedUi(["promise", "2026-12-01", "250", '=HYPERLINK("http://x")'])
    result, ui = press("log_contact", excel, ui)
    assert result is not None, ui.alerts
    rows = excel.table_rows("ContactLog")
    assert len(rows) == before  # the template's one blank row is filled first
    logged = dict(zip(rows[0], rows[-1], strict=True))
    assert logged["Customer"] == "CAS03" and logged["Outcome"] == "promised to pay"
    assert logged["Invoices"] == invoices[position][0]
    assert logged["Promise Amount"] == 250.0
    assert logged["Note"] == '=HYPERLINK("http://x")'  # literal text, not a Formula
    assert not any(isinstance(cell, Formula) for row in rows for cell in row)
    press("log_contact", excel, ScriptedUi(["voicemail", ""]))
    assert len(excel.table_rows("ContactLog")) == before + 1  # then the table grows


def select_customer(excel, customer):
    customers = excel.table_rows("Customers")
    excel.select("Customers", 1 + [row[0] for row in customers].index(customer))


def last_logged(excel):
    rows = excel.table_rows("ContactLog")
    return dict(zip(rows[0], rows[-1], strict=True))


def rename_stages(excel, names):
    """The open book's Stages table with its stages renamed (old name -> new), so a prompt
    that offers them must have read this workbook's stages, not the default ones."""
    table = next(t for sheet in excel.sheets for t in sheet.tables if t.name == "Stages")
    area = table.range
    for row in range(area.row + 1, area.row + area.shape[0]):
        name = area.sheet.cells.get((row, area.column))
        if name in names:
            area.sheet.put(row, area.column, names[name])
    rows = excel.table_rows("Stages")
    return [(row[0], row[rows[0].index("Action")]) for row in rows[1:]]


def test_log_contact_asks_a_reminder_sent_by_hand_for_a_stage_of_the_workbook(excel):
    stages = rename_stages(excel, {"firm": "firmer", "handoff": "agency"})
    select_customer(excel, "DIJ04")
    result, ui = press("log_contact", excel, ScriptedUi(["reminder", "Firmer", "letter", ""]))
    assert result is not None, ui.alerts
    sent = [name for name, action in stages if action != "task"]
    assert "firmer" in sent and ", ".join(sent) in ui.questions[1]  # the book's own stages
    logged = last_logged(excel)
    assert (logged["Outcome"], logged["Stage"], logged["Channel"]) == (
        "reminder sent", "firmer", "letter")  # the stage as the Stages table spells it
    before = excel.table_rows("ContactLog")
    _, ui = press("log_contact", excel, ScriptedUi(["sent", "firm", "email", ""]))
    assert ui.alerts == [("Dunning: please check", "Please fix and try again:\n- --stage: no "
                          f"stage named 'firm'; stages are {', '.join(n for n, _ in stages)}")]
    assert excel.table_rows("ContactLog") == before  # refused as `dunning log` refuses it


def test_log_contact_asks_a_hand_off_for_a_task_stage(excel):
    stages = rename_stages(excel, {"handoff": "agency"})
    select_customer(excel, "DIJ04")
    result, ui = press("log_contact", excel,
                       ScriptedUi(["handed off", "agency", "passed to Inkasso Nord"]))
    assert result is not None, ui.alerts
    assert [name for name, action in stages if action == "task"] == ["agency"]
    assert "agency" in ui.questions[1] and "firm" not in ui.questions[1]
    logged = last_logged(excel)
    assert (logged["Outcome"], logged["Stage"], logged["Channel"]) == (
        "handed off", "agency", "phone")
    before = excel.table_rows("ContactLog")
    _, ui = press("log_contact", excel, ScriptedUi(["handed off", "firm", ""]))
    assert "not at 'firm'" in ui.alerts[0][1] and excel.table_rows("ContactLog") == before


def test_log_contact_asks_a_hold_for_the_date_it_lasts_until(excel):
    select_customer(excel, "DIJ04")
    before = excel.table_rows("ContactLog")
    _, ui = press("log_contact", excel, ScriptedUi(["hold", "soon", "awaiting PO"]))
    assert "the hold date must be a date" in ui.alerts[0][1]
    result, ui = press("log_contact", excel, ScriptedUi(["hold"]))  # Cancel at the date
    assert result is None and excel.table_rows("ContactLog") == before
    result, ui = press("log_contact", excel, ScriptedUi(["hold", "2026-12-10", "awaiting PO"]))
    assert result is not None, ui.alerts
    assert "until" in ui.questions[1]
    logged = last_logged(excel)
    assert logged["Outcome"] == "on hold until" and logged["Note"] == "awaiting PO"
    assert logged["Next Action Date"] == dt.datetime(2026, 12, 10)


def test_log_contact_refuses_a_plan_agreed_until_the_plan_is_made(excel):
    select_customer(excel, "CAS03")
    before = excel.table_rows("ContactLog")
    result, ui = press("log_contact", excel, ScriptedUi(["plan", ""]))
    assert result is None and "make the plan first with `dunning plan` (or the Payment " \
        "plan button)" in ui.alerts[0][1]
    assert excel.table_rows("ContactLog") == before
    press("payment_plan", excel, ScriptedUi(["3", "monthly", "2026-12-15", ""]))
    result, ui = press("log_contact", excel, ScriptedUi(["plan", "confirmed by email"]))
    assert result is not None, ui.alerts
    assert last_logged(excel)["Outcome"] == "payment plan agreed"


def test_log_contact_asks_a_dispute_on_a_customers_row_for_its_invoices(excel):
    invoices = excel.table_rows("Invoices")
    header = invoices[0]
    theirs = [row[header.index("Invoice No")] for row in invoices[1:]
              if row[header.index("Customer")] == "CAS03"]
    select_customer(excel, "CAS03")
    before = excel.table_rows("ContactLog")
    _, ui = press("log_contact", excel, ScriptedUi(["dispute", "INV-0000-0000", "price"]))
    assert "has no invoice INV-0000-0000" in ui.alerts[0][1]  # log_contact's own check
    assert excel.table_rows("ContactLog") == before
    result, ui = press("log_contact", excel,
                       ScriptedUi(["dispute", f"{theirs[0]}, {theirs[1]}", "price differs"]))
    assert result is not None, ui.alerts
    assert "CAS03" in ui.questions[1]
    logged = last_logged(excel)
    assert (logged["Outcome"], logged["Invoices"]) == ("disputed", f"{theirs[0]}, {theirs[1]}")


def test_log_contact_refuses_what_only_the_run_records_before_asking_more(excel):
    select_customer(excel, "DIJ04")
    _, ui = press("log_contact", excel, ScriptedUi(["failed", "firm", ""]))
    assert len(ui.questions) == 1 and "recorded by the reminder run itself" in ui.alerts[0][1]


def test_cancelling_a_question_changes_nothing(excel):
    excel.select("Customers", 3)
    before = excel.table_rows("ContactLog")
    result, ui = press("log_contact", excel, ScriptedUi([]))  # the user presses Cancel
    assert result is None and ui.alerts == []
    assert excel.table_rows("ContactLog") == before


def test_send_asks_how_many_to_whom_and_no_sends_nothing(excel):
    result, ui = press("send", excel, ScriptedUi(confirm=False))
    assert ui.questions and ui.questions[0].startswith("Send ")
    assert result.message == "Cancelled: nothing was sent."
    assert "Outbox" not in [sheet.name for sheet in excel.sheets]


def draft_contents(folder):
    """Each .eml draft's bytes by file name, its random MIME boundaries made alike."""
    import email
    from email import policy

    found = {}
    for path in sorted(folder.glob("*.eml")):
        data = path.read_bytes()
        for part in email.message_from_bytes(data, policy=policy.default).walk():
            if part.get_boundary():
                data = data.replace(part.get_boundary().encode(), b"BOUNDARY")
        found[path.name] = data
    return found


def test_preview_button_writes_what_the_dry_run_writes_and_leaves_the_book(book, excel):
    from dunning.cli import main

    folder = book.parent / "Client-drafts-2026-11-23"
    assert main(["remind", str(book), "--dry-run", "--now", NOW.isoformat()]) == 0
    by_command = folder.rename(book.parent / "by-command")
    before = book.read_bytes()
    result, ui = press("preview", excel)
    assert ui.alerts == [("Preview reminders", result.message)]
    assert ui.opened == [folder.as_uri()]  # the drafts and the report, to look at
    drafts = draft_contents(folder)
    assert drafts and drafts == draft_contents(by_command)
    assert (folder / "outbox.csv").read_bytes() == (by_command / "outbox.csv").read_bytes()
    report = result.data
    assert len(report.messages) == len(drafts) and report.outbox == folder / "outbox.csv"
    assert "Outbox" not in [sheet.name for sheet in excel.sheets]  # the book is not written
    assert book.read_bytes() == before


def test_preview_of_a_book_never_saved_says_to_save_it_first(excel):
    excel.fullname = "Book1"  # a new book in Excel: no file behind it yet
    result, ui = press("preview", excel)
    assert result is None and ui.opened == []
    assert ui.alerts[0][0] == "Dunning: please check" and "save the workbook" in ui.alerts[0][1]


@pytest.mark.parametrize(("button", "function", "options"),
                         [("preview", "preview", ["--dry-run"]), ("send", "send", [])])
def test_the_buttons_and_dunning_remind_call_the_one_preview_and_send(
        book, excel, monkeypatch, button, function, options):
    from dunning.app import remind
    from dunning.cli import main

    real = getattr(remind, function)
    calls = []

    def spy(source, *args, **kwargs):
        calls.append((source, kwargs))
        if function == "send":  # both answer no: nothing is sent by this test
            kwargs = {**kwargs, "confirm": kwargs.get("confirm") or (lambda question: False)}
        return real(source, *args, **kwargs)

    monkeypatch.setattr(remind, function, spy)
    assert main(["remind", str(book), *options, "--now", NOW.isoformat()]) == 0
    result, ui = press(button, excel)
    assert result is not None, ui.alerts
    (by_command, command_options), (by_button, button_options) = calls
    assert by_command == book and by_button.book is excel
    assert command_options["now"] == button_options["now"] == NOW
    if function == "send":
        assert command_options.get("confirm") is None  # unattended: nothing to ask
        assert ui.questions == [remind.confirm_text(result.data.messages)]
    assert not hasattr(actions, "preview_reminders") and not hasattr(actions, "send_reminders")


def test_payment_plan_button_writes_the_plans_sheet(excel):
    customers = excel.table_rows("Customers")
    customer = "CAS03"
    excel.select("Customers", 1 + [row[0] for row in customers].index(customer))
    result, ui = press("payment_plan", excel, ScriptedUi(["3", "monthly", "2026-12-15", ""]))
    assert result is not None, ui.alerts
    rows = excel.sheets["PaymentPlans"].rows()
    assert {row[1] for row in rows[1:]} == {customer}
    assert len(rows) == 4


def test_bad_answers_and_selections_say_what_to_fix(excel):
    excel.select("Invoices", 1)  # the header row
    _, ui = press("log_contact", excel)
    assert ui.alerts[0][0] == "Dunning: please check"
    excel.select("Customers", 2)
    _, ui = press("payment_plan", excel, ScriptedUi(["three", "monthly", "2026-12-15", ""]))
    assert "whole number" in ui.alerts[0][1]


def test_an_unexpected_failure_is_a_message_box_and_a_log_entry(excel, monkeypatch, tmp_path):
    monkeypatch.setattr(ribbon, "LOG_FILE", tmp_path / "ribbon.log")

    def broken(workbook, **options):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(actions, "refresh", broken)
    result, ui = press("refresh", excel)
    assert result is None
    title, message = ui.alerts[0]
    assert title == "Dunning: unexpected problem" and "disk on fire" in message
    assert "Traceback" not in message
    assert "RuntimeError" in (tmp_path / "ribbon.log").read_text(encoding="utf-8")


def test_help_lists_every_button_and_opens_the_guide(monkeypatch):
    assert set(ribbon.HELP) == set(ribbon.BUTTONS)
    readme = Path(__file__).resolve().parents[1] / "README.md"
    assert "## The Excel add-in" in readme.read_text(encoding="utf-8")
    monkeypatch.setattr(ribbon, "readme_path", lambda: readme)
    result, ui = press("help", None)
    assert all(label in result.message for label, _ in ribbon.HELP.values())
    assert ui.opened == [readme.as_uri()]
    monkeypatch.setattr(ribbon, "readme_path", lambda: None)  # installed from a wheel
    result, ui = press("help", None)
    assert ui.opened == [] and "section 'The Excel add-in'" in result.message


def test_new_workbook_button_writes_beside_the_open_book(book, excel):
    result, _ = press("new_workbook", excel, ScriptedUi(["Acme/Widgets Ltd"]))
    written = book.parent / "Acme_Widgets Ltd.xlsx"
    assert written.exists() and str(written) in result.message


def test_cell_values_as_xlwings_must_receive_them():
    assert cell_value("00123") == "'00123" and cell_value("=1+1") == "'=1+1"
    assert cell_value("") is None and cell_value(float("nan")) is None
    assert cell_value(pd.Timestamp("2026-11-23")) == dt.datetime(2026, 11, 23)
    assert type(cell_value(pd.Series([1.5]).iloc[0])) is float


def test_refresh_in_the_open_book_keeps_the_history_of_earlier_refreshes(excel):
    press("refresh", excel)
    first = excel.sheets["KPIHistory"].rows()
    press("refresh", excel)
    assert excel.sheets["KPIHistory"].rows() == first  # the same day: replaced, not added
    header = first[0]
    assert header[:2] == ["As Of", "Currency"] and str(header[-1]).startswith("Dunning, as of")


def file_charts(path):
    """Each chart part's (categories, values block) as the fake spells ranges: "Sheet!A2:A4"."""
    import re
    import zipfile

    def bare(ref):
        return ref.replace("$", "")

    found = []
    with zipfile.ZipFile(path) as archive:
        parts = [n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        names = sorted(parts, key=lambda n: int(re.sub(r"\D", "", n)))
        for name in names:
            refs = re.findall(r"<c:f>(.*?)</c:f>", archive.read(name).decode())
            categories, values = refs[0::2], refs[1::2]  # each series: categories, then values
            sheet, first = values[0].split("!")
            last = values[-1].split("!")[1]
            found.append((bare(categories[0]),
                          f"{sheet}!{bare(first.split(':')[0])}:{bare(last.split(':')[1])}"))
    return found


def test_refresh_in_the_open_book_records_history_and_draws_charts_as_the_file_does(book, excel):
    days = [dt.date(2026, 9, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 23)]
    live = ExcelWorkbook(excel)
    for day in [*days, days[1]]:  # the second refresh of 31 October replaces its row
        actions.refresh(live, as_of=day, now=NOW)
        actions.refresh(book, as_of=day, now=NOW)
    ours = live.table("KPIHistory")
    with FileWorkbook(book) as file:
        theirs = file.table("KPIHistory")
    assert ours.columns == theirs.columns and ours.header_row == theirs.header_row == 1
    assert [row[0].date() for row in ours.rows] == days
    assert [[cell.date() if isinstance(cell, dt.datetime) else cell for cell in row]
            for row in ours.rows] == [
        [cell if cell != "" else None for cell in row] for row in theirs.rows]
    charts = excel.sheets["Charts"].charts
    assert [chart.name for chart in charts] == [f"Dunning chart {n}" for n in range(1, 5)]
    assert [(chart.x_values.address, chart.source.address) for chart in charts] == file_charts(book)
    assert charts[2].source.address == "KPIHistory!E2:F4"  # DSO and best possible DSO, 3 days
    assert len(chart_parts(book)) == 4 and invalid_parts(book) == {}  # the file's, ISO 29500-4


def test_the_open_books_report_sheets_have_the_files_formats_widths_and_headers(book, excel):
    from openpyxl import load_workbook

    actions.refresh(ExcelWorkbook(excel), as_of=dt.date(2026, 11, 23), now=NOW)
    actions.refresh(book, as_of=dt.date(2026, 11, 23), now=NOW)
    written = load_workbook(book)
    for name in ("Aging", "KPIs", "KPIHistory", "Charts"):
        theirs, ours = written[name], excel.sheets[name]
        formats = {(c.row, c.column): c.number_format for row in theirs.iter_rows()
                   for c in row if c.value is not None and c.number_format != "General"}
        assert formats and {cell: ours.formats.get(cell) for cell in formats} == formats, name
        for letter, column in theirs.column_dimensions.items():
            if column.width:  # the same fitted widths
                index = ord(letter) - ord("A") + 1
                assert ours.widths.get(index) == pytest.approx(column.width, abs=0.01), name
        headers = {(c.row, c.column) for row in theirs.iter_rows() for c in row
                   if c.font.b and str(c.fill.fgColor.rgb or "").endswith("DDEBF7")}
        assert headers and all(ours.looks[cell] == {"bold": True, "fill": "#DDEBF7"}
                               for cell in headers), name
    kpis = excel.sheets["KPIs"]
    assert kpis.looks[(1, 1)]["bold"] and kpis.looks[(1, 1)]["size"] == 13  # the title
    assert kpis.looks[(2, 1)] == {"italic": True, "color": "#666666"}  # the made line
    kpis.looks[(40, 1)] = {"bold": True}  # a format left from an earlier, longer sheet
    actions.refresh(ExcelWorkbook(excel), as_of=dt.date(2026, 11, 23), now=NOW)
    assert (40, 1) not in kpis.looks


def test_refresh_in_the_open_book_takes_over_what_the_file_refresh_wrote(book):
    actions.refresh(book, as_of=dt.date(2026, 10, 31), now=NOW)
    excel = FakeBook(book)  # the refreshed file, opened in Excel
    assert [c.name for c in excel.sheets["Charts"].charts] == [
        f"Dunning chart {n}" for n in range(1, 5)]
    press("refresh", excel)  # the Settings' As Of Date, 2026-11-23
    history = excel.sheets["KPIHistory"]
    assert len(history.tables) == 1
    assert [row[0].date() for row in ExcelWorkbook(excel).table("KPIHistory").rows] == [
        dt.date(2026, 10, 31), dt.date(2026, 11, 23)]
    charts = excel.sheets["Charts"].charts
    assert len(charts) == 4 and charts[2].source.address == "KPIHistory!E2:F3"


def test_statement_button_writes_the_selected_customers_statement_and_opens_it(book, excel,
                                                                               tmp_path):
    from pdf_text import pdf_text

    customers = excel.table_rows("Customers")
    position = next(i for i, row in enumerate(customers[1:], start=1) if row[0] == "JOI10")
    excel.select("Customers", 1 + position, 2)
    result, ui = press("statement", excel)
    out = book.with_name("Statement-JOI10-2026-11-23.pdf")
    assert result is not None and result.data == out, ui.alerts
    assert ui.opened == [out.as_uri()]
    assert "JOI10" in pdf_text(out, tmp_path)
    out.write_bytes(b"kept")
    result, ui = press("statement", excel, ScriptedUi(confirm=False))
    assert result is None and out.read_bytes() == b"kept"
    assert ui.questions == ["Statement-JOI10-2026-11-23.pdf already exists. Replace it?"]
    result, ui = press("statement", excel, ScriptedUi(confirm=True))
    assert result is not None and out.read_bytes().startswith(b"%PDF-")
