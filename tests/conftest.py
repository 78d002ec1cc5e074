"""Fixtures shared by the test modules."""

import pytest

from dunning.demo import SAMPLE_AS_OF, SAMPLE_SETTINGS, sample_customers, sample_invoices
from dunning.io.client_workbook import build_workbook


@pytest.fixture(autouse=True)
def no_personal_rates_file(tmp_path_factory, monkeypatch):
    """A developer's own late-payment rates file (`dunning rates update`) never leaks in."""
    monkeypatch.setenv("DUNNING_RATES", str(tmp_path_factory.mktemp("rates") / "none.csv"))


@pytest.fixture
def book(tmp_path):
    """The sample client's workbook, with its settings, as a fresh .xlsx file."""
    path = tmp_path / "Client.xlsx"
    build_workbook(path, client="Sample", invoices=sample_invoices(),
                   customers=sample_customers(), as_of=SAMPLE_AS_OF, settings=SAMPLE_SETTINGS)
    return path


@pytest.fixture
def no_backoff(monkeypatch):
    """Reminder runs retry without the real back-off sleeps (the run is the same, only
    faster)."""
    from dunning.app import remind

    real = remind.send_messages

    def sending(*args, **kwargs):
        return real(*args, **{**kwargs, "sleep": lambda seconds: None})

    monkeypatch.setattr(remind, "send_messages", sending)


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A loopback SMTP server (aiosmtpd, STARTTLS, login) that reminders are sent to through
    yagmail; modules using it skip without the cryptography package, which makes its
    certificate."""
    from smtp_server import TEST_PASSWORD, LoopbackSmtp

    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", TEST_PASSWORD)
    with LoopbackSmtp(tmp_path / "certs") as running:
        yield running
