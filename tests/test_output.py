"""`--json` and `--csv` of aging, kpis and worklist: parsed back, checked against the core."""

import csv
import datetime as dt
import io
import json
import math

import pytest

from dunning.app import actions
from dunning.app.output import as_csv, bucket_key
from dunning.cli import main
from dunning.core.aging import TOTAL, aging_tables
from dunning.core.kpis import NotDefined
from dunning.core.ledger_kpis import all_kpis
from dunning.demo import SAMPLE_AS_OF
from dunning.io.book import open_book

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert status == 0, out.err
    return out.out


def test_bucket_keys_are_snake_case():
    assert [bucket_key(b) for b in ("Current", "1-30", "Over 120", "Up to 15", "Total")] == [
        "current", "days_1_30", "over_120", "up_to_15", "total"]


def test_aging_json_adds_up_to_the_cores_aging(book, capsys):
    records = json.loads(run(capsys, "aging", book, "--json"))
    ledger = open_book(book).frame
    amounts, counts = aging_tables(ledger, SAMPLE_AS_OF)
    assert {r["customer"] for r in records} == set(amounts.index) - {TOTAL}
    for label in amounts.columns:
        total = sum(r[bucket_key(label)] for r in records)
        assert total == pytest.approx(amounts.at[TOTAL, label], abs=0.005)
    first = records[0]
    assert first["as_of"] == SAMPLE_AS_OF.isoformat()
    assert isinstance(first["total"], float) and isinstance(first["items"], int)
    assert first["items"] == counts.at[first["customer"], TOTAL]


def test_aging_csv_has_a_header_and_the_same_rows(book, capsys):
    rows = list(csv.DictReader(io.StringIO(run(capsys, "aging", book, "--csv"))))
    records = json.loads(run(capsys, "aging", book, "--json"))
    assert len(rows) == len(records)
    assert [float(r["total"]) for r in rows] == [r["total"] for r in records]
    assert list(rows[0]) == list(records[0])


def test_kpis_json_and_csv_match_all_kpis(book, capsys):
    records = json.loads(run(capsys, "kpis", book, "--json", "--days", 90))
    expected = all_kpis(open_book(book).frame, SAMPLE_AS_OF, days=90)
    assert [r["kpi"] for r in records] == list(expected)
    for record in records:
        value = expected[record["kpi"]]
        if isinstance(value, NotDefined):
            assert record["value"] is None and record["not_defined"] == value.reason
        elif record["unit"] == "money":
            assert record["value"] == round(float(value), 2)
        else:
            assert math.isclose(record["value"], float(value), abs_tol=0.0001)
        assert record["period_days"] == 90
    rows = list(csv.DictReader(io.StringIO(run(capsys, "kpis", book, "--csv", "--days", 90))))
    dso = next(r for r in rows if r["kpi"] == "dso")
    assert float(dso["value"]) == pytest.approx(float(expected["dso"]), abs=0.0001)
    assert dso["unit"] == "days"


def test_worklist_json_is_the_ranked_list_and_leaves_the_book_alone(book, capsys):
    before = book.read_bytes()
    records = json.loads(run(capsys, "worklist", book, "--print-only", "--json",
                             "--now", NOW.isoformat()))
    assert book.read_bytes() == before
    ranked = actions.worklist(book, now=NOW, write=False).data
    assert [r["customer"] for r in records] == list(ranked["customer"])
    assert [r["rank"] for r in records] == list(range(1, len(records) + 1))
    for record, entry in zip(records, ranked.itertuples(), strict=True):
        assert record["score"] == pytest.approx(entry.score)
        assert record["open_by_currency"] == {
            c: round(a, 2) for c, a in entry.open_by_currency.items()}
    rows = list(csv.DictReader(io.StringIO(run(capsys, "worklist", book, "--print-only", "--csv",
                                               "--now", NOW.isoformat()))))
    assert [r["customer"] for r in rows] == [r["customer"] for r in records]
    assert "open_by_currency" not in rows[0] and rows[0]["held"] in ("true", "false")


def test_worklist_json_with_a_write_says_what_it_wrote_on_stderr(book, capsys):
    assert main(["worklist", str(book), "--json", "--now", NOW.isoformat()]) == 0
    out = capsys.readouterr()
    json.loads(out.out)
    assert "Worklist sheet" in out.err


def test_csv_text_never_becomes_a_formula(tmp_path, capsys):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
                      "1,=HYPERLINK(\"http://x\"),2026-01-01,2026-01-31,100.00\n"
                      "2,+SUM(A1),2026-01-01,2026-01-31,50.00\n", encoding="utf-8")
    rows = list(csv.reader(io.StringIO(run(capsys, "aging", ledger, "--csv",
                                           "--as-of", "2026-03-01"))))
    customers = sorted(row[rows[0].index("customer")] for row in rows[1:])
    assert customers == ["'+SUM(A1)", "'=HYPERLINK(\"http://x\")"]
    assert as_csv([]) == ""


def test_json_and_csv_exclude_each_other(book, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["aging", str(book), "--json", "--csv"])
    assert stop.value.code == 2
