"""The Dunning tab's buttons: each id in addin/customUI14.xml maps to one handler here.

Excel calls the add-in's one VBA routine, which runs `run("<button id>")`
through xlwings' RunPython. `run` finds the calling workbook and hands it, with
a way to talk to the user (`Ui`), to `dispatch`, which tests call directly with
a workbook file or a stand-in for the open book and a scripted user. Errors
reach the user as a plain message box that says what to fix, never a
traceback; anything unexpected is also written to a log file for support.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from dunning.app import actions, remind
from dunning.app.actions import ActionResult
from dunning.core.contactlog import CONTACT_LOG_TABLE, OUTCOME_SHORTHANDS, Contact, log_time
from dunning.core.errors import DunningInputError, Issue
from dunning.core.parse import parse_amounts, parse_dates
from dunning.excel.live import ExcelWorkbook, cells_by_header
from dunning.io import WorkbookLockedError

LOG_FILE = Path.home() / ".dunning" / "ribbon.log"
MAX_ISSUES_SHOWN = 8


class Ui(Protocol):
    """How a button talks to the person at the keyboard."""

    def alert(self, title: str, message: str) -> None: ...

    def confirm(self, title: str, question: str) -> bool: ...

    def ask(self, title: str, prompt: str, default: str = "") -> str | None: ...

    def open(self, target: str) -> None: ...


Handler = Callable[[ExcelWorkbook, Ui, dt.datetime], ActionResult | None]


def run(button_id: str) -> None:
    """Called by the add-in's VBA for a button: run it on the workbook that called."""
    import xlwings as xw

    book = xw.Book.caller()
    dispatch(button_id, ExcelWorkbook(book), ExcelUi(book.app), dt.datetime.now().astimezone())


def dispatch(button_id: str, workbook: ExcelWorkbook, ui: Ui,
             now: dt.datetime) -> ActionResult | None:
    """Run one button's handler and tell the user what happened, or what to fix."""
    handler = BUTTONS.get(button_id)
    if handler is None:
        ui.alert("Dunning", f"This add-in has no action {button_id!r}: update Dunning.")
        return None
    try:
        result = handler(workbook, ui, now)
    except DunningInputError as error:
        ui.alert("Dunning: please check", problems_text(error.issues))
        return None
    except WorkbookLockedError as error:
        ui.alert("Dunning", str(error))
        return None
    except Exception as error:  # the message box is the last line of defence in Excel
        where = _log_unexpected(button_id)
        ui.alert("Dunning: unexpected problem",
                 f"{type(error).__name__}: {error}\n\nNothing was sent. Details for support "
                 f"are in {where}.")
        return None
    if result is not None:
        ui.alert(result.title, result.message)
    return result


def problems_text(issues: list[Issue]) -> str:
    """The problems as lines a person can act on, the first few of many."""
    lines = [f"- {issue}" for issue in issues[:MAX_ISSUES_SHOWN]]
    if len(issues) > MAX_ISSUES_SHOWN:
        lines.append(f"... and {len(issues) - MAX_ISSUES_SHOWN} more.")
    return "Please fix and try again:\n" + "\n".join(lines)


# ----------------------------------------------------------------- handlers


def _refresh(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult:
    return actions.refresh(workbook, today=now.date(), now=now)


def _worklist(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult:
    return actions.worklist(workbook, now=now)


def _report(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult:
    """`dunning report` on the open book: the management pack beside the workbook, opened."""
    from dunning.app.report_pack import management_pack

    result = management_pack(workbook, now=now)
    ui.open(result.data.as_uri())
    return result


def _preview(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult:
    """`dunning remind --dry-run` on the open book: the same drafts and outbox report,
    beside the workbook; the folder is opened to look at them. The book is not written."""
    report = remind.preview(workbook, now=now)
    ui.open(report.outbox.parent.as_uri())
    return ActionResult("Preview reminders", report.summary(), (), report, report.warnings)


def _send(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult:
    """`dunning remind` on the open book, after the user agrees to the question it asks."""
    report = remind.send(
        workbook, now=now, confirm=lambda question: ui.confirm("Send reminders", question))
    sheets = () if report.cancelled else (remind.OUTBOX_SHEET, CONTACT_LOG_TABLE)
    return ActionResult("Send reminders", report.summary(), sheets, report, report.warnings)


def _log_contact(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult | None:
    """`dunning log` for the selected row: asks what each outcome needs as `dunning log`
    takes it (a promise its date and amount, a reminder sent or a hand-off by hand its
    stage, a hold its date, a dispute its invoices), then logs through the same
    `actions.log_contact`."""
    row = workbook.selected_row()
    customer = _customer_of(row)
    invoice = cells_by_header(row, "Invoice No", "Invoice")
    choices = ", ".join(OUTCOME_SHORTHANDS)
    typed = ui.ask("Log contact", f"What happened with {customer}"
                   f"{f' about {invoice}' if invoice else ''}? ({choices}, or another outcome)",
                   "promise")
    if typed is None:
        return None
    outcome = actions.hand_outcome(typed)
    base = Contact(customer=customer, channel="phone", outcome=outcome,
                   timestamp=log_time(now), invoices=(str(invoice),) if invoice else ())
    contact: Contact | None = base
    if outcome == "promised to pay":
        contact = _promise(ui, base, now)
    elif outcome in ("reminder sent", "handed off"):
        contact = _stage(ui, workbook, base)
    elif outcome == "on hold until":
        contact = _hold(ui, base, now)
    elif outcome in ("disputed", "dispute resolved") and not base.invoices:
        contact = _invoices(ui, base)
    if contact is None:
        return None
    note = ui.ask("Log contact", "Note (what was said; for a dispute, the reason):", "")
    if note is None:
        return None
    return actions.log_contact(workbook, replace(contact, note=note, user=_user()))


def _payment_plan(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult | None:
    customer = _customer_of(workbook.selected_row())
    answers = []
    for prompt, default in (
            (f"How many instalments for {customer}, a first payment included?", "3"),
            ("How often: weekly, fortnightly or monthly?", "monthly"),
            ("First due date (YYYY-MM-DD)?", f"{now.date() + dt.timedelta(days=7):%Y-%m-%d}"),
            ("First payment (blank: all instalments equal)?", "")):
        answer = ui.ask("Payment plan", prompt, default)
        if answer is None:
            return None
        answers.append(answer.strip())
    count, frequency, start, first = answers
    if not count.isdigit():
        raise DunningInputError([Issue(f"the number of instalments must be a whole number, "
                                       f"not {count!r}")])
    request = actions.PlanRequest(
        customer=customer, count=int(count), frequency=frequency.lower(),
        start=_date_answer(start, "first due date"), first_payment=_amount_answer(first),
        user=_user())
    return actions.payment_plan(workbook, request, now=now)


def _statement(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult | None:
    """`dunning statement` for the selected row's customer, as of today; the PDF is opened."""
    from dunning.app.statement import statement_path, write_statement

    customer = _customer_of(workbook.selected_row())
    if workbook.path is None:
        raise DunningInputError([Issue("save the workbook first: the statement is written "
                                       "beside it")])
    out = statement_path(workbook.path, customer, now.date())
    force = False
    if out.exists():
        if not ui.confirm("Statement", f"{out.name} already exists. Replace it?"):
            return None
        force = True
    result = write_statement(workbook, customer, as_of=now.date(), out=out, force=force)
    ui.open(out.as_uri())
    return result


def _new_workbook(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult | None:
    from dunning.io.client_workbook import new_client_workbook

    client = ui.ask("New client workbook", "The client's name:", "")
    if not client or not client.strip():
        return None
    folder = workbook.path.parent if workbook.path else Path.home()
    path = new_client_workbook(folder / f"{_file_name(client)}.xlsx", client.strip())
    return ActionResult("New client workbook", f"Wrote {path}. Open it from File > Open.")


def _help(workbook: ExcelWorkbook, ui: Ui, now: dt.datetime) -> ActionResult:
    lines = [f"{label}: {text}" for label, text in HELP.values()]
    guide = readme_path()
    if guide is not None:
        ui.open(guide.as_uri())
        where = f"{guide}, now open: see its section 'The Excel add-in'."
    else:
        where = "the README of the Dunning folder you installed from, section 'The Excel add-in'."
    return ActionResult("Dunning help", "\n".join(lines) + f"\n\nThe full guide: {where}")


def readme_path() -> Path | None:
    """The README of the checkout Dunning was installed from (and the add-in built from)."""
    import dunning

    candidate = Path(dunning.__file__).resolve().parents[2] / "README.md"
    return candidate if candidate.is_file() else None


# ------------------------------------------------------------------ helpers


def _customer_of(row: dict[str, object]) -> str:
    customer = cells_by_header(row, "Customer", "Customer ID")
    if customer is None:
        raise DunningInputError([Issue("select a row that names a customer (Invoices, "
                                       "Customers, Worklist or Outbox)")])
    return str(customer).strip()


def _promise(ui: Ui, contact: Contact, now: dt.datetime) -> Contact | None:
    day = ui.ask("Promise to pay", "Promised payment date (YYYY-MM-DD)?",
                 f"{now.date() + dt.timedelta(days=7):%Y-%m-%d}")
    if day is None:
        return None
    amount = ui.ask("Promise to pay", "Promised amount (blank: everything open)?", "")
    if amount is None:
        return None
    return replace(contact, promise_date=_date_answer(day, "promise date"),
                 promise_amount=_amount_answer(amount))


def _stage(ui: Ui, workbook: ExcelWorkbook, contact: Contact) -> Contact | None:
    """The stage a reminder was sent at, or a file handed off at, by hand: one of the
    workbook's Stages (a hand-off's, one whose action is task); `log_contact` checks it."""
    stages = actions.contact_stages(workbook)
    if contact.outcome == "handed off":
        offered = [stage.name for stage in stages if stage.action == "task"]
        question = "Stage the file was handed off at (a task stage: {})?"
    else:
        offered = [stage.name for stage in stages if stage.action != "task"]
        question = "Stage of the reminder sent by hand ({})?"
    shown = ", ".join(offered) or "none in the Stages table"
    typed = ui.ask("Log contact", question.format(shown), offered[0] if len(offered) == 1 else "")
    if typed is None:
        return None
    contact = replace(contact, stage=typed.strip())
    if contact.outcome == "handed off":
        return contact
    channel = ui.ask("Log contact", "Sent how (email or letter)?", "email")
    return None if channel is None else replace(contact, channel=channel.strip())


def _invoices(ui: Ui, contact: Contact) -> Contact | None:
    """The invoices a dispute (or its resolution) is about, when the selected row names
    none (a Customers or Worklist row); `log_contact` checks they are the customer's."""
    typed = ui.ask("Log contact", f"Which invoices of {contact.customer} (comma separated)?", "")
    if typed is None:
        return None
    return replace(contact, invoices=tuple(i.strip() for i in typed.split(",") if i.strip()))


def _hold(ui: Ui, contact: Contact, now: dt.datetime) -> Contact | None:
    day = ui.ask("Log contact", "On hold until (YYYY-MM-DD)? Reminders wait until then.",
                 f"{now.date() + dt.timedelta(days=14):%Y-%m-%d}")
    if day is None:
        return None
    return replace(contact, next_action_date=_date_answer(day, "hold date"))


def _date_answer(text: str, what: str) -> dt.date:
    parsed = parse_dates([text.strip()], dayfirst=None)
    if parsed.bad.any() or parsed.blank.any():
        raise DunningInputError([Issue(f"the {what} must be a date such as 2026-12-01",
                                       value=text)])
    return parsed.values[0].astype("datetime64[D]").item()


def _amount_answer(text: str) -> float | None:
    if not text.strip():
        return None
    parsed = parse_amounts([text.strip()])
    if parsed.bad.any():
        raise DunningInputError([Issue("expected an amount such as 1234.50", value=text)])
    return float(parsed.values[0])


def _file_name(client: str) -> str:
    return "".join(c if c.isalnum() or c in " -_." else "_" for c in client.strip()) or "Client"


def _user() -> str:
    import getpass

    return getpass.getuser()


def _log_unexpected(button_id: str) -> Path:
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("dunning.ribbon")
    if not logger.handlers:
        logger.addHandler(logging.FileHandler(LOG_FILE, encoding="utf-8"))
    logger.error("%s button %r failed:\n%s", dt.datetime.now().isoformat(timespec="seconds"),
                 button_id, traceback.format_exc())
    return LOG_FILE


class ExcelUi:
    """Message boxes and input boxes in Excel (Windows through COM; macOS through AppleScript)."""

    def __init__(self, app: object) -> None:
        self.app = app

    def alert(self, title: str, message: str) -> None:
        self.app.alert(message, title=title)  # type: ignore[attr-defined]

    def confirm(self, title: str, question: str) -> bool:
        answer = self.app.alert(question, title=title, buttons="yes_no")  # type: ignore[attr-defined]
        return answer == "yes"

    def ask(self, title: str, prompt: str, default: str = "") -> str | None:
        import sys

        if sys.platform == "darwin":
            return _ask_mac(title, prompt, default)
        answer = self.app.api.InputBox(prompt, title, default)  # type: ignore[attr-defined]
        return None if answer is False else str(answer)

    def open(self, target: str) -> None:
        import webbrowser

        webbrowser.open(target)


def _ask_mac(title: str, prompt: str, default: str) -> str | None:
    import subprocess

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    script = (f"display dialog {quoted(prompt)} default answer {quoted(default)} "
              f"with title {quoted(title)}")
    done = subprocess.run(["osascript", "-e", script, "-e", "text returned of result"],
                          capture_output=True, text=True, check=False)
    return done.stdout.rstrip("\n") if done.returncode == 0 else None


BUTTONS: dict[str, Handler] = {
    "refresh": _refresh,
    "worklist": _worklist,
    "report": _report,
    "preview": _preview,
    "send": _send,
    "log_contact": _log_contact,
    "payment_plan": _payment_plan,
    "statement": _statement,
    "new_workbook": _new_workbook,
    "help": _help,
}
"""Every button id of addin/customUI14.xml, and what it runs."""

HELP: dict[str, tuple[str, str]] = {
    "refresh": ("Refresh", "rewrites the Aging and KPIs sheets and the payment plans' status"),
    "worklist": ("Worklist", "ranks today's customers to call, with the reason for each"),
    "report": ("Report", "writes the management pack (headline figures and their change, "
               "charts, the largest overdue accounts) as a PDF beside the workbook and opens it"),
    "preview": ("Preview reminders", "writes today's drafts and an outbox report in a folder "
                "beside the workbook and opens it; changes nothing in the workbook, sends nothing"),
    "send": ("Send reminders", "sends the previewed reminders after you confirm; logs them in "
             "ContactLog and shows the run in the Outbox sheet"),
    "log_contact": ("Log contact", "records a call, promise, dispute, hold or reminder sent "
                    "by hand for the selected row, asking what each needs"),
    "payment_plan": ("Payment plan", "splits the selected customer's balance into instalments"),
    "statement": ("Statement", "writes the selected customer's statement of account as a PDF "
                  "beside the workbook and opens it"),
    "new_workbook": ("New client workbook", "makes a fresh copy of the client template"),
    "help": ("Help", "this list, and the guide"),
}
