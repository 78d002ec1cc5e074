"""The `dunning` command: each subcommand makes one call into the library.

Errors in the input print as `Error: ...` lines (one per bad cell) on stderr
and exit with status 1; warnings print on stderr and do not change the status.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from dunning import __version__
from dunning.core.errors import DunningInputError, Issue
from dunning.demo import SAMPLE_AS_OF as DEMO_AS_OF

UNEXPECTED = 3
"""Exit status of a failure Dunning did not foresee (a bug): distinct from bad input (1)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    0 ok, 1 bad input or a failure the message explains, 2 a usage error or (for
    `remind`) sends that need a look, 3 an unexpected failure, 4 (`remind`) sent but
    the workbook could not be saved. Every failure is
    one or more `Error:` lines on stderr, never a traceback (DUNNING_DEBUG=1
    shows it, for a bug report).
    """
    return _main(argv)[0]


def run() -> NoReturn:
    """The `dunning` command itself: `main`, then the process ends.

    A command that writes nothing but its output (`aging`, `kpis`) ends without the
    interpreter freeing pandas, numpy and Arrow one module at a time (about 70 ms of a
    half-second `dunning aging BOOK.xlsx`): its output is flushed and the exit handlers run
    first (`_leave`). Every other command, and any run with a thread still working, exits
    the ordinary way.
    """
    status, writes_nothing = _main(None)
    if writes_nothing:
        _leave(status)
    sys.exit(status)


def _leave(status: int) -> NoReturn:
    """End the process with `status` once stdout and stderr are flushed and the exit
    handlers (logging, temporary folders, coverage) have run, skipping the teardown of
    every module; the ordinary exit when a thread that is not a daemon is still alive
    (the interpreter would wait for it)."""
    import threading

    main_thread = threading.main_thread()
    if any(thread is not main_thread and not thread.daemon and thread.is_alive()
           for thread in threading.enumerate()):
        sys.exit(status)
    import atexit
    import contextlib

    atexit._run_exitfuncs()  # (what the interpreter's exit runs first, in the same order)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone (see main), or closed
            stream.flush()
    os._exit(status)


def _main(argv: Sequence[str] | None) -> tuple[int, bool]:
    """`main`'s status, and whether the command ran is one that writes nothing but its
    output (the parser's `writes_nothing`)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 1, False
    return _status(args), bool(getattr(args, "writes_nothing", False))


def _status(args: argparse.Namespace) -> int:
    """The exit status of the command `args` names, run with every failure as a message."""
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not after main has returned
        return status
    except DunningInputError as error:
        for issue in error.issues:
            print(f"Error: {issue}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `dunning worklist BOOK | head`: the reader has all it wants
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit flush cannot fail again
        return 0
    except Exception as error:  # noqa: BLE001 - the last line of defence: a message, not a trace
        return _report_failure(error, args)


def _report_failure(error: Exception, args: argparse.Namespace) -> int:
    """One `Error:` line saying what failed and what to do."""
    from dunning.mail.journal import JournalBusyError

    book = getattr(args, "book", None) or getattr(args, "out", None) or getattr(args, "path", "")
    if isinstance(error, JournalBusyError):
        print(f"Error: {error}. Nothing was sent.", file=sys.stderr)
        return 1
    if isinstance(error, (FileExistsError, FileNotFoundError, PermissionError,
                          IsADirectoryError, NotADirectoryError)):
        print(f"Error: {error}", file=sys.stderr)
        return 1
    if isinstance(error, MemoryError):
        print(f"Error: {book} needs more memory than this computer has free; close other "
              "programs, or split the workbook's invoices, and run again.", file=sys.stderr)
        return 1
    if isinstance(error, OSError):
        where = error.filename or book
        why = error.strerror or str(error)
        print(f"Error: {where}: {why}. The workbook was left as it was (a save is complete or "
              "not made at all); free some disk space or fix the folder, then run again.",
              file=sys.stderr)
        return 1
    import traceback

    if os.environ.get("DUNNING_DEBUG"):
        traceback.print_exception(error)
    print(f"Error: unexpected problem ({type(error).__name__}: {error}) while working on "
          f"{book}. Please report it, with the output of the same command run with "
          "DUNNING_DEBUG=1.", file=sys.stderr)
    return UNEXPECTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dunning",
        description="Receivables aging, KPIs and collections from an Excel workbook.",
    )
    parser.add_argument("--version", action="version", version=f"dunning {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="build a sample client workbook and show its aging and KPIs")
    demo.add_argument("--out", type=Path, default=Path("dunning-demo.xlsx"),
                      help="where to write the sample workbook (default: %(default)s)")
    demo.add_argument("--as-of", type=_date, default=DEMO_AS_OF,
                      help="as-of date, YYYY-MM-DD (default: the sample's date, %(default)s)")
    demo.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    demo.set_defaults(run=_run_demo)

    aging = commands.add_parser("aging", help="print the aging by customer of a workbook or CSV")
    _ledger_options(aging)
    aging.add_argument("--basis", choices=["due", "invoice"],
                       help="count days from the due date (default) or the invoice date")
    _output_options(aging)
    aging.set_defaults(run=_run_aging, writes_nothing=True)

    kpis = commands.add_parser("kpis", help="print the receivables KPIs of a workbook or CSV")
    _ledger_options(kpis)
    kpis.add_argument("--days", type=int, default=365,
                      help="length of the look-back period in days (default: %(default)s)")
    _output_options(kpis)
    kpis.set_defaults(run=_run_kpis, writes_nothing=True)

    remind = commands.add_parser(
        "remind", help="send today's reminders (or preview them with --dry-run) and log them")
    remind.add_argument("book", type=Path, help="the client's workbook (.xlsx, .xlsm); with "
                                                "--all, a folder of client workbooks")
    remind.add_argument("--all", action="store_true",
                        help="BOOK is a folder: run every client's reminders in it, as remind-all")
    remind.add_argument("--drafts", type=Path,
                        help="folder for --dry-run drafts (default: BOOK-drafts-DATE beside it)")
    _remind_options(remind)
    remind.add_argument("--settle", action="append", default=[], metavar="KEY=OUTCOME",
                        help="settle a send in doubt after checking the Sent folder, e.g. "
                             "--settle 'C1|firm|2026-11-23=sent' (or =not sent); =not sent "
                             "also tries once more an address the server refused")
    remind.set_defaults(run=_run_remind)

    remind_all = commands.add_parser(
        "remind-all", help="run every client's reminders in a folder (and below), one log "
                           "line each; the exit status is the worst client's")
    remind_all.add_argument("folder", type=Path, help="the folder of client workbooks")
    _remind_options(remind_all)
    remind_all.set_defaults(run=_run_remind_all)

    portfolio = commands.add_parser(
        "portfolio", help="roll up every client workbook in a folder (and below) into one "
                          "Portfolio workbook, with charts")
    portfolio.add_argument("folder", type=Path, help="the folder of client workbooks")
    portfolio.add_argument("--out", type=Path, default=Path("Portfolio.xlsx"),
                           help="the workbook to write (default: %(default)s)")
    portfolio.add_argument("--days", type=int, default=365,
                           help="look-back period of DSO and CEI in days (default: %(default)s)")
    _clock_options(portfolio, as_of="as-of date for every client, YYYY-MM-DD (default: today)",
                   now="the moment of the run, ISO with zone, for the worklist (default: now)")
    portfolio.set_defaults(run=_run_portfolio)

    log = commands.add_parser(
        "log", help="record a call, promise to pay or dispute in the workbook's ContactLog")
    log.add_argument("book", type=Path, help="the client's workbook (.xlsx, .xlsm)")
    log.add_argument("--customer", required=True, help="customer id, as in the Invoices table")
    log.add_argument("--channel", default="",
                     help="email, phone, letter, meeting or portal (default: phone; for a "
                          "reminder sent by hand, the stage's own: email or letter)")
    log.add_argument("--outcome", required=True,
                     help="voicemail, unreachable, not-received, approval, dispute or "
                          "resolved (need --invoices), promise (needs --promise-date), paid, "
                          "plan, opt-out, reminder or sent (needs --stage), hold (needs "
                          "--next-action), handed off (needs a --stage whose action is task), "
                          "or the full text of one; failed and promise broken are written by "
                          "the reminder run only")
    log.add_argument("--invoices", default="", help="invoice numbers concerned, comma separated")
    log.add_argument("--promise-date", type=_date, help="the promised payment date (promise)")
    log.add_argument("--promise-amount", type=float, help="the promised amount (promise)")
    log.add_argument("--next-action", type=_date,
                     help="when to follow up, YYYY-MM-DD (for 'on hold until': the day it ends)")
    log.add_argument("--stage", default="",
                     help="the stage of a reminder sent by hand (outcome 'reminder sent' or "
                          "'sent'), or of a file handed off (a stage whose action is task)")
    log.add_argument("--note", default="", help="what was said")
    log.add_argument("--user", default=None, help="who made the contact (default: you)")
    _clock_options(log, as_of="the day of the contact, recorded at noon (default: today)",
                   now="the moment of the contact, ISO with zone (default: now)", either=True)
    log.set_defaults(run=_run_log)

    worklist = commands.add_parser(
        "worklist", help="rank today's customers to call, with reasons; write the Worklist sheet")
    worklist.add_argument("book", type=Path, help="the client's workbook (.xlsx, .xlsm)")
    _clock_options(worklist, as_of="run date, judged at noon (default: today)",
                   now="the moment of the run, ISO with zone (default: now)", either=True)
    worklist.add_argument("--print-only", action="store_true",
                          help="print the list; leave the workbook unchanged")
    _output_options(worklist)
    worklist.set_defaults(run=_run_worklist)

    refresh = commands.add_parser(
        "refresh", help="rewrite the Aging and KPIs sheets and the payment plans' status")
    refresh.add_argument("book", type=Path, help="the client's workbook (.xlsx, .xlsm)")
    refresh.add_argument("--as-of", type=_date, help="as-of date (default: Settings, else today)")
    refresh.add_argument("--now", type=_moment,
                         help="the moment the sheets say they were made (default: the clock)")
    refresh.set_defaults(run=_run_refresh)

    plan = commands.add_parser(
        "plan", help="split a customer's open balance into instalments (PaymentPlans sheet)")
    plan.add_argument("book", type=Path, help="the client's workbook (.xlsx, .xlsm)")
    plan.add_argument("--customer", required=True, help="customer id or name")
    plan.add_argument("--instalments", type=int, required=True,
                      help="how many instalments in all, a first payment included")
    plan.add_argument("--every", choices=["weekly", "fortnightly", "monthly"], default="monthly",
                      help="how often an instalment falls due (default: %(default)s)")
    plan.add_argument("--start", type=_date, required=True, help="first due date, YYYY-MM-DD")
    plan.add_argument("--first-payment", type=float,
                      help="a larger (or smaller) first instalment; the rest split evenly")
    plan.add_argument("--currency", help="the currency to plan when the customer owes in several")
    plan.add_argument("--user", default=None, help="who agreed it (default: you)")
    _clock_options(plan, as_of="the day the plan is agreed (default: today)",
                   now="the moment it is logged, ISO with zone (default: now)", either=True)
    plan.set_defaults(run=_run_plan)

    statement = commands.add_parser(
        "statement", help="write a customer's statement of account as a PDF")
    statement.add_argument("book", type=Path, help="the client's workbook (.xlsx, .xlsm)")
    statement.add_argument("--customer", required=True, help="customer id or name")
    statement.add_argument("--out", type=Path,
                           help="the PDF to write (default: Statement-CUSTOMER-DATE.pdf "
                                "beside the workbook)")
    statement.add_argument("--as-of", type=_date,
                           help="the statement's date (default: Settings, else today)")
    statement.add_argument("--force", action="store_true", help="replace --out if it exists")
    statement.set_defaults(run=_run_statement)

    new = commands.add_parser("new-workbook", help="make a fresh client workbook from the template")
    new.add_argument("path", type=Path, help="the workbook to create (.xlsx)")
    new.add_argument("--client", required=True, help="the client's name, shown in the workbook")
    new.set_defaults(run=_run_new_workbook)

    imports = commands.add_parser(
        "import", help="bring an accounting system's export (open invoices, aged receivables, "
                       "invoice list) into a client workbook and keep it in step")
    imports.add_argument("file", type=Path, help="the export: .csv, tab-separated .txt or .xlsx")
    imports.add_argument("--into", type=Path, required=True, dest="book", metavar="BOOK",
                         help="the client's workbook (.xlsx, .xlsm)")
    imports.add_argument("--as-of", type=_date, help="the export's date, when it has no "
                         "\"As of\" line; invoices missing from it are settled on this day")
    imports.add_argument("--header-row", type=int, metavar="N",
                         help="the line of the export's column headers, when the guess is wrong")
    imports.add_argument("--map", action="append", default=[], metavar="FIELD=HEADER",
                         help="name the column of a field, e.g. --map due_date='Net Due' "
                              "(HEADER=FIELD is understood too)")
    imports.add_argument("--terms-days", type=int, default=30, metavar="DAYS",
                         help="payment terms for exports without due dates, for customers "
                              "whose Terms Days is empty (default: %(default)s)")
    order = imports.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_true", default=None,
                       help="text dates are day first (31/03/2026)")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_false",
                       help="text dates are month first (03/31/2026)")
    imports.set_defaults(run=_run_import)
    report = commands.add_parser(
        "report", help="write the management pack: headline figures, charts, accounts (PDF)")
    report.add_argument("book", type=Path, help="the client's workbook (.xlsx, .xlsm)")
    report.add_argument("--out", type=Path,
                        help="the PDF to write (default: BOOK-pack-DATE.pdf beside the workbook)")
    _clock_options(report, as_of="the day it reports (default: Settings, else today)",
                   now="the moment it says it was made, ISO with zone (default: now)")
    report.set_defaults(run=_run_report)

    rates = commands.add_parser(
        "rates", help="keep the late-payment reference rates (ECB, Bank of England) current")
    rate_actions = rates.add_subparsers(title="actions", metavar="ACTION", dest="rates_action",
                                        required=True)
    update = rate_actions.add_parser(
        "update", help="read the published ECB and Bank of England rates and add the "
                       "half-years that have begun and are missing")
    update.add_argument("--book", type=Path,
                        help="add them to this workbook's ReferenceRates table (default: your "
                             "own rates file, $DUNNING_RATES or reference_rates.csv in your "
                             "configuration folder, used for every workbook)")
    update.add_argument("--as-of", type=_date,
                        help="add the half-years begun by this day, YYYY-MM-DD (default: today)")
    update.add_argument("--from-file", type=Path, nargs="+", action="extend", default=[],
                        metavar="FILE", help="read saved answers (ECB Data Portal CSV, Bank of "
                                             "England CSV export) instead of the internet")
    update.set_defaults(run=_run_rates_update)
    return parser


def _ledger_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("book", type=Path, help="a workbook (.xlsx, .xlsm) or a .csv export")
    command.add_argument("--as-of", type=_date, help="as-of date, YYYY-MM-DD (default: "
                         "the workbook's Settings, else today)")
    command.add_argument("--sheet", help="read this sheet (header in row 1)")
    command.add_argument("--table", help="read this Excel table (default: Invoices)")
    command.add_argument("--currency", help="report this currency when there are several")
    order = command.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_true", default=None,
                       help="text dates are day first (31/03/2024)")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_false",
                       help="text dates are month first (03/31/2024)")
    command.add_argument("--decimal-comma", action="store_true",
                         help="text amounts use a decimal comma (1.234,50)")
    command.add_argument("--map", action="append", default=[], metavar="FIELD=HEADER",
                         help="name the column of a ledger field, e.g. --map due_date='Net Due'")


def _remind_options(command: argparse.ArgumentParser) -> None:
    """The options `remind` and `remind-all` share."""
    command.add_argument("--dry-run", action="store_true",
                         help="write .eml drafts and an outbox report; send nothing")
    _clock_options(command, as_of="the day to judge, YYYY-MM-DD (default: today); with "
                                  "--dry-run a replay of that day at noon, as worklist takes it; "
                                  "a real send happens now (send windows hold for the real "
                                  "delivery time) and warns when the day is not today",
                   now="the moment of the run, ISO with zone (default: now); for replays",
                   either=True)
    command.add_argument("--smtp-host", help="mail server (default: the SMTP Host setting)")
    command.add_argument("--smtp-port", type=int, help="port (default: SMTP Port, else 587)")
    command.add_argument("--smtp-security", choices=["starttls", "tls", "none"],
                         help="starttls (default), tls, or none (only to this computer)")
    command.add_argument("--smtp-user", help="login (default: the SMTP User setting)")
    command.add_argument("--smtp-ca-file",
                         help="PEM file of the CA to trust (default: the SMTP CA File setting)")
    command.add_argument("--templates", type=Path,
                         help="folder of reminder templates (LANG/STAGE.subject.txt, .txt, .html)")
    command.add_argument("--silent", action="store_true", help="no progress bar")
    command.add_argument("--start-at-due-stage", action="store_true",
                         help="this run: start each customer at the stage its days past due "
                              "have reached (onboarding a backlog), not one stage a run")


def _output_options(command: argparse.ArgumentParser) -> None:
    """--json / --csv: the figures as records for scripts (see dunning.app.output)."""
    form = command.add_mutually_exclusive_group()
    form.add_argument("--json", dest="form", action="store_const", const="json", default="text",
                      help="print a JSON array of objects (money as numbers to the cent)")
    form.add_argument("--csv", dest="form", action="store_const", const="csv",
                      help="print CSV with a header row")


def _clock_options(command: argparse.ArgumentParser, *, as_of: str, now: str,
                   either: bool = False) -> None:
    """--as-of and --now, so a command can be replayed for a past or future day; `either`:
    one or the other (a day is judged at noon, or at the moment given), never both, where
    both would name the run's moment and one would silently win."""
    group = command.add_mutually_exclusive_group() if either else command
    group.add_argument("--as-of", type=_date, help=as_of)
    group.add_argument("--now", type=_moment, help=now)


def _now(args: argparse.Namespace) -> dt.datetime:
    """The moment a command acts at: --now, else noon of --as-of, else the clock.

    The command line is the one place that reads the clock; everything below it
    is given the moment.
    """
    if getattr(args, "now", None):
        return args.now
    as_of = getattr(args, "as_of", None)
    if as_of:
        return dt.datetime.combine(as_of, dt.time(12)).astimezone()
    return wall_clock()


def wall_clock() -> dt.datetime:
    """The computer's clock, in its zone: read here, at the top, and nowhere below."""
    return dt.datetime.now().astimezone()


def _today(args: argparse.Namespace) -> dt.date:
    """Today's date on this computer's clock, for commands whose as-of falls back to it."""
    return _now(args).date()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a moment such as 2026-11-23T09:30+01:00, "
                                         f"got {text!r}") from None
    return moment if moment.tzinfo else moment.astimezone()


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep:
            raise DunningInputError([Issue(f"--map expects FIELD=HEADER, got {pair!r}")])
        mapping[field.strip()] = header.strip()
    return mapping


WARNINGS_SHOWN_PER_KIND = 3


def _warn(issues: Sequence[Issue]) -> None:
    """Warnings on stderr, a few of each kind and a count of the rest, so output stays readable."""
    shown: dict[str, int] = {}
    for issue in issues:
        kind = _kind(issue.message)
        shown[kind] = shown.get(kind, 0) + 1
        if shown[kind] <= WARNINGS_SHOWN_PER_KIND:
            label = "Skipped" if issue.severity == "skipped" else "Warning"
            print(f"{label}: {issue}", file=sys.stderr)
    for kind, count in shown.items():
        if count > WARNINGS_SHOWN_PER_KIND:
            print(f"Warning: ... and {count - WARNINGS_SHOWN_PER_KIND} more like "
                  f"\"{kind}\"", file=sys.stderr)


def _kind(message: str) -> str:
    """A message with its particulars (numbers, quoted values, ids) taken out."""
    return re.sub(r"\b[\w-]*\d[\w-]*\b", "N", re.sub(r"'[^']*'", "'...'", message))


def _run_demo(args: argparse.Namespace) -> int:
    from dunning.demo import run_demo

    print(run_demo(args.out, as_of=args.as_of, overwrite=args.force, now=_now(args)))
    return 0


def _run_aging(args: argparse.Namespace) -> int:
    _read_early(args)
    from dunning.render.report import aging_report

    book = _open_book(args, unique_invoices=True)
    basis = args.basis or book.settings.aging_basis
    if args.form != "text":
        from dunning.app.output import aging_records, formatted

        print(formatted(aging_records(book.frame, book.as_of, edges=book.settings.bucket_edges,
                                      basis=basis), args.form))
        return 0
    print(aging_report(book.frame, book.as_of, edges=book.settings.bucket_edges, basis=basis))
    return 0


def _run_kpis(args: argparse.Namespace) -> int:
    _read_early(args)
    from dunning.render.report import kpi_report

    book = _open_book(args, unique_invoices=True)
    if args.form != "text":
        from dunning.app.output import formatted, kpi_records

        print(formatted(kpi_records(book.frame, book.as_of, days=args.days), args.form))
        return 0
    print(kpi_report(book.frame, book.as_of, days=args.days))
    return 0


def _run_remind(args: argparse.Namespace) -> int:
    from dunning.app import remind

    if args.all:  # `remind --all FOLDER` is `remind-all FOLDER`
        if args.settle or args.drafts:
            raise DunningInputError([Issue(
                "--settle and --drafts name one workbook; with --all, settle a client's sends "
                "with dunning remind BOOK --settle (remind-all writes each client's drafts "
                "beside it)")])
        args.folder = args.book
        return _run_remind_all(args)
    now = _run_moment(args)
    for pair in args.settle:
        key, sep, outcome = pair.rpartition("=")
        if not sep or outcome.strip() not in ("sent", "not sent"):
            raise DunningInputError([Issue(
                f"--settle expects KEY=sent or KEY=not sent, got {pair!r}")])
        remind.settle(args.book, key.strip(), outcome.strip(), now=args.now or wall_clock())
        print(f"Settled {key.strip()} as {outcome.strip()}.")
    if args.settle and not args.dry_run:
        return 0
    if args.dry_run:  # the ribbon's Preview calls the same function, on the open book
        report = remind.preview(args.book, args.drafts, now=now, as_of=args.as_of,
                                templates_dir=args.templates,
                                start_at_due_stage=args.start_at_due_stage)
        _warn(report.warnings)
        print(report.summary())
        _print_doubts(args, report.doubts)  # a preview says so too, and sends nothing
        return 0
    progress = None if args.silent or not sys.stderr.isatty() else _progress_bar
    # the ribbon's Send calls the same function, with a `confirm` question; a run here is
    # unattended (cron, Task Scheduler), so nothing is asked
    report = remind.send(args.book, now=now, smtp_overrides=_smtp_overrides(args),
                         as_of=args.as_of, progress=progress,
                         templates_dir=args.templates, clock=None if args.now else wall_clock,
                         start_at_due_stage=args.start_at_due_stage)
    _warn(report.warnings)
    print(report.summary())
    return _remind_status(args, report)


def _run_moment(args: argparse.Namespace) -> dt.datetime:
    """The moment of a reminder run (`remind`, `remind-all`).

    A preview (--dry-run) replays its --as-of day at noon, the moment `worklist` and every
    other command take for that day (`_now`), so both agree on who is sent. A real send
    happens now, on the clock (or --now): its send windows must hold for the real delivery
    time (a nightly job given today's --as-of at 02:00 must not send as if it were noon);
    judged as of another day, it says so.
    """
    if args.dry_run:
        return _now(args)
    now = args.now or wall_clock()
    if args.as_of and args.as_of != now.date():
        print(f"Warning: --as-of {args.as_of} is not today: the reminders are judged as of "
              f"{args.as_of} but sent now, {now:%Y-%m-%d %H:%M %z} (send windows and each "
              f"message's Date are this moment's); to replay {args.as_of}, add --dry-run",
              file=sys.stderr)
    return now


SENT_NOT_LOGGED = 4
"""Exit status of `remind` when reminders went out but the workbook could not be saved."""


def _remind_status(args: argparse.Namespace, report) -> int:  # noqa: ANN001 - a RunReport
    """0 all well; 2 sends that need a look (failed, refused for good, not attempted, in doubt:
    every run says so until settled); 4 sent, not yet logged (the save was refused)."""
    troubles = [r for r in report.results
                if r.outcome in ("failed", "failed before", "not attempted")]
    shown: dict[str, int] = {}
    for result in troubles:  # a few of each outcome, then a count: 200 alike say nothing more
        shown[result.outcome] = shown.get(result.outcome, 0) + 1
        if shown[result.outcome] <= WARNINGS_SHOWN_PER_KIND:
            print(f"Warning: {result.customer}: {result.outcome} {result.error}".rstrip(),
                  file=sys.stderr)
    for outcome, count in shown.items():
        if count > WARNINGS_SHOWN_PER_KIND:
            print(f"Warning: ... and {count - WARNINGS_SHOWN_PER_KIND} more {outcome}",
                  file=sys.stderr)
    _print_doubts(args, report.doubts)
    if report.unsaved:
        print(f"Error: sent, not yet logged: close the workbook and run again; nothing will be "
              f"sent twice ({report.unsaved})", file=sys.stderr)
    from dunning.app.remind_all import run_status

    return run_status(report)


def _run_remind_all(args: argparse.Namespace) -> int:
    from dunning.app.remind_all import remind_all, summary, worst

    now = _run_moment(args)

    def log_line(run) -> None:  # noqa: ANN001 - a ClientRun
        print(f"{wall_clock() if not args.now else now:%Y-%m-%dT%H:%M:%S%z} {run.line()}",
              flush=True)

    runs = remind_all(args.folder, now=now, dry_run=args.dry_run, as_of=args.as_of,
                      smtp_overrides=_smtp_overrides(args), templates_dir=args.templates,
                      clock=None if args.now else wall_clock, on_client=log_line,
                      start_at_due_stage=args.start_at_due_stage)
    status = worst([run.status for run in runs])
    print(summary(runs), file=sys.stderr if status else sys.stdout)
    return status


def _run_portfolio(args: argparse.Namespace) -> int:
    from dunning.app.portfolio import portfolio

    now = _now(args)
    result = portfolio(args.folder, args.out, as_of=args.as_of or now.date(), now=now,
                       days=args.days)
    _warn(result.warnings)
    print(result.message)
    return 0


def _print_doubts(args: argparse.Namespace, doubts: list[dict]) -> None:
    """Each send in doubt, with the command that settles it."""
    for doubt in doubts:
        customer = doubt["key"].rsplit("|", 2)[0]
        print(f"Warning: {customer}: in doubt since {str(doubt.get('time', ''))[:16]} UTC "
              f"({doubt.get('error') or 'the run stopped during the send'}); nothing more is "
              f"sent to {customer} until it is settled", file=sys.stderr)
        print(f"  check the Sent folder, then: dunning remind {args.book} --settle "
              f"'{doubt['key']}=sent' (or =not sent)", file=sys.stderr)


def _smtp_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The mail server fields given on the command line, which win over the workbook's
    Settings (read once, by the run itself)."""
    given = {"host": args.smtp_host, "port": args.smtp_port, "security": args.smtp_security,
             "cafile": args.smtp_ca_file}
    overrides: dict[str, object] = {name: value for name, value in given.items() if value}
    if args.smtp_user is not None:
        overrides["user"] = args.smtp_user
    return overrides


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end,
          file=sys.stderr, flush=True)


def _run_log(args: argparse.Namespace) -> int:
    import getpass

    from dunning.app.actions import log_contact
    from dunning.core.contactlog import Contact, log_time

    invoices = tuple(i.strip() for i in args.invoices.split(",") if i.strip())
    contact = Contact(
        customer=args.customer, channel=args.channel, outcome=args.outcome,
        timestamp=log_time(_now(args)), invoices=invoices, promise_date=args.promise_date,
        promise_amount=args.promise_amount, next_action_date=args.next_action,
        user=args.user or getpass.getuser(), note=args.note, stage=args.stage)
    print(log_contact(args.book, contact).message)
    return 0


def _run_worklist(args: argparse.Namespace) -> int:
    from dunning.app import actions
    from dunning.render.report import worklist_text

    now = _now(args)
    result = actions.worklist(args.book, now=now, as_of=args.as_of,
                              write=not args.print_only)
    _warn(result.warnings)
    day = args.as_of or now.date()
    if args.form != "text":  # the records alone on stdout; what was written, on stderr
        from dunning.app.output import formatted, worklist_records

        print(formatted(worklist_records(result.data, day), args.form))
        if not args.print_only:
            print(result.message, file=sys.stderr)
        return 0
    print(worklist_text(result.data, day if args.as_of or args.now else "today"))
    if not args.print_only:
        print(result.message)
    return 0


def _run_refresh(args: argparse.Namespace) -> int:
    from dunning.app import actions

    now = args.now or wall_clock()
    print(actions.refresh(args.book, as_of=args.as_of, today=now.date(), now=now).message)
    return 0


def _run_plan(args: argparse.Namespace) -> int:
    import getpass

    from dunning.app import actions

    request = actions.PlanRequest(
        customer=args.customer, count=args.instalments, frequency=args.every, start=args.start,
        first_payment=args.first_payment, currency=args.currency,
        user=args.user or getpass.getuser())
    result = actions.payment_plan(args.book, request, now=_now(args), as_of=args.as_of)
    print(result.message)
    for row in result.data.itertuples():
        print(f"  {row.instalment:>3}  {row.due_date:%Y-%m-%d}  {row.amount:>12,.2f}")
    return 0


def _run_statement(args: argparse.Namespace) -> int:
    from dunning.app.statement import write_statement

    result = write_statement(args.book, args.customer, as_of=args.as_of, today=_today(args),
                             out=args.out, force=args.force)
    print(result.message)
    return 0


def _run_new_workbook(args: argparse.Namespace) -> int:
    from dunning.io.client_workbook import new_client_workbook

    path = new_client_workbook(args.path, args.client)
    print(f"Wrote {path} for {args.client}.")
    return 0


def _run_import(args: argparse.Namespace) -> int:
    from dunning.app.importing import import_export, import_mapping

    result = import_export(args.file, args.book, as_of=args.as_of, header_row=args.header_row,
                           mapping=import_mapping(_mapping(args.map)), dayfirst=args.dayfirst,
                           default_terms=args.terms_days)
    _warn(result.issues)
    print(result.message())
    return 0


def _run_report(args: argparse.Namespace) -> int:
    from dunning.app.report_pack import management_pack

    now = args.now or wall_clock()
    print(management_pack(args.book, now=now, as_of=args.as_of, out=args.out).message)
    return 0


def _run_rates_update(args: argparse.Namespace) -> int:
    from dunning.app.rates import update_rates

    result = update_rates(args.as_of or dt.date.today(), book=args.book, files=args.from_file)
    _warn(result.warnings)
    print(result.message)
    return 0


def _read_early(args: argparse.Namespace) -> None:
    """Start reading a workbook's invoices while pandas is imported (`dunning.io.prefetch`)."""
    from dunning.io import prefetch

    prefetch.start(args.book, sheet=args.sheet, table=args.table)


def _open_book(args: argparse.Namespace, *, unique_invoices: bool = False):  # noqa: ANN202
    from dunning.io.book import open_book

    book = open_book(args.book, as_of=args.as_of, today=_today(args), sheet=args.sheet,
                     table=args.table, currency=args.currency, dayfirst=args.dayfirst,
                     mapping=_mapping(args.map), decimal="," if args.decimal_comma else ".",
                     unique_invoices=unique_invoices, currency_origin="--currency")
    _warn(book.issues)
    return book


if __name__ == "__main__":
    run()
