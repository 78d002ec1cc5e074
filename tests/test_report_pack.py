"""`dunning report`: the management pack of a client book with history, read back with
pdftotext and checked against the core's own figures; page 1 rendered with pdftoppm; an
empty book; the command line and the ribbon's Report button."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from dunning.app import actions
from dunning.app.report_pack import management_pack, pack_path
from dunning.cli import main
from dunning.core.aging import TOTAL, age_items, aging_by_customer
from dunning.core.contactlog import Contact, log_time
from dunning.core.kpi_history import HISTORY_HEADERS, history_records
from dunning.demo import SAMPLE_AS_OF
from dunning.excel import ribbon
from dunning.excel.live import ExcelWorkbook
from dunning.io.book import open_book
from dunning.io.client_workbook import new_client_workbook
from fake_excel import FakeBook
from pdf_text import money_text, pdf_text

EARLIER = dt.date(2026, 10, 31)
MADE = dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.timezone.utc)
BROKEN, DUE, DISPUTED, PLANNED, CALLED = "IDL09", "CAS03", "EMA05", "DIJ04", "JOI10"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone.utc)


def log(book, customer, outcome, day, **fields):
    contact = Contact(customer=customer, channel=fields.pop("channel", "phone"),
                      outcome=outcome, timestamp=log_time(at(day)), user="test", **fields)
    actions.log_contact(book, contact)


def sends(book):
    """Reminders as the send logs them: three friendly and one firm in the period (the 30
    days to the as-of date), one friendly before it."""
    for customer, stage, day in (("FHV06", "friendly", dt.date(2026, 11, 2)),
                                 ("HPC08", "friendly", dt.date(2026, 11, 3)),
                                 ("FHV06", "friendly", dt.date(2026, 11, 20)),
                                 (CALLED, "firm", dt.date(2026, 11, 21)),
                                 ("HPC08", "friendly", dt.date(2026, 10, 20))):
        log(book, customer, "sent", day, channel="email", stage=stage,
            subject=f"{stage} reminder")


@pytest.fixture
def history_book(book):
    return with_history(book)


def with_history(book):
    """The sample book refreshed on 31 October and 23 November, with sends, a broken and a
    pending promise, a dispute with its reason, a payment plan behind and a call."""
    actions.refresh(book, as_of=EARLIER, now=at(EARLIER))
    sends(book)
    log(book, BROKEN, "promised to pay", dt.date(2026, 11, 10),
        promise_date=dt.date(2026, 11, 16), promise_amount=2000.0)
    log(book, DUE, "promised to pay", dt.date(2026, 11, 22),
        promise_date=dt.date(2026, 11, 27), promise_amount=1500.0)
    invoice = open_invoice(book, DISPUTED)
    log(book, DISPUTED, "disputed", dt.date(2026, 11, 12), invoices=(invoice,),
        note="goods arrived damaged")
    actions.payment_plan(book, actions.PlanRequest(PLANNED, 3, "weekly", dt.date(2026, 11, 9)),
                         now=at(dt.date(2026, 11, 9)), as_of=dt.date(2026, 11, 9))
    log(book, CALLED, "left voicemail", dt.date(2026, 11, 22),
        next_action_date=dt.date(2026, 11, 30))
    actions.refresh(book, as_of=SAMPLE_AS_OF, now=MADE)
    return book


def open_invoice(book, customer):
    frame = open_book(book, as_of=SAMPLE_AS_OF, all_currencies=True).frame
    mine = frame[(frame["customer"] == customer) & (frame["amount"] > 0)
                 & frame["settled_date"].isna() & ~frame["disputed"].astype(bool)]
    return str(mine.sort_values("invoice")["invoice"].iloc[-1])


@pytest.fixture
def pack(history_book, tmp_path):
    out = tmp_path / "pack.pdf"
    result = management_pack(history_book, now=MADE, as_of=SAMPLE_AS_OF, out=out)
    assert result.data == out
    return out, pdf_text(out, tmp_path)


def section(text: str, heading: str, following: str) -> str:
    """The text between a section's heading and the next one."""
    start = text.index(heading)
    return text[start:text.index(following, start)]


def line_with(text: str, *words: str) -> str:
    found = [line for line in text.splitlines() if all(word in line for word in words)]
    assert found, f"no line with {words}"
    return found[0]


def test_the_headline_figures_and_their_change_are_the_kpi_history_rows(history_book, pack):
    _, text = pack
    frame = open_book(history_book, all_currencies=True).frame
    [now] = history_records(frame, SAMPLE_AS_OF)
    [before] = history_records(frame, EARLIER)
    assert "Management pack: Sample" in text and "made 2026-11-24 08:30 UTC" in text
    assert f"On {EARLIER:%Y-%m-%d}" in text
    for label, column in (("Open receivables", "Open Receivables"), ("Past due", "Past Due")):
        index = HISTORY_HEADERS.index(column)
        change = round(now[index] - before[index], 2)
        line = line_with(text, label)
        assert f"EUR {money_text(now[index])}" in line
        assert f"EUR {money_text(before[index])}" in line
        assert line.rstrip().endswith(("+" if change > 0 else "") + money_text(change))
    dso = HISTORY_HEADERS.index("DSO")
    line = line_with(text, "DSO", "days").split("Best")[0]
    assert f"{now[dso]:.1f} days" in line and f"{before[dso]:.1f} days" in line
    assert f"{now[dso] - before[dso]:+.1f} days" in line
    cei = HISTORY_HEADERS.index("CEI Last 30 Days")
    line = line_with(text, "CEI, last 30 days")
    assert f"{now[cei] * 100:.1f}%" in line and f"{(now[cei] - before[cei]) * 100:+.1f} pts" in line
    rate = HISTORY_HEADERS.index("Collection Rate")
    assert f"{now[rate] * 100:.1f}%" in line_with(text, "Collection rate")
    assert "No change to show" not in text


def test_the_charts_show_the_aging_buckets_and_both_history_dates(history_book, pack):
    _, text = pack
    page_one = text.split("\f")[0]
    assert "Aging by days past due (EUR)" in page_one and "DSO over time (EUR)" in page_one
    buckets = line_with(page_one, "Current", "1-30", "Over 120")
    assert re.search(r"Current\s+1-30\s+31-60\s+61-90\s+91-120\s+Over 120", buckets)
    assert line_with(page_one, f"{EARLIER:%Y-%m-%d}", f"{SAMPLE_AS_OF:%Y-%m-%d}")
    frame = open_book(history_book, all_currencies=True).frame
    largest = aging_by_customer(frame, SAMPLE_AS_OF).loc[TOTAL].drop(TOTAL).max()
    assert f"{largest / 1000:.3g}k" in page_one  # the tallest bar's label


def test_the_largest_overdue_accounts_are_the_agings_with_last_contact_and_next_action(
        history_book, pack):
    _, text = pack
    frame = open_book(history_book, all_currencies=True).frame
    table = aging_by_customer(frame, SAMPLE_AS_OF).drop(TOTAL)
    overdue = (table[TOTAL] - table["Current"]).sort_values(ascending=False)
    overdue = overdue[overdue > 0.005]
    block = section(text, "Largest overdue accounts", "Promises to pay")
    rows = [line for line in block.splitlines() if re.search(r"EUR [\d,]+\.\d\d", line)]
    shown = [float(re.search(r"EUR ([\d,]+\.\d\d)", line).group(1).replace(",", ""))
             for line in rows]
    assert shown == [round(value, 2) for value in overdue.head(10)]
    first = line_with(block, overdue.index[0])
    assert "worklist #" in block
    assert "EUR " + money_text(overdue.iloc[0]) in first
    aged = age_items(frame, SAMPLE_AS_OF)
    oldest = aged[(aged["customer"] == overdue.index[0]) & (aged["open_balance"] > 0)]
    assert re.search(rf"EUR {re.escape(money_text(overdue.iloc[0]))}\s+"
                     rf"{int(oldest['days_past_due'].max())}\b", first)
    called = words(row_of(block, CALLED))
    assert "2026-11-22: left voicemail by phone" in called  # its last contact, wrapped
    assert "follow up 2026-11-30" in called  # the next action the call logged
    assert "worklist #" in words(row_of(block, BROKEN)) and "broken" in row_of(block, BROKEN)
    assert "2026-11-10: promised to pay by phone" in words(row_of(block, BROKEN))


def row_of(block: str, customer: str) -> str:
    """A table row's lines (a wrapped row is several lines; rows are apart by blank ones)."""
    rows = re.split(r"\n\s*\n", block)
    return next(row for row in rows if customer in row)


def words(row: str) -> str:
    """A wrapped row's cells as phrases: the pieces of its lines (text apart by two or more
    spaces) that start at the same column, joined in line order, column by column."""
    cells: dict[int, list[str]] = {}
    for line in row.splitlines():
        for piece in re.finditer(r"\S+(?: \S+)*", line):
            cells.setdefault(piece.start(), []).append(piece.group())
    return " | ".join(" ".join(parts) for _, parts in sorted(cells.items()))


def test_promises_disputes_plans_and_sends_are_the_cores(history_book, pack):
    _, text = pack
    promises = section(text, "Promises to pay", "Open disputes")
    due = section(promises, "Due in the next 7 days", "Broken or partly kept")
    assert "1." in line_with(due, "Due in the next") and line_with(due, DUE, "2026-11-27")
    assert "EUR 1,500.00" in line_with(due, DUE)
    broken = promises[promises.index("Broken or partly kept"):]
    assert line_with(broken, BROKEN, "2026-11-16", "broken")
    assert line_with(broken, BROKEN).rstrip().endswith(str((SAMPLE_AS_OF - dt.date(2026, 11,
                                                                                    16)).days))
    disputes = section(text, "Open disputes", "Payment plans behind")
    invoice = open_invoice(history_book, DISPUTED)
    assert "goods arrived damaged" in line_with(disputes, invoice)
    assert "2026-11-12" in line_with(disputes, invoice)
    plans = section(text, "Payment plans behind", "Sent from")
    assert line_with(plans, f"PP-{PLANNED}-20261109", PLANNED)
    sent = text[text.index("Sent from 2026-10-25 to 2026-11-23"):]
    assert re.search(r"friendly\s+email\s+3\s+2", sent)
    assert re.search(r"firm\s+email\s+1\s+1", sent)
    assert re.search(r"Total\s+4", sent)
    assert "1 left voicemail" in sent and "2 promised to pay" in sent


def test_without_an_earlier_history_row_the_pack_says_so(book, tmp_path):
    actions.refresh(book, as_of=SAMPLE_AS_OF, now=MADE)
    out = tmp_path / "first.pdf"
    management_pack(book, now=MADE, out=out)
    text = pdf_text(out, tmp_path)
    assert "No change to show: KPIHistory has no row before this day" in text
    assert "Change" not in text.split("Largest overdue")[0]
    assert "No reminders were sent in the period." in text


def test_a_fresh_workbook_gives_a_pack_that_says_nothing_is_open(tmp_path):
    path = new_client_workbook(tmp_path / "Empty.xlsx", "Empty Ltd")
    result = management_pack(path, now=MADE)
    assert result.data == pack_path(path, MADE.date())
    text = pdf_text(result.data, tmp_path)
    assert "Nothing is open on 2026-11-24" in text and "nothing open" in result.message
    assert "None: nothing is past due." in text
    assert "Open receivables" in text and "0.00" in line_with(text, "Open receivables")
    assert text.count("None.") == 2  # disputes, plans


def test_page_one_renders_to_an_image_of_a_page(pack, tmp_path):
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm (poppler-utils) renders the PDF; apt install poppler-utils")
    image = pytest.importorskip("PIL.Image", reason="Pillow comes with fpdf2")
    out, _ = pack
    subprocess.run([tool, "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile", str(out),
                    str(tmp_path / "page")], check=True, capture_output=True)
    with image.open(tmp_path / "page.png") as page:
        width, height = page.size
        assert abs(width - 595) <= 1 and abs(height - 842) <= 1  # A4 (595 x 842 pt) at 72 dpi
        gray = page.convert("L")
        dark = sum(gray.histogram()[:128])
        assert 0.02 < dark / (width * height) < 0.5  # text, tables and bars, not a blank page


def test_the_command_writes_the_pack_beside_the_book(history_book, tmp_path, capsys):
    assert main(["report", str(history_book), "--as-of", "2026-11-23",
                 "--now", "2026-11-24T08:30+00:00"]) == 0
    out = pack_path(history_book, SAMPLE_AS_OF)
    assert out.name == "Client-pack-2026-11-23.pdf"
    assert f"written to {out}" in capsys.readouterr().out
    assert out.read_bytes().startswith(b"%PDF-")
    assert "Headline figures (EUR)" in pdf_text(out, tmp_path)


class Scripted:
    def __init__(self):
        self.alerts, self.opened = [], []

    def alert(self, title, message):
        self.alerts.append((title, message))

    def confirm(self, title, question):
        return False

    def ask(self, title, prompt, default=""):
        return None

    def open(self, target):
        self.opened.append(target)


def test_the_report_button_writes_the_pack_of_the_open_book_and_opens_it(history_book,
                                                                         tmp_path):
    ui = Scripted()
    result = ribbon.dispatch("report", ExcelWorkbook(FakeBook(history_book)), ui, MADE)
    out = pack_path(history_book, SAMPLE_AS_OF)  # the Settings' As Of Date
    assert result is not None and result.data == out, ui.alerts
    assert ui.opened == [out.as_uri()]
    assert ui.alerts[0][0] == "Management pack"
    text = pdf_text(out, tmp_path)
    assert f"On {EARLIER:%Y-%m-%d}" in text  # KPIHistory read from the open book's sheet
