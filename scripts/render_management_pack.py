"""Render page 1 of the sample's management pack to PNG, as the README shows it.

Builds the demo workbook refreshed at six month ends (as scripts/render_dashboard.py does,
so KPIHistory has a trend), logs a few reminders, a promise that was broken and a call,
writes the pack with `dunning.app.report_pack` and turns page 1 into a PNG with pdftoppm:

    python scripts/render_management_pack.py [OUTDIR]     # default: docs/

Needs poppler's `pdftoppm`; prints what it wrote.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from render_dashboard import MADE, ROOT, sample_book

from dunning.app.actions import log_contact
from dunning.app.report_pack import management_pack
from dunning.core.contactlog import Contact, log_time
from dunning.demo import SAMPLE_AS_OF

CONTACTS = (
    ("FHV06", "email", "sent", "friendly", dt.date(2026, 11, 2), {}),
    ("HPC08", "email", "sent", "friendly", dt.date(2026, 11, 3), {}),
    ("JOI10", "email", "sent", "firm", dt.date(2026, 11, 16), {}),
    ("IDL09", "phone", "promised to pay", "", dt.date(2026, 11, 10),
     {"promise_date": dt.date(2026, 11, 16), "promise_amount": 2000.0}),
    ("JOI10", "phone", "left voicemail", "", dt.date(2026, 11, 22),
     {"next_action_date": dt.date(2026, 11, 30)}),
)


def with_contacts(book: Path) -> Path:
    """The sample's ContactLog with the period's sends, a broken promise and a call."""
    for customer, channel, outcome, stage, day, more in CONTACTS:
        moment = dt.datetime.combine(day, dt.time(10), tzinfo=dt.timezone.utc)
        log_contact(book, Contact(customer=customer, channel=channel, outcome=outcome,
                                  stage=stage, timestamp=log_time(moment), user="sample",
                                  **more))
    return book


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0]) if args else ROOT / "docs"
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        book = with_contacts(sample_book(Path(work) / "Sample.xlsx"))
        pdf = Path(work) / "pack.pdf"
        management_pack(book, now=MADE, as_of=SAMPLE_AS_OF, out=pdf)
        stem = outdir / "management-pack"
        subprocess.run([shutil.which("pdftoppm") or "pdftoppm", "-png", "-r", "100", "-f", "1",
                        "-l", "1", "-singlefile", str(pdf), str(stem)], check=True,
                       capture_output=True, timeout=120)
    print(f"wrote management pack: {stem.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
