"""The public receivables datasets beside the checkout (../shared/data), for the tests."""

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IBM = "ibm_ar/WA_Fn-UseC_-Accounts-Receivable.csv"
HIGHRADIUS = "highradius_open_items/open_items.csv"
CASSANDRA_TRAIN = "cassandra_udyam22/trainData.csv"
CASSANDRA_TEST = "cassandra_udyam22/testData.csv"


def dataset_path(name: str) -> Path:
    """Path of a dataset file; skips the test, saying why, when the data is not there."""
    path = DATA / name
    if not path.exists():
        pytest.skip(f"public dataset {name} not found under {DATA} (CI provides ../shared/data)")
    return path


def read_dataset(name: str) -> pd.DataFrame:
    """A dataset as text, the way an export is read (leading zeros and formats kept)."""
    return pd.read_csv(dataset_path(name), dtype=str, keep_default_na=False)
