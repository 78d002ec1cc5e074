"""The `dunning` command as a user runs it: output, files written, exit codes."""

import subprocess
import sys

import pytest
from python_calamine import CalamineWorkbook

from datasets import IBM, dataset_path
from dunning.aging import aging_by_customer
from dunning.cli import DEMO_AS_OF, main
from dunning.ledger import build_ledger
from dunning.report import money
from dunning.template import sample_invoices


def test_demo_writes_the_workbook_and_prints_aging_and_kpis(tmp_path, capsys):
    out = tmp_path / "demo.xlsx"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert out.exists()
    assert "Aging by customer as of 2026-11-23" in printed
    assert "Receivables KPIs as of 2026-11-23" in printed
    assert str(out.resolve()) in printed
    expected = aging_by_customer(build_ledger(sample_invoices()).frame, DEMO_AS_OF)
    total_line = next(line for line in printed.splitlines() if line.startswith("Total"))
    assert total_line.split()[-1] == money(expected.loc["Total", "Total"])
    assert "Invoices" in CalamineWorkbook.from_path(str(out)).sheet_names
    assert "Worklist for 2026-11-23:" in printed  # the collector's day, ranked
    assert "Worklist" in CalamineWorkbook.from_path(str(out)).sheet_names


def test_demo_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "demo.xlsx"
    out.write_bytes(b"precious")
    assert main(["demo", "--out", str(out)]) == 1
    assert "exists already" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"


def test_aging_of_a_csv_export(capsys):
    path = dataset_path(IBM)
    assert main(["aging", str(path), "--as-of", "2013-06-30"]) == 0
    printed = capsys.readouterr().out
    assert "Aging by customer as of 2013-06-30" in printed
    assert printed.splitlines()[-1].split()[-1] == "5,119.85"


def test_kpis_of_a_csv_export(capsys):
    assert main(["kpis", str(dataset_path(IBM)), "--as-of", "2013-06-30", "--days", "90"]) == 0
    assert "period: the 90 days to that date" in capsys.readouterr().out


def test_bad_cells_print_errors_and_exit_1(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
                    "A1,C1,2024-01-01,2024-01-31,ten\n"
                    "A2,C1,2024-01-01,,5\n")
    assert main(["aging", str(path)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "Error: bad.csv!E2 (Amount): expected an amount such as 1234.50, 1,234.50 or "
        "(100.00) (found 'ten')",
        "Error: bad.csv!D3 (Due Date): missing due date (only credit notes may leave it empty)",
    ]


def test_several_currencies_need_a_choice(capsys):
    from datasets import HIGHRADIUS

    path = str(dataset_path(HIGHRADIUS))
    assert main(["aging", path, "--as-of", "2020-03-31"]) == 1
    assert "several currencies (CAD, USD)" in capsys.readouterr().err
    assert main(["aging", path, "--as-of", "2020-03-31", "--currency", "CAD"]) == 0


def test_new_workbook_for_a_client(tmp_path, capsys):
    path = tmp_path / "client.xlsx"
    assert main(["new-workbook", str(path), "--client", "Acme GmbH"]) == 0
    assert path.exists()
    assert main(["new-workbook", str(path), "--client", "Acme GmbH"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_console_script_is_installed():
    done = subprocess.run([sys.executable, "-m", "dunning.cli", "--help"],
                          capture_output=True, text=True, check=True)
    for command in ("demo", "aging", "kpis", "new-workbook"):
        assert command in done.stdout


@pytest.mark.parametrize("argv", [["aging"], ["aging", "missing.xlsx"]])
def test_usage_errors(argv, capsys):
    if len(argv) == 1:
        with pytest.raises(SystemExit):
            main(argv)
    else:
        assert main(argv) == 1
        assert "no such file" in capsys.readouterr().err
