"""Speed of the collector's day: the policy, promises, disputes, risk score and worklist.

Run: python benchmarks/bench_worklist.py [--sizes 10000 100000]
Prints milliseconds (best of several runs) for each stated ledger size, with a contact
log holding a reminder for a tenth of the customers and a promise and a dispute for a
twentieth each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dunning.core.contactlog import CONTACT_LOG_COLUMNS  # noqa: E402
from dunning.core.disputes import dispute_register  # noqa: E402
from dunning.core.ledger import build_ledger  # noqa: E402
from dunning.core.policy import Policy, decide  # noqa: E402
from dunning.core.promises import promise_outcomes  # noqa: E402
from dunning.core.risk import score  # noqa: E402
from dunning.core.worklist import build_worklist  # noqa: E402
from generate import invoice_rows  # noqa: E402
from timing import best_ms  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone.utc)
AS_OF = NOW.date()


def contact_log(frame: pd.DataFrame, seed: int = 11) -> pd.DataFrame:
    """Reminders, promises and disputes for some customers, dated in the last 30 days."""
    rng = np.random.default_rng(seed)
    customers = np.array(sorted(set(frame["customer"])))
    rows = []
    for share, outcome in ((0.10, "sent"), (0.05, "promised to pay"), (0.05, "disputed")):
        for customer in rng.choice(customers, int(len(customers) * share), replace=False):
            invoice = frame.loc[frame["customer"] == customer, "invoice"].iloc[-1]
            stamp = pd.Timestamp(AS_OF) - pd.Timedelta(days=int(rng.integers(1, 30)))
            promise = stamp + pd.Timedelta(days=10) if outcome == "promised to pay" else pd.NaT
            rows.append({"timestamp": stamp, "customer": customer, "invoices": invoice,
                         "channel": "phone", "stage": "friendly" if outcome == "sent" else "",
                         "outcome": outcome, "promise_date": promise})
    log = pd.DataFrame(rows).reindex(columns=list(CONTACT_LOG_COLUMNS))
    for name in ("timestamp", "promise_date", "next_action_date"):
        log[name] = pd.to_datetime(log[name])
    return log


def bench(size: int) -> None:
    frame = build_ledger(invoice_rows(size)).frame
    log = contact_log(frame)
    customers = pd.DataFrame({"customer": sorted(set(frame["customer"]))})
    customers["email"] = "ap@" + customers["customer"].str.lower() + ".example.com"
    repeat = 3
    decide_ms = best_ms(lambda: decide(frame, customers, log, Policy(), NOW), repeat)
    promises_ms = best_ms(lambda: promise_outcomes(log, frame, AS_OF), repeat)
    disputes_ms = best_ms(lambda: dispute_register(log, frame, AS_OF), repeat)
    risk_ms = best_ms(lambda: score(frame, AS_OF), repeat)
    decisions = decide(frame, customers, log, Policy(), NOW)
    promises, disputes = promise_outcomes(log, frame, AS_OF), dispute_register(log, frame, AS_OF)
    risk = score(frame, AS_OF)
    rank_ms = best_ms(lambda: build_worklist(decisions, promises=promises, disputes=disputes,
                                             risk=risk), repeat)
    listed = len(build_worklist(decisions, promises=promises, disputes=disputes, risk=risk))
    total = decide_ms + promises_ms + disputes_ms + risk_ms + rank_ms
    print(f"{size:>9,} invoices, {len(customers):,} customers, {len(log):,} log rows: "
          f"policy {decide_ms:6.0f} ms | promises {promises_ms:5.0f} ms | disputes "
          f"{disputes_ms:5.0f} ms | risk {risk_ms:6.0f} ms | worklist {rank_ms:5.0f} ms "
          f"({listed:,} listed) | all {total:6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    for size in parser.parse_args().sizes:
        bench(size)


if __name__ == "__main__":
    main()
