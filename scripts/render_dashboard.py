"""Render the sample workbook's Dashboard and Charts sheets to PNG, as the README shows them.

Builds the demo workbook, refreshes it at six month ends (so KPIHistory has a
trend to draw), converts it to PDF with LibreOffice headless and turns the pages
holding the Dashboard and the Charts into PNGs with pdftoppm:

    python scripts/render_dashboard.py [OUTDIR]     # default: docs/

Needs `soffice` and poppler's `pdftotext`/`pdftoppm`; prints what it wrote.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dunning.app import actions
from dunning.demo import SAMPLE_AS_OF, SAMPLE_SETTINGS, sample_customers, sample_invoices
from dunning.io.client_workbook import build_workbook

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"dashboard": "Receivables dashboard", "charts": "Charts: receivables"}
MADE = dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.timezone.utc)


def month_ends(last: dt.date, count: int) -> list[dt.date]:
    """The `count` month ends up to `last` (its own day last), oldest first."""
    days = [last]
    while len(days) < count:
        first = days[-1].replace(day=1)
        days.append(first - dt.timedelta(days=1))
    return days[::-1]


def sample_book(path: Path) -> Path:
    """The sample workbook, refreshed at six month ends up to the sample's as-of date."""
    build_workbook(path, client="Sample", invoices=sample_invoices(),
                   customers=sample_customers(), as_of=SAMPLE_AS_OF, settings=SAMPLE_SETTINGS)
    for day in month_ends(SAMPLE_AS_OF, 6):
        actions.refresh(path, as_of=day, now=MADE)
    return path


def render(book: Path, outdir: Path) -> dict[str, Path]:
    """The PNG of each page named in PAGES, written to `outdir`."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        subprocess.run([shutil.which("soffice") or "soffice",
                        f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(folder), str(book)],
                       check=True, capture_output=True, timeout=240)
        pdf = folder / f"{book.stem}.pdf"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                              capture_output=True, text=True, timeout=120).stdout
        pages = text.split("\f")
        written = {}
        for name, marker in PAGES.items():
            number = next(i for i, page in enumerate(pages, start=1) if marker in page)
            stem = outdir / name
            subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", str(number), "-l",
                            str(number), "-singlefile", str(pdf), str(stem)],
                           check=True, capture_output=True, timeout=120)
            written[name] = stem.with_suffix(".png")
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0]) if args else ROOT / "docs"
    with tempfile.TemporaryDirectory() as work:
        book = sample_book(Path(work) / "Sample.xlsx")
        for name, path in render(book, outdir).items():
            print(f"wrote {name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
