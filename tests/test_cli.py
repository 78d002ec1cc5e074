"""The `dunning` command as a user runs it: output, files written, exit codes."""

import datetime as dt
import subprocess
import sys

import pytest
from python_calamine import CalamineWorkbook

from datasets import IBM, dataset_path
from dunning.cli import DEMO_AS_OF, main
from dunning.core.aging import aging_by_customer
from dunning.core.amounts import money
from dunning.core.ledger import build_ledger
from dunning.demo import sample_invoices

DEMO_NOW = dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone.utc)


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


# ------------------------------------------------------------ first contact (issue 11)


def test_worklist_of_a_fresh_workbook_says_there_is_nothing_to_chase(tmp_path, capsys):
    book = tmp_path / "New.xlsx"
    assert main(["new-workbook", str(book), "--client", "New client"]) == 0
    capsys.readouterr()
    before = book.read_bytes()
    assert main(["worklist", str(book), "--print-only", "--as-of", "2026-11-23"]) == 0
    captured = capsys.readouterr()
    assert "nobody needs a call today" in captured.out
    assert captured.err == ""
    assert book.read_bytes() == before


def test_worklist_when_every_invoice_is_settled(tmp_path, capsys):
    from dunning.io.client_workbook import build_workbook

    invoices = sample_invoices()
    invoices["Paid"] = invoices["Amount"]
    book = build_workbook(tmp_path / "Settled.xlsx", client="Settled", invoices=invoices,
                          as_of=DEMO_AS_OF)
    assert main(["worklist", str(book), "--print-only", "--as-of", "2026-11-23"]) == 0
    assert "nobody needs a call today" in capsys.readouterr().out


def test_a_second_send_while_one_runs_is_refused_and_sends_nothing(book, capsys):
    from dunning.app.remind import journal_path
    from dunning.mail.journal import Journal

    before = book.read_bytes()
    with Journal(journal_path(book), clock=lambda: DEMO_NOW):  # another run, sending now
        status = main(["remind", str(book), "--now", "2026-11-23T09:00+00:00",
                       "--smtp-host", "127.0.0.1", "--smtp-port", "9", "--silent"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("Error: ") and "in use by another dunning run" in err
    assert "Nothing was sent" in err and "Traceback" not in err
    assert book.read_bytes() == before


def test_a_full_disk_during_a_save_is_one_error_line_and_leaves_the_book(book, capsys,
                                                                         monkeypatch):
    import errno
    import os

    before = book.read_bytes()
    real_fsync = os.fsync

    def full_disk(fd):
        """The disk fills while the new version is flushed (where ENOSPC shows on most
        file systems, which allocate blocks late)."""
        if os.fstat(fd).st_size > 4096:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    status = main(["refresh", str(book), "--as-of", "2026-11-23"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("Error: ") == 1 and "No space left on device" in err, err
    assert book.read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()) == [book.name]


@pytest.mark.parametrize("command", [
    ["log", "--customer", "CAS03", "--outcome", "voicemail", "--as-of", "2026-11-23"],
    ["worklist", "--as-of", "2026-11-23"],
    ["plan", "--customer", "CAS03", "--instalments", "2", "--start", "2026-12-15",
     "--as-of", "2026-11-23"],
    ["remind", "--dry-run", "--now", "2026-11-23T09:00+00:00"],
])
def test_a_full_disk_is_one_error_line_for_every_command_that_writes(book, capsys,
                                                                     monkeypatch, command):
    """ENOSPC from the first flush of anything written: the book, the drafts, the outbox."""
    import errno
    import os

    before = book.read_bytes()

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    status = main([command[0], str(book), *command[1:]])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert status != 0 and "Traceback" not in err
    assert err.count("Error: ") == 1 and "No space left on device" in err, err
    assert book.read_bytes() == before
    assert not [p.name for p in book.parent.rglob("*dunning-tmp*")]


def test_an_unforeseen_failure_is_one_line_with_what_to_do(book, capsys, monkeypatch):
    from dunning.app import actions

    def broken(*args, **options):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(actions, "refresh", broken)
    monkeypatch.delenv("DUNNING_DEBUG", raising=False)
    assert main(["refresh", str(book)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Error: unexpected problem (ZeroDivisionError: division by zero)")
    assert "DUNNING_DEBUG=1" in err and "Traceback" not in err


def test_plan_and_log_take_the_moment_of_the_command(book, capsys):
    from dunning.core.contactlog import CONTACT_LOG_TABLE
    from dunning.io.reading import read_table_frame

    assert main(["log", str(book), "--customer", "CAS03", "--outcome", "voicemail",
                 "--now", "2031-02-03T14:15+01:00"]) == 0
    assert main(["log", str(book), "--customer", "CAS03", "--outcome", "voicemail",
                 "--as-of", "2031-02-04"]) == 0
    log = read_table_frame(book, CONTACT_LOG_TABLE)
    stamps = [str(value) for value in log.iloc[-2:, 0]]
    assert stamps[0].startswith("2031-02-03 13:15")  # naive UTC, as the reminder run logs
    assert stamps[1].startswith("2031-02-04")


def test_help_loads_no_pandas_openpyxl_or_scikit_learn():
    """Each command imports what it needs when it runs, so `--help` answers at once."""
    code = ("import sys\nfrom dunning.cli import main\n"
            "for argv in (['--help'], ['remind', '--help'], ['aging', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in ('pandas', 'openpyxl', 'sklearn', 'xlwings', 'jinja2')"
            " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_running_out_of_memory_is_one_line_with_what_to_do(book, capsys, monkeypatch):
    from dunning.app import actions

    def too_big(*args, **options):
        raise MemoryError

    monkeypatch.setattr(actions, "refresh", too_big)
    before = book.read_bytes()
    assert main(["refresh", str(book)]) == 1
    err = capsys.readouterr().err
    assert err.count("Error: ") == 1 and "more memory than this computer has free" in err
    assert "Traceback" not in err and book.read_bytes() == before


def test_many_alike_send_troubles_print_a_few_and_a_count(capsys):
    from types import SimpleNamespace

    from dunning.cli import _remind_status

    results = [SimpleNamespace(customer=f"C{n}", outcome="not attempted", key=f"C{n}|firm|d",
                               error="this run stopped trying the server") for n in range(200)]
    report = SimpleNamespace(results=results, doubts=[], unsaved="")
    assert _remind_status(SimpleNamespace(book="Book.xlsx"), report) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4 and lines[-1] == "Warning: ... and 197 more not attempted"


def test_output_cut_short_by_the_reader_is_no_error(book):
    """`dunning worklist BOOK | head -2`: the pipe closes early; no Error line, status 0."""
    command = [sys.executable, "-c", "import sys; from dunning.cli import main; "
               "sys.exit(main(sys.argv[1:]))", "worklist", str(book), "--print-only",
               "--as-of", "2026-11-23"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run.stdout.close()  # the reader is gone before anything is printed
    err = run.stderr.read().decode()
    assert run.wait(timeout=60) == 0 and "Error" not in err and "Traceback" not in err


def test_every_commands_help_and_a_csv_aging_load_only_what_they_need(tmp_path):
    """`--help` of every command loads no heavy library; `aging` and `kpis` of a CSV export
    load pandas (and Arrow, which reads the file) but no openpyxl, scikit-learn or xlwings."""
    export = tmp_path / "export.csv"
    export.write_text("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
                      "I1,A,2024-01-31,2024-02-29,100\n", encoding="utf-8")
    code = ("import argparse, sys\nfrom dunning import cli\n"
            "names = [n for a in cli._parser()._actions\n"
            "         if isinstance(a, argparse._SubParsersAction) for n in a.choices]\n"
            "for name in names:\n"
            "    try:\n        cli.main([name, '--help'])\n    except SystemExit:\n        pass\n"
            "heavy = ('pandas', 'openpyxl', 'sklearn', 'xlwings', 'jinja2', 'pyarrow')\n"
            "print('HELP', len(names), sorted(m for m in heavy if m in sys.modules))\n"
            f"for command in ('aging', 'kpis'):\n"
            f"    assert cli.main([command, {str(export)!r}, '--as-of', '2024-03-31']) == 0\n"
            "print('LOADED', sorted(m for m in heavy if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    said = {line.split()[0]: line for line in done.stdout.splitlines()
            if line.startswith(("HELP ", "LOADED "))}
    assert int(said["HELP"].split()[1]) >= 8 and said["HELP"].endswith("[]"), said
    assert said["LOADED"] == "LOADED ['pandas', 'pyarrow']"


def test_remind_all_is_also_remind_with_all(tmp_path, book, capsys):
    import shutil

    folder = tmp_path / "clients"
    (folder / "north").mkdir(parents=True)
    shutil.copy(book, folder / "Alpha.xlsx")
    shutil.copy(book, folder / "north" / "Beta.xlsx")
    now = ["--dry-run", "--now", DEMO_NOW.isoformat()]
    assert main(["remind-all", str(folder), *now]) == 0
    named = capsys.readouterr()
    assert main(["remind", "--all", str(folder), *now]) == 0
    alias = capsys.readouterr()
    assert (alias.out, alias.err) == (named.out, named.err)
    assert len(alias.out.splitlines()) == 3  # a line per client and the summary
    assert main(["remind", "--all", str(folder), "--settle", "C1|firm|2026-11-23=sent"]) == 1
    assert "--settle and --drafts name one workbook" in capsys.readouterr().err


def _command(*argv: str) -> subprocess.CompletedProcess:
    """`python -m dunning.cli ARGV` as a separate process, the way the console script runs."""
    return subprocess.run([sys.executable, "-m", "dunning.cli", *argv], capture_output=True,
                          text=True, timeout=120)


def test_a_report_command_run_as_a_process_prints_all_of_its_output(book, capsys):
    """`aging` and `kpis` end without the interpreter's teardown (`_leave`): their whole output
    still arrives through a pipe, their status is kept, and so is an error's message."""
    for command in ("aging", "kpis"):
        assert main([command, str(book), "--as-of", "2026-11-23"]) == 0
        expected = capsys.readouterr().out
        done = _command(command, str(book), "--as-of", "2026-11-23")
        assert (done.returncode, done.stdout, done.stderr) == (0, expected, "")
    missing = _command("aging", str(book.with_name("Missing.xlsx")), "--as-of", "2026-11-23")
    assert missing.returncode == 1 and missing.stderr.startswith("Error: ")
    assert "Missing.xlsx" in missing.stderr and "Traceback" not in missing.stderr


def test_only_commands_that_write_nothing_skip_the_teardown(book):
    from dunning.cli import _main

    assert _main(["aging", str(book), "--as-of", "2026-11-23"]) == (0, True)
    assert _main(["kpis", str(book), "--as-of", "2026-11-23"]) == (0, True)
    assert _main(["worklist", str(book), "--as-of", "2026-11-23"]) == (0, False)


def test_leaving_early_runs_the_exit_handlers_flushes_and_waits_for_a_working_thread():
    code = ("import atexit, sys, threading, time\nfrom dunning.cli import _leave\n"
            "atexit.register(lambda: print('handler ran'))\n"
            "print('buffered output')\nprint('a warning', file=sys.stderr)\n"
            "if sys.argv[1] == 'thread':\n"
            "    threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
            "_leave(5)\n")
    alone = subprocess.run([sys.executable, "-c", code, "alone"], capture_output=True, text=True,
                           timeout=60)
    assert alone.returncode == 5
    assert alone.stdout == "buffered output\nhandler ran\n" and alone.stderr == "a warning\n"
    waited = subprocess.run([sys.executable, "-c", code, "thread"], capture_output=True,
                            text=True, timeout=60)
    assert waited.returncode == 5 and "thread done" in waited.stdout
    assert "handler ran" in waited.stdout


# ------------------------------------------------------------ a new user's review


def _clock_at(monkeypatch, moment: dt.datetime) -> None:
    """The computer's clock, as the command line reads it, stopped at `moment`."""
    from dunning import cli

    monkeypatch.setattr(cli, "wall_clock", lambda: moment)


def _drafts(folder) -> dict[str, str]:
    """Each draft's customer and Date header, and the outbox report's text."""
    from email import message_from_bytes, policy

    drafts = {path.name.split("_")[1]: message_from_bytes(path.read_bytes(),
                                                          policy=policy.default)["Date"]
              for path in folder.glob("*.eml")}
    return {**drafts, "outbox": (folder / "outbox.csv").read_text(encoding="utf-8-sig")}


def test_a_preview_with_as_of_replays_that_day_at_noon_whatever_the_clock(book, tmp_path,
                                                                           capsys, monkeypatch):
    """A nightly job previews at 02:00: `--as-of D` is noon of D, as `worklist --as-of D`
    takes it, so the send windows and the drafts' Date are the replayed day's."""
    from email.utils import parsedate_to_datetime

    noon = dt.datetime.combine(DEMO_AS_OF, dt.time(12)).astimezone()
    _clock_at(monkeypatch, dt.datetime(2026, 11, 24, 2, tzinfo=dt.timezone.utc))
    assert main(["remind", str(book), "--dry-run", "--as-of", "2026-11-23",
                 "--drafts", str(tmp_path / "replay")]) == 0
    assert main(["remind", str(book), "--dry-run", "--now", noon.isoformat(),
                 "--drafts", str(tmp_path / "noon")]) == 0
    capsys.readouterr()
    replay, at_noon = _drafts(tmp_path / "replay"), _drafts(tmp_path / "noon")
    assert replay == at_noon and len(replay) > 1
    assert {parsedate_to_datetime(date) for name, date in replay.items()
            if name != "outbox"} == {noon}


def test_a_real_send_judged_as_of_another_day_warns_that_it_sends_now(book, server,
                                                                       monkeypatch, capsys):
    """The sends happen at the clock's moment (the send windows hold for the real delivery
    time), and a day other than today says so; today's --as-of says nothing more."""
    from email.utils import parsedate_to_datetime

    clock = dt.datetime(2026, 11, 24, 10, 30, tzinfo=dt.timezone.utc)
    _clock_at(monkeypatch, clock)
    settings = server.settings()
    monkeypatch.setenv("SSL_CERT_FILE", settings.cafile)
    smtp = ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port), "--smtp-user",
            settings.user, "--silent"]
    main(["remind", str(book), "--as-of", "2026-11-23", *smtp])
    err = capsys.readouterr().err
    assert "Warning: --as-of 2026-11-23 is not today" in err
    assert "sent now, 2026-11-24 10:30 +0000" in err and "add --dry-run" in err
    assert server.messages
    assert {parsedate_to_datetime(m.message["Date"]) for m in server.messages} == {clock}
    main(["remind", str(book), "--as-of", "2026-11-24", *smtp])
    assert "is not today" not in capsys.readouterr().err


@pytest.mark.parametrize("command", [
    ["log", "--customer", "CAS03", "--outcome", "voicemail"],
    ["plan", "--customer", "CAS03", "--instalments", "2", "--start", "2026-12-15"],
    ["worklist", "--print-only"],
    ["remind", "--dry-run"],
])
def test_as_of_and_now_are_one_or_the_other(book, capsys, command):
    before = book.read_bytes()
    with pytest.raises(SystemExit) as stopped:
        main([command[0], str(book), *command[1:], "--as-of", "2026-11-23",
              "--now", "2026-11-24T09:30+01:00"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--now" in err and "not allowed with argument --as-of" in err
    assert "[--as-of AS_OF | --now NOW]" in err
    assert book.read_bytes() == before


def test_worklist_at_a_moment_prints_its_date_not_today(book, capsys):
    assert main(["worklist", str(book), "--print-only", "--now", "2026-12-10T09:30+01:00"]) == 0
    assert capsys.readouterr().out.startswith("Worklist for 2026-12-10: ")


def test_the_text_reports_say_the_currency_they_show(capsys):
    from datasets import HIGHRADIUS

    path = str(dataset_path(HIGHRADIUS))
    for command, title in (("aging", "Aging by customer as of 2020-03-31 (days past due)"),
                           ("kpis", "Receivables KPIs as of 2020-03-31 (period: the 365 days "
                                    "to that date)")):
        assert main([command, path, "--as-of", "2020-03-31", "--currency", "USD"]) == 0
        assert capsys.readouterr().out.splitlines()[0] == f"{title}, amounts in USD"
    assert main(["aging", path, "--as-of", "2020-03-31", "--currency", "USD", "--json"]) == 0
    assert "amounts in" not in capsys.readouterr().out


@pytest.mark.parametrize("command", [["aging"], ["kpis"], ["worklist", "--print-only"],
                                     ["refresh"], ["remind", "--dry-run"]])
def test_a_folder_named_like_a_workbook_is_called_a_folder(tmp_path, capsys, command):
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    assert main([command[0], str(folder), *command[1:], "--as-of", "2026-11-23"]) == 1
    assert capsys.readouterr().err == ("Error: folder.xlsx is a folder, not a workbook file: "
                                       "name the workbook (.xlsx, .xlsm) itself\n")
    assert list(folder.iterdir()) == []
