"""The late-payment risk score: how good it is on real data and how fast it is on big ledgers.

Prints the evaluation on the IBM receivables sample (../shared/data) with a
time-ordered split: the model against everyone-on-time and each customer's past
average, AUC for "paid late" and mean absolute error in days late, with the
numbers of training and test invoices. Then milliseconds (best of several runs)
to fit the model and to score the open invoices, on the IBM ledger and on
generated ledgers of the stated sizes (benchmarks/generate.py, with settlement
dates drawn from customer habits added). Target: scoring 100,000 rows, the fit
included, well under a few seconds.

    python benchmarks/bench_risk.py [--split 2013-07-01] [--sizes 100000] [--data PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dunning.core import risk  # noqa: E402
from dunning.core.ledger import build_ledger  # noqa: E402
from dunning.io.reading import read_invoices  # noqa: E402
from generate import START, invoice_rows  # noqa: E402
from timing import best_ms  # noqa: E402

IBM = (Path(__file__).resolve().parents[2] / "shared" / "data" / "ibm_ar"
       / "WA_Fn-UseC_-Accounts-Receivable.csv")
IBM_AS_OF = dt.date(2013, 6, 30)
AS_OF = START + dt.timedelta(days=600)


def settled_ledger(count: int, seed: int = 11) -> pd.DataFrame:
    """A generated ledger whose invoices are paid by customer habit, some late, some still open.

    Each customer pays late with its own probability and by its own typical
    number of days; a dispute or paper billing makes it later. Invoices paid
    after `AS_OF` are open on that date.
    """
    rows = invoice_rows(count)
    rng = np.random.default_rng(seed)
    header, body = rows[0], rows[1:]
    customers = sorted({row[1] for row in body})
    habit = dict(zip(customers, rng.beta(2, 4, len(customers)), strict=True))
    typical = dict(zip(customers, rng.gamma(2, 6, len(customers)), strict=True))
    paper = dict(zip(customers, rng.random(len(customers)) < 0.4, strict=True))
    draws = rng.random((len(body), 3))
    out = [[*header, "Settled Date", "Billing"]]
    for row, (u, v, w) in zip(body, draws, strict=True):
        due, customer, disputed = row[3], row[1], row[7] == "Yes"
        chance = min(1.0, habit[customer] + 0.3 * disputed + 0.1 * paper[customer])
        if u < chance:
            paid = due + dt.timedelta(days=1 + int(-typical[customer] * np.log(1 - v)))
        else:
            paid = due - dt.timedelta(days=int(w * (due - row[2]).days))
        settled = paid if paid <= AS_OF and row[4] > 0 else None
        out.append([*row[:5], None if settled else row[5], *row[6:], settled,
                    "Paper" if paper[customer] else "Electronic"])
    return build_ledger(out).frame


def print_evaluation(frame: pd.DataFrame, split: str) -> None:
    result = risk.evaluate(frame, split)
    print(f"IBM receivables sample, split {result.split_date:%Y-%m-%d}: trained on "
          f"{result.train_invoices:,} invoices settled before it, tested on "
          f"{result.test_invoices:,} issued from it ({result.test_share_late:.1%} paid late)")
    print(f"  {'method':<36} {'AUC':>6} {'MAE days':>9}")
    for method, row in result.table.iterrows():
        print(f"  {method:<36} {row['auc']:6.3f} {row['mae_days']:9.2f}")
    print("  coefficients (per standard deviation; log-odds of paying late, log days if late):")
    for _, row in result.model.explain().iterrows():
        print(f"    {row['feature']:<18} {row['late_coefficient']:+6.2f} "
              f"{row['days_coefficient']:+6.2f}  {row['meaning']}")


def bench(label: str, frame: pd.DataFrame, as_of: dt.date, repeat: int) -> None:
    model = risk.fit(frame, as_of)
    assert model is not None, "the benchmark ledger should hold enough paid history"
    scored = model.score(frame, as_of)
    fit_ms = best_ms(lambda: risk.fit(frame, as_of), repeat)
    apply_ms = best_ms(lambda: model.score(frame, as_of), repeat)
    total_ms = best_ms(lambda: risk.score(frame, as_of), repeat)
    print(f"{label:>28}: {model.averages.invoices:>7,} paid, {len(scored):>6,} open | fit "
          f"{fit_ms:6.0f} ms | score with a fitted model {apply_ms:6.0f} ms | "
          f"score (fit included) {total_ms:6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="2013-07-01")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--data", type=Path, default=IBM, help="the IBM CSV file")
    args = parser.parse_args()
    if args.data.exists():
        ibm = read_invoices(args.data).frame
        print_evaluation(ibm, args.split)
        bench(f"IBM, {len(ibm):,} rows", ibm, IBM_AS_OF, repeat=5)
    else:
        print(f"IBM dataset not found at {args.data}: evaluation skipped")
    for size in args.sizes:
        bench(f"generated, {size:,} rows", settled_ledger(size), AS_OF,
              repeat=5 if size <= 100_000 else 2)


if __name__ == "__main__":
    main()
