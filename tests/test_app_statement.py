"""`dunning statement BOOK --customer C`: the PDF beside the workbook, never over a file unless
--force, and an unknown customer refused with the closest matches."""

import pytest

from dunning.app.statement import statement_path, write_statement
from dunning.cli import main
from dunning.core.errors import DunningInputError
from pdf_text import pdf_text
from statement_book import AS_OF, documents_book


@pytest.fixture
def client(tmp_path):
    return documents_book(tmp_path / "Client.xlsx", {"Payment Link": "https://pay.example/{customer}"})


def test_the_command_writes_the_statement_beside_the_workbook(client, tmp_path, capsys):
    assert main(["statement", str(client), "--customer", "łódź sp. z o.o.",
                 "--as-of", "2026-11-23"]) == 0
    out = client.with_name("Statement-LDZ01-2026-11-23.pdf")
    assert out == statement_path(client, "LDZ01", AS_OF) and out.exists()
    said = capsys.readouterr().out
    assert "EUR 2,340.75 open, 1,850.50 overdue" in said and str(out) in said
    text = pdf_text(out, tmp_path)
    assert "Łódź Sp. z o.o." in text and "Ul. Piotrkowska" not in text
    assert "ul. Piotrkowska 104" in text and "https://pay.example/LDZ01" in text


def test_an_existing_file_is_kept_unless_forced(client, tmp_path, capsys):
    out = tmp_path / "mine.pdf"
    out.write_bytes(b"keep me")
    assert main(["statement", str(client), "--customer", "LDZ01", "--out", str(out),
                 "--as-of", "2026-11-23"]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert main(["statement", str(client), "--customer", "LDZ01", "--out", str(out),
                 "--as-of", "2026-11-23", "--force"]) == 0
    assert out.read_bytes().startswith(b"%PDF-")


def test_an_unknown_customer_is_refused_with_the_close_matches(client):
    with pytest.raises(DunningInputError, match=r"no customer 'LDZ1'.*did you mean.*LDZ01"):
        write_statement(client, "LDZ1", as_of=AS_OF)
    with pytest.raises(DunningInputError, match="Łódź Sp. z o.o."):
        write_statement(client, "Lodz Sp", as_of=AS_OF)
    assert not list(client.parent.glob("Statement-*.pdf"))


def test_the_settings_date_is_used_when_none_is_given(client):
    result = write_statement(client, "AER02", today=AS_OF)
    assert result.data.name == "Statement-AER02-2026-11-23.pdf"


def test_the_statement_is_in_the_customers_language(client, tmp_path):
    """LDZ01's Language is set to fr in the Customers table: the statement is French."""
    import openpyxl

    book = openpyxl.load_workbook(client)
    sheet = next(ws for ws in book.worksheets if "Customers" in ws.tables)
    first, _ = sheet.tables["Customers"].ref.split(":")
    top = int("".join(ch for ch in first if ch.isdigit()))
    headers = {cell.value: cell.column for cell in sheet[top]}
    row = next(r for r in range(top + 1, sheet.max_row + 1)
               if sheet.cell(r, headers["Customer"]).value == "LDZ01")
    sheet.cell(row, headers["Language"], "FR")
    book.save(client)
    result = write_statement(client, "LDZ01", as_of=AS_OF)
    text = " ".join(pdf_text(result.data, tmp_path).split())
    assert "Relevé de compte" in text and "Solde, avoirs déduits EUR 2 340,75" in text
    assert "Statement of account" not in text
    english = write_statement(client, "AER02", as_of=AS_OF).data  # Language en
    assert "Statement of account" in pdf_text(english, tmp_path)
