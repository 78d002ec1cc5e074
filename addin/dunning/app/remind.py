"""The reminder run: decide who gets what today, write it, send it, record it.

The steps follow the data one way: the workbook is read once (invoices, customers,
contact log, settings, stages, templates); the core decides and renders; a
preview writes .eml drafts and an outbox report beside the workbook and touches
nothing else; a send goes through the journal and the SMTP transport, then the
ContactLog and the Outbox sheet are written in one atomic save.

`preview` and `send` are the only preview and the only send: the command line
calls them with a file path, the ribbon with the book open in Excel (a
`Workbook`), so both hosts write the same drafts, the same outbox report and the
same Outbox and ContactLog rows for the same workbook and moment. The ribbon's
question before sending is the `confirm` callback of `send`.

Why the order is safe: the workbook is checked to be closed before anything is
sent; each send is journaled (intent before, outcome after); log rows are
written after the batch, and a later run adds the log row of any message the
journal says went out but the ContactLog does not show (a crash between the
send and the save, or a save refused because the workbook was opened in Excel,
loses no row: the journal keeps each row whole, written before the send, and the
policy counts those messages as sent meanwhile). A send whose outcome is unknown
stays "in doubt", and its customer waits, until the ContactLog shows it or
someone settles it; every run reports it. Every cell is checked to fit before
anything is sent (a long invoice list is shortened, the full list staying in
the journal and the draft).

An address the mail server refused for good is not tried again, on any later day,
while the Customers table gives it (`refusals`: the journal's facts, which the
policy judges); every run warns about it, naming the cell to fix, and the
worklist puts the customer up for a call. A journal that cannot be written in the
middle of the sends (a full disk) stops them: the report lists what went, as a
refused save does, and nothing is sent twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pandas as pd

from dunning.app import attachments  # issue 14: statements, invoice copies, letters
from dunning.core.amounts import total_cells
from dunning.core.charges import (
    ChargeSettings,
    charges_for_items,
    missing_rate_warnings,
)
from dunning.core.contactlog import (
    CELL_LIMIT,
    CONTACT_LOG_HEADERS,
    CONTACT_LOG_TABLE,
    Contact,
    contact_log_frame,
    invoice_list,
    log_row,
    log_time,
    row_from_record,
    row_record,
)
from dunning.core.errors import SETTINGS_SHEET, DunningInputError, Issue, place_of
from dunning.core.parse import is_blank, parse_text
from dunning.core.plans import SHEET as PLANS_SHEET
from dunning.core.plans import judge_plans, plans_from_rows
from dunning.core.policy import Decisions, Policy, Refusal, decide
from dunning.io import RISKY_START, WorkbookLockedError, check_not_open
from dunning.io.book import open_book
from dunning.io.reading import read_table_frame
from dunning.io.workbook import FileWorkbook, Workbook, opened
from dunning.mail.journal import Journal
from dunning.mail.mime import to_email
from dunning.mail.smtp import Outgoing, SendingStopped, SendResult, SmtpSettings, send_messages
from dunning.render.messages import Message, Sender, render_messages
from dunning.render.sandbox import RunBudget, TemplateSet
from dunning.render.sheet_layout import SheetLayout, list_layout, made_line
from dunning.sheets.customers import CUSTOMERS_TABLE, customers_frame
from dunning.sheets.reference_rates import load_reference_rates, reference_rates_from_rows
from dunning.sheets.settings import WorkbookSettings

STAGES_TABLE = "Stages"
TEMPLATES_TABLE = "Templates"
OUTBOX_SHEET = "Outbox"
RATES_TABLE = "ReferenceRates"
CHARGES_FROM_STAGE = "Charges From Stage"
OUTBOX_HEADERS = ("Customer", "Name", "To", "Action", "Stage", "Invoices", "Currency", "Total",
                  "Reason", "Outcome", "Message-ID")
NOTE_LIMIT = 2_000
"""The longest server reply kept in a log row's Note."""


def run_user() -> str:
    """Who ran Dunning, for the ContactLog's User column ("dunning (ana)")."""
    try:
        return f"dunning ({getpass.getuser()})"
    except Exception:  # no user name in some service accounts' environments
        return "dunning"


@dataclass(frozen=True)
class RunInputs:
    """Everything a reminder run reads from the workbook, read once."""

    path: Path | None
    ledger: pd.DataFrame
    customers: pd.DataFrame
    log: pd.DataFrame
    policy: Policy
    templates: TemplateSet
    sender: Sender
    smtp: SmtpSettings | None
    as_of: dt.date | None
    charges: ChargeSettings | None = None
    rates: pd.DataFrame | None = None
    charges_from_stage: str = ""
    plans: pd.DataFrame | None = None
    issues: tuple[Issue, ...] = ()
    documents: attachments.Documents | None = None  # issue 14
    address_cells: Mapping[str, str] = field(default_factory=dict)  # customer -> its cell
    refused: Mapping[str, Refusal] = field(default_factory=dict)  # the journal's refusals


@dataclass(frozen=True)
class RunReport:
    """What a run decided and did."""

    decisions: Decisions
    messages: list[Message]
    results: list[SendResult] = field(default_factory=list)
    drafts: list[Path] = field(default_factory=list)
    outbox: Path | None = None
    logged: int = 0
    notes: list[str] = field(default_factory=list)
    warnings: tuple[Issue, ...] = ()
    cancelled: bool = False  # the `confirm` of a send said no: nothing sent or written
    doubts: list[dict] = field(default_factory=list)  # the journal's sends in doubt, after it
    unsaved: str = ""  # why the workbook could not be saved after sending ("" when it was)
    recovered: int = 0  # log rows of earlier runs' sends, from the journal, in this save
    stopped: bool = False  # the journal could not be written: the sends stopped, no save

    @property
    def sent(self) -> list[SendResult]:
        """The messages this run handed to the mail server."""
        return [result for result in self.results if result.outcome == "sent"]

    def sent_lines(self) -> list[str]:
        """What went out, one line each: key, customer, stage and address (or by post)."""
        by_key = {message.key: message for message in self.messages}
        doubted = {doubt["key"] for doubt in self.doubts}
        lines = []
        for result in self.sent:
            message = by_key.get(result.key)
            stage = message.stage if message else (result.key.rsplit("|", 2) + [""])[1]
            to = f"to {message.to}" if message and message.to else "by post"
            lines.append(f"  sent {result.key}: {result.customer}, {stage}, {to} "
                         f"({result.message_id})" + (
                             "; the journal could not record it, so it shows in doubt: it "
                             "went out, settle it as sent" if result.key in doubted else ""))
        return lines

    def summary(self) -> str:
        """One paragraph an accountant reads at the end of a run."""
        if self.cancelled:
            return "Cancelled: nothing was sent."
        actions = self.decisions.customers["action"].value_counts().to_dict()
        parts = [f"{len(self.messages)} reminder(s) to send" if not self.results else
                 _outcome_counts(self.results),
                 f"{actions.get('task', 0)} hand-off task(s)",
                 f"{actions.get('wait', 0)} waiting", f"{actions.get('skip', 0)} skipped"]
        lines = ["; ".join(parts) + "."]
        skipped = self.decisions.customers.query("action in ('skip', 'wait')")
        for reason, count in _reason_kinds(skipped["reason"]).items():
            lines.append(f"  {count} x {reason}")
        if self.messages and self.messages[0].message_id.endswith("example.invalid>"):
            lines.append("Note: Sender Email is not set in Settings; the drafts use a "
                         "placeholder address, and sending will refuse until it is set.")
        if self.drafts:
            lines.append(f"Drafts: {self.drafts[0].parent}")
        if self.outbox:
            lines.append(f"Outbox report: {self.outbox}")
        if self.logged:
            lines.append(f"ContactLog: {self.logged} row(s) added" + (
                f", {self.recovered} of them for sends of an earlier run." if self.recovered
                else "."))
        if self.unsaved:
            earlier = (f" (and {self.recovered} sent by an earlier run are still unlogged)"
                       if self.recovered else "")
            if self.stopped:
                lines.append(f"Stopped, not yet logged: {len(self.sent)} reminder(s) went out"
                             f"{earlier} before {self.unsaved}; nothing more was sent and the "
                             "workbook was left as it was. Free some disk space and run again: "
                             "the next run logs them, and nothing will be sent twice.")
            else:
                lines.append(f"Sent, not yet logged: {len(self.sent)} reminder(s) went out"
                             f"{earlier}, but the workbook could not be saved ({self.unsaved}). "
                             "Close the workbook and run again; nothing will be sent twice.")
            lines += self.sent_lines()
        if self.doubts:
            lines.append(f"In doubt: {len(self.doubts)} send(s) may have reached the customer; "
                         "nothing more goes to them until each is settled (check the Sent "
                         "folder, then settle it as sent or not sent):")
            lines += [f"  {d['key']} (since {str(d.get('time', ''))[:16]} UTC)"
                      for d in self.doubts]
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)


PREVIEW_SENDER = "sender-not-set@example.invalid"


def read_run_inputs(source: str | Path | Workbook, *, as_of: dt.date | None = None,
                    templates_dir: Path | None = None, preview: bool = False,
                    start_at_due_stage: bool = False) -> RunInputs:
    """Read the workbook's invoices, customers, contact log, settings, stages and templates.

    Templates are looked up in the workbook's Templates table first, then in
    `templates_dir` (laid out like the built-in set), then in the built-in set.
    `start_at_due_stage` turns the Start At Due Stage setting on for this run.
    """
    with opened(source) as workbook:
        book = open_book(workbook, as_of=as_of, all_currencies=True)
        stages = read_table_frame(workbook, STAGES_TABLE)
        templates_frame = read_table_frame(workbook, TEMPLATES_TABLE)
        rates = read_table_frame(workbook, RATES_TABLE)
        customers_table = read_table_frame(workbook, CUSTOMERS_TABLE)
        customers = customers_frame(customers_table)
        log = contact_log_frame(read_table_frame(workbook, CONTACT_LOG_TABLE))
        plans = read_plans(workbook)
        documents = attachments.read_documents(  # issue 14
            workbook, cast(WorkbookSettings, book.settings), book.path)
    settings = cast(WorkbookSettings, book.settings)  # open_book read every setting, once
    policy = settings.policy(stages)  # (the frame: its cells are named where the table sits)
    if start_at_due_stage:
        policy = replace(policy, start_at_due_stage=True)
    cells = address_cells(customers_table)  # where a refused address is to be fixed
    templates = TemplateSet.default()
    if templates_dir is not None:
        from dunning.mail.drafts import read_templates

        templates = read_templates(templates_dir).over(templates)
    if templates_frame is not None and not templates_frame.empty:
        templates = TemplateSet.from_rows(templates_frame).over(templates)
    return RunInputs(
        path=book.path,
        ledger=book.frame,
        customers=customers,
        log=log,
        policy=policy,
        templates=templates,
        sender=sender_from_settings(settings, preview=preview),
        smtp=smtp_from_settings(settings),
        as_of=as_of,  # never the Settings' As Of Date: that is for reports, not the day's run
        charges=settings.charges,
        rates=(load_reference_rates() if rates is None
               else reference_rates_from_rows(rates, sheet=RATES_TABLE)),
        charges_from_stage=_charges_from_stage(settings, policy),
        plans=plans,
        issues=tuple(book.issues),
        documents=documents,
        address_cells=cells,
        refused=refusals(Journal.read(journal_path(book.path)), cells) if book.path else {},
    )


def address_cells(table: pd.DataFrame | None) -> dict[str, str]:
    """Where each customer's e-mail address is kept, as a warning names it: "Customers!C7
    (Contact Email)", or the Billing Email's cell when that is filled in (it is the one used)."""
    if table is None or "Customer" not in table.columns:
        return {}
    place, headers = place_of(table, CUSTOMERS_TABLE), list(table.columns)
    ids = parse_text(table["Customer"].to_numpy(dtype=object)).values
    billing = (table["Billing Email"].tolist() if "Billing Email" in table.columns
               else [None] * len(table))
    cells: dict[str, str] = {}
    for position, (customer, billed) in enumerate(zip(ids, billing, strict=True)):
        if customer and customer not in cells:
            header = "Contact Email" if is_blank(billed) else "Billing Email"
            if header in headers:
                cells[customer] = place.cell_issue("", position=position, header=header,
                                                   headers=headers).location
    return cells


def refusals(journal: Journal, cells: Mapping[str, str]) -> dict[str, Refusal]:
    """The customers whose last reminder the mail server refused for good, with the address it
    went to (the policy holds that address until it is changed in the Customers table).

    Only the recipients refused at RCPT count (the journal's `refused`), or a send settled by
    hand as failed: a 5xx to the sender or the message (MAIL FROM, DATA) is not the address's
    fault, and holding every customer for it would be wrong; such a key is still not retried
    the same day. A customer's last outcome in the journal decides: a later send, a temporary
    failure or the refusal settled as not sent (`--settle 'KEY=not sent'`: try the same
    address again) lifts it. A refusal without its planned record (an older journal) names no
    address and holds nothing here.
    """
    last: dict[str, dict] = {}
    for record in journal.entries():
        if record.get("event") != "planned":
            last[record["key"].rsplit("|", 2)[0]] = record
    found = {}
    for customer, record in last.items():
        refused = ((record["event"] == "failed" and record.get("permanent")
                    and record.get("refused"))
                   or (record["event"] == "resolved" and record.get("outcome") == "failed"))
        address = (journal.planned(record["key"]) or {}).get("to", "")
        if refused and address:
            found[customer] = Refusal(
                address=str(address), when=record["key"].rsplit("|", 1)[-1],
                error=str(record.get("error", "")), key=record["key"],
                cell=cells.get(customer, CUSTOMERS_TABLE))
    return found


def read_plans(workbook: Workbook) -> pd.DataFrame:
    """The PaymentPlans sheet's plans (an empty frame when there is no such sheet)."""
    if PLANS_SHEET not in workbook.sheet_names():
        return plans_from_rows([])
    return plans_from_rows(workbook.sheet_rows(PLANS_SHEET))


def run_date(inputs: RunInputs, now: dt.datetime) -> dt.date:
    """The day a run judges: the workbook's As Of Date, else today in the default zone."""
    return inputs.as_of or now.astimezone(ZoneInfo(inputs.policy.default_time_zone)).date()


def plan_summary(inputs: RunInputs, now: dt.datetime) -> pd.DataFrame:
    """Each payment plan judged on the run date (its status holds reminders or not)."""
    return judge_plans(inputs.plans if inputs.plans is not None else plans_from_rows([]),
                       inputs.ledger, run_date(inputs, now))[1]


def sender_from_settings(settings: WorkbookSettings, *, preview: bool = False) -> Sender:
    """Who reminders come from, from the workbook's settings (`read_settings`).

    A preview of a workbook whose Sender Email is not filled in yet uses a
    placeholder address (in the reserved .invalid domain), so the drafts can be
    looked at; sending always needs the real one.
    """
    return Sender(company_name=settings.company_name, sender_name=settings.sender_name,
                  sender_email=settings.sender_email or (PREVIEW_SENDER if preview else ""),
                  payment_instructions=settings.payment_instructions,
                  reply_to=settings.reply_to, opt_out_address=settings.opt_out_address,
                  payment_link=settings.payment_link, pay_by_days=settings.pay_by_days)


def smtp_from_settings(settings: WorkbookSettings) -> SmtpSettings | None:
    """The mail server from the workbook's settings, or None when no SMTP Host is set."""
    if not settings.smtp_host:
        return None
    return SmtpSettings(host=settings.smtp_host, port=settings.smtp_port,
                        security=settings.smtp_security, user=settings.smtp_user,
                        cafile=settings.smtp_ca_file)


def plan_reminders(inputs: RunInputs, now: dt.datetime, *,
                   in_doubt: dict[str, str] | None = None,
                   budget: RunBudget | None = None) -> tuple[Decisions, list[Message]]:
    """Today's decisions and the messages they call for (`in_doubt`: customer -> key);
    those rendered within `budget`, the run's time for templates (its `left`: the rest)."""
    decisions = decide(inputs.ledger, inputs.customers, inputs.log, inputs.policy, now,
                       plan_summary(inputs, now), as_of=inputs.as_of, in_doubt=in_doubt,
                       refused=inputs.refused)
    messages = render_messages(decisions.customers, decisions.items, inputs.templates,
                               inputs.sender, decisions.as_of,
                               charges=charges_shown(decisions, inputs), budget=budget)
    messages = attachments.with_documents(messages, decisions, inputs)  # issue 14
    return decisions, messages


def charges_shown(decisions: Decisions, inputs: RunInputs) -> pd.DataFrame | None:
    """The late-payment charges to show, per item; only from the Charges From Stage on."""
    if inputs.charges is None:
        return None
    charges = charges_for_items(decisions.items, decisions.as_of, inputs.charges, inputs.rates)
    if not inputs.charges_from_stage:
        return charges
    order = {stage.name.lower(): index for index, stage in enumerate(inputs.policy.stages)}
    stage = decisions.customers["stage"].str.lower().map(order)
    reached = stage >= order[inputs.charges_from_stage.lower()]
    return charges[charges["customer"].isin(decisions.customers.loc[reached, "customer"])]


def run_notes(inputs: RunInputs, decisions: Decisions) -> list[str]:
    """What a run should tell the accountant that no single customer's reason says."""
    wanted = inputs.charges.currency if inputs.charges is not None else None
    if wanted and not (decisions.items["currency"].isin([wanted, ""])).any():
        return [f"Late Payment Charges is {inputs.charges.regime.upper()}, which applies to "
                f"{wanted} invoices only, and none are open: no charges are shown."]
    return []


def _charges_from_stage(settings: WorkbookSettings, policy: Policy) -> str:
    """The Charges From Stage setting, checked against the Stages table's names."""
    wanted = settings.charges_from_stage
    names = [stage.name for stage in policy.stages]
    if wanted and wanted.lower() not in (name.lower() for name in names):
        raise DunningInputError([settings.issue(
            CHARGES_FROM_STAGE, f"no stage named {wanted!r}; stages are {', '.join(names)}",
            wanted)])
    return wanted


def run_warnings(inputs: RunInputs, decisions: Decisions) -> tuple[Issue, ...]:
    """The ledger's warnings, a month's notice of a late-payment rate not yet in the table,
    and each customer held by an address refused for good (once a run, never silent)."""
    refused = refused_warnings(inputs, decisions)
    if inputs.charges is None:
        return (*inputs.issues, *refused)
    return (*inputs.issues, *refused,
            *missing_rate_warnings(inputs.rates, decisions.as_of, [inputs.charges.regime]))


def refused_warnings(inputs: RunInputs, decisions: Decisions) -> list[Issue]:
    """One warning per customer whose reminder is held because the mail server refused its
    address for good: who, which address, since when, and what to do."""
    held = decisions.customers
    if "refused" not in held.columns:
        return []
    warnings = []
    book = inputs.path if inputs.path is not None else "BOOK"
    for customer, address in zip(held["customer"], held["refused"], strict=True):
        refusal = inputs.refused.get(customer)
        if not address or refusal is None:
            continue
        error = f" ({refusal.error[:200]})" if refusal.error else ""
        warnings.append(Issue(
            f"{customer}: no reminder sent: the mail server refused {address} for good on "
            f"{refusal.when}{error}; fix the e-mail address in {refusal.cell} (the next run "
            f"writes to the new one), or call the customer. To try the same address again: "
            f"dunning remind {book} --settle '{refusal.key}=not sent'", severity="warning"))
    return warnings


OUTBOX_REPORT = "outbox.csv"


def preview(source: str | Path | Workbook, drafts: Path | None = None, *, now: dt.datetime,
            as_of: dt.date | None = None, templates_dir: Path | None = None,
            start_at_due_stage: bool = False) -> RunReport:
    """Write what would go out today as .eml drafts and an outbox report; send nothing.

    The one preview of both hosts: `source` is a workbook file (`dunning remind
    --dry-run`; it may be open in Excel, as it is only read) or the book open in
    Excel (the ribbon's Preview, unsaved changes included). The workbook itself is
    never written: the drafts and `outbox.csv` (the Outbox sheet's columns, one row
    per customer with open items and the reason) go into `drafts`, by default
    `BOOK-drafts-DATE` beside the workbook (DATE the run date), so the Outbox
    sheet only ever shows what a send did. The drafts an earlier preview of the same day
    wrote for messages that no longer go (the customer has since promised, say) are
    deleted (`dunning.mail.drafts.clear_earlier_drafts`: only Dunning's own), so none can
    be sent by hand from the folder.
    """
    from dunning.mail.drafts import clear_earlier_drafts, write_drafts

    inputs = read_run_inputs(source, as_of=as_of, templates_dir=templates_dir, preview=True,
                             start_at_due_stage=start_at_due_stage)
    journal = Journal.read(journal_path(inputs.path)) if inputs.path is not None else None
    inputs, in_doubt, _ = with_journal(inputs, journal, now)
    budget = RunBudget()  # the run's time for templates: what it does not render, no draft
    decisions, messages = plan_reminders(inputs, now, in_doubt=in_doubt, budget=budget)
    if drafts is None:
        if inputs.path is None:
            raise DunningInputError([Issue(
                "save the workbook before previewing: the drafts and the outbox report are "
                "written in a folder beside it")])
        drafts = drafts_folder(inputs.path, run_date(inputs, now))
    drafts.mkdir(parents=True, exist_ok=True)
    day = decisions.as_of or run_date(inputs, now)
    cleared = clear_earlier_drafts(drafts, [message.key for message in messages], day)
    # -- issue 14: letters are PDFs in the same folder; the rest are .eml drafts
    emails, letters = attachments.split_letters(messages, inputs)
    written = write_drafts(emails, inputs.sender, drafts, date=now)
    cleared += attachments.clear_earlier_letters(drafts, [m.key for m in messages], journal, day)
    printed, letter_notes = attachments.write_letter_drafts(letters, decisions, inputs, drafts)
    written += printed
    # -- end issue 14
    notes = run_notes(inputs, decisions) + letter_notes + budget.notes()
    if cleared:
        notes.append(f"{len(cleared)} draft(s) of an earlier preview today no longer apply and "
                     "were deleted: " + ", ".join(path.name for path in cleared[:5])
                     + (" ..." if len(cleared) > 5 else ""))
    outbox = drafts / OUTBOX_REPORT
    try:
        with outbox.open("w", newline="", encoding="utf-8-sig") as handle:
            csv.writer(handle).writerows(csv_safe(outbox_rows(decisions, messages, [])))
    except PermissionError:
        raise DunningInputError([Issue(
            f"{outbox} cannot be written: it is open in another program (Excel?); close it "
            "and preview again")]) from None
    return RunReport(decisions, messages, drafts=written, outbox=outbox,
                     notes=notes, warnings=run_warnings(inputs, decisions),
                     doubts=journal.in_doubt() if journal is not None else [])


def csv_safe(rows: list[list[object]]) -> list[list[object]]:
    """Rows for a CSV file that a spreadsheet opens: text that would start a formula gets a
    leading apostrophe (OWASP's CSV injection advice), as the workbook's quote prefix does."""
    return [[f"'{value}" if isinstance(value, str) and value.startswith(RISKY_START)
             else value for value in row] for row in rows]


def drafts_folder(path: str | Path, day: dt.date) -> Path:
    """Where a preview writes by default: `BOOK-drafts-DATE` beside the workbook."""
    path = Path(path)
    return path.with_name(f"{path.stem}-drafts-{day:%Y-%m-%d}")


def confirm_text(messages: list[Message]) -> str:
    """The question asked before sending: how many messages go to how many customers."""
    customers = len({message.customer for message in messages})
    addresses = len({message.to for message in messages})
    return (f"Send {len(messages)} reminder(s) to {customers} customer(s) "
            f"({addresses} address(es)) now?")


def journal_path(path: str | Path) -> Path:
    """The send journal kept beside the workbook."""
    path = Path(path)
    return path.with_name(f"{path.name}.dunning-journal.jsonl")


def send(
    source: str | Path | Workbook,
    *,
    now: dt.datetime,
    smtp: SmtpSettings | None = None,
    smtp_overrides: Mapping[str, object] | None = None,
    password: str | None = None,
    as_of: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    backups: int = 1,
    templates_dir: Path | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    confirm: Callable[[str], bool] | None = None,
    start_at_due_stage: bool = False,
) -> RunReport:
    """Send today's reminders and record them, safely enough to run unattended.

    The one send of both hosts: `source` is a workbook file (the command line; it
    must not be open in Excel: what is sent must be recordable afterwards) or the
    workbook open in Excel (the ribbon, `dunning.excel.live`), which must have been
    saved once, since the send journal lives beside it.

    `smtp_overrides` (host, port, security, user, cafile) win over `smtp` or, without it,
    over the workbook's Settings, which are read once, here.

    `now` is the moment of the run (the messages' Date); `clock`, when given,
    stamps each journal record with the moment it is written (the command line
    passes the computer's clock), else every record carries `now`.

    `confirm(question) -> bool`, when given, is asked before anything is sent
    (the ribbon asks the person at the keyboard; an unattended run passes none):
    the question names how many reminders go to how many customers, and a no
    returns a cancelled report having sent and written nothing.

    A save refused after messages went out (the workbook opened in Excel during the
    run, a full disk, or any other failure of the save) does not raise: the report's
    `unsaved` says why and `sent` what went; the journal holds their log rows, which the
    next run writes. A journal that cannot be written once messages went out (a full disk)
    stops the sends there and no save is made: `stopped`, with `unsaved` naming the journal
    and `sent` what went (one whose outcome the journal could not take is in doubt to the next
    run, never resent); before any message went, its OSError is raised. The report's
    `doubts` are every send in doubt the journal holds, this run's and earlier ones.
    """
    if isinstance(source, (str, Path)):
        check_not_open(Path(source))
        source = FileWorkbook(Path(source), backups=backups)
    if source.path is None:
        raise DunningInputError([Issue("save the workbook before sending: the send journal "
                                       "that prevents double sends is kept beside it")])
    inputs = read_run_inputs(source, as_of=as_of, templates_dir=templates_dir,
                             start_at_due_stage=start_at_due_stage)
    smtp = smtp or inputs.smtp
    if smtp_overrides:  # the command line's --smtp-* flags win over the Settings
        smtp = replace(smtp or SmtpSettings(host=""), **smtp_overrides)  # type: ignore[arg-type]
    if confirm is not None:  # ask before taking the journal; a no leaves it untouched
        seen = Journal.read(journal_path(source.path))
        asked, in_doubt, _ = with_journal(inputs, seen, now)
        decisions, messages = plan_reminders(asked, now, in_doubt=in_doubt, budget=RunBudget())
        if messages and not confirm(confirm_text(messages)):
            return RunReport(decisions, messages, cancelled=True,
                             warnings=run_warnings(inputs, decisions), doubts=seen.in_doubt())
    with Journal(journal_path(source.path), clock=clock or (lambda: now)) as journal:
        settle_doubt_from_log(journal, inputs.log)
        inputs, in_doubt, recovered = with_journal(inputs, journal, now)
        # decided again under the journal's lock: a run that sent meanwhile counts
        budget = RunBudget()  # bounds the templates' time under the lock; the rest wait
        decisions, messages = plan_reminders(inputs, now, in_doubt=in_doubt, budget=budget)
        planned = planned_rows(messages, now, follow_up_days=inputs.policy.min_gap_days,
                               today=decisions.as_of or now.date())
        emails, letters = attachments.split_letters(messages, inputs)  # issue 14
        planned = attachments.planned_as_letters(planned, letters)  # issue 14
        check_cells(decisions, messages, planned, inputs.log)  # before anything is sent
        results: list[SendResult] = []
        if emails and smtp is None:
            raise DunningInputError([Issue(
                "no mail server: set SMTP Host in the Settings sheet or pass --smtp-host "
                "(or preview with --dry-run)", sheet=SETTINGS_SHEET)])
        if letters:  # issue 14: written into the day's drafts folder, journaled like a send
            results += attachments.deliver_letters(
                letters, decisions, inputs, journal, planned,
                drafts_folder(source.path, run_date(inputs, now)))
        stopped: SendingStopped | None = None
        if emails:
            _plan_in_journal(journal, emails, planned)
            outgoing = [Outgoing(m.key, m.customer, to_email(m, inputs.sender, date=now))
                        for m in emails]
            try:
                results += send_messages(outgoing, smtp, journal, password=password,
                                         progress=progress)
            except SendingStopped as stop:  # the journal cannot be written: a full disk
                if not any(r.outcome in ("sent", "in doubt") for r in results + stop.results):
                    raise stop.error from None  # nothing went: the OSError says it all
                results += stop.results
                stopped = stop
        results += [SendResult(*left, "not attempted", budget.why) for left in budget.left]
        rows = log_rows_for(decisions, messages, results, inputs.log, journal, now,
                            follow_up_days=inputs.policy.min_gap_days)
        rows = attachments.as_letters(rows, letters)  # issue 14
        rows = recovered + rows
        doubts = journal.in_doubt()
    report = RunReport(decisions, messages, results=results, logged=len(rows),
                       notes=run_notes(inputs, decisions) + budget.notes(),
                       warnings=run_warnings(inputs, decisions),
                       doubts=doubts, recovered=len(recovered))
    if stopped is not None:  # the journal is what makes a save safe: none is made without it
        why = stopped.error.strerror or str(stopped.error)
        return replace(report, logged=0, stopped=True, unsaved=(
            f"the send journal {stopped.error.filename} could not be written ({why})"))
    try:
        if rows:
            source.append_rows(CONTACT_LOG_TABLE, rows)
        outbox = outbox_layout(outbox_rows(decisions, messages, results),
                               made_line(decisions.as_of or now.date(), now))
        source.replace_sheet(OUTBOX_SHEET, outbox.rows, layout=outbox)
        source.save()
    except Exception as error:  # noqa: BLE001 - whatever stops the save, say what went out
        if not report.sent and not recovered:
            raise  # nothing went out: the refusal (or the bug) says it all
        return replace(report, logged=0, unsaved=_why(error))
    return report


def _why(error: Exception) -> str:
    """Why the save failed, in the words of the error; an unforeseen one names its kind."""
    if isinstance(error, DunningInputError):
        return "; ".join(str(issue) for issue in error.issues)
    if isinstance(error, (WorkbookLockedError, OSError)):
        return str(error) or type(error).__name__
    return f"unexpected problem: {type(error).__name__}: {error}"


def with_journal(inputs: RunInputs, journal: Journal | None,
                 now: dt.datetime) -> tuple[RunInputs, dict[str, str], list[dict[str, object]]]:
    """What the journal knows and the workbook does not, for the policy to count.

    Returns the inputs with the log rows of sends the ContactLog lacks (an earlier run
    sent them but could not save) and the journal's refusals, the customers with a send in
    doubt (customer -> "KEY, since TIME"), and those log rows, to be written.
    """
    if journal is None:
        return inputs, {}, []
    recovered = _missing_sends(journal, inputs.log, log_time(now), run_user())
    log = inputs.log
    if recovered:
        extra = contact_log_frame(pd.DataFrame(recovered, columns=list(CONTACT_LOG_HEADERS)))
        log = extra if log.empty else pd.concat([log, extra], ignore_index=True)
    in_doubt = {}
    for record in journal.in_doubt():
        customer = record["key"].rsplit("|", 2)[0]
        in_doubt[customer] = f"{record['key']}, since {str(record.get('time', ''))[:16]} UTC"
    refused = refusals(journal, inputs.address_cells)  # as the journal stands now
    return replace(inputs, log=log, refused=refused), in_doubt, recovered


def planned_rows(messages: list[Message], now: dt.datetime, *, follow_up_days: int,
                 today: dt.date) -> dict[str, dict[str, object]]:
    """The ContactLog row each message writes once sent, by key."""
    stamp, user = log_time(now), run_user()
    follow_up = today + dt.timedelta(days=follow_up_days)
    return {m.key: _message_row(m, "sent", "", stamp, user, follow_up) for m in messages}


def _message_row(message: Message, outcome: str, error: str, stamp: dt.datetime, user: str,
                 next_action: dt.date) -> dict[str, object]:
    return log_row(Contact(
        customer=message.customer, channel="email", outcome=outcome, timestamp=stamp,
        invoices=message.invoices, stage=message.stage, subject=message.subject,
        message_id=message.message_id, user=user, next_action_date=next_action,
        note=error[:NOTE_LIMIT], open_balance=_single_total(message.totals)))


def _plan_in_journal(journal: Journal, messages: list[Message],
                     planned: dict[str, dict[str, object]]) -> None:
    """Write each message's log row into the journal before it is sent; a permanent failure
    whose address has changed since is tried again."""
    for message in messages:
        state, earlier = journal.state(message.key), journal.planned(message.key) or {}
        if state == "failed" and (journal.latest(message.key) or {}).get("permanent"):
            if not earlier or earlier.get("to") == message.to:
                continue  # refused for good at this address: reported, not retried
            journal.resolve(message.key, "not sent", note=f"the address changed from "
                            f"{earlier.get('to')} to {message.to}: sent again")
        elif state in ("sent", "in doubt"):
            continue
        journal.plan(message.key, message.message_id, row=row_record(planned[message.key]),
                     invoices=list(message.invoices), to=message.to)


def check_cells(decisions: Decisions, messages: list[Message],
                planned: dict[str, dict[str, object]], log: pd.DataFrame) -> None:
    """Refuse, before anything is sent, a row the workbook could not hold (a cell over
    32,767 characters), so that what is sent can always be logged."""
    stamp = dt.datetime(2000, 1, 1)
    rows = [("ContactLog", list(row.values())) for row in planned.values()]
    rows += [("ContactLog", list(row.values())) for row in _task_rows(decisions, stamp, "")]
    rows += [("ContactLog", list(row.values()))
             for row in _broken_promise_rows(decisions, log, stamp, "")]
    rows += [(OUTBOX_SHEET, row) for row in outbox_rows(decisions, messages, [])]
    problems = [Issue(f"a {sheet} row of customer {row[1] if sheet == 'ContactLog' else row[0]} "
                      f"would hold {len(value):,} characters in one cell, more than the "
                      f"{CELL_LIMIT:,} a cell holds; nothing was sent", sheet=sheet)
                for sheet, row in rows for value in row
                if isinstance(value, str) and len(value) > CELL_LIMIT]
    if problems:
        raise DunningInputError(problems)


def settle(path: str | Path, key: str, outcome: str, *, now: dt.datetime) -> None:
    """Settle a send in doubt by hand, after checking the mail server's Sent folder.

    `outcome` is "sent" (it went out: never send it again) or "not sent" (send
    it on the next run); the journal records who decided, and when (`now`).
    """
    with Journal(journal_path(path), clock=lambda: now) as journal:
        if journal.state(key) is None:
            raise DunningInputError([Issue(
                f"the send journal of {Path(path).name} has no message {key!r}")])
        journal.resolve(key, outcome, note=f"settled by hand by {run_user()}")


def settle_doubt_from_log(journal: Journal, log: pd.DataFrame) -> None:
    """A send in doubt whose Message-ID the ContactLog already shows did go out."""
    logged = set(log.loc[log["outcome"] == "sent", "message_id"])
    for record in journal.entries():
        key = record.get("key", "")
        if journal.state(key) == "in doubt" and record.get("message_id") in logged:
            journal.resolve(key, "sent", note="found in the ContactLog")


def log_rows_for(
    decisions: Decisions,
    messages: list[Message],
    results: list[SendResult],
    log: pd.DataFrame,
    journal: Journal,
    now: dt.datetime,
    *,
    follow_up_days: int = 5,
) -> list[dict[str, object]]:
    """ContactLog rows for this run (`with_journal` gives those of earlier sends).

    Sent and failed messages, hand-off tasks and broken promises are logged once
    each: a message by its Message-ID and outcome (a failure, then the send of a
    later run the same day, are two rows), a task by customer, stage and day, a
    broken promise by customer and promised date. A sent reminder's next action
    date is the first day the next one may go (the minimum gap); a failed one's
    is the run date, since someone should look at it today.
    """
    stamp = log_time(now)
    user = run_user()
    today = decisions.as_of or now.date()
    follow_up = today + dt.timedelta(days=follow_up_days)
    logged = set(zip(log["message_id"], log["outcome"], strict=True))
    by_key = {m.key: m for m in messages}
    rows: list[dict[str, object]] = []
    for result in results:  # a message is logged once per outcome: a failure, then its send
        if result.outcome not in ("sent", "failed") or (
                result.message_id, result.outcome) in logged:
            continue
        message = by_key[result.key]
        rows.append(_message_row(message, result.outcome, result.error, stamp, user,
                                 follow_up if result.outcome == "sent" else today))
        logged.add((result.message_id, result.outcome))
    rows += _task_rows(decisions, stamp, user)
    rows += _broken_promise_rows(decisions, log, stamp, user)
    return rows


def _single_total(totals: dict[str, float]) -> float | None:
    """The balance a message asked for, when it is in one currency (never added across)."""
    return round(float(next(iter(totals.values()))), 2) if len(totals) == 1 else None


def _missing_sends(journal: Journal, log: pd.DataFrame, stamp: dt.datetime,
                   user: str) -> list[dict[str, object]]:
    """Log rows of messages the journal says went out and the ContactLog does not show: the
    row planned before the send, whole (a journal older than planned rows gives a bare one)."""
    logged_ids = set(log.loc[log["outcome"] == "sent", "message_id"])
    rows = []
    seen = set()
    note = "recorded from the send journal: an earlier run sent it but did not log it"
    for record in journal.entries():
        key, message_id = record.get("key", ""), record.get("message_id", "")
        if key in seen or journal.state(key) != "sent" or message_id in logged_ids:
            continue
        seen.add(key)
        planned = journal.planned(key)
        if planned is not None and planned.get("message_id") == message_id:
            row = row_from_record(planned["row"])
            row["Note"] = f"{row['Note']}; {note}" if row.get("Note") else note
            rows.append(row)
            continue
        customer, stage, _ = (key.rsplit("|", 2) + ["", "", ""])[:3]
        rows.append(log_row(Contact(
            customer=customer, channel="email", outcome="sent", timestamp=stamp, stage=stage,
            message_id=message_id, user=user, note=note)))
    return rows


def _task_rows(decisions: Decisions, stamp: dt.datetime, user: str) -> list[dict]:
    tasks = decisions.customers[decisions.customers["action"] == "task"]
    rows = []
    for task in tasks.itertuples():
        rows.append(log_row(Contact(
            customer=task.customer, channel="email", outcome="handed off", timestamp=stamp,
            invoices=tuple(task.items), stage=task.stage, user=user,
            next_action_date=decisions.as_of, note=f"task for a person: {task.reason}")))
    return rows


def _broken_promise_rows(decisions: Decisions, log: pd.DataFrame, stamp: dt.datetime,
                         user: str) -> list[dict]:
    broken = log[log["outcome"] == "promise broken"]
    recorded = set(zip(broken["customer"], broken["note"], strict=True))
    rows = []
    for promise in decisions.broken_promises.itertuples():
        note = f"promise of {pd.Timestamp(promise.promise_date):%Y-%m-%d} not kept"
        if (promise.customer, note) in recorded:
            continue
        rows.append(log_row(Contact(
            customer=promise.customer, channel="email", outcome="promise broken",
            timestamp=stamp, user=user, next_action_date=decisions.as_of, note=note)))
    return rows


def outbox_layout(rows: list[list[object]], stamp: str) -> SheetLayout:
    """The Outbox sheet laid out: headers in row 1 kept in view, totals as money, the stamp."""
    return list_layout(rows, ["money" if header == "Total" else None for header in rows[0]],
                       stamp)


def outbox_rows(decisions: Decisions, messages: list[Message],
                results: list[SendResult]) -> list[list[object]]:
    """The Outbox sheet (or report): one row per customer with open items, header first."""
    by_customer = {m.customer: m for m in messages}
    outcome = {r.customer: r for r in results}
    rows: list[list[object]] = [list(OUTBOX_HEADERS)]
    for decision in decisions.customers.itertuples():
        message = by_customer.get(decision.customer)
        result = outcome.get(decision.customer)
        currencies, total = total_cells(decision.total_by_currency)
        rows.append([
            decision.customer, decision.name, decision.email, decision.action, decision.stage,
            invoice_list(decision.items), currencies, total, decision.reason,
            result.outcome if result else "", message.message_id if message else "",
        ])
    return rows


def _outcome_counts(results: list[SendResult]) -> str:
    counts = pd.Series([r.outcome for r in results]).value_counts().to_dict()
    return ", ".join(f"{count} {outcome}" for outcome, count in counts.items())


def _reason_kinds(reasons: pd.Series) -> dict[str, int]:
    """Reasons grouped by their kind: the words before the first colon, and for waits the
    rule that holds the message back."""
    def kind(reason: str) -> str:
        head = reason.split(":", 1)[0].strip()
        if head != "waiting":
            return head
        for rule in ("send window", "not a working day", "minimum", "at most"):
            if rule in reason:
                return f"waiting ({rule})"
        return head

    return reasons.map(kind).value_counts().to_dict()
