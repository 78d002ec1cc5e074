"""Send 1,000 reminders to a loopback SMTP server over one STARTTLS + AUTH connection.

Prints the seconds `send_messages` takes with the real yagmail client (including
the journal's two fsync'd records per message), the messages per second, and the
connections the server saw. Target: under 5 s for 1,000 messages, one connection.
The server is aiosmtpd in a thread of this process (tests/smtp_server.py), so the
figure includes the server's own work.

    python benchmarks/bench_send.py [--count 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dunning.mail.journal import Journal
from dunning.mail.smtp import Outgoing, send_messages

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from smtp_server import TEST_PASSWORD, LoopbackSmtp, build_email  # noqa: E402


def _moment() -> dt.datetime:
    """The journal's stamp: the benchmark's run, a fixed day."""
    return dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone.utc)


def run_once(count: int, folder: Path) -> tuple[float, int, int]:
    """Seconds, messages received, connections seen, for one batch on a fresh server."""
    outgoing = [Outgoing(f"C{n}|friendly|2026-11-23", f"C{n}", build_email(n))
                for n in range(count)]
    with LoopbackSmtp(folder / "certs") as server, \
            Journal(folder / "journal.jsonl", clock=_moment) as journal:
        start = time.perf_counter()
        results = send_messages(outgoing, server.settings(), journal, password=TEST_PASSWORD)
        seconds = time.perf_counter() - start
        assert all(result.outcome == "sent" for result in results)
        server.wait_for(count)
        return seconds, len(server.messages), server.connections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    timings = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            seconds, received, connections = run_once(args.count, Path(folder))
        timings.append(seconds)
        print(f"sent {received} messages over {connections} connection(s) in {seconds:.2f} s")
    best, median = min(timings), statistics.median(timings)
    print(f"send {args.count} messages: best {best:.2f} s, median {median:.2f} s "
          f"({args.count / median:.0f} messages/s); target < 5 s: "
          f"{'met' if median < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
