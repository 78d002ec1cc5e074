"""`dunning remind-all FOLDER`: each client's reminder run in turn, one log line each.

Every client is run exactly as `dunning remind BOOK` runs it (`dunning.app.remind`'s one
preview and one send), under its own workbook lock and send journal, so one client's
trouble (bad input, its workbook open, its server down) stops nothing for the others.

Exit statuses are `dunning remind`'s, per client (a `--dry-run` is 0 unless the client
could not be read, as `remind --dry-run` is), and the run's status is the worst of them,
in this order (most urgent first):
4 sent, not yet logged (close that workbook and run again; nothing is sent twice),
3 an unexpected failure (a bug: please report it),
1 nothing sent for that client (bad input, workbook open, no mail server),
2 finished, but something needs a look (a failure, a send in doubt),
0 all done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dunning.app import remind
from dunning.app.clients import client_workbooks, no_clients
from dunning.core.errors import DunningInputError
from dunning.mail.journal import JournalBusyError

OK, NOTHING_SENT, NEEDS_A_LOOK, UNEXPECTED, SENT_NOT_LOGGED = 0, 1, 2, 3, 4
SEVERITY = (SENT_NOT_LOGGED, UNEXPECTED, NOTHING_SENT, NEEDS_A_LOOK, OK)
"""Exit statuses, worst first: the run's status is the first of these any client has."""
TROUBLES = ("failed", "failed before", "not attempted")


@dataclass(frozen=True)
class ClientRun:
    """One client's run: its workbook, exit status, what it did (report) or why it stopped."""

    path: Path
    file: str
    status: int
    report: remind.RunReport | None = None
    error: str = ""

    def line(self) -> str:
        """The client's log line: file, status and what happened, on one line."""
        if self.report is None:
            return f"{self.file}: status {self.status}: {self.error}"
        first = self.report.summary().splitlines()[0]
        troubles = [r for r in self.report.results if r.outcome in TROUBLES]
        extra = []
        if troubles:
            extra.append(f"{len(troubles)} need a look ("
                         + ", ".join(f"{r.customer} {r.outcome}" for r in troubles[:3])
                         + (", ..." if len(troubles) > 3 else "") + ")")
        customers = self.report.decisions.customers
        held = (customers.loc[customers["refused"] != "", "customer"].tolist()
                if "refused" in customers.columns else [])
        if held:
            extra.append(f"{len(held)} held, their address refused for good ("
                         + ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
                         + "): fix it in the Customers table, or call")
        if self.report.doubts:
            extra.append(f"{len(self.report.doubts)} in doubt: settle with dunning remind "
                         f"{self.path} --settle KEY=sent")
        if self.report.unsaved:
            extra.append(f"sent, not yet logged ({self.report.unsaved})")
        return f"{self.file}: status {self.status}: {first}" + "".join(f" {e}." for e in extra)


def run_status(report: remind.RunReport) -> int:
    """A finished run's exit status: 4 sent but not saved, 2 something needs a look, else 0."""
    if report.unsaved:
        return SENT_NOT_LOGGED
    troubles = any(result.outcome in TROUBLES for result in report.results)
    return NEEDS_A_LOOK if troubles or report.doubts else OK


def worst(statuses: Sequence[int]) -> int:
    """The most urgent of several exit statuses (see the module docstring)."""
    return next((status for status in SEVERITY if status in statuses), OK)


def remind_all(
    folder: str | Path,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    as_of: dt.date | None = None,
    smtp_overrides: Mapping[str, object] | None = None,
    templates_dir: Path | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    start_at_due_stage: bool = False,
    on_client: Callable[[ClientRun], None] = lambda run: None,
) -> list[ClientRun]:
    """Run (or preview, with `dry_run`) every client's reminders in turn, in path order.

    `smtp_overrides` are the mail server fields (host, port, security, user, cafile) that
    win over each client's Settings, as `remind.send` takes them; `on_client` is told each
    run as it ends (the log line is written before the next client starts).
    """
    root = Path(folder)
    paths = client_workbooks(root)
    if not paths:
        raise no_clients(root)
    runs = []
    for path in paths:
        run = run_client(path, str(path.relative_to(root)), now=now, dry_run=dry_run,
                         as_of=as_of, templates_dir=templates_dir, clock=clock,
                         start_at_due_stage=start_at_due_stage, smtp_overrides=smtp_overrides)
        on_client(run)
        runs.append(run)
    return runs


def run_client(path: Path, file: str, *, now: dt.datetime, dry_run: bool,
               as_of: dt.date | None, templates_dir: Path | None,
               clock: Callable[[], dt.datetime] | None, start_at_due_stage: bool = False,
               smtp_overrides: Mapping[str, object] | None = None) -> ClientRun:
    """One client's run; its failure is its status and message, never the others' end."""
    try:
        if dry_run:
            report = remind.preview(path, None, now=now, as_of=as_of,
                                    templates_dir=templates_dir,
                                    start_at_due_stage=start_at_due_stage)
            return ClientRun(path, file, OK, report)  # as `remind --dry-run`: a look, 0
        report = remind.send(path, now=now, smtp_overrides=smtp_overrides,
                             as_of=as_of, templates_dir=templates_dir, clock=clock,
                             start_at_due_stage=start_at_due_stage)
        return ClientRun(path, file, run_status(report), report)
    except DunningInputError as error:
        return ClientRun(path, file, NOTHING_SENT,
                         error="; ".join(str(issue) for issue in error.issues[:3]))
    except JournalBusyError as error:
        return ClientRun(path, file, NOTHING_SENT, error=f"{error}. Nothing was sent.")
    except OSError as error:
        return ClientRun(path, file, NOTHING_SENT, error=f"{error}. Nothing was sent.")
    except Exception as error:  # noqa: BLE001 - one client's bug must not stop the others
        return ClientRun(path, file, UNEXPECTED,
                         error=f"unexpected problem ({type(error).__name__}: {error}); please "
                               "report it, with the output of dunning remind on this workbook "
                               "run with DUNNING_DEBUG=1")


def summary(runs: Sequence[ClientRun]) -> str:
    """The run's last line: how many clients, how each ended, and the ones that failed."""
    status = worst([run.status for run in runs])
    bad = [run for run in runs if run.status != OK]
    text = (f"remind-all: {len(runs)} client(s), {len(runs) - len(bad)} ok, {len(bad)} not; "
            f"exit status {status}")
    if bad:
        text += ". Failed: " + ", ".join(f"{run.file} (status {run.status})" for run in bad)
    return text
