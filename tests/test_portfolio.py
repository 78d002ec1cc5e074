"""The firm's portfolio: every client workbook in a folder (and below) rolled up into one file.

Each client's figures are computed again here, independently, through the client's own
`open_book` + `all_kpis` / `aging_tables` (what `dunning kpis` and `dunning aging` print),
and compared with the Portfolio workbook as python-calamine reads it back.
"""

import datetime as dt
import zipfile
from xml.etree import ElementTree

import pandas as pd
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from dunning.app import actions
from dunning.app.clients import client_workbooks
from dunning.app.portfolio import read_client, read_clients
from dunning.cli import main
from dunning.core.aging import TOTAL, aging_tables
from dunning.core.contactlog import CONTACT_LOG_HEADERS, contact_log_frame
from dunning.core.portfolio import ClientFigures, last_run, roll_up
from dunning.demo import SAMPLE_AS_OF, SAMPLE_SETTINGS, sample_customers, sample_invoices
from dunning.io.book import open_book
from dunning.io.client_workbook import build_workbook

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)


def client_book(path, client, *, currency="EUR", keep=None):
    """A client workbook from the sample: `keep` rows of it, in `currency`."""
    invoices = sample_invoices()
    if keep is not None:
        invoices = invoices.iloc[keep].reset_index(drop=True)
    invoices = invoices.assign(Currency=currency)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(path, client=client, invoices=invoices, customers=sample_customers(),
                   as_of=SAMPLE_AS_OF, settings=SAMPLE_SETTINGS)
    return path


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "clients"
    client_book(root / "Alpha.xlsx", "Alpha Ltd")
    client_book(root / "north" / "Beta.xlsx", "Beta GmbH", currency="USD", keep=slice(0, 150))
    client_book(root / "north" / "deep" / "Gamma.xlsx", "=Gamma", keep=slice(100, 310))
    (root / "Corrupt.xlsx").write_bytes(b"PK\x03\x04 this is not a whole zip")
    (root / "~$Alpha.xlsx").write_bytes(b"owner file")
    (root / ".~lock.Alpha.xlsx#").write_text("someone", encoding="utf-8")
    backups = root / ".dunning-backups"
    backups.mkdir()
    (backups / "Alpha.1.xlsx").write_bytes((root / "Alpha.xlsx").read_bytes())
    return root


def sheet_records(path, name):
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    header = rows[3]
    return [dict(zip(header, row, strict=True)) for row in rows[4:] if any(row)]


def test_only_client_workbooks_are_found_nested_folders_included(folder):
    found = [p.relative_to(folder).as_posix() for p in client_workbooks(folder)]
    assert found == ["Alpha.xlsx", "Corrupt.xlsx", "north/Beta.xlsx", "north/deep/Gamma.xlsx"]


def test_portfolio_totals_agree_with_each_clients_own_figures(folder, tmp_path, capsys):
    out = folder / "Portfolio.xlsx"
    assert main(["portfolio", str(folder), "--out", str(out), "--as-of", "2026-11-23",
                 "--now", NOW.isoformat()]) == 0
    said = capsys.readouterr()
    assert "3 of 4 client workbook(s) read" in said.out and "Corrupt.xlsx" in said.out
    # the terminal says why each unread workbook could not be read, not only its name
    assert [line.split(":")[:2] for line in said.err.splitlines() if "Corrupt" in line] == [
        ["Warning", " Corrupt.xlsx"]]
    assert "could not be read: " in said.err
    rows = {r["File"]: r for r in sheet_records(out, "Clients")}
    assert set(rows) == {"Alpha.xlsx", "Corrupt.xlsx", "north/Beta.xlsx",
                         "north/deep/Gamma.xlsx"}
    for file, client in (("Alpha.xlsx", "Alpha Ltd"), ("north/Beta.xlsx", "Beta GmbH"),
                         ("north/deep/Gamma.xlsx", "=Gamma")):
        row, path = rows[file], folder / file
        book = open_book(path, as_of=SAMPLE_AS_OF)  # the client's own figures
        from dunning.core.ledger_kpis import all_kpis

        own = all_kpis(book.frame, SAMPLE_AS_OF)
        amounts, _ = aging_tables(book.frame, SAMPLE_AS_OF)
        assert row["Client"] == client  # from Settings; "=Gamma" stays text
        assert row["Currency"] == book.frame["currency"].iloc[0]
        assert row["Open Receivables"] == pytest.approx(amounts.at[TOTAL, TOTAL], abs=0.005)
        assert row["Open Receivables"] == pytest.approx(float(own["receivables"]), abs=0.005)
        assert row["Past Due"] == pytest.approx(float(own["past_due_receivables"]), abs=0.005)
        assert row["DSO (days)"] == pytest.approx(float(own["dso"]), abs=0.0001)
        assert row["CEI"] == pytest.approx(float(own["cei"]) / 100, abs=1e-6)
        ranked = actions.worklist(path, now=NOW, as_of=SAMPLE_AS_OF, write=False).data
        assert row["Worklist"] == len(ranked)
        assert row["Broken Promises"] == int((ranked["broken_promise"] > 0).sum())
        assert row["Error"] == ""
    assert "Corrupt.xlsx is damaged" in rows["Corrupt.xlsx"]["Error"]
    totals = {r["Currency"]: r for r in sheet_records(out, "Totals")}
    eur = sum(rows[f]["Open Receivables"] for f in ("Alpha.xlsx", "north/deep/Gamma.xlsx"))
    assert totals["EUR"]["Open Receivables"] == pytest.approx(eur, abs=0.005)
    assert totals["EUR"]["Clients"] == 2 and totals["USD"]["Clients"] == 1
    assert totals["USD"]["Past Due"] == pytest.approx(rows["north/Beta.xlsx"]["Past Due"])
    worklist = sheet_records(out, "Worklist")
    assert len(worklist) == sum(rows[f]["Worklist"] for f in rows if not rows[f]["Error"])
    scores = [r["Score"] for r in worklist]
    assert scores == sorted(scores, reverse=True)


def test_the_portfolio_reads_like_a_report_with_native_charts(folder):
    out = folder / "Portfolio.xlsx"
    assert main(["portfolio", str(folder), "--out", str(out), "--now", NOW.isoformat()]) == 0
    book = load_workbook(out)
    clients = book["Clients"]
    assert clients["A2"].value.startswith("As of 2026-11-23; made 2026-11-23 10:00")
    assert clients.freeze_panes == "B5"
    assert clients["D4"].value == "Open Receivables" and clients["D4"].font.bold
    money_cells = [clients.cell(r, 4) for r in range(5, clients.max_row + 1)
                   if clients.cell(r, 4).value is not None]
    assert money_cells and all(c.number_format.startswith("#,##0.00 \"") for c in money_cells)
    assert clients["F5"].number_format == "0.0%"
    assert clients.column_dimensions["A"].width >= len("Alpha Ltd")
    gamma = next(r for r in range(5, clients.max_row + 1) if clients.cell(r, 2).value ==
                 "north/deep/Gamma.xlsx")
    assert clients.cell(gamma, 1).data_type == "s"  # "=Gamma" is text, not a formula
    with zipfile.ZipFile(out) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        xml = archive.read(charts[0]).decode()
    assert len(charts) == 4  # EUR and USD: amounts and DSO each
    tree = ElementTree.fromstring(xml)  # the part is well-formed XML
    spec = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    assert tree.find(f".//{spec}barChart") is not None
    refs = [f.text for f in tree.iter(f"{spec}f")]
    eur = sorted(r["File"] for r in sheet_records(out, "Clients") if r["Currency"] == "EUR")
    last = 4 + len(eur)  # the EUR block: header in row 4, one row per EUR client
    assert f"Charts!$A$5:$A${last}" in refs and f"Charts!$B$5:$B${last}" in refs
    assert f"Charts!$C$5:$C${last}" in refs


def chart_parts(path):
    """Each chart part of a workbook: (title, [(series name, categories, values)], blanks)."""
    from lxml import etree

    c = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
    found = []
    with zipfile.ZipFile(path) as archive:
        names = sorted((n for n in archive.namelist() if n.startswith("xl/charts/chart")),
                       key=lambda n: int("".join(ch for ch in n if ch.isdigit())))
        for name in names:
            root = etree.fromstring(archive.read(name))  # raises unless well-formed
            title = "".join(root.find("c:chart/c:title", c).itertext())
            series = [(s.findtext("c:tx/c:v", namespaces=c),
                       s.findtext("c:cat//c:f", namespaces=c),
                       s.findtext("c:val//c:f", namespaces=c))
                      for s in root.iterfind(".//c:ser", c)]
            found.append((title, series, root.find("c:chart/c:dispBlanksAs", c).get("val")))
    return found


def cells(path, sheet, ref):
    """The values a chart reference ("Charts!$B$5:$B$9") names, as calamine reads them."""
    from dunning.io import split_range

    name, r1, c1, r2, c2 = split_range(ref)
    assert name == sheet
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)
    return [rows[r - 1][c - 1] if c - 1 < len(rows[r - 1]) else "" for r in range(r1, r2 + 1)
            for c in range(c1, c2 + 1)]


def test_the_portfolio_charts_each_clients_dso_and_cei_over_time(folder):
    from dunning.core.kpi_history import HISTORY_HEADERS

    days = {"Alpha.xlsx": [dt.date(2026, 9, 30), dt.date(2026, 10, 31), SAMPLE_AS_OF,
                           dt.date(2026, 12, 31)],  # a day after the portfolio's: not shown
            "north/deep/Gamma.xlsx": [dt.date(2026, 10, 15), SAMPLE_AS_OF],
            "north/Beta.xlsx": [SAMPLE_AS_OF]}
    recorded = {}
    for owner in ("~$Alpha.xlsx", ".~lock.Alpha.xlsx#"):  # Alpha is closed for its refreshes
        (folder / owner).unlink()
    for file, dates in days.items():
        for day in dates:
            actions.refresh(folder / file, as_of=day, now=NOW)
        table = CalamineWorkbook.from_path(str(folder / file), load_tables=True).get_table_by_name(
            "KPIHistory")
        recorded[file] = {row[0]: dict(zip(HISTORY_HEADERS, row, strict=True))
                          for row in table.to_python()}
    out = folder / "Portfolio.xlsx"
    assert main(["portfolio", str(folder), "--out", str(out), "--as-of", "2026-11-23",
                 "--now", NOW.isoformat()]) == 0
    parts = chart_parts(out)
    assert [title for title, _, _ in parts] == [
        "Open and past due by client (EUR)", "DSO by client (EUR)", "DSO over time (EUR)",
        "CEI over time, last 30 days (EUR)", "Open and past due by client (USD)",
        "DSO by client (USD)", "DSO over time (USD)", "CEI over time, last 30 days (USD)"]
    dso_eur, cei_eur = parts[2], parts[3]
    assert [name for name, _, _ in dso_eur[1]] == ["Alpha Ltd", "=Gamma"]
    assert dso_eur[2] == "span"  # a client without a row that day does not break the line
    shown_days = [dt.date(2026, 9, 30), dt.date(2026, 10, 15), dt.date(2026, 10, 31),
                  SAMPLE_AS_OF]
    for (_, dates, values), file in zip(dso_eur[1], ["Alpha.xlsx", "north/deep/Gamma.xlsx"],
                                           strict=True):
        read_days = [d.date() if isinstance(d, dt.datetime) else d
                     for d in cells(out, "Charts", dates)]
        assert read_days == shown_days
        own = recorded[file]
        expected = [own[d]["DSO"] if d in own else "" for d in shown_days]
        assert cells(out, "Charts", values) == [v if v == "" else pytest.approx(v)
                                                for v in expected]
    alpha = recorded["Alpha.xlsx"]
    assert cells(out, "Charts", cei_eur[1][0][2]) == [
        pytest.approx(alpha[d]["CEI Last 30 Days"]) if d in alpha else "" for d in shown_days]
    usd = parts[6][1]
    assert [name for name, _, _ in usd] == ["Beta GmbH"]
    assert cells(out, "Charts", usd[0][2]) == pytest.approx(
        [recorded["north/Beta.xlsx"][SAMPLE_AS_OF]["DSO"]])


def test_a_second_run_skips_the_portfolio_it_wrote_wherever_it_is_named(folder, capsys):
    assert main(["portfolio", str(folder), "--out", str(folder / "Roll-up.xlsx"),
                 "--now", NOW.isoformat()]) == 0
    assert main(["portfolio", str(folder), "--out", str(folder / "Again.xlsx"),
                 "--now", NOW.isoformat()]) == 0
    assert "4 client workbook(s)" in capsys.readouterr().out.splitlines()[-1]
    assert [p.name for p in client_workbooks(folder)] == [
        "Alpha.xlsx", "Corrupt.xlsx", "Beta.xlsx", "Gamma.xlsx"]


def test_an_unreadable_workbook_is_named_and_the_others_still_report(folder):
    paths = client_workbooks(folder)
    clients = read_clients(paths, SAMPLE_AS_OF, NOW, root=folder, workers=2)
    [bad] = [c for c in clients if c.error]
    assert bad.file == "Corrupt.xlsx" and bad.ledger is None
    assert all(c.ledger is not None for c in clients if c is not bad)
    assert [c.file for c in clients] == [str(p.relative_to(folder)) for p in paths]
    alone = read_client(folder / "Corrupt.xlsx", SAMPLE_AS_OF, NOW, folder)
    assert alone.error == bad.error


def test_a_folder_without_clients_is_refused(tmp_path, capsys):
    assert main(["portfolio", str(tmp_path), "--out", str(tmp_path / "P.xlsx")]) == 1
    assert "holds no client workbooks" in capsys.readouterr().err
    assert main(["portfolio", str(tmp_path / "nowhere")]) == 1


def test_last_run_is_read_from_the_contact_log_and_the_journal():
    log = contact_log_frame(pd.DataFrame({
        **{header: [""] * 5 for header in CONTACT_LOG_HEADERS},
        "Timestamp": [dt.datetime(2026, 11, 20, 9), dt.datetime(2026, 11, 23, 9),
                      dt.datetime(2026, 11, 23, 9), dt.datetime(2026, 11, 23, 9),
                      dt.datetime(2026, 11, 24, 15)],
        "Customer": ["A", "A", "B", "C", "A"],
        "Outcome": ["sent", "sent", "failed", "sent", "left voicemail"],
    }))
    assert last_run(log) == (dt.datetime(2026, 11, 23, 9), "2 sent, 1 failed")
    assert last_run(log, in_doubt=1)[1] == "2 sent, 1 failed, 1 in doubt"
    assert last_run(None) == (None, "no run logged")


def test_roll_up_keeps_currencies_apart():
    from dunning.core.ledger import build_ledger

    frame = build_ledger(pd.DataFrame({
        "Invoice No": ["1", "2"], "Customer": ["C", "C"], "Invoice Date": ["2026-10-01"] * 2,
        "Due Date": ["2026-10-31"] * 2, "Amount": ["100.00", "50.00"],
        "Currency": ["EUR", "USD"]})).frame
    rolled = roll_up([ClientFigures("X", "x.xlsx", ledger=frame),
                      ClientFigures("Y", "y.xlsx", error="cannot be read")],
                     dt.date(2026, 11, 23))
    assert list(rolled.clients["currency"]) == ["EUR", "USD", ""]
    assert dict(zip(rolled.totals["currency"], rolled.totals["open_receivables"],
                    strict=True)) == {"EUR": 100.0, "USD": 50.0}
    assert rolled.failed == ("y.xlsx",)


def test_sends_the_journal_holds_but_the_contact_log_lacks_are_reported(book):
    from dunning.app.remind import journal_path
    from dunning.mail.journal import Journal

    with Journal(journal_path(book), clock=lambda: NOW) as journal:
        journal.intend("ALP01|friendly|2026-11-23", "<m1@example>")
        journal.sent("ALP01|friendly|2026-11-23", "<m1@example>")
        journal.intend("BRW02|friendly|2026-11-23", "<m2@example>")  # killed mid-send
    client = read_client(book, SAMPLE_AS_OF, NOW)
    assert (client.in_doubt, client.unlogged) == (1, 1)
    [row] = roll_up([client], SAMPLE_AS_OF).clients.to_dict("records")
    assert row["last_run_status"] == "1 sent, not yet logged, 1 in doubt"
    assert "1 reminder(s) sent, not yet logged: close the workbook" in row["problems"]
    assert "1 send(s) in doubt" in row["problems"]


def test_workbooks_are_read_in_parallel_processes_with_the_same_figures(folder, monkeypatch):
    import os
    from concurrent.futures import ProcessPoolExecutor

    from dunning.app import portfolio as app

    pools, pids = [], set()

    class Recorded(ProcessPoolExecutor):
        def __init__(self, max_workers=None):
            pools.append(max_workers)
            super().__init__(max_workers=max_workers)

        def submit(self, fn, *args, **kwargs):
            future = super().submit(fn, *args, **kwargs)
            pids.add(super().submit(os.getpid).result())
            return future

    monkeypatch.setattr(app, "ProcessPoolExecutor", Recorded)
    paths = client_workbooks(folder)
    together = read_clients(paths, SAMPLE_AS_OF, NOW, root=folder, workers=2)
    assert pools == [2] and pids and os.getpid() not in pids  # read by other processes
    alone = [read_client(path, SAMPLE_AS_OF, NOW, folder) for path in paths]
    assert [(c.client, c.file, c.error) for c in together] == [
        (c.client, c.file, c.error) for c in alone]
    for mine, theirs in zip(together, alone, strict=True):
        if theirs.ledger is not None:
            pd.testing.assert_frame_equal(mine.ledger, theirs.ledger)
            assert mine.history == theirs.history
