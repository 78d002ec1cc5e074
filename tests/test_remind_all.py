"""`dunning remind-all FOLDER`: three clients, one broken, through real yagmail to a loopback
aiosmtpd server; each client keeps its own journal and ContactLog, the broken one is named."""

import datetime as dt
import shutil
from dataclasses import asdict

import pytest
from python_calamine import CalamineWorkbook

pytest.importorskip("cryptography", reason="the loopback SMTP server makes its certificate "
                    "with the cryptography package (pip install '.[test]')")

from dunning.app import remind  # noqa: E402
from dunning.app.remind_all import remind_all, worst  # noqa: E402
from dunning.cli import main  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)  # a Monday, in the window


@pytest.fixture
def folder(tmp_path, book):
    root = tmp_path / "clients"
    (root / "north").mkdir(parents=True)
    shutil.copy(book, root / "Alpha.xlsx")
    shutil.copy(book, root / "north" / "Beta.xlsx")
    (root / "Broken.xlsx").write_bytes(b"PK\x03\x04 not a whole workbook")
    return root


def smtp_args(server, monkeypatch):
    settings = server.settings()
    monkeypatch.setenv("SSL_CERT_FILE", settings.cafile)  # trust the test server's CA
    return ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port), "--smtp-user",
            settings.user, "--silent"]


def contact_log(path):
    found = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(
        "ContactLog")
    return [dict(zip(found.columns, row, strict=True)) for row in found.to_python()
            if any(cell not in ("", None) for cell in row)]


def test_each_client_runs_under_its_own_journal_and_the_broken_one_is_named(
        folder, server, monkeypatch, capsys):
    expected = {name: len(remind.preview(folder / name, folder / f"p-{i}", now=NOW).messages)
                for i, name in enumerate(("Alpha.xlsx", "north/Beta.xlsx"))}
    for i in range(2):
        shutil.rmtree(folder / f"p-{i}")
    status = main(["remind-all", str(folder), "--now", NOW.isoformat(),
                   *smtp_args(server, monkeypatch)])
    out = capsys.readouterr()
    assert status == 1, out.err
    lines = out.out.splitlines()
    assert len(lines) == 3  # one log line per client, in path order
    assert [line.split(" ", 2)[1] for line in lines] == [
        "Alpha.xlsx:", "Broken.xlsx:", "north/Beta.xlsx:"]
    assert "status 0" in lines[0] and "status 0" in lines[2]
    assert "status 1" in lines[1] and "Broken.xlsx is damaged" in lines[1]
    assert "remind-all: 3 client(s), 2 ok, 1 not; exit status 1" in out.err
    assert "Failed: Broken.xlsx (status 1)" in out.err
    assert len(server.messages) == sum(expected.values()) > 0
    for name, count in expected.items():
        path = folder / name
        assert path.with_name(f"{path.name}.dunning-journal.jsonl").exists()
        sent = [row for row in contact_log(path) if row["Outcome"] == "sent"]
        assert len(sent) == count

    again = main(["remind-all", str(folder), "--now", NOW.isoformat(),
                  *smtp_args(server, monkeypatch)])
    assert again == 1 and len(server.messages) == sum(expected.values())  # nothing twice
    capsys.readouterr()

    portfolio = folder / "Portfolio.xlsx"  # the portfolio sees the run in each ContactLog
    assert main(["portfolio", str(folder), "--out", str(portfolio), "--now",
                 NOW.isoformat()]) == 0
    rows = CalamineWorkbook.from_path(str(portfolio)).get_sheet_by_name("Clients").to_python()
    status_of = {row[1]: row[11] for row in rows[4:]}
    assert status_of["Alpha.xlsx"] == f"{expected['Alpha.xlsx']} sent"
    assert status_of["north/Beta.xlsx"].startswith(f"{expected['north/Beta.xlsx']} sent")


def test_a_dry_run_writes_each_clients_drafts_and_sends_nothing(folder, server, capsys):
    status = main(["remind-all", str(folder), "--dry-run", "--now", NOW.isoformat()])
    out = capsys.readouterr()
    assert status == 1 and "Broken.xlsx (status 1)" in out.err
    assert server.messages == []
    assert list((folder / "Alpha-drafts-2026-11-23").glob("*.eml"))
    assert list((folder / "north" / "Beta-drafts-2026-11-23").glob("*.eml"))


def test_a_client_open_in_excel_is_refused_and_the_others_still_send(folder, server,
                                                                      monkeypatch):
    (folder / "Broken.xlsx").unlink()
    (folder / "~$Alpha.xlsx").write_bytes(b"\x05someone" + b" " * 100)  # Alpha is open
    settings = server.settings()
    monkeypatch.setenv("SSL_CERT_FILE", settings.cafile)
    runs = remind_all(folder, now=NOW, smtp_overrides=asdict(settings))
    assert [(run.file, run.status) for run in runs] == [("Alpha.xlsx", 1),
                                                        ("north/Beta.xlsx", 0)]
    assert "open in Excel" in runs[0].error and server.messages


def test_the_worst_status_wins():
    assert worst([0, 0]) == 0
    assert worst([0, 2, 1]) == 1
    assert worst([2, 0]) == 2
    assert worst([1, 3, 2]) == 3
    assert worst([3, 4, 1]) == 4


def test_an_empty_folder_is_refused(tmp_path, capsys):
    assert main(["remind-all", str(tmp_path), "--dry-run"]) == 1
    assert "holds no client workbooks" in capsys.readouterr().err


def test_a_refused_address_is_named_on_the_clients_line_and_is_no_failure_the_next_day(
        tmp_path, book, monkeypatch, capsys):
    """Day 1 the refusal needs a look (2); day 2 nothing is tried at that address, the run is
    0, and the client's log line still names the customer held, so it is never silent."""
    from smtp_server import TEST_PASSWORD, Faults, LoopbackSmtp

    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", TEST_PASSWORD)
    root = tmp_path / "clients"
    root.mkdir()
    shutil.copy(book, root / "Alpha.xlsx")
    with LoopbackSmtp(tmp_path / "certs", faults=Faults(refuse={"a.roux@example.com"})) as srv:
        def run(days):
            moment = (NOW + dt.timedelta(days=days)).isoformat()
            status = main(["remind-all", str(root), "--now", moment, *smtp_args(srv, monkeypatch)])
            return status, capsys.readouterr().out

        status, out = run(0)
        assert status == 2 and "CAS03 failed" in out
        status, out = run(1)
        assert status == 0, out
        assert "1 held, their address refused for good (CAS03)" in out
        assert srv.refused == ["a.roux@example.com"]
