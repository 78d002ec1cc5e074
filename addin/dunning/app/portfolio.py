"""`dunning portfolio FOLDER`: every client workbook in a folder read, rolled up, written.

Each workbook is read in its own process (`concurrent.futures.ProcessPoolExecutor`):
its ledger, today's worklist, its ContactLog, its KPIHistory and its send journal's
doubts. The reading function is pure of the clock (it is given the as-of date and the
moment of the run), so the same folder on the same date always gives the same
portfolio. A workbook that cannot be read becomes a row naming its error; the others
still report. The roll-up is `dunning.core.portfolio`, the file `dunning.io.portfolio_book`.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from dunning.app.actions import ActionResult, recorded_history, worklist
from dunning.app.clients import client_workbooks, no_clients
from dunning.app.remind import journal_path, read_run_inputs
from dunning.core.errors import DunningInputError, Issue
from dunning.core.portfolio import ClientFigures, Portfolio, roll_up
from dunning.io.book import open_book
from dunning.io.portfolio_book import write_portfolio
from dunning.io.workbook import opened
from dunning.mail.journal import Journal

PROBLEMS_KEPT = 20


def read_client(path: Path, as_of: dt.date, now: dt.datetime, root: Path | None = None
                ) -> ClientFigures:
    """One client's figures, or its error: never raises for a workbook that cannot be read."""
    file = str(path.relative_to(root)) if root is not None else path.name
    try:
        with opened(path) as workbook:  # read once, used by each reader below
            inputs = read_run_inputs(workbook, as_of=as_of, preview=True)
            ranked = worklist(workbook, now=now, as_of=as_of, write=False)
            settings_client = open_book(workbook, all_currencies=True).settings.client.strip()
            history = tuple(tuple(row) for row in recorded_history(workbook))
        in_doubt, unlogged = journal_state(journal_path(path), inputs.log)
        problems = tuple(str(issue) for issue in inputs.issues[:PROBLEMS_KEPT])
        return ClientFigures(client=settings_client or path.stem, file=file,
                             ledger=inputs.ledger, worklist=ranked.data, log=inputs.log,
                             in_doubt=in_doubt, unlogged=unlogged, problems=problems,
                             history=history)
    except DunningInputError as error:
        return ClientFigures(client=path.stem, file=file, error="; ".join(
            str(issue) for issue in error.issues[:3]) + (
            f" (and {len(error.issues) - 3} more)" if len(error.issues) > 3 else ""))
    except Exception as error:  # noqa: BLE001 - any unreadable workbook is named, not fatal
        why = str(error) or type(error).__name__
        return ClientFigures(client=path.stem, file=file,
                             error=f"cannot be read ({type(error).__name__}: {why})")


def journal_state(path: Path, log: pd.DataFrame) -> tuple[int, int]:
    """From a send journal: how many sends are in doubt, and how many it shows sent that the
    ContactLog does not show (the next `dunning remind` writes their rows)."""
    if not path.exists():
        return 0, 0
    journal = Journal.read(path)
    logged = set(log.loc[log["outcome"] == "sent", "message_id"])
    unlogged = {record["key"] for record in journal.entries()
                if record.get("key") and journal.state(record["key"]) == "sent"
                and (journal.latest(record["key"]) or {}).get("message_id") not in logged}
    return len(journal.in_doubt()), len(unlogged)


def read_clients(paths: list[Path], as_of: dt.date, now: dt.datetime, *, root: Path,
                 workers: int | None = None) -> list[ClientFigures]:
    """Every client read in parallel processes, returned in the order of `paths`."""
    workers = workers or min(len(paths), os.cpu_count() or 1)
    if workers <= 1 or len(paths) <= 1:
        return [read_client(path, as_of, now, root) for path in paths]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(read_client, path, as_of, now, root) for path in paths]
        found = []
        for path, future in zip(paths, futures, strict=True):
            try:
                found.append(future.result())
            except Exception as error:  # noqa: BLE001 - a worker that died (memory, a crash)
                found.append(ClientFigures(client=path.stem, file=str(path.relative_to(root)),
                                           error=f"its reader stopped ({type(error).__name__}: "
                                                 f"{error})"))
        return found


def portfolio(folder: str | Path, out: str | Path, *, as_of: dt.date, now: dt.datetime,
              days: int = 365, workers: int | None = None) -> ActionResult:
    """Read every client workbook under `folder` and write the roll-up workbook `out`."""
    root, out = Path(folder), Path(out)
    paths = client_workbooks(root, skip=[out])
    if not paths:
        raise no_clients(root)
    clients = read_clients(paths, as_of, now, root=root, workers=workers)
    rolled: Portfolio = roll_up(clients, as_of, days=days)
    write_portfolio(out, rolled, as_of=as_of, made=now)
    unread = tuple(Issue(f"could not be read: {client.error}", severity="warning",
                         sheet=client.file) for client in clients if client.error)
    failed = f"; {len(unread)} could not be read: {', '.join(rolled.failed)} (why: on its " \
        "Clients sheet)" if unread else ""
    return ActionResult("Portfolio", f"{len(paths) - len(unread)} of {len(paths)} client "
                        f"workbook(s) read as of {as_of:%Y-%m-%d}, written to {out}{failed}.",
                        data=rolled, warnings=unread)
