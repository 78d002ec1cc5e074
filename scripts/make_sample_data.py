"""Write the bundled sample data: a year of invoices for ten fictional business customers.

`dunning demo` and the tests build a client workbook from these files, so they
must show everything the product deals with: customers with different payment
habits, partial payments, credit notes (negative amounts, some applied, some
open), disputes, write-offs, settled items, and open items in every aging
bucket on the demo date. They are generated, not hand-written, so they can be
changed and regenerated; the seeded generator makes every run identical.

Run from the repository root:

    python scripts/make_sample_data.py

All names and addresses are invented; addresses use example.com and example.org.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

SEED = 20261123
FIRST_DAY = dt.date(2025, 11, 1)
LAST_DAY = dt.date(2026, 10, 31)
DEMO_DATE = dt.date(2026, 11, 23)
"""The as-of date the demo and the tests age the sample on (payments are known up to it)."""

CURRENCY = "EUR"
DATA_DIR = Path(__file__).resolve().parents[1] / "addin" / "dunning" / "data"

INVOICE_HEADERS = (
    "Invoice No",
    "Customer",
    "Invoice Date",
    "Due Date",
    "Amount",
    "Paid",
    "Currency",
    "Disputed",
    "Settled Date",
    "Written Off",
    "Notes",
    "Hold Until",
    "Hold Reason",
    "Payment Link",
)
CUSTOMER_HEADERS = (
    "Customer",
    "Name",
    "Contact Name",
    "Contact Email",
    "Language",
    "Time Zone",
    "Opt Out",
    "Do Not Contact",
    "Credit Limit",
    "Terms Days",
    "Billing Contact",
    "Billing Email",
    "CC Email",
    "Hold Until",
    "Hold Reason",
    "Address",
    "Postcode",
    "City",
    "Country",
    "Channel",
)


@dataclass(frozen=True)
class Customer:
    """A fictional customer and its habits, which drive the invoices generated for it."""

    code: str
    name: str
    contact: str
    email: str
    language: str
    time_zone: str
    terms: int
    credit_limit: int
    invoices_per_month: float
    typical_amount: float
    days_late: float  # mean days paid after the due date (negative: early)
    spread: float  # standard deviation of that
    unpaid_share: float  # chance an invoice is still unpaid on the demo date whatever its age
    partial_share: float  # chance an open invoice has been paid in part
    dispute_share: float
    opt_out: bool = False
    do_not_contact: bool = False
    legacy_numbers: bool = False  # invoices numbered by an older system: 000123


CUSTOMERS: tuple[Customer, ...] = (
    Customer("ALP01", "Alpenholz Baubedarf GmbH", "Katrin Vogt", "k.vogt@example.com",
             "de", "Europe/Berlin", 30, 40000, 4.0, 2400, 9, 6, 0.03, 0.15, 0.02),
    Customer("BRW02", "Brightwater Cafés Ltd", "Owen Price", "accounts@brightwater.example.org",
             "en", "Europe/London", 14, 8000, 3.0, 650, -1, 2, 0.0, 0.0, 0.0),
    Customer("CAS03", "Castellane Logistique SARL", "Amélie Roux", "a.roux@example.com",
             "fr", "Europe/Paris", 45, 60000, 2.5, 5200, 24, 12, 0.06, 0.25, 0.04),
    Customer("DIJ04", "Dijkstra Installatietechniek B.V.", "Pieter de Wit",
             "crediteuren@dijkstra.example.org", "nl", "Europe/Amsterdam", 30, 30000, 3.0, 1800,
             12, 10, 0.05, 0.45, 0.03, legacy_numbers=True),
    Customer("EMA05", "Estudio Marés S.L.", "Lucía Ferrer", "lucia.ferrer@example.com",
             "es", "Europe/Madrid", 30, 25000, 2.0, 3100, 16, 9, 0.05, 0.1, 0.2),
    Customer("FHV06", "Fernhill Veterinary Group", "Dr. Hannah Moss", "payables@example.org",
             "en", "America/New_York", 30, 15000, 2.5, 980, 2, 3, 0.0, 0.05, 0.0),
    Customer("GPO07", "Granite Peak Outfitters Inc.", "Rick Alvarez", "r.alvarez@example.com",
             "en", "America/Denver", 30, 20000, 1.5, 2900, 70, 30, 0.35, 0.3, 0.05,
             do_not_contact=True),
    Customer("HPC08", "Harbourside Print Co.", "Mia Tran", "mia.tran@example.org",
             "en", "Australia/Sydney", 21, 10000, 2.0, 720, 6, 5, 0.04, 0.1, 0.02, opt_out=True),
    Customer("IDL09", "Iris Dental Laboratories", "Siobhán Kelly", "s.kelly@example.com",
             "en", "Europe/Dublin", 30, 12000, 2.0, 1350, 35, 15, 0.12, 0.2, 0.05),
    Customer("JOI10", "Juniper & Oak Interiors LLC", "Marcus Bell", "ap@juniper-oak.example.org",
             "en", "America/Los_Angeles", 60, 50000, 1.5, 6800, 5, 8, 0.04, 0.15, 0.05),
)  # fmt: skip

ADDRESSES: dict[str, tuple[str, str, str, str]] = {
    # Address (";" between lines), Postcode, City, Country: fictional, in each country's order
    "ALP01": ("Industriestraße 14", "83022", "Rosenheim", "Germany"),
    "BRW02": ("4 Harbour Walk; Swansea", "SA1 3XL", "", "United Kingdom"),
    "CAS03": ("27 quai de la Joliette", "13002", "Marseille", "France"),
    "DIJ04": ("Havenstraat 8", "3024 SH", "Rotterdam", "Netherlands"),
    "EMA05": ("Carrer de Mallorca 210", "08008", "Barcelona", "Spain"),
    "FHV06": ("118 Fernhill Road; Albany, NY 12203", "", "", "United States"),
    "GPO07": ("2250 Summit Avenue; Boulder, CO 80302", "", "", "United States"),
    "HPC08": ("9 Wharf Lane; Pyrmont NSW 2009", "", "", "Australia"),
    "IDL09": ("Unit 5, Grand Canal Quay; Dublin 2", "D02 XY76", "", "Ireland"),
    "JOI10": ("2200 Mission Street; San Francisco, CA 94110", "", "", "United States"),
}
"""Where statements and letters are addressed (the Customers table's postal columns)."""

DISPUTE_REASONS = (
    "Quantity delivered differs from the order",
    "Price differs from the purchase order",
    "Goods damaged in transit",
    "Service not completed",
    "Invoice sent to the wrong department",
)


@dataclass
class Item:
    """One invoice or credit note while it is being generated."""

    number: str
    customer: str
    date: dt.date
    due: dt.date
    amount: float
    paid: float = 0.0
    settled: dt.date | None = None
    disputed: bool = False
    written_off: bool = False
    note: str = ""

    def row(self) -> dict[str, str]:
        """The CSV row: ISO dates, two-decimal amounts, Yes/No flags, blanks for nothing."""
        return {
            "Invoice No": self.number,
            "Customer": self.customer,
            "Invoice Date": self.date.isoformat(),
            "Due Date": self.due.isoformat(),
            "Amount": f"{self.amount:.2f}",
            "Paid": f"{self.paid:.2f}" if self.paid else "",
            "Currency": CURRENCY,
            "Disputed": "Yes" if self.disputed else "No",
            "Settled Date": self.settled.isoformat() if self.settled else "",
            "Written Off": "Yes" if self.written_off else "No",
            "Notes": self.note,
        }


def generate(seed: int = SEED) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The invoice rows and customer rows, the same for the same seed."""
    rng = random.Random(seed)
    items: list[Item] = []
    for customer in CUSTOMERS:
        items.extend(_invoices_for(customer, rng))
    items.sort(key=lambda item: (item.date, item.customer))
    _number(items, rng)
    items.extend(_credit_notes(items, rng))
    _write_off(items)
    _ensure_every_bucket(items, rng)
    items.sort(key=lambda item: (item.date, item.number))
    return [item.row() for item in items], [_customer_row(c) for c in CUSTOMERS]


def _invoices_for(customer: Customer, rng: random.Random) -> list[Item]:
    items: list[Item] = []
    day = FIRST_DAY + dt.timedelta(days=rng.randrange(0, 10))
    while day <= LAST_DAY:
        amount = round(max(45.0, rng.lognormvariate(0, 0.45) * customer.typical_amount), 2)
        item = Item("", customer.code, day, day + dt.timedelta(days=customer.terms), amount)
        _settle(item, customer, rng)
        items.append(item)
        day += dt.timedelta(days=max(1, round(rng.expovariate(customer.invoices_per_month / 30))))
    return items


def _settle(item: Item, customer: Customer, rng: random.Random) -> None:
    """Pay the item by the customer's habit; what is not paid by the demo date stays open."""
    pay_day = item.due + dt.timedelta(days=round(rng.gauss(customer.days_late, customer.spread)))
    pay_day = max(pay_day, item.date + dt.timedelta(days=1))
    stays_open = rng.random() < customer.unpaid_share
    if rng.random() < customer.dispute_share:
        item.disputed = True
        item.note = rng.choice(DISPUTE_REASONS)
        recent = item.due + dt.timedelta(days=20) > DEMO_DATE
        stays_open = stays_open or recent or rng.random() < 0.7
    if pay_day <= DEMO_DATE and not stays_open:
        item.paid = item.amount
        item.settled = pay_day
    elif rng.random() < customer.partial_share:
        item.paid = round(item.amount * rng.choice((0.25, 0.3, 0.4, 0.5, 0.6)), 2)
        item.note = item.note or "Part payment received"


def _number(items: list[Item], rng: random.Random) -> None:
    """INV-YYYY-NNNN per calendar year; the legacy customer's invoices are 000NNN."""
    counters: dict[int, int] = {}
    legacy = rng.randrange(100, 140)
    legacy_codes = {c.code for c in CUSTOMERS if c.legacy_numbers}
    for item in items:
        if item.customer in legacy_codes and item.date < dt.date(2026, 3, 1):
            legacy += 1
            item.number = f"{legacy:06d}"
            continue
        counters[item.date.year] = counters.get(item.date.year, 0) + 1
        item.number = f"INV-{item.date.year}-{counters[item.date.year]:04d}"


def _credit_notes(items: list[Item], rng: random.Random) -> list[Item]:
    """Credit notes against a dozen invoices: most applied (settled), a few still open."""
    notes: list[Item] = []
    candidates = [i for i in items if i.amount > 300 and i.customer != "BRW02"]
    for count, invoice in enumerate(sorted(rng.sample(candidates, 12), key=lambda i: i.date), 1):
        date = invoice.date + dt.timedelta(days=rng.randrange(3, 25))
        date = min(date, LAST_DAY)
        amount = -round(invoice.amount * rng.choice((0.05, 0.1, 0.15, 0.2)), 2)
        note = Item(f"CN-{date.year}-{count:04d}", invoice.customer, date, date, amount)
        note.note = f"Credit for {invoice.number}"
        if count % 4 != 0 and date + dt.timedelta(days=10) <= DEMO_DATE:
            note.paid = amount
            note.settled = date + dt.timedelta(days=rng.randrange(0, 10))
        notes.append(note)
    return notes


WRITE_OFF_DATE = dt.date(2026, 9, 30)


def _write_off(items: list[Item]) -> None:
    """Write off the two oldest open invoices of the customer now with a collection agency.

    A write-off clears the item: Settled Date is the day of the write-off and
    Paid stays blank (nothing was received), so its open balance is zero from
    then on and it leaves the aging.
    """
    oldest = sorted(
        (i for i in items if i.customer == "GPO07" and i.settled is None and i.amount > 0),
        key=lambda i: i.due,
    )[:2]
    for item in oldest:
        item.written_off = True
        item.paid = 0.0
        item.settled = WRITE_OFF_DATE
        item.note = "Written off: customer unresponsive, passed to a collection agency"


EDGES = (0, 30, 60, 90, 120)


def _bucket(item: Item) -> int:
    """0 for Current, 1..4 for the bounded buckets, 5 for the oldest."""
    days = (DEMO_DATE - item.due).days
    return sum(days > edge for edge in EDGES)


def _open(item: Item) -> bool:
    return item.settled is None and round(item.amount - item.paid, 2) != 0


def _ensure_every_bucket(items: list[Item], rng: random.Random) -> None:
    """Reopen a settled invoice in any bucket left with fewer than three open items."""
    for bucket in range(len(EDGES) + 1):
        open_items = [i for i in items if _open(i) and _bucket(i) == bucket]
        settled = [
            i
            for i in items
            if i.settled and i.amount > 0 and not i.written_off and _bucket(i) == bucket
        ]
        for item in rng.sample(settled, max(0, min(3 - len(open_items), len(settled)))):
            item.paid, item.settled = 0.0, None


def _customer_row(customer: Customer) -> dict[str, str]:
    return {
        "Customer": customer.code,
        "Name": customer.name,
        "Contact Name": customer.contact,
        "Contact Email": customer.email,
        "Language": customer.language,
        "Time Zone": customer.time_zone,
        "Opt Out": "Yes" if customer.opt_out else "No",
        "Do Not Contact": "Yes" if customer.do_not_contact else "No",
        "Credit Limit": f"{customer.credit_limit:.2f}",
        "Terms Days": str(customer.terms),
        **dict(zip(("Address", "Postcode", "City", "Country"), ADDRESSES[customer.code],
                   strict=True)),
        "Channel": "",
    }


def write_csv(path: Path, headers: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    """UTF-8 CSV with Unix line ends, so the files are the same on every platform."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    """Write both files into the package's data folder and say what was written."""
    invoices, customers = generate()
    write_csv(DATA_DIR / "sample_invoices.csv", INVOICE_HEADERS, invoices)
    write_csv(DATA_DIR / "sample_customers.csv", CUSTOMER_HEADERS, customers)
    print(f"wrote {len(invoices)} invoices and {len(customers)} customers to {DATA_DIR}")


if __name__ == "__main__":
    main()
