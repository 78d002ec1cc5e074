"""What a reminder carries besides its text, and reminders that go as letters (issue 14).

The reminder run (`dunning.app.remind`) calls this module at four clearly marked places:
`read_documents` while the workbook is read, `with_documents` after the messages are
rendered, `split_letters` before drafts are written or mail is sent, and
`deliver_letters` / `write_letter_drafts` for the letters. Everything else stays as it was.

- **Statement.** With the Settings' `Attach Statement` = Yes, every reminder carries the
  customer's statement of account as of the run date (`dunning.render.statement`), named
  `Statement-<customer>-<date>.pdf`.
- **Invoice copies.** With `Invoice PDFs` naming a folder (relative to the workbook's
  folder, or absolute), a reminder attaches the PDF of each overdue invoice it lists:
  the file named after the invoice number (`INV-001.pdf`, any case; "/" and "\\" in a
  number read as "-"), or the file an `Invoice PDF` column of the Invoices table names.
  Files are looked up among the folder's own PDF files by name only, so no cell value
  can reach outside the folder; a file that does not begin as a PDF is not attached.
  The message then says which copies are missing, in its language.
- **Letters.** A stage whose Action is `letter`, or a customer whose `Channel` is
  `letter` (Customers table), gets a print-ready PDF letter with the email's text
  (`dunning.render.letter`) in the drafts folder instead of an email, logged in the
  ContactLog with the channel "letter"; its statement and invoice copies are written
  beside it (`<letter>_<file>.pdf`), to print with it.

Attachments are regenerated from the same inputs on every run (the workbook, the folder,
the run date), so a rerun builds the same bytes; they take no part in the message's key
or Message-ID, which the journal goes by.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from dunning.core.aging import DEFAULT_EDGES
from dunning.core.columns import normal_header
from dunning.core.errors import DunningInputError, Issue
from dunning.core.parse import parse_text
from dunning.io.durability import write_atomically
from dunning.io.reading import read_table_frame
from dunning.io.workbook import Workbook
from dunning.mail.drafts import draft_name, key_draft_name, safe_part
from dunning.mail.journal import Journal
from dunning.mail.smtp import SendResult
from dunning.render.letter import letter_pdf
from dunning.render.messages import Message
from dunning.render.pdf import Attachment
from dunning.render.statement import Addressee, Firm, copies_missing_note, statement_pdf
from dunning.sheets.addresses import CUSTOMERS_TABLE, address_lines, addresses_frame
from dunning.sheets.settings import WorkbookSettings

INVOICES_TABLE = "Invoices"
FILE_HEADERS = ("Invoice PDF", "Invoice File", "PDF File", "PDF")
INVOICE_HEADERS = ("Invoice No", "Invoice", "Invoice Number", "Invoice #")
LETTER = "letter"
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class Documents:
    """What the run needs for statements, invoice copies and letters, read once."""

    firm: Firm
    attach_statement: bool = False
    invoice_folder: Path | None = None
    invoice_pdfs: Mapping[str, Path] = field(default_factory=dict)  # casefolded name -> file
    invoice_files: Mapping[str, str] = field(default_factory=dict)  # invoice -> file named
    addresses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    edges: tuple[int, ...] = DEFAULT_EDGES
    problem: Issue | None = None  # the Invoice PDFs folder is missing: said when attaching


def firm_from_settings(settings: WorkbookSettings) -> Firm:
    """The firm as statements and letters show it (Company Name, Company Address, Payment
    Instructions, Payment Link)."""
    return Firm(name=settings.company_name, address=address_lines(settings.company_address),
                payment_instructions=settings.payment_instructions,
                payment_link=settings.payment_link)


def read_documents(workbook: Workbook, settings: WorkbookSettings,
                   path: Path | None) -> Documents:
    """The Settings, Customers columns and invoice folder that statements, copies and letters
    use. A folder that is named but missing is an error naming the Settings row, raised
    when reminders are to carry copies (the worklist, reading the same inputs, goes on)."""
    frame = addresses_frame(read_table_frame(workbook, CUSTOMERS_TABLE))
    folder, pdfs, files, problem = None, {}, {}, None
    if settings.invoice_pdfs:
        folder = Path(settings.invoice_pdfs).expanduser()
        if not folder.is_absolute() and path is not None:
            folder = path.parent / folder
        if folder.is_dir():
            pdfs = {item.name.casefold(): item for item in sorted(folder.iterdir())
                    if item.suffix.lower() == ".pdf" and item.is_file()}
            files = invoice_files(read_table_frame(workbook, INVOICES_TABLE))
        else:
            problem = settings.issue(
                "Invoice PDFs", f"no folder {folder} (give a folder of invoice PDFs, relative "
                "to the workbook's folder or in full)", settings.invoice_pdfs)
    return Documents(
        firm=firm_from_settings(settings), attach_statement=settings.attach_statement,
        invoice_folder=folder, invoice_pdfs=pdfs, invoice_files=files,
        addresses=dict(zip(frame["customer"], frame["address"], strict=True)),
        channels=dict(zip(frame["customer"], frame["channel"], strict=True)),
        edges=tuple(settings.bucket_edges), problem=problem)


def invoice_files(table: pd.DataFrame | None) -> dict[str, str]:
    """Invoice number -> the file an `Invoice PDF` column names (none without that column)."""
    if table is None or table.empty:
        return {}
    found = {normal_header(header): header for header in table.columns}
    file_header = next((found[normal_header(h)] for h in FILE_HEADERS
                        if normal_header(h) in found), None)
    invoice_header = next((found[normal_header(h)] for h in INVOICE_HEADERS
                           if normal_header(h) in found), None)
    if file_header is None or invoice_header is None:
        return {}
    invoices = parse_text(table[invoice_header].to_numpy(dtype=object)).values
    names = parse_text(table[file_header].to_numpy(dtype=object)).values
    return {invoice: name.strip() for invoice, name in zip(invoices, names, strict=True)
            if invoice and name.strip()}


# ------------------------------------------------------------------ attachments


def with_documents(messages: list[Message], decisions: object, inputs: object) -> list[Message]:
    """The messages with their statement and invoice copies attached, and a line naming
    the copies not found. `decisions` is the run's `Decisions`, `inputs` its `RunInputs`."""
    documents: Documents | None = getattr(inputs, "documents", None)
    if documents is None or not messages or not (
            documents.attach_statement or documents.invoice_folder is not None):
        return messages
    if documents.problem is not None:
        raise DunningInputError([documents.problem])
    as_of = decisions.as_of  # type: ignore[attr-defined]
    items = decisions.items  # type: ignore[attr-defined]
    late = (items["days_past_due"] > 0) & (items["open_balance"] > 0)  # no credit notes
    overdue = set(zip(items.loc[late, "customer"], items.loc[late, "invoice"], strict=True))
    people = _people(decisions)
    done = []
    for message in messages:
        files: list[Attachment] = []
        if documents.attach_statement:
            files.append(Attachment(
                f"Statement-{safe_part(message.customer, 'customer')}-{as_of:%Y-%m-%d}.pdf",
                statement_pdf(inputs.ledger, addressee(message.customer, people, documents),  # type: ignore[attr-defined]
                              documents.firm, as_of, edges=documents.edges,
                              language=message.language or "en")))
        if documents.invoice_folder is not None:
            wanted = [invoice for invoice in message.invoices
                      if (message.customer, invoice) in overdue]
            copies, missing = invoice_copies(documents, wanted)
            files += copies
            if missing:
                message = with_note(message, copies_missing_note(missing, message.language))
        done.append(replace(message, attachments=(*message.attachments, *files)))
    return done


def invoice_copies(documents: Documents, invoices: Sequence[str]) -> tuple[
        list[Attachment], list[str]]:
    """The PDFs found for `invoices` in the folder, and the invoices without one."""
    found, missing = [], []
    for invoice in invoices:
        path = _invoice_file(documents, invoice)
        data = path.read_bytes() if path is not None else b""
        if not data.startswith(PDF_MAGIC):
            missing.append(invoice)
            continue
        found.append(Attachment(path.name, data))  # type: ignore[union-attr]
    return found, missing


def _invoice_file(documents: Documents, invoice: str) -> Path | None:
    """The folder's file for an invoice, chosen among the folder's own files by name alone."""
    named = documents.invoice_files.get(invoice, "")
    candidates = [named] if named else []
    candidates += [invoice, re.sub(r"[/\\]", "-", invoice), re.sub(r"[/\\]", "_", invoice)]
    for name in candidates:
        name = name.strip()
        if not name or name in (".", "..") or re.search(r"[/\\:\x00]", name):
            continue  # a path, not a file name: never looked for
        if not name.casefold().endswith(".pdf"):
            name += ".pdf"
        path = documents.invoice_pdfs.get(name.casefold())
        if path is not None:
            return path
    return None


def with_note(message: Message, note: str) -> Message:
    """The message with one more paragraph at the end of its text and its HTML."""
    text = f"{message.text.rstrip()}\n\n{note}\n"
    paragraph = f"<p>{html.escape(note)}</p>\n"
    body = message.html
    at = body.lower().rfind("</body>")
    body = f"{body[:at]}{paragraph}{body[at:]}" if at >= 0 else body + paragraph
    return replace(message, text=text, html=body)


def _people(decisions: object) -> dict[str, tuple[str, str]]:
    frame = decisions.customers  # type: ignore[attr-defined]
    return {customer: (str(name or ""), str(contact or "")) for customer, name, contact in zip(
        frame["customer"], frame["name"], frame["contact_name"], strict=True)}


def addressee(customer: str, people: Mapping[str, tuple[str, str]],
              documents: Documents) -> Addressee:
    name, contact = people.get(customer, ("", ""))
    return Addressee(customer, name=name, address=tuple(documents.addresses.get(customer, ())),
                     contact=contact)


# ------------------------------------------------------------------ letters


def is_letter(message: Message, inputs: object) -> bool:
    """Whether a message goes as a letter: its stage's Action, or the customer's Channel."""
    documents: Documents | None = getattr(inputs, "documents", None)
    if documents is not None and documents.channels.get(message.customer) == LETTER:
        return True
    stages = inputs.policy.stages  # type: ignore[attr-defined]
    return any(stage.name.lower() == message.stage.lower() and stage.action == LETTER
               for stage in stages)


def split_letters(messages: list[Message], inputs: object) -> tuple[list[Message], list[Message]]:
    """The messages to email, and those to print as letters."""
    letters = [message for message in messages if is_letter(message, inputs)]
    chosen = {message.key for message in letters}
    return [message for message in messages if message.key not in chosen], letters


def letter_name(message: Message) -> str:
    """The letter's file name: the draft's, as a PDF."""
    return draft_name(message).rsplit(".", 1)[0] + ".pdf"


LETTER_NAME = re.compile(r"\d{4}-\d{2}-\d{2}_[A-Za-z0-9._-]+_[0-9a-f]{12}\.pdf")


def clear_earlier_letters(folder: Path, keep: Sequence[str], journal: Journal | None,
                          day: object) -> list[Path]:
    """Delete the letters (and the files printed beside them) an earlier preview of `day`
    wrote that this one does not write again, as `clear_earlier_drafts` does for emails.

    A letter a send wrote (its key is in the journal) is never touched, nor any file that is
    not a PDF Dunning made under the name it gives a message key.
    """
    if not folder.is_dir():
        return []
    journaled = [str(entry.get("key", "")) for entry in journal.entries()] if journal else []
    kept = {key_draft_name(key).rsplit(".", 1)[0] + ".pdf"
            for key in [*keep, *journaled] if key.count("|") >= 2}
    removed: list[Path] = []
    for path in sorted(folder.glob(f"{day:%Y-%m-%d}_*.pdf")):
        if (path.name in kept or not LETTER_NAME.fullmatch(path.name) or path.is_symlink()
                or not path.is_file() or not _made_by_dunning(path)):
            continue
        beside = [other for other in folder.glob(f"{path.stem}_*")
                  if other.is_file() and not other.is_symlink()]
        for each in [path, *beside]:
            each.unlink()
            removed.append(each)
    return removed


def _made_by_dunning(path: Path) -> bool:
    """Whether the file is a PDF whose creator is Dunning (render.pdf sets it)."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return data.startswith(b"%PDF-") and b"/Creator (Dunning)" in data


def letter_bytes(message: Message, decisions: object, inputs: object) -> tuple[bytes, str]:
    """The letter's PDF, or b"" and why it cannot be written (no postal address)."""
    documents: Documents = inputs.documents  # type: ignore[attr-defined]
    person = addressee(message.customer, _people(decisions), documents)
    if not person.address:
        return b"", (f"customer {message.customer} has no postal address in the Customers "
                     "table (Address, Postcode, City, Country): no letter written")
    day = decisions.as_of  # type: ignore[attr-defined]
    return letter_pdf(message.text, message.subject, person, documents.firm, day,
                      language=message.language or "en"), ""


def write_letter_drafts(letters: list[Message], decisions: object, inputs: object,
                        folder: Path) -> tuple[list[Path], list[str]]:
    """A preview's letters as PDFs in the drafts folder, and the notes for those that cannot be
    written."""
    written, notes = [], []
    for message in letters:
        data, problem = letter_bytes(message, decisions, inputs)
        if problem:
            notes.append(problem)
            continue
        written += _write_letter(folder, message, data)
    return written, notes


def deliver_letters(letters: list[Message], decisions: object, inputs: object,
                    journal: Journal, planned: Mapping[str, dict[str, object]],
                    folder: Path) -> list[SendResult]:
    """Write each letter into the drafts folder once, journaled like a send: planned, then
    written, then marked sent, so a rerun neither writes it again nor loses its log row."""
    from dunning.core.contactlog import row_record

    results = []
    for message in letters:
        if journal.state(message.key) == "sent":
            results.append(SendResult(message.key, message.customer, message.message_id,
                                      "already sent", attempts=0))
            continue
        data, problem = letter_bytes(message, decisions, inputs)
        if problem:
            results.append(SendResult(message.key, message.customer, message.message_id,
                                      "failed", problem, permanent=True))
            continue
        journal.plan(message.key, message.message_id, row=row_record(planned[message.key]),
                     invoices=list(message.invoices), to=LETTER)
        journal.intend(message.key, message.message_id)
        folder.mkdir(parents=True, exist_ok=True)
        _write_letter(folder, message, data)
        journal.sent(message.key, message.message_id)
        results.append(SendResult(message.key, message.customer, message.message_id, "sent"))
    return results


def _write_letter(folder: Path, message: Message, data: bytes) -> list[Path]:
    """The letter, then what an email would have carried (the statement, invoice copies) as
    files beside it, named after the letter, to print with it."""
    path = folder / letter_name(message)
    written = [path]
    for attachment in message.attachments:
        written.append(path.with_name(f"{path.stem}_{safe_part(attachment.filename, 'file')}"))
        write_atomically(written[-1], attachment.data)
    write_atomically(path, data)
    return written


def as_letters(rows: Sequence[dict[str, object]], letters: Sequence[Message]) -> list[dict]:
    """ContactLog rows with the channel "letter" for the letters' messages."""
    ids = {message.message_id for message in letters}
    return [{**row, "Channel": LETTER} if row.get("Message-ID") in ids else dict(row)
            for row in rows]


def planned_as_letters(planned: dict[str, dict[str, object]],
                       letters: Sequence[Message]) -> dict[str, dict[str, object]]:
    """The planned log rows (`remind.planned_rows`) with the letters' channel."""
    keys = {message.key for message in letters}
    return {key: ({**row, "Channel": LETTER} if key in keys else row)
            for key, row in planned.items()}

