"""`dunning demo`: a sample client's workbook, built from bundled data and reported on.

It goes the whole way a real run goes: the sample invoices are written into a
workbook made from the client template, read back from that file, and aged.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dunning.app.actions import worklist
from dunning.core.worklist import worklist_text
from dunning.io.book import open_book
from dunning.io.client_workbook import (
    SAMPLE_SETTINGS,
    build_workbook,
    sample_customers,
    sample_invoices,
)
from dunning.render.report import aging_report, kpi_report

SAMPLE_CLIENT = "Harbour & Pine Trading Ltd (sample)"


def run_demo(out: Path, *, as_of: dt.date, overwrite: bool = False) -> str:
    """Write the sample workbook to `out` and return its aging, KPIs and worklist."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists already: choose another --out, or add --force")
    build_workbook(out, client=SAMPLE_CLIENT, invoices=sample_invoices(),
                   customers=sample_customers(), as_of=as_of, settings=SAMPLE_SETTINGS)
    book = open_book(out, today=as_of)
    now = dt.datetime.combine(as_of, dt.time(10), tzinfo=dt.timezone.utc)
    ranked = worklist(out, now=now, as_of=as_of).data
    parts = [
        f"Sample workbook for {SAMPLE_CLIENT}: {len(book.frame)} invoices and credit notes "
        f"of {book.frame['customer'].nunique()} customers.",
        aging_report(book.frame, book.as_of, edges=book.settings.bucket_edges,
                     basis=book.settings.aging_basis),
        kpi_report(book.frame, book.as_of),
        worklist_text(ranked, as_of),
        f"Wrote {out.resolve()}. Open it in Excel or LibreOffice; its Dashboard shows the same "
        f"aging with native formulas, and its Worklist sheet the list above. To preview "
        f"today's reminders: dunning remind {out} --dry-run",
    ]
    return "\n\n".join(parts)
