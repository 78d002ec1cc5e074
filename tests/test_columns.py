"""Finding the ledger's fields among a table's headers: normal form, aliases, explicit mappings."""

import pytest

from dunning.core.columns import (
    FIELD_ALIASES,
    FIELD_LABELS,
    REQUIRED_FIELDS,
    Column,
    MappingWords,
    match_columns,
    match_fields,
    normal_header,
)
from dunning.core.errors import DunningInputError

BASIC = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Amount"]


def fields(headers, **options):
    """Field -> the header found for it."""
    found, _ = match_columns(headers, **options)
    return {name: column.header for name, column in found.items()}


@pytest.mark.parametrize(("header", "normal"), [
    ("Invoice #", "invoice"),
    ("invoice_no", "invoiceno"),
    ("InvoiceNo.", "invoiceno"),
    ("INVOICE NO", "invoiceno"),
    (" Due Date\n", "duedate"),
    ("due-in-date", "dueindate"),
    ("Amount (EUR)", "amounteur"),
    (2024, "2024"),
    (None, ""),
    ("", ""),
])
def test_headers_are_compared_in_normal_form(header, normal):
    assert normal_header(header) == normal


def test_every_alias_is_written_in_normal_form_and_every_field_has_a_label():
    """An alias not in normal form could never meet a header."""
    for field, aliases in FIELD_ALIASES.items():
        assert aliases, field
        assert [normal_header(alias) for alias in aliases] == list(aliases), field
        assert FIELD_LABELS[field]
    assert set(REQUIRED_FIELDS) <= set(FIELD_ALIASES)
    assert set(FIELD_LABELS) == set(FIELD_ALIASES)


def test_spellings_of_one_header_meet_the_same_alias():
    for spelling in ("Invoice #", "invoice_no", "InvoiceNo.", "Invoice Number", "Doc ID"):
        headers = [spelling, "Customer", "Invoice Date", "Due Date", "Amount"]
        assert fields(headers)["invoice"] == spelling


def test_the_headers_of_accounting_exports():
    ibm = ["countryCode", "customerID", "PaperlessDate", "invoiceNumber", "InvoiceDate",
           "DueDate", "InvoiceAmount", "Disputed", "SettledDate", "PaperlessBill",
           "DaysToSettle", "DaysLate"]
    assert fields(ibm) == {
        "invoice": "invoiceNumber", "customer": "customerID", "invoice_date": "InvoiceDate",
        "due_date": "DueDate", "amount": "InvoiceAmount", "settled_date": "SettledDate",
        "disputed": "Disputed", "billing": "PaperlessBill"}
    highradius = ["business_code", "cust_number", "name_customer", "clear_date",
                  "posting_date", "due_in_date", "invoice_currency", "total_open_amount",
                  "doc_id", "isOpen"]
    assert fields(highradius) == {
        "invoice": "doc_id", "customer": "cust_number", "customer_name": "name_customer",
        "invoice_date": "posting_date", "due_date": "due_in_date",
        "amount": "total_open_amount", "settled_date": "clear_date", "is_open": "isOpen",
        "currency": "invoice_currency"}


def test_aliases_are_taken_in_order_of_preference_not_of_position():
    headers = ["Document No", "Customer", "Date", "Invoice Date", "Due Date", "Total", "Amount"]
    assert fields(headers) == {"invoice": "Document No", "customer": "Customer",
                               "invoice_date": "Invoice Date", "due_date": "Due Date",
                               "amount": "Amount"}
    assert fields(["Invoice No", *headers])["invoice"] == "Invoice No"


def test_the_customer_id_is_preferred_and_the_name_becomes_customer_name():
    found, _ = match_columns(["Name", "Customer ID", "Invoice Date", "Due", "Amount"])
    assert found["customer"] == Column("customer", 1, "Customer ID")
    assert found["customer_name"] == Column("customer_name", 0, "Name")


def test_a_name_column_alone_is_the_customer():
    found, _ = match_columns(["Customer Name", "Invoice Date", "Due Date", "Amount"])
    assert found["customer"].header == "Customer Name"
    assert "customer_name" not in found  # one column is never two fields


def test_each_column_is_used_for_one_field_only():
    found, _ = match_columns(["Name", "Invoice Date", "Due Date", "Amount"])
    positions = [column.index for column in found.values()]
    assert len(positions) == len(set(positions))


def test_two_columns_with_one_header_warn_and_the_first_is_used():
    found, issues = match_columns(["Customer", "Invoice Date", "Due Date", "Amount", "amount"],
                                  sheet="Export", header_row=3)
    assert found["amount"] == Column("amount", 3, "Amount") and found["amount"].letter == "D"
    [issue] = issues
    assert issue.severity == "warning"
    assert (issue.sheet, issue.row) == ("Export", 3)
    assert issue.message == "two columns are headed 'Amount'; using column D for the amount"


def test_an_explicit_mapping_wins_and_matches_in_normal_form():
    headers = ["Kunde-Nr", "Datum", "Fällig am", "Betrag", "Amount"]
    mapping = {"customer": "kunde nr", "invoice_date": "DATUM", "due_date": "Fällig am",
               "amount": "Betrag"}
    found, issues = match_columns(headers, mapping)
    assert {name: column.index for name, column in found.items()} == {
        "customer": 0, "invoice_date": 1, "due_date": 2, "amount": 3}
    assert issues == []  # "Amount" is left over: the mapping chose "Betrag"


def test_a_mapped_column_is_not_taken_again_by_an_alias():
    found, _ = match_columns(["Name", "Client", "Invoice Date", "Due Date", "Amount"],
                             {"customer": "Name"})
    assert found["customer"].index == 0
    assert "customer_name" not in found  # "Name" is the customer now; "Client" names no name


def test_a_mapping_naming_an_unknown_field_lists_the_fields():
    with pytest.raises(DunningInputError) as caught:
        match_columns(BASIC, {"client": "Customer"}, sheet="Invoices")
    [issue] = caught.value.issues
    assert issue.sheet == "Invoices"
    assert issue.message.startswith("unknown ledger field 'client' in the column mapping")
    assert ", ".join(FIELD_ALIASES) in issue.message


def test_a_mapping_naming_an_absent_header_lists_the_headers_found():
    with pytest.raises(DunningInputError) as caught:
        match_columns(["Customer", None, "Invoice Date", "", "Due Date", "Sum"],
                      {"amount": "Total"}, sheet="Sheet1", header_row=4)
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row) == ("Sheet1", 4)
    assert issue.message == ("the column mapping names 'Total' for the amount, but row 4 has no "
                             "such header; headers are: Customer, Invoice Date, Due Date, Sum")


def test_each_missing_required_field_is_one_error_saying_how_to_name_it():
    with pytest.raises(DunningInputError) as caught:
        match_columns(["Invoice", "Amount", "Notes"], sheet="Export", header_row=2)
    issues = caught.value.issues
    assert [issue.message.split(":")[0] for issue in issues] == [
        "no column for the customer", "no column for the invoice date",
        "no column for the due date"]
    assert all((issue.sheet, issue.row, issue.severity) == ("Export", 2, "error")
               for issue in issues)
    first = issues[0].message
    assert "Customer, customerID, cust_number or name" in first
    assert '--map customer="Your Header"' in first
    assert "mapping={'customer': 'Your Header'}" in first
    assert first.endswith("headers found: Invoice, Amount, Notes")


def test_a_blank_header_row_says_none_were_found():
    with pytest.raises(DunningInputError) as caught:
        match_columns([None, "", None])
    assert len(caught.value.issues) == len(REQUIRED_FIELDS)
    assert all(issue.message.endswith("headers found: (none)") for issue in caught.value.issues)


def test_no_invoice_number_is_not_an_error_here():
    found, issues = match_columns(["Customer", "Invoice Date", "Due Date", "Amount"])
    assert "invoice" not in found and issues == []


def test_a_column_knows_its_letter():
    assert Column("amount", 0, "Amount").letter == "A"
    assert Column("amount", 26, "Amount").letter == "AA"


def test_every_wrong_mapping_entry_is_one_error():
    with pytest.raises(DunningInputError) as caught:
        match_columns(BASIC, {"client": "Customer", "amount": "Total"}, sheet="Invoices")
    assert [issue.message.split(";")[0] for issue in caught.value.issues] == [
        "unknown ledger field 'client' in the column mapping",
        "the column mapping names 'Total' for the amount, but row 1 has no such header"]


def test_match_fields_takes_any_table_its_labels_normal_form_and_words():
    """The one matcher: the fields, aliases, labels, normal form and the mapping's words are
    the caller's (an accounting export brings its own)."""
    aliases = {"kind": ("type", "doctype"), "ref": ("ref", "number")}
    labels = {"kind": "document kind"}
    words = MappingWords(unknown="no field {field} (of {fields})",
                         absent="{header} is not a header of row {row}, for the {label} "
                                "({field}); headers are: {headers}")
    headers = ["Sum of Ref", "Type", None, "type", "Doc Type"]
    at, issues = match_fields(headers, aliases, labels=labels, sheet="X", header_row=3,
                              first_column=2)
    assert at == {"kind": 1}  # "Sum of Ref" is no alias in the plain normal form
    [issue] = issues
    assert (issue.severity, issue.sheet, issue.row) == ("warning", "X", 3)
    assert issue.message == "two columns are headed 'Type'; using column C for the document kind"

    def unsummed(header):
        return normal_header(header).removeprefix("sumof")

    at, issues = match_fields(headers, aliases, {"kind": "DOC-TYPE"}, labels=labels,
                              normal=unsummed)
    assert (at, issues) == ({"kind": 4, "ref": 0}, [])  # the mapping first, then the aliases

    at, issues = match_fields(headers, aliases, {"size": "Sum", "ref": "Total"},
                              labels=labels, words=words, header_row=3)
    assert [issue.message for issue in issues] == [
        "no field size (of kind, ref)",
        "Total is not a header of row 3, for the ref (ref); headers are: Sum of Ref, Type, "
        "type, Doc Type",
        "two columns are headed 'Type'; using column B for the document kind"]
    assert [issue.severity for issue in issues] == ["error", "error", "warning"]
