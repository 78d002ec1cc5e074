"""Cell values as real exports and xlwings hand them over."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning.core.parse import (
    FIRST_DATE,
    LAST_DATE,
    MAX_AMOUNT,
    AmbiguousDatesError,
    amount_from_text,
    excel_serial,
    parse_amounts,
    parse_dates,
    parse_flags,
    parse_text,
)


def dates(values, **options):
    parsed = parse_dates(np.array(values, dtype=object), **options)
    return [None if pd.isna(v) else pd.Timestamp(v).date().isoformat() for v in parsed.values]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", 1234.50),
        ("(100.00)", -100.0),
        ("$ 99", 99.0),
        ("-$99.10", -99.10),
        ("EUR 12.00", 12.0),
        ("250.00-", -250.0),
        ("1 234.5", 1234.5),
        ("+7", 7.0),
        ("£1,000,000", 1_000_000.0),
    ],
)
def test_amount_text(text, expected):
    assert amount_from_text(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["abc", "1,23.4", "12.3.4", "", "(", "1,5", "1.200,50"])
def test_amount_text_refused(text):
    assert amount_from_text(text) is None


def test_amount_decimal_comma():
    assert amount_from_text("1.234,50", decimal=",") == pytest.approx(1234.5)
    assert amount_from_text("1,234.50", decimal=",") is None


def test_amount_column_marks_bad_and_blank_cells():
    parsed = parse_amounts(np.array([10, "1,000.25", None, "  ", "ten", True, 2.5], dtype=object))
    assert parsed.values[:2].tolist() == [10.0, 1000.25]
    assert parsed.blank.tolist() == [False, False, True, True, False, False, False]
    assert parsed.bad.tolist() == [False, False, False, False, True, True, False]


def test_dates_from_datetimes_dates_serials_and_text():
    values = [
        dt.datetime(2024, 3, 31, 15, 30),
        dt.date(2024, 3, 31),
        45382.0,  # Excel serial of 2024-03-31, as TODAY() arrives
        45382.75,
        "2024-03-31",
        "2024-03-31T10:00:00",
        "31-Mar-24",
        "20240331",
        None,
    ]
    assert dates(values) == ["2024-03-31"] * 8 + [None]


def test_serial_matches_excel():
    # Excel: =DATE(2013,1,2) is 41276; 1900-03-01 is 61.
    assert dates([41276, 61]) == ["2013-01-02", "1900-03-01"]
    assert excel_serial(dt.date(2013, 1, 2)) == 41276


def test_month_first_inferred_from_the_column():
    parsed = parse_dates(np.array(["4/6/2013", "1/26/2013"], dtype=object))
    assert [str(v)[:10] for v in parsed.values] == ["2013-04-06", "2013-01-26"]
    assert "month first" in parsed.note


def test_day_first_inferred_and_stated():
    assert dates(["26-11-2015 12:38", "01-02-2015 00:10"]) == ["2015-11-26", "2015-02-01"]
    assert dates(["01/02/2015"], dayfirst=True) == ["2015-02-01"]
    assert dates(["01/02/2015"], dayfirst=False) == ["2015-01-02"]


def test_ambiguous_text_dates_need_a_setting():
    with pytest.raises(AmbiguousDatesError, match="day-first or month-first"):
        parse_dates(np.array(["01/02/2015", "03/04/2015"], dtype=object))


def test_same_reading_either_way_is_not_ambiguous():
    assert dates(["05/05/2015"]) == ["2015-05-05"]


def test_dates_beyond_what_a_ledger_holds_are_bad_not_wrapped():
    assert parse_dates(np.array([2958465.0, "9999-12-31"], dtype=object)).bad.tolist() == [
        True, True]


def test_bad_dates_are_marked():
    parsed = parse_dates(np.array(["2024-02-30", "soon", -5, True, "2024-02-29"], dtype=object))
    assert parsed.bad.tolist() == [True, True, True, True, False]


def test_text_keeps_leading_zeros_and_drops_float_noise():
    assert parse_text(np.array(["0000611365", " A-1 "], dtype=object)).values.tolist() == [
        "0000611365", "A-1"]
    assert parse_text(np.array([611365.0, 7], dtype=object)).values.tolist() == ["611365", "7"]
    column = np.array(["1930571429.0", "1930565277.0"], dtype=object)
    assert parse_text(column).values.tolist() == ["1930571429", "1930565277"]
    mixed = np.array(["12.0", "A-1"], dtype=object)  # not a float column: left as written
    assert parse_text(mixed).values.tolist() == ["12.0", "A-1"]


def test_flags():
    parsed = parse_flags(np.array(["Yes", "no", True, 0, None, "x", "maybe"], dtype=object))
    assert parsed.values.tolist() == [True, False, True, False, False, True, False]
    assert parsed.bad.tolist() == [False] * 6 + [True]


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_formatted_amounts_round_trip(number):
    text = f"{abs(number):,.2f}"
    written = f"({text})" if number < 0 else text
    assert amount_from_text(written) == pytest.approx(float(number))


@given(st.dates(min_value=FIRST_DATE, max_value=LAST_DATE))
def test_serials_round_trip(day):
    assert dates([excel_serial(day)]) == [day.isoformat()]


# Out of range: refused, never wrapped round or clipped ------------------------------------


def test_the_date_range_is_1900_03_01_to_2200_12_31_in_every_form():
    edges = [dt.date(1900, 3, 1), dt.date(2200, 12, 31)]
    beyond = [dt.date(1900, 2, 28), dt.date(2201, 1, 1)]
    forms = {
        "date": lambda day: day,
        "datetime": lambda day: dt.datetime(day.year, day.month, day.day, 12, 0),
        "Timestamp": pd.Timestamp,
        "datetime64": lambda day: np.datetime64(day, "s"),
        "serial": excel_serial,
        "ISO text": dt.date.isoformat,
        "D/M/Y text": lambda day: f"{day.day:02d}/{day.month:02d}/{day.year}",
    }
    for name, form in forms.items():
        inside = parse_dates(np.array([form(day) for day in edges], dtype=object), dayfirst=True)
        assert [pd.Timestamp(v).date() for v in inside.values] == edges, name
        assert not inside.bad.any(), name
        outside = parse_dates(np.array([form(day) for day in beyond], dtype=object),
                              dayfirst=True)
        assert outside.bad.tolist() == [True, True], name
        assert outside.out_of_range.tolist() == [True, True], name
        assert np.isnat(outside.values).all(), name


@pytest.mark.parametrize(("column", "far"), [
    ([dt.date(9999, 12, 31)], [True]),  # what calamine gives for a 9999-12-31 date cell
    ([dt.datetime(9999, 12, 31, 0, 0)], [True]),  # what xlwings gives for it
    ([dt.date(2024, 1, 1), dt.date(9999, 12, 31)], [False, True]),
    ([pd.Timestamp("9999-12-31")], [True]),
    ([np.datetime64("9999-12-31")], [True]),
    ([2958465.0], [True]),  # its serial number, as xlwings passes a computed date
    (["9999-12-31"], [True]),
    (["31/12/9999"], [True]),
    ([dt.date(1, 1, 1)], [True]),
    ([dt.date(9999, 12, 31), "2024-01-01"], [True, False]),  # mixed: read value by value
])
def test_a_date_beyond_what_a_ledger_holds_is_bad_not_wrapped_round(column, far):
    parsed = parse_dates(np.array(column, dtype=object), dayfirst=True)
    assert parsed.bad.tolist() == far
    assert parsed.out_of_range.tolist() == far
    assert np.isnat(parsed.values[far]).all()  # not 1816-03-29, which is what wrapping gave
    assert not np.isnat(parsed.values[~np.array(far)]).any()


def test_negative_and_impossible_numbers_are_not_dates():
    parsed = parse_dates(np.array(["-5", -5, "-5.5", 0, 10**400, float("inf"), 3e6, "1e5"],
                                  dtype=object))
    assert parsed.bad.all()
    assert not parsed.out_of_range.any()  # not dates at all, rather than dates out of range


def test_out_of_range_is_told_apart_from_unreadable():
    parsed = parse_dates(np.array(["2024-02-30", "soon", "2300-01-01", "2024-02-29"],
                                  dtype=object))
    assert parsed.bad.tolist() == [True, True, True, False]
    assert parsed.out_of_range.tolist() == [False, False, True, False]


def test_amounts_of_a_quadrillion_or_more_are_bad():
    column = [999_999_999_999_999.0, MAX_AMOUNT, -MAX_AMOUNT, 1e308, float("inf"),
              float("-inf"), 10**400, "1,000,000,000,000,000", "9" * 400, "-" + "9" * 400,
              "12.50"]
    parsed = parse_amounts(np.array(column, dtype=object))
    assert parsed.bad.tolist() == [False] + [True] * 9 + [False]
    assert parsed.out_of_range.tolist() == [False] + [True] * 9 + [False]
    assert parsed.values[0] == 999_999_999_999_999.0 and parsed.values[-1] == 12.5
    assert np.isnan(parsed.values[1:-1]).all()


def test_numeric_amount_columns_are_bounded_too():
    # The vectorised path (a float column, as xlwings and calamine give it) and a column of
    # integers too large for a float.
    assert parse_amounts(np.array([1.0, 1e308, 2.0], dtype=object)).bad.tolist() == [
        False, True, False]
    parsed = parse_amounts(np.array([1, 10**400, -(10**400)], dtype=object))
    assert parsed.bad.tolist() == [False, True, True]
    assert parsed.out_of_range.tolist() == [False, True, True]


@pytest.mark.parametrize("text", ["NaN", "nan", "inf", "-inf", "Infinity", "1e308", "1E5"])
def test_non_finite_and_exponent_text_is_no_amount(text):
    assert amount_from_text(text) is None
    parsed = parse_amounts(np.array([text], dtype=object))
    assert parsed.bad.tolist() == [True]
    assert parsed.out_of_range.tolist() == [False]


def test_amount_text_beyond_the_bound_is_none():
    assert amount_from_text("999,999,999,999,999") == 999_999_999_999_999.0
    assert amount_from_text("1,000,000,000,000,000") is None
    assert amount_from_text("9" * 400) is None


def test_number_or_none_reads_a_number_typed_by_hand():
    from dunning.core.parse import number_or_none

    assert number_or_none(" 3 ") == 3.0 and number_or_none(np.int64(2)) == 2.0
    assert number_or_none(True) is None and number_or_none("three") is None
    assert number_or_none(None) is None


def test_is_blank_knows_an_empty_cell():
    from dunning.core.parse import is_blank

    assert is_blank(None) and is_blank("  ") and is_blank(float("nan"))
    assert not is_blank(0) and not is_blank("x") and not is_blank(False)


# ------------------------------------------------------------------ the fast paths agree


from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis import strategies as hyp  # noqa: E402

from dunning.core import parse as parsing  # noqa: E402

_SPACES = hyp.sampled_from(["", " ", "  ", "\t", "\u00a0", "\u2003", "\x1c", "\x85", "\n"])
_AMOUNT_TEXT = hyp.one_of(
    hyp.decimals(min_value=-10**16, max_value=10**16, places=2, allow_nan=False).map(str),
    hyp.floats(allow_nan=True, allow_infinity=True).map(repr),
    hyp.integers(-10**20, 10**20).map(str),
    hyp.sampled_from(["1,234.50", "(100.00)", "$ 99", "EUR 12.00", "250.00-", "1.234,50", "+5",
                      "-.5", "5.", ".", "-", "+-5", "1e5", "١٢٣", "12,5", "1,2", "0x10", "--1",
                      "1_000", "€1.000,00", "nan", "inf", "  "]),
    hyp.text(alphabet="0123456789.,-+() $€", max_size=12),
)
_DATE_TEXT = hyp.one_of(
    hyp.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2300, 1, 1)).map(
        lambda day: day.isoformat()),
    hyp.tuples(hyp.integers(0, 40), hyp.integers(0, 14), hyp.integers(0, 2300)).map(
        lambda t: f"{t[0]}/{t[1]}/{t[2]}"),
    hyp.sampled_from(["30-Nov-15", "20240331", "45382", "45382.5", "-5", "2024-02-30",
                      "31.03.2024", "Mar 31, 2024", "soon", "2024-03-31T10:00:00"]),
)
_FLAG_TEXT = hyp.sampled_from(["Yes", "no", " YES ", "x", "X", "1", "0", "true", "N", "sí", "Sí",
                               "ja", "nein", "maybe", "", " ", "\u00a0yes", "oui\x1c", "Non"])


def _messy_column(cells: hyp.SearchStrategy) -> hyp.SearchStrategy:
    """A text column as a CSV or a range gives it: cells with stray spaces, some left blank."""
    cell = hyp.tuples(_SPACES, cells, _SPACES).map("".join)
    return hyp.lists(hyp.one_of(cell, hyp.none()), min_size=1, max_size=30)


def _both_forms(cells: list[str | None]) -> list[object]:
    """The column as an object array (a range's cells) and as Arrow text (a CSV's)."""
    objects = np.array(cells, dtype=object)
    return [objects, pd.array(cells, dtype=pd.StringDtype("pyarrow"))]


def _blank_cell(cell: str | None) -> bool:
    return cell is None or not cell.strip()


@hypothesis_settings(max_examples=150, deadline=None)
@given(_messy_column(_AMOUNT_TEXT), hyp.sampled_from([".", ","]))
def test_text_amounts_read_as_the_per_value_parser_reads_each_cell(cells, decimal):
    expected = [None if _blank_cell(c) else parsing._amount_from_value(c, decimal) for c in cells]
    for column in _both_forms(cells):
        result = parse_amounts(column, decimal=decimal)
        for index, (cell, number) in enumerate(zip(cells, expected, strict=True)):
            assert result.blank[index] == _blank_cell(cell)
            good = number is not None and abs(number) < parsing.MAX_AMOUNT
            assert result.bad[index] == (not _blank_cell(cell) and not good), cell
            if good:
                assert result.values[index] == number, cell


@hypothesis_settings(max_examples=150, deadline=None)
@given(_messy_column(_FLAG_TEXT))
def test_text_flags_read_as_the_per_value_rules_read_each_cell(cells):
    for column in _both_forms(cells):
        result = parse_flags(column)
        for index, cell in enumerate(cells):
            word = "" if cell is None else cell.strip().lower()
            assert result.blank[index] == _blank_cell(cell)
            assert result.values[index] == (word in parsing._TRUE_WORDS), cell
            assert result.bad[index] == (word not in parsing._TRUE_WORDS | parsing._FALSE_WORDS)


@hypothesis_settings(max_examples=100, deadline=None)
@given(_messy_column(_DATE_TEXT), hyp.sampled_from([True, False]))
def test_text_dates_read_as_the_per_value_path_reads_them(cells, dayfirst):
    objects = np.array(cells, dtype=object)
    present = np.array([not _blank_cell(c) for c in cells])
    days, _ = parsing._days_from_mixed(objects, present, dayfirst)  # cell by cell
    for column in _both_forms(cells):
        result = parse_dates(column, dayfirst=dayfirst)
        assert (result.blank == ~present).all()
        for index in range(len(cells)):
            day = days[index]
            fits = not np.isnat(day) and parsing._FIRST_DAY <= day <= parsing._LAST_DAY
            assert result.bad[index] == (bool(present[index]) and not fits), cells[index]
            if fits:
                assert result.values[index] == day.astype("datetime64[ns]")


@hypothesis_settings(max_examples=100, deadline=None)
@given(_messy_column(hyp.one_of(hyp.text(max_size=8), hyp.from_regex(r"0*\d{1,6}(\.0+)?",
                                                                    fullmatch=True))))
def test_text_ids_read_as_the_per_value_rules_read_them(cells):
    texts = pd.Series([parsing._text_of(cell) for cell in cells], dtype=object)  # cell by cell
    reference = parsing._integral_floats_cut(texts, len(cells))
    for column in _both_forms(cells):
        result = parse_text(column)
        assert list(result.blank) == list(reference.blank)
        assert list(result.values) == list(reference.values)


def test_a_plain_list_of_text_is_read_like_an_array():
    """A dialog's one answer arrives as a list, not an array (the ribbon's date question)."""
    assert parse_dates(["2026-12-01"]).values[0] == np.datetime64("2026-12-01", "ns")
    assert parse_amounts([" 12.50 ", "(3)"]).values.tolist() == [12.5, -3.0]
    assert parse_flags(["Yes", ""]).values.tolist() == [True, False]
    assert parse_text([" 007 "]).values.tolist() == ["007"]
