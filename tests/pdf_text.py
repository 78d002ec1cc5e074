"""PDFs read back by an independent reader: poppler's pdftotext (a test skips without it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

POPPLER = "pdftotext (poppler-utils) reads the PDFs back; apt install poppler-utils"


def pdf_text(data: bytes | Path, tmp_path: Path, *, layout: bool = True,
             crop_mm: tuple[float, float, float, float] | None = None) -> str:
    """The PDF's text as pdftotext gives it (`-layout`); `crop_mm` = (x, y, width, height) in
    mm from the top-left corner of page 1 reads only that area."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip(POPPLER)
    path = data if isinstance(data, Path) else tmp_path / "read.pdf"
    if not isinstance(data, Path):
        path.write_bytes(data)
    command = [tool, "-enc", "UTF-8"] + (["-layout"] if layout else [])
    if crop_mm is not None:
        x, y, width, height = (round(value / 25.4 * 72) for value in crop_mm)
        command += ["-r", "72", "-f", "1", "-l", "1", "-x", str(x), "-y", str(y),
                    "-W", str(width), "-H", str(height)]
    done = subprocess.run([*command, str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def money_text(amount: float) -> str:
    """An amount as the English PDFs print it, worked out here independently: 1,234.50."""
    return f"{amount:,.2f}"


def word_boxes(data: bytes, tmp_path: Path) -> list[tuple[str, float, float, float]]:
    """Every word of the PDF with its left and right edges and its top, in points
    (pdftotext -bbox)."""
    import html
    import re

    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip(POPPLER)
    path = tmp_path / "boxes.pdf"
    path.write_bytes(data)
    done = subprocess.run([tool, "-bbox", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          check=True)
    pattern = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                         r'yMax="[\d.]+">([^<]*)</word>')
    return [(html.unescape(word), float(x0), float(x1), float(y0))
            for x0, y0, x1, word in pattern.findall(done.stdout.decode("utf-8"))]
