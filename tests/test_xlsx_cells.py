"""Cell values: literal text, refused characters, dates as serial numbers."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from dunning.io.xlsx.cells import CellValueError, cell, encode, serial
from dunning.io.xlsx.styles import Styles, is_date_format

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def parsed(xml: str) -> ET.Element:
    return ET.fromstring(xml.replace("<c ", f'<c xmlns="{MAIN[1:-1]}" ', 1))


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\n=1", "\r=1", '=HYPERLINK("http://x")']
)
def test_formula_like_text_is_an_inline_string(text: str) -> None:
    encoded = encode(text)
    assert encoded.kind == "text" and encoded.risky
    element = parsed(cell("B2", encoded, 0))
    assert element.get("t") == "inlineStr"
    assert element.find(f"{MAIN}f") is None


def test_text_round_trips_through_xml() -> None:
    text = "a < b & c _x0041_ \r\n end  "
    element = parsed(cell("A1", encode(text), 3))
    stored = element.find(f"{MAIN}is/{MAIN}t").text
    assert stored == "a < b & c _x005F_x0041_ _x000D_\n end  "  # Excel's own escapes


@pytest.mark.parametrize("bad", ["\x00", "a\x07", "\x1b[0m", "\ufffe", "\ud800"])
def test_xml_illegal_characters_are_refused(bad: str) -> None:
    with pytest.raises(CellValueError, match="control character U\\+"):
        encode(bad)


def test_too_long_text_is_refused() -> None:
    with pytest.raises(CellValueError, match="32,767"):
        encode("x" * 40_000)


def test_values() -> None:
    assert encode(None).kind == "empty"
    assert encode(float("nan")).kind == "empty"
    assert encode(pd.NaT).kind == "empty" and encode(pd.NA).kind == "empty"
    assert encode(True).text == "1" and encode(False).kind == "bool"
    assert encode(np.int64(7)).text == "7" and encode(2.5).text == "2.5"
    assert encode(pd.Timestamp("2024-01-02")) == encode(dt.date(2024, 1, 2))
    assert encode(dt.datetime(2024, 1, 2, 12)).text == "45293.5"
    assert encode(dt.time(6)).text == "0.25"
    with pytest.raises(CellValueError):
        encode(float("inf"))
    with pytest.raises(CellValueError, match="cannot write a list"):
        encode([1])


def test_serials_in_both_date_systems() -> None:
    assert serial(dt.date(1900, 3, 1)) == 61
    assert serial(dt.date(2024, 1, 2)) == 45293
    assert serial(dt.date(1904, 1, 2), date1904=True) == 1
    with pytest.raises(CellValueError):
        serial(dt.date(1900, 1, 1))


def test_date_format_detection() -> None:
    assert is_date_format("yyyy-mm-dd") and is_date_format("[$-409]d-mmm-yy;@")
    assert is_date_format("[h]:mm:ss")
    assert not is_date_format("#,##0.00") and not is_date_format('0.0 "days"')
    assert not is_date_format("[Red]0.00") and not is_date_format("General")


def test_style_variants_append_without_renumbering() -> None:
    xml = (
        '<styleSheet xmlns="x"><cellXfs count="2"><xf numFmtId="0" fontId="0"/>'
        '<xf numFmtId="4" fontId="1"><alignment wrapText="1"/></xf></cellXfs></styleSheet>'
    )
    styles = Styles(xml)
    assert styles.variant(1, number_format=14) == 2
    assert styles.variant(1, number_format=14) == 2
    assert styles.variant(0, quote_prefix=True) == 3
    text = styles.text()
    assert text.startswith('<styleSheet xmlns="x"><cellXfs count="4"><xf numFmtId="0" fontId="0"/>')
    assert (
        '<xf numFmtId="14" fontId="1" applyNumberFormat="1"><alignment wrapText="1"/></xf>' in text
    )
    assert '<xf numFmtId="0" fontId="0" quotePrefix="1"/>' in text
    assert styles.is_date(2) and not styles.is_date(1)


def test_an_identical_style_variant_is_reused() -> None:
    xml = (
        '<x:styleSheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<x:cellXfs count="6"><x:xf numFmtId="0" fontId="1" xfId="0"/>'
        '<x:xf numFmtId="0" fontId="1" xfId="0"><x:alignment wrapText="1"/></x:xf>'
        '<x:xf numFmtId="0" fontId="2" xfId="0" quotePrefix="1"/>'  # another font
        "<x:xf fontId='1' quotePrefix='true' xfId='0' fillId='0'/>"  # 0 + quotePrefix, as written
        '<x:xf numFmtId="0" fontId="1" xfId="0" quotePrefix="1">'
        '<x:alignment wrapText="true"/></x:xf>'  # 1 + quotePrefix
        '<x:xf numFmtId="0" fontId="1" xfId="0" quotePrefix="1">'
        '<x:alignment wrapText="1" indent="1"/></x:xf>'  # a different alignment
        "</x:cellXfs></x:styleSheet>"
    )
    styles = Styles(xml)
    assert styles.variant(0, quote_prefix=True) == 3
    assert styles.variant(1, quote_prefix=True) == 4
    assert styles.variant(3, quote_prefix=True) == 3  # already quoted: itself
    assert styles.variant(5, quote_prefix=True) == 5
    assert not styles.changed
    assert styles.variant(2, number_format=14) == 6  # none like it: added, once
    assert styles.variant(2, number_format=14) == 6
    assert styles.variant(6, quote_prefix=True) == 6
    assert styles.changed and 'count="7"' in styles.text()
    assert Styles(styles.text()).variant(2, number_format=14) == 6  # and found the next time


def test_child_elements_and_set_attributes_tell_styles_apart() -> None:
    styles = Styles(
        '<styleSheet xmlns="x"><cellXfs count="3"><xf numFmtId="0" fontId="0"/>'
        '<xf numFmtId="0" fontId="0" quotePrefix="1"><protection locked="0"/></xf>'
        '<xf numFmtId="0" fontId="0" quotePrefix="1" applyProtection="0"/></cellXfs></styleSheet>'
    )
    assert styles.variant(0, quote_prefix=True) == 3
    assert styles.text().count("<xf ") == 4
