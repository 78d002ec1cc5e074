"""`run_demo` and the bundled sample: the workbook it writes, read back by another reader."""

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from dunning.cli import DEMO_AS_OF
from dunning.demo import (
    SAMPLE_AS_OF,
    SAMPLE_CLIENT,
    SAMPLE_SETTINGS,
    run_demo,
    sample_customers,
    sample_invoices,
)
from dunning.io.book import open_book

DATA = Path(__file__).resolve().parents[1] / "addin" / "dunning" / "data"
OTHER_DAY = dt.date(2026, 12, 31)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo written once on the sample's date, with no user's rates file laid over."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUNNING_RATES", str(folder / "no-rates.csv"))
        out = folder / "Sample.xlsx"
        text = run_demo(out, as_of=SAMPLE_AS_OF)
    return out, text


def csv_rows(name):
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def table(path, name):
    found = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(name)
    return list(found.columns), found.to_python()


def settings(path):
    return dict(map(tuple, table(path, "Settings")[1]))


def test_the_workbook_holds_the_sample_as_calamine_reads_it(demo):
    out, _ = demo
    columns, rows = table(out, "Invoices")
    source = csv_rows("sample_invoices.csv")
    assert columns == source[0] and len(rows) == len(source) - 1
    number, amount = columns.index("Invoice No"), columns.index("Amount")
    assert [row[number] for row in rows] == [row[number] for row in source[1:]]
    assert "000105" in [row[number] for row in rows]  # a text cell, leading zeros kept
    assert [row[amount] for row in rows] == [float(row[amount]) for row in source[1:]]
    due = columns.index("Due Date")
    assert [row[due] for row in rows] == [dt.date.fromisoformat(row[due]) for row in source[1:]]
    customers = table(out, "Customers")[1]
    assert [row[0] for row in customers] == [row[0] for row in csv_rows("sample_customers.csv")[1:]]


def test_the_workbook_carries_the_client_its_sender_and_the_date(demo):
    out, _ = demo
    values = settings(out)
    assert values["Client"] == SAMPLE_CLIENT
    assert values["As Of Date"] == SAMPLE_AS_OF
    for name, value in SAMPLE_SETTINGS.items():
        assert values[name] == value, name


def test_the_workbook_keeps_its_date_whatever_day_it_is_opened(demo):
    out, _ = demo
    assert open_book(out, today=dt.date(2028, 11, 23)).as_of == SAMPLE_AS_OF


def test_the_text_reports_aging_kpis_and_the_worklist_of_the_file(demo):
    out, text = demo
    parts = text.split("\n\n")
    assert parts[0] == (f"Sample workbook for {SAMPLE_CLIENT}: 310 invoices and credit notes "
                        "of 10 customers.")
    assert parts[1].startswith("Aging by customer as of 2026-11-23 (days past due)")
    assert parts[2].startswith("Receivables KPIs as of 2026-11-23 (period: the 365 days")
    assert parts[3].startswith("Worklist for 2026-11-23:")
    assert parts[-1].startswith(f"Wrote {out.resolve()}.")
    assert parts[-1].endswith(f"dunning remind {out} --dry-run --as-of 2026-11-23")
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Worklist").to_python()
    header = sheet[0]
    listed = [row[header.index("Customer")] for row in sheet[1:]]
    assert listed and all(customer in parts[3] for customer in listed)


def test_another_date_is_used_throughout(tmp_path):
    out = tmp_path / "Later.xlsx"
    text = run_demo(out, as_of=OTHER_DAY)
    assert "Aging by customer as of 2026-12-31" in text
    assert "Receivables KPIs as of 2026-12-31" in text
    assert "Worklist for 2026-12-31:" in text
    assert text.endswith(f"dunning remind {out} --dry-run --as-of 2026-12-31")
    assert settings(out)["As Of Date"] == OTHER_DAY


def test_an_existing_file_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "demo.xlsx"
    out.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="exists already: choose another --out, or add "
                                              "--force"):
        run_demo(out, as_of=SAMPLE_AS_OF)
    assert out.read_bytes() == b"precious"
    assert [path.name for path in tmp_path.iterdir()] == ["demo.xlsx"]


def test_overwrite_replaces_an_existing_file(tmp_path):
    out = tmp_path / "demo.xlsx"
    out.write_bytes(b"old")
    run_demo(out, as_of=SAMPLE_AS_OF, overwrite=True)
    assert "Invoices" in CalamineWorkbook.from_path(str(out)).sheet_names


def test_the_sample_date_follows_the_last_invoice_and_is_the_commands_default():
    assert SAMPLE_AS_OF == dt.date(2026, 11, 23) == DEMO_AS_OF
    invoices = sample_invoices()
    assert invoices["Invoice Date"].max() <= "2026-10-31" < SAMPLE_AS_OF.isoformat()


@pytest.mark.parametrize(("reader", "name"), [(sample_invoices, "sample_invoices.csv"),
                                              (sample_customers, "sample_customers.csv")])
def test_the_samples_are_text_exactly_as_written(reader, name):
    frame = reader()
    source = csv_rows(name)
    assert list(frame.columns) == source[0]
    cells = frame.to_numpy().tolist()
    assert cells == source[1:]  # "000105", "40000.00" and "" as written
    assert all(type(cell) is str for row in cells for cell in row)  # no NaN, no numbers


def test_each_call_reads_a_fresh_copy():
    first = sample_invoices()
    first.loc[0, "Invoice No"] = "changed"
    assert sample_invoices().loc[0, "Invoice No"] == "INV-2025-0001"


def test_importing_the_demo_loads_no_pandas():
    code = "import sys, dunning.demo\nprint('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_the_demo_keeps_no_backup_of_its_own_fresh_file(tmp_path):
    """Only the workbook is left in the folder: its worklist is saved into it without a copy
    of the file the demo had just made in `.dunning-backups/`."""
    out = tmp_path / "demo.xlsx"
    run_demo(out, as_of=SAMPLE_AS_OF)
    assert [path.name for path in tmp_path.iterdir()] == ["demo.xlsx"]
    assert "Worklist" in CalamineWorkbook.from_path(str(out)).sheet_names


def test_the_demos_closing_hint_previews_the_demos_day(tmp_path, capsys):
    """The command the demo suggests, run as given, previews the day it reported on."""
    import shlex

    from dunning.cli import main

    out = tmp_path / "demo.xlsx"
    assert main(["demo", "--out", str(out), "--as-of", "2026-12-31"]) == 0
    hint = capsys.readouterr().out.rstrip().rpartition(": ")[2]
    command = shlex.split(hint)
    assert command[:2] == ["dunning", "remind"]
    assert main(command[1:]) == 0
    assert "Drafts: " in capsys.readouterr().out
    assert (tmp_path / "demo-drafts-2026-12-31").is_dir()


def test_the_demos_worklist_sheet_agrees_with_worklist_of_its_day_in_any_time_zone(tmp_path):
    """The demo makes its Worklist sheet at the moment `worklist --as-of D` takes (noon of D
    on this computer), so a collector in Tokyo sees on the sheet what the command says."""
    import json
    import os

    out = tmp_path / "demo.xlsx"
    env = dict(os.environ, TZ="Asia/Tokyo")
    command = [sys.executable, "-m", "dunning.cli"]
    subprocess.run([*command, "demo", "--out", str(out)], env=env, check=True,
                   capture_output=True)
    listed = subprocess.run([*command, "worklist", str(out), "--as-of", f"{SAMPLE_AS_OF}",
                             "--print-only", "--json"], env=env, check=True,
                            capture_output=True, text=True)
    expected = {entry["customer"]: entry["reminder_today"] for entry in json.loads(listed.stdout)}
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Worklist").to_python()
    header = next(row for row in rows if "Customer" in row)
    customer, today = header.index("Customer"), header.index("Reminder Today")
    shown = {row[customer]: row[today] for row in rows[rows.index(header) + 1:] if row[customer]}
    assert shown == expected and any("wait" in action for action in expected.values())
