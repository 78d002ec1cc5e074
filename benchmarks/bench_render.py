"""Render reminders for 10,000 customers with about 5 open items each.

Prints the seconds `render_messages` takes (templates in the Jinja2 sandbox, the
items table in text and HTML, opt-out line, Message-ID), the messages per
second, and the extra seconds `to_email` takes to turn them all into
multipart EmailMessage objects. Target: rendering under 5 s. The built-in
templates are used, in five languages, with a mix of stages and a credit note
or a second currency for some customers. Templates are compiled once, outside
the timing, as a run does.

    python benchmarks/bench_render.py [--customers 10000] [--items 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

import pandas as pd

from dunning.mail.mime import to_email
from dunning.render.messages import Sender, render_messages
from dunning.render.sandbox import BUILT_IN_LANGUAGES, BUILT_IN_STAGES, TemplateSet

RUN = dt.date(2026, 11, 23)
MOMENT = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)
SENDER = Sender("Acme Supplies Ltd", "Jane Smith", "ar@acme.example",
                "IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX")


def frames(customers: int, per_customer: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A decisions frame (all "send") and an items frame, as `dunning.core.policy.decide`
    returns them."""
    rng = random.Random(seed)
    decided, items = [], []
    for number in range(customers):
        customer = f"C{number:05d}"
        count = max(1, per_customer + rng.randint(-2, 2))
        invoices = []
        for index in range(count):
            credit = index == count - 1 and rng.random() < 0.2
            amount = -round(rng.uniform(10, 300), 2) if credit else round(
                rng.uniform(50, 25_000), 2)
            currency = "USD" if index == 0 and rng.random() < 0.1 else "EUR"
            days = rng.randint(-3, 90)
            due = pd.Timestamp(RUN) - pd.Timedelta(days=days)
            invoice = f"INV-{number:05d}-{index}"
            invoices.append(invoice)
            items.append(dict(customer=customer, customer_name=f"Customer {number}",
                              invoice=invoice, invoice_date=due - pd.Timedelta(days=30),
                              due_date=due, amount=amount, currency=currency,
                              open_balance=amount, days_past_due=days, included=True,
                              reason=""))
        decided.append(dict(customer=customer, name=f"Customer {number} Ltd",
                            contact_name=rng.choice(["", f"Contact {number}"]),
                            email=f"ap{number}@customer{number}.example",
                            language=rng.choice(BUILT_IN_LANGUAGES), action="send",
                            stage=rng.choice(BUILT_IN_STAGES), items=invoices))
    return pd.DataFrame(decided), pd.DataFrame(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    decided, items = frames(args.customers, args.items)
    templates = TemplateSet.default()
    render_times, email_times = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        messages = render_messages(decided, items, templates, SENDER, RUN)
        render_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        for message in messages:
            to_email(message, SENDER, date=MOMENT)
        email_times.append(time.perf_counter() - start)
    best = min(render_times)
    print(f"customers: {len(decided):,}, items: {len(items):,} "
          f"({len(items) / len(decided):.1f} per customer), languages: "
          f"{', '.join(BUILT_IN_LANGUAGES)}")
    print(f"render_messages: {best:.2f} s best of {args.repeat} "
          f"({len(messages) / best:,.0f} messages/s; all runs: "
          f"{', '.join(f'{t:.2f}' for t in render_times)} s) - target under 5 s: "
          f"{'met' if best < 5 else 'NOT met'}")
    print(f"to_email for all: {min(email_times):.2f} s more "
          f"({len(messages) / min(email_times):,.0f} messages/s)")


if __name__ == "__main__":
    main()
