"""`dunning demo`: a sample client's workbook, built from bundled data and reported on.

It goes the whole way a real run goes: the sample invoices are written into a
workbook made from the client template, read back from that file, and aged. The
sample itself (its invoices, customers, settings and date) lives here too; the
heavy imports wait until a demo runs, so `dunning --help` starts at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_AS_OF = dt.date(2026, 11, 23)
SAMPLE_SETTINGS: dict[str, object] = {
    "Company Name": "Harbour & Pine Trading Ltd",
    "Sender Name": "Ana Ruiz, Accounts Receivable",
    "Sender Email": "accounts@harbour-pine.example",
    "Payment Instructions": "IBAN GB00 NWBK 0000 0000 0000 00, reference: your invoice number",
}
"""The sample's sender, so `dunning remind --dry-run` on the demo workbook has someone to sign."""
"""The date the bundled sample is meant to be aged on (scripts/make_sample_data.py DEMO_DATE):
invoices run to 2026-10-31 and payments are known up to this day."""


def sample_invoices() -> pd.DataFrame:
    """The bundled sample invoices, all columns as text (leading zeros kept)."""
    return _read_sample("sample_invoices.csv")


def sample_customers() -> pd.DataFrame:
    """The bundled sample customers, all columns as text."""
    return _read_sample("sample_customers.csv")


def _read_sample(name: str) -> pd.DataFrame:
    from importlib import resources

    import pandas as pd

    with resources.files("dunning").joinpath("data").joinpath(name).open("rb") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)



SAMPLE_CLIENT = "Harbour & Pine Trading Ltd (sample)"


def run_demo(out: Path, *, as_of: dt.date, overwrite: bool = False,
             now: dt.datetime | None = None) -> str:
    """Write the sample workbook to `out` and return its aging, KPIs and worklist.

    The worklist is made at `now`: the command line gives the moment every command takes for
    `as_of` (noon of it on this computer), so the Worklist sheet agrees with the
    `remind --dry-run --as-of` and `worklist --as-of` the closing line suggests."""
    from dunning.app.actions import worklist
    from dunning.io.book import open_book
    from dunning.io.client_workbook import build_workbook
    from dunning.io.workbook import FileWorkbook
    from dunning.render.report import aging_report, kpi_report, worklist_text

    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists already: choose another --out, or add --force")
    build_workbook(out, client=SAMPLE_CLIENT, invoices=sample_invoices(),
                   customers=sample_customers(), as_of=as_of, settings=SAMPLE_SETTINGS)
    book = open_book(out, today=as_of)
    now = now or dt.datetime.combine(as_of, dt.time(12)).astimezone()
    with FileWorkbook(out, backups=0) as written:  # no backup of the file just made
        ranked = worklist(written, now=now, as_of=as_of).data
    parts = [
        f"Sample workbook for {SAMPLE_CLIENT}: {len(book.frame)} invoices and credit notes "
        f"of {book.frame['customer'].nunique()} customers.",
        aging_report(book.frame, book.as_of, edges=book.settings.bucket_edges,
                     basis=book.settings.aging_basis),
        kpi_report(book.frame, book.as_of),
        worklist_text(ranked, as_of),
        f"Wrote {out.resolve()}. Open it in Excel or LibreOffice; its Dashboard shows the same "
        f"aging with native formulas, and its Worklist sheet the list above. To preview "
        f"the reminders of that day: dunning remind {out} --dry-run --as-of {as_of:%Y-%m-%d}",
    ]
    return "\n\n".join(parts)
