"""Reminders with their statement and invoice copies, and reminders that go as letters
(dunning.app.attachments), on a real workbook: drafts parsed back with `email`, sends received
by a loopback SMTP server through yagmail, every PDF read back with pdftotext."""

import email
import email.policy

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from dunning.app import remind
from dunning.app.attachments import Documents, invoice_copies
from dunning.core.errors import DunningInputError
from dunning.render.pdf import Document
from dunning.render.statement import Firm
from pdf_text import money_text, pdf_text
from statement_book import AS_OF, NOW, documents_book, open_amount

pytest.importorskip("cryptography", reason="the loopback SMTP server makes its certificate "
                    "with the cryptography package (pip install '.[test]')")



def a_pdf(text: str) -> bytes:
    return Document(created=AS_OF).paragraph(text).bytes()


def parsed(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def parts(message):
    return {part.get_filename(): part for part in message.iter_attachments()}


def draft_of(report, customer):
    return next(path for path in report.drafts if f"_{customer}_" in path.name)


def test_each_reminder_carries_its_statement_as_of_the_run_date(tmp_path):
    book = documents_book(tmp_path / "Client.xlsx", {"Attach Statement": "Yes"})
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    message = parsed(draft_of(report, "LDZ01"))
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    statement = parts(message)["Statement-LDZ01-2026-11-23.pdf"]
    assert statement.get_content_type() == "application/pdf"
    text = pdf_text(statement.get_content(), tmp_path)
    balance = sum(open_amount(n) for n in ("INV-001", "INV-002", "INV/2026/003", "CN-004"))
    assert f"EUR {money_text(balance)}" in text and "Łódź Sp. z o.o." in text
    assert "As of" in text and "2026-11-23" in text


def test_without_the_setting_a_reminder_carries_nothing(tmp_path):
    book = documents_book(tmp_path / "Client.xlsx")
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    message = parsed(draft_of(report, "LDZ01"))
    assert message.get_content_type() == "multipart/alternative"
    assert not list(message.iter_attachments())


def test_overdue_invoices_are_attached_from_the_folder_and_missing_ones_named(tmp_path):
    folder = tmp_path / "invoices"
    folder.mkdir()
    (folder / "inv-001.PDF").write_bytes(a_pdf("Invoice INV-001 original"))  # any case
    (folder / "INV-2026-003.pdf").write_bytes(a_pdf("not yet due: not attached"))
    book = documents_book(tmp_path / "Client.xlsx", {"Invoice PDFs": "invoices"})
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    message = parsed(draft_of(report, "LDZ01"))
    found = parts(message)
    assert list(found) == ["inv-001.PDF"]
    assert found["inv-001.PDF"].get_content_type() == "application/pdf"
    assert "Invoice INV-001 original" in pdf_text(found["inv-001.PDF"].get_content(), tmp_path)
    note = "Copies of these invoices could not be attached: INV-002."
    assert note in message.get_body(("plain",)).get_content()
    assert note in message.get_body(("html",)).get_content()


def test_a_file_name_from_a_cell_never_leaves_the_folder(tmp_path):
    folder = tmp_path / "invoices"
    folder.mkdir()
    (tmp_path / "outside.pdf").write_bytes(a_pdf("outside"))
    (folder / "fake.pdf").write_bytes(b"not a pdf at all")
    (folder / "INV-9.pdf").write_bytes(a_pdf("nine"))
    pdfs = {path.name.casefold(): path for path in folder.iterdir()}
    documents = Documents(Firm("F"), invoice_folder=folder, invoice_pdfs=pdfs,
                          invoice_files={"INV-1": "../outside.pdf", "INV-2": "fake.pdf",
                                         "INV-3": str(tmp_path / "outside.pdf"),
                                         "INV-4": "INV-9.pdf"})
    copies, missing = invoice_copies(documents, ["INV-1", "INV-2", "INV-3", "INV-4", "../outside"])
    assert [copy.filename for copy in copies] == ["INV-9.pdf"]
    assert missing == ["INV-1", "INV-2", "INV-3", "../outside"]


def test_a_folder_that_is_not_there_stops_the_run_naming_the_setting(tmp_path):
    book = documents_book(tmp_path / "Client.xlsx", {"Invoice PDFs": "no-such-folder"})
    with pytest.raises(DunningInputError, match="setting 'Invoice PDFs': no folder"):
        remind.preview(book, tmp_path / "drafts", now=NOW)
    assert not (tmp_path / "drafts").exists()
    from dunning.app import actions

    assert actions.worklist(book, now=NOW, write=False).data is not None  # the rest goes on


def test_sent_reminders_carry_the_same_attachments_under_the_same_key(tmp_path, server):
    folder = tmp_path / "invoices"
    folder.mkdir()
    (folder / "INV-002.pdf").write_bytes(a_pdf("Invoice INV-002"))
    book = documents_book(tmp_path / "Client.xlsx", {"Attach Statement": "Yes",
                                                     "Invoice PDFs": str(folder)})
    preview = remind.preview(book, tmp_path / "drafts", now=NOW)
    drafted = parsed(draft_of(preview, "LDZ01"))
    report = remind.send(book, now=NOW, smtp=server.settings())
    [received] = [m.message for m in server.messages if "LDZ01" in m.message["X-Dunning-Key"]]
    assert received["Message-ID"] == drafted["Message-ID"]
    assert received["X-Dunning-Key"] == drafted["X-Dunning-Key"]
    sent, draft = parts(received), parts(drafted)
    assert sorted(sent) == ["INV-002.pdf", "Statement-LDZ01-2026-11-23.pdf"]
    for name in sent:  # regenerated from the same inputs: the same bytes
        assert sent[name].get_content() == draft[name].get_content()
    assert "Invoice INV-002" in pdf_text(sent["INV-002.pdf"].get_content(), tmp_path)
    assert "INV-001" in received.get_body(("plain",)).get_content().split(
        "could not be attached:")[1]
    assert [r.outcome for r in report.results if r.customer == "LDZ01"] == ["sent"]
    again = remind.send(book, now=NOW, smtp=server.settings())
    assert len([m for m in server.messages if "LDZ01" in m.message["X-Dunning-Key"]]) == 1
    assert {r.outcome for r in again.results} <= {"already sent"}


def log_rows(path):
    found = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(
        "ContactLog")
    return [dict(zip(found.columns, row, strict=True)) for row in found.to_python()
            if any(cell not in ("", None) for cell in row)]


def test_a_letter_customer_gets_a_printed_letter_logged_as_a_letter(tmp_path, server):
    book = documents_book(tmp_path / "Client.xlsx")
    preview = remind.preview(book, tmp_path / "drafts", now=NOW)
    letter = draft_of(preview, "AER02")
    assert letter.suffix == ".pdf"
    text = pdf_text(letter, tmp_path)
    assert "Ærø Handel ApS" in text and "5970 Ærøskøbing" in text
    assert f"EUR {money_text(open_amount('INV-101'))}" in text

    before = book.read_bytes()
    report = remind.send(book, now=NOW, smtp=server.settings())
    assert not [m for m in server.messages if "AER02" in m.message["X-Dunning-Key"]]
    written = remind.drafts_folder(book, AS_OF) / letter.name
    assert written.read_bytes() == letter.read_bytes()  # the same letter as the preview's
    rows = [row for row in log_rows(book) if row["Customer"] == "AER02"]
    assert [(row["Channel"], row["Outcome"], row["Stage"]) for row in rows] == [
        ("letter", "sent", "friendly")]
    assert [r.outcome for r in report.results if r.customer == "AER02"] == ["sent"]
    emailed = [row for row in log_rows(book) if row["Customer"] == "LDZ01"]
    assert [row["Channel"] for row in emailed] == ["email"]

    written.unlink()
    book.write_bytes(before)  # as if the run died after writing the letter, before the save
    again = remind.send(book, now=NOW, smtp=server.settings())
    assert not written.exists()  # journaled: a rerun never prints it twice
    assert not [r for r in again.results if r.customer == "AER02" and r.outcome == "sent"]
    rows = [row for row in log_rows(book) if row["Customer"] == "AER02"]
    assert [(row["Channel"], row["Outcome"]) for row in rows] == [("letter", "sent")]


def test_a_stage_whose_action_is_letter_prints_for_every_customer(tmp_path):
    book = documents_book(tmp_path / "Client.xlsx")
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Settings"]
    table = sheet.tables["Stages"]
    first, last = table.ref.split(":")
    cells = sheet[first:last]
    header = [cell.value for cell in cells[0]]
    for row in cells[1:]:
        if str(row[header.index("Stage")].value).lower() == "friendly":
            row[header.index("Action")].value = "letter"
    workbook.save(book)
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    assert sorted(path.suffix for path in report.drafts) == [".pdf", ".pdf"]


def test_a_letter_without_a_postal_address_is_not_written_and_says_why(tmp_path):
    book = documents_book(tmp_path / "Client.xlsx")
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Customers"]
    header = [cell.value for cell in sheet[1]]
    for name in ("Address", "Postcode", "City", "Country"):
        sheet.cell(3, header.index(name) + 1).value = None
    workbook.save(book)
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    assert not [path for path in report.drafts if "_AER02_" in path.name]
    assert any("AER02 has no postal address" in note for note in report.notes)


def test_a_letter_customer_needs_no_email_address(tmp_path):
    book = documents_book(tmp_path / "Client.xlsx")
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Customers"]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1)
               if sheet.cell(r, header.index("Customer") + 1).value == "AER02")
    sheet.cell(row, header.index("Contact Email") + 1).value = None
    workbook.save(book)
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    letter = draft_of(report, "AER02")
    assert letter.suffix == ".pdf" and "Ærø Handel ApS" in pdf_text(letter, tmp_path)


def test_a_letter_has_its_statement_beside_it_to_print(tmp_path):
    book = documents_book(tmp_path / "Client.xlsx", {"Attach Statement": "Yes"})
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    letter = draft_of(report, "AER02")
    statement = letter.with_name(f"{letter.stem}_Statement-AER02-2026-11-23.pdf")
    assert statement in report.drafts
    text = pdf_text(statement, tmp_path)
    assert "Ærø Handel ApS" in text and f"EUR {money_text(open_amount('INV-101'))}" in text


def set_customer_cell(book, customer, header_name, value):
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Customers"]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1)
               if sheet.cell(r, header.index("Customer") + 1).value == customer)
    sheet.cell(row, header.index(header_name) + 1).value = value
    workbook.save(book)


def test_a_later_preview_deletes_its_own_earlier_letters_that_no_longer_apply(tmp_path):
    book = documents_book(tmp_path / "Client.xlsx")
    drafts = tmp_path / "drafts"
    first = remind.preview(book, drafts, now=NOW)
    letter = draft_of(first, "AER02")
    look_alike = drafts / letter.name.replace(letter.stem[-12:], "0" * 12)
    look_alike.write_bytes(b"%PDF-1.4 a file someone else made")
    set_customer_cell(book, "AER02", "Hold Until", "2026-12-31")  # since put on hold
    second = remind.preview(book, drafts, now=NOW)
    assert not letter.exists() and not [p for p in second.drafts if "_AER02_" in p.name]
    assert look_alike.exists()  # not Dunning's: left alone
    assert any("no longer apply" in note for note in second.notes)


def test_a_preview_never_deletes_a_letter_a_send_wrote(tmp_path, server):
    book = documents_book(tmp_path / "Client.xlsx")
    remind.send(book, now=NOW, smtp=server.settings())
    written = draft_of_folder(remind.drafts_folder(book, AS_OF), "AER02")
    set_customer_cell(book, "AER02", "Hold Until", "2026-12-31")
    remind.preview(book, None, now=NOW)
    assert written.exists()  # journaled: it went out, it is the record of what was printed


def draft_of_folder(folder, customer):
    return next(path for path in folder.glob("*.pdf") if f"_{customer}_" in path.name
                and "Statement" not in path.name)


def test_the_statement_and_the_letter_are_in_the_customers_language(tmp_path):
    """A French debtor's reminder carries a French statement; a German letter customer's
    letter numbers its pages in German beside a German statement."""
    book = documents_book(tmp_path / "Client.xlsx", {"Attach Statement": "Yes"})
    set_customer_cell(book, "LDZ01", "Language", "fr")
    set_customer_cell(book, "AER02", "Language", "de")
    report = remind.preview(book, tmp_path / "drafts", now=NOW)
    message = parsed(draft_of(report, "LDZ01"))
    assert message["Content-Language"] == "fr"
    text = " ".join(pdf_text(parts(message)["Statement-LDZ01-2026-11-23.pdf"].get_content(),
                             tmp_path).split())
    assert "Relevé de compte" in text and "Arrêté au 2026-11-23" in text
    assert "Solde, avoirs déduits EUR 2 340,75" in text and "Statement of account" not in text
    letter = draft_of(report, "AER02")
    assert "Seite 1 von 1" in pdf_text(letter, tmp_path)
    statement = letter.with_name(f"{letter.stem}_Statement-AER02-2026-11-23.pdf")
    shown = " ".join(pdf_text(statement, tmp_path).split())
    assert "Kontoauszug" in shown and "Saldo, Gutschriften verrechnet EUR 2.400,00" in shown
