"""Find the ledger's fields among a table's headers, by name and the aliases of accounting exports.

Headers are compared in a normal form (lower case, letters and digits only), so
"Invoice #", "invoice_no" and "InvoiceNo." all meet the same alias. Each field
lists its aliases in order of preference; an explicit mapping wins over all.
`match_fields` is the one matcher of headers to fields: the ledger's `match_columns` and
`dunning.core.exports` (with its own aliases, per vendor) both use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from dunning.core.errors import DunningInputError, Issue, column_letter

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "invoice": (
        "invoiceno", "invoicenumber", "invoice", "invoicenum", "invoicenr", "invoiceid",
        "docid", "documentid", "documentno", "documentnumber", "docno", "docnumber",
        "num", "voucherno", "vouchernumber", "transactionno", "transactionnumber", "refno",
        "journalentry", "entry", "reference", "ref", "number", "no",
    ),
    "customer": (
        "customer", "customerid", "customerno", "customernumber", "custnumber", "custno",
        "custid", "clientid", "client", "accountno", "accountnumber", "account", "debtor",
        "ac", "acno", "contactname", "contact", "partner", "customeraccount",
        "customercode", "debtorno", "debtorcode",
        "customername", "namecustomer", "name", "clientname", "accountname", "vendorname",
    ),
    "customer_name": (
        "customername", "namecustomer", "name", "clientname", "accountname", "companyname",
        "vendorname",
    ),
    "invoice_date": (
        "invoicedate", "invoicedt", "postingdate", "documentdate", "docdate", "issuedate",
        "billingdate", "date", "dateissued", "trandate", "transactiondate", "invdate",
    ),
    "due_date": ("duedate", "dueindate", "netduedate", "paymentduedate", "duedt", "due",
                 "dateddue", "datedue", "dueon", "netdue", "duedatereceiveby"),
    "amount": (
        "amount", "invoiceamount", "amt", "total", "totalamount", "grossamount",
        "invoicetotal", "originalamount", "totalopenamount", "invoicedamount",
        "amountindoccurr", "amountindocumentcurrency", "amountinlocalcurrency", "amountinlc",
        "grandtotal", "origamount", "originalamt", "documentamount",
    ),
    "paid_amount": (
        "paid", "paidamount", "amountpaid", "settled", "settledamount", "payments",
        "amountreceived", "received", "invoiceamountpaid",
    ),
    "settled_date": (
        "settleddate", "cleardate", "cleareddate", "paiddate", "paymentdate", "datepaid",
        "settledon", "closedate",
    ),
    "open_amount": (
        "outstanding", "openamount", "outstandingamount", "balance", "balancedue",
        "amountdue", "openbalance", "remaining", "invoiceamountdue", "amountremaining",
        "remainingamount", "outstandingamt", "totaldue", "balanceamount", "residual",
        "amountresidual", "openamt", "duebalance", "amountoutstanding",
    ),
    "is_open": ("isopen", "openitem"),
    "currency": (
        "currency", "invoicecurrency", "currencycode", "documentcurrency", "curr", "ccy",
    ),
    "disputed": ("disputed", "dispute", "indispute", "isdisputed", "disputeflag"),
    "written_off": ("writtenoff", "writeoff", "baddebt", "iswrittenoff"),
    "collection_cost": ("collectioncost", "collectioncosts", "costofcollection"),
    "billing": ("billing", "paperlessbill", "billingmethod", "invoicedelivery", "deliverymethod"),
    "hold_until": ("holduntil", "onholduntil", "helduntil"),
    "hold_reason": ("holdreason", "reasonforhold"),
    "payment_link": ("paymentlink", "paylink", "paymenturl", "payurl"),
}

REQUIRED_FIELDS = ("customer", "invoice_date", "due_date", "amount")
"""Without these a table is not a receivables ledger; a missing invoice number is only a warning."""

FIELD_LABELS = {
    "invoice": "invoice number",
    "customer": "customer",
    "customer_name": "customer name",
    "invoice_date": "invoice date",
    "due_date": "due date",
    "amount": "amount",
    "paid_amount": "amount paid",
    "settled_date": "settled date",
    "open_amount": "open amount",
    "is_open": "open flag",
    "currency": "currency",
    "disputed": "disputed flag",
    "written_off": "written-off flag",
    "collection_cost": "collection cost",
    "billing": "billing method",
    "hold_until": "hold-until date",
    "hold_reason": "hold reason",
    "payment_link": "payment link",
}


def normal_header(header: object) -> str:
    """Header in normal form: lower case, letters and digits only ("Invoice #" -> "invoice")."""
    return re.sub(r"[^0-9a-z]", "", str(header).lower()) if header is not None else ""


@dataclass(frozen=True)
class Column:
    """Where a ledger field was found: its position and header in the source, and the sheet
    column (from 1) of the source's first column, so its letter is the sheet's."""

    field: str
    index: int
    header: str
    first_column: int = 1

    @property
    def letter(self) -> str:
        return column_letter(self.index, self.first_column)


class MappingWords(NamedTuple):
    """How a matcher's messages speak of the user's mapping, as `str.format` templates: `unknown`
    for a field the table does not know ({field}, {fields}), `absent` for a header the row
    lacks ({header}, {field}, {label}, {row}, {headers})."""

    unknown: str
    absent: str


COLUMN_MAPPING = MappingWords(
    unknown="unknown ledger field {field!r} in the column mapping; fields are: {fields}",
    absent="the column mapping names {header!r} for the {label}, but row {row} has no such "
           "header; headers are: {headers}")
"""The ledger's words: its mapping comes from the command line's --map or Python's mapping=."""


def match_fields(
    headers: Sequence[object],
    aliases: Mapping[str, Sequence[str]],
    mapping: Mapping[str, str] | None = None,
    *,
    labels: Mapping[str, str],
    words: MappingWords = COLUMN_MAPPING,
    normal: Callable[[object], str] = normal_header,
    sheet: str | None = None,
    header_row: int = 1,
    first_column: int = 1,
) -> tuple[dict[str, int], list[Issue]]:
    """The position (from 0) of each field of `aliases` among `headers`, and the issues found.

    The one matcher of headers to fields, for an Invoices sheet and an accounting export
    alike; each brings its own field -> aliases table (in normal form, in order of
    preference), `labels` (a field's name in words), `normal` (the headers' normal form)
    and `words`. A field the mapping names takes the column whose header has the normal form
    of the mapping's; then each other field, in the table's order, takes the first column
    not yet taken headed by the first of its aliases that heads one. Issues: an error for
    each mapping entry naming an unknown field or a header the row lacks (the caller
    raises them), a warning for an alias heading two free columns (the first is used).
    """
    names = [normal(header) for header in headers]
    found: dict[str, int] = {}
    issues: list[Issue] = []
    for field, header in (mapping or {}).items():
        if field not in aliases:
            issues.append(Issue(words.unknown.format(field=field, fields=", ".join(aliases)),
                                sheet=sheet))
            continue
        wanted = normal(header)
        if wanted not in names:
            issues.append(Issue(words.absent.format(
                header=header, field=field, label=labels.get(field, field), row=header_row,
                headers=_header_list(headers)), sheet=sheet, row=header_row))
            continue
        found[field] = names.index(wanted)

    taken = set(found.values())
    for field, spellings in aliases.items():
        if field in found:
            continue
        for alias in spellings:
            positions = [i for i, name in enumerate(names) if name == alias and i not in taken]
            if positions:
                index = found[field] = positions[0]
                taken.add(index)
                if len(positions) > 1:
                    issues.append(Issue(
                        f"two columns are headed {headers[index]!r}; using column "
                        f"{column_letter(index, first_column)} for the "
                        f"{labels.get(field, field)}",
                        severity="warning", sheet=sheet, row=header_row))
                break
    return found, issues


def match_columns(
    headers: Sequence[object],
    mapping: Mapping[str, str] | None = None,
    *,
    sheet: str | None = None,
    header_row: int = 1,
    first_column: int = 1,
) -> tuple[dict[str, Column], list[Issue]]:
    """Map ledger fields to source columns (`match_fields` with the ledger's aliases); raise
    when the mapping is wrong or a required field has no column.

    `header_row` and `first_column` (the sheet row and column, from 1, of the first header)
    place messages and the columns' letters as the sheet shows them.

    Returns the columns found and warnings (a header matched twice). The customer id column
    is preferred to a name column; when both exist the name becomes `customer_name`.
    """
    at, issues = match_fields(headers, FIELD_ALIASES, mapping, labels=FIELD_LABELS, sheet=sheet,
                              header_row=header_row, first_column=first_column)
    errors = [issue for issue in issues if issue.severity == "error"]
    if errors:
        raise DunningInputError(errors)
    found = {field: Column(field, index, str(headers[index]), first_column)
             for field, index in at.items()}
    missing = [field for field in REQUIRED_FIELDS if field not in found]
    if missing:
        raise DunningInputError([
            Issue(
                f"no column for the {FIELD_LABELS[field]}: expected a header such as "
                f"{_alias_examples(field)}, or name yours (command line: --map "
                f"{field}=\"Your Header\"; Python: mapping={{'{field}': 'Your Header'}}); "
                f"headers found: {_header_list(headers)}",
                sheet=sheet, row=header_row)
            for field in missing
        ])
    return found, issues


def _alias_examples(field: str) -> str:
    examples = {
        "invoice": "Invoice No, Invoice #, invoiceNumber or doc_id",
        "customer": "Customer, customerID, cust_number or name",
        "invoice_date": "Invoice Date or posting_date",
        "due_date": "Due Date or due_in_date",
        "amount": "Amount, InvoiceAmount or total_open_amount",
    }
    return examples.get(field, ", ".join(FIELD_ALIASES[field][:3]))


def _header_list(headers: Sequence[object]) -> str:
    """The row's headers for a message, blanks left out ("(none)" when all are blank)."""
    shown = [str(h) for h in headers if h not in (None, "")]
    return ", ".join(shown) if shown else "(none)"
