"""Sending ready-made reminder emails over SMTP through yagmail: one connection, never twice.

How yagmail is used, and why not its `send()`:
- `yagmail.SMTP` opens the connection (SMTP over TLS for "tls", STARTTLS for
  "starttls", plain for "none") and logs in; each message then goes out through
  its smtplib connection, `client.smtp.send_message(email)`, unchanged.
- `send()` is not used: it builds the message itself from `contents` (its own
  MIME layout, HTML rewritten by premailer, its own headers), so it cannot send
  the EmailMessage that was rendered and previewed as a draft; and on a dropped
  connection it sleeps 3 and 6 seconds (not injectable), retries even when the
  server may already hold the message, then files it in `unsent` and returns
  False, losing the SMTP reply that tells a temporary failure from a permanent one.
- yagmail's defaults are sidestepped: the password is always passed in, so yagmail
  never reads the keyring under its own "yagmail" service name nor prompts (a
  prompt would hang a scheduled run); the user goes in as a one-entry dict, so a
  login without "@" ("apikey") is neither suffixed with "@gmail.com" nor rejected
  as an address; and an SSL context that verifies the certificate and host name is
  passed explicitly (smtplib's `starttls()` without one verifies nothing), for
  STARTTLS and implicit TLS alike: it trusts the system's store, or only the PEM
  bundle named by the SMTP CA File setting (`SmtpSettings.cafile`) for a server with
  a certificate authority of its own. Verification is never turned off.

A run spends a bounded time on a server that keeps answering "try again later":
after `MAX_FAILURES_IN_A_ROW` temporary failures with no message accepted in
between, once the next back-off would take the run's waiting past `RETRY_BUDGET`
seconds, or once the attempts that failed temporarily have themselves taken
`FAILING_BUDGET` seconds (a server that lets each attempt run into the timeout, measured
with `time.monotonic`: a stopwatch, not the calendar), it stops trying that server; the
message being tried is recorded as failed (temporary: the next run sends it) and the
rest are "not attempted", with no intent in the journal, so the next run sends them too.

Each send is bracketed by the `Journal` (intent before, outcome after), so a run
that is killed or loses the network can be started again and sends nothing twice. A
journal that refuses a record (a full disk) stops the batch at once (`SendingStopped`,
with every result so far): nothing goes that is not recorded first. A refused recipient
is recorded by address (`Journal.failed`'s `refused`), so that later runs can hold it.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage
from functools import partial
from pathlib import Path

import yagmail

from dunning.core.errors import DunningInputError, Issue
from dunning.mail.journal import Journal, JournalWriteError

SECURITIES: tuple[str, ...] = ("tls", "starttls", "none")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
PASSWORD_VARIABLE = "DUNNING_SMTP_PASSWORD"
KEYRING_SERVICE = "dunning"
OUTCOMES: tuple[str, ...] = (
    "sent",           # accepted by the server in this run
    "failed",         # refused in this run (`permanent` tells whether a later run retries it)
    "in doubt",       # may have gone out; never resent automatically (see `Journal.resolve`)
    "already sent",   # sent by an earlier run; nothing done
    "failed before",  # refused permanently by an earlier run; retried only with retry_failed
    "not attempted",  # the server was lost for good, or given up on, earlier in this run
)
MAX_FAILURES_IN_A_ROW = 10
"""Temporary failures (4xx, dropped connection, timeout), with no message accepted in between,
after which a run stops trying the server."""
RETRY_BUDGET = 60.0
"""Seconds a run may spend waiting between attempts, over all its messages."""
FAILING_BUDGET = 120.0
"""Seconds a run may spend in attempts that fail temporarily (a timeout, a slow 4xx), over
all its messages: with `RETRY_BUDGET`, what caps the time a failing server costs a run."""
CA_FILE_SETTING = "SMTP CA File"
IN_DOUBT_ADVICE = (
    "the message may have reached the server before the run stopped, so it is not resent "
    "automatically; check the sender's Sent folder or the recipient, then settle it as "
    "sent or not sent"
)


class MailerError(DunningInputError):
    """Sending cannot start or go on: no password, refused login, untrusted server, bad settings."""

    def __init__(self, messages: str | Sequence[str]) -> None:
        texts = [messages] if isinstance(messages, str) else list(messages)
        super().__init__([Issue(text) for text in texts])


class SendingStopped(Exception):
    """The send journal could not be written mid-batch (a full disk), so the batch stopped:
    nothing may go that is not recorded first. `results` says what became of every message
    (those after the stop "not attempted"), `error` is the journal's `JournalWriteError`.

    Nothing is sent twice all the same: every message handed to the server had its intent
    recorded (and flushed) first, so one whose outcome could not be recorded is "in doubt"
    to the next run, never resent blindly.
    """

    def __init__(self, error: JournalWriteError, results: list[SendResult]) -> None:
        super().__init__(str(error))
        self.error = error
        self.results = results


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. The password is never part of it (see `smtp_password`).

    Attributes:
        host, port: the SMTP server (587 for STARTTLS and 465 for TLS are usual).
        security: "starttls", "tls" (TLS from the first byte) or "none" (localhost only).
        user: the login; "" for a relay that needs none.
        timeout: seconds to wait for the server at each step.
        cafile: a PEM bundle of the certificate authorities to trust instead of the
            system's store (the SMTP CA File setting: a server with its own CA); "" for
            the system's store.
    """

    host: str
    port: int = 587
    security: str = "starttls"
    user: str = ""
    timeout: float = 30.0
    cafile: str = ""

    def check(self) -> None:
        """Raise `MailerError` naming every unusable setting."""
        problems = []
        if not self.host.strip():
            problems.append("no SMTP host given")
        if self.security not in SECURITIES:
            problems.append(f"SMTP security must be one of {', '.join(SECURITIES)}; "
                            f"got {self.security!r}")
        elif self.security == "none" and not is_local(self.host):
            problems.append(
                f"plain-text SMTP (security \"none\") would send the password and the mail "
                f"readable on the network, so it is allowed only to localhost, 127.0.0.1 or ::1, "
                f"not to {self.host!r}; use \"starttls\" (usually port 587) or \"tls\" "
                f"(usually port 465)")
        if not 0 < self.port < 65536:
            problems.append(f"SMTP port must be between 1 and 65535; got {self.port}")
        if self.timeout <= 0:
            problems.append(f"SMTP timeout must be positive; got {self.timeout}")
        if self.cafile:
            try:
                ssl_context(self)
            except MailerError as unusable:
                problems.extend(issue.message for issue in unusable.issues)
        if problems:
            raise MailerError(problems)


@dataclass(frozen=True)
class Outgoing:
    """One message to send under its idempotency key; recipients and Message-ID come from
    the email's own headers."""

    key: str
    customer: str
    email: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.email.get("Message-ID", "")).strip()


@dataclass(frozen=True)
class SendResult:
    """What became of one `Outgoing`; `outcome` is one of `OUTCOMES`."""

    key: str
    customer: str
    message_id: str
    outcome: str
    error: str = ""
    permanent: bool = False
    attempts: int = 1


def is_local(host: str) -> bool:
    """True for the loopback names plain-text SMTP is allowed to."""
    return host.strip().strip("[]").lower().rstrip(".") in LOCAL_HOSTS


def smtp_password(settings: SmtpSettings, *, env: Mapping[str, str] = os.environ) -> str:
    """The SMTP password from DUNNING_SMTP_PASSWORD, else from the system keyring (service
    "dunning", username = the SMTP user). Never from the workbook."""
    return _find_password(settings, env)[0]


def ssl_context(settings: SmtpSettings) -> ssl.SSLContext:
    """A context that checks the server's certificate and name: against the system's store,
    or only against the PEM bundle `cafile` when one is given (the SMTP CA File setting).

    Raises:
        MailerError: naming the SMTP CA File setting, when the file is missing, unreadable
            or holds no PEM certificate.
    """
    if not settings.cafile:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=settings.cafile)
    except (OSError, ValueError) as error:
        raise MailerError(_cafile_problem(settings.cafile, error)) from error


def send_messages(
    outgoing: Sequence[Outgoing],
    smtp: SmtpSettings,
    journal: Journal,
    *,
    password: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    retry_failed: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    max_failures_in_a_row: int = MAX_FAILURES_IN_A_ROW,
    retry_budget: float = RETRY_BUDGET,
    failing_budget: float = FAILING_BUDGET,
    stopwatch: Callable[[], float] = time.monotonic,
) -> list[SendResult]:
    """Send each message at most once, over one SMTP connection, recording each in `journal`.

    Keys the journal has as sent are skipped, and keys in doubt are reported, never resent.
    Temporary failures (4xx, dropped connection, timeout) are retried `retries` times,
    waiting `backoff`, 2*`backoff`, 4*`backoff`... seconds; permanent ones (5xx, refused
    recipient) are recorded and the batch goes on. Keys that failed permanently in an earlier
    run are retried only with `retry_failed`. `progress(done, total)` follows every message.

    The run gives up on the server after `max_failures_in_a_row` temporary failures with no
    message accepted in between, when the next wait would take the seconds it has waited
    (over all messages) past `retry_budget`, or once its temporarily failed attempts have
    taken `failing_budget` seconds (timed by `stopwatch`): the message being tried is then "failed"
    (temporary), and every later one "not attempted" (no intent journaled: the next run
    sends it), each result saying why.

    Raises:
        MailerError: before anything is sent, when the settings are unusable, the password
            is missing, the login is refused, the certificate is not trusted or the server
            cannot be reached.
        SendingStopped: the journal could not be written; it carries the results so far.
    """
    smtp.check()
    _check_outgoing(outgoing)
    if retries < 0 or backoff < 0 or retry_budget < 0 or failing_budget < 0:
        raise ValueError("retries, backoff, retry_budget and failing_budget must not be "
                         "negative")
    if max_failures_in_a_row < 1:
        raise ValueError("max_failures_in_a_row must be at least 1")
    retry = _Retry(retries, backoff, sleep, max_failures_in_a_row, retry_budget,
                   failing_budget, stopwatch)
    connection = _Connection(smtp, password)
    results: list[SendResult] = []
    try:
        for index, item in enumerate(outgoing):
            try:
                results.append(_send_one(item, connection, journal, retry, retry_failed))
            except _Unrecorded as stop:
                results.append(stop.result)
                results += [_result(rest, "not attempted", _journal_lost(stop.error), attempts=0)
                            for rest in outgoing[index + 1:]]
                raise SendingStopped(stop.error, results) from stop.error
            if progress is not None:
                progress(len(results), len(outgoing))
    finally:
        connection.close()
    return results


# Private API


@dataclass
class _Retry:
    """The back-off between attempts, and the run's limits on the time spent retrying."""

    retries: int
    backoff: float
    sleep: Callable[[float], None]
    max_in_a_row: int = MAX_FAILURES_IN_A_ROW
    budget: float = RETRY_BUDGET
    failing_budget: float = FAILING_BUDGET
    stopwatch: Callable[[], float] = time.monotonic
    in_a_row: int = 0  # temporary failures since a message was last accepted
    waited: float = 0.0  # seconds of back-off this run
    failing: float = 0.0  # seconds spent in attempts that failed temporarily
    started: float = 0.0  # when the attempt under way started (by the stopwatch)

    def wait_before(self, attempt: int) -> bool:
        """Back off before every attempt but the first; False, without waiting, when that
        wait would take the run past its budget."""
        if attempt == 1:
            return True
        delay = self.backoff * 2 ** (attempt - 2)
        if self.waited + delay > self.budget:
            return False
        self.waited += delay
        self.sleep(delay)
        return True

    def start(self) -> None:
        """An attempt begins: start the stopwatch."""
        self.started = self.stopwatch()

    def failed(self) -> str:
        """Count a temporary failure and its time; why the run must stop trying the server
        (too many in a row, or too long spent failing), or "" to go on."""
        self.in_a_row += 1
        self.failing += max(self.stopwatch() - self.started, 0.0)
        if self.in_a_row >= self.max_in_a_row:
            return self.too_many
        if self.failing >= self.failing_budget:
            return (f"{self.failing:.0f} s spent in attempts that failed, past the run's "
                    f"{self.failing_budget:g} s")
        return ""

    def succeeded(self) -> None:
        self.in_a_row = 0

    @property
    def too_many(self) -> str:
        return f"{self.in_a_row} temporary failures in a row"

    @property
    def spent(self) -> str:
        return (f"the run's retry budget of {self.budget:g} s of waiting is spent "
                f"({self.waited:g} s waited)")

    @property
    def attempts(self) -> range:
        return range(1, self.retries + 2)


_HOSTNAME_MISMATCH = 62  # OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH


class _Unrecorded(Exception):
    """The journal refused a record of one message's send: the batch stops with its result."""

    def __init__(self, result: SendResult, error: JournalWriteError) -> None:
        super().__init__(str(error))
        self.result, self.error = result, error


def _recorded(write: Callable[[], None], result: SendResult) -> SendResult:
    """`result`, once `write` has put it in the journal; a journal that cannot be written stops
    the batch, the result saying what the next run will make of the message."""
    try:
        write()
    except JournalWriteError as error:
        advice = ("it went out: settle it as sent" if result.outcome == "sent"
                  else "it was not sent: settle it as not sent")
        why = (f"the send journal could not record this ({error.strerror or error}), so the "
               f"next run reports it in doubt; {advice}")
        raise _Unrecorded(replace(result, error="; ".join(filter(None, (result.error, why)))),
                          error) from error
    return result


def _journal_lost(error: JournalWriteError) -> str:
    """Why the messages after a journal that stopped taking records are not attempted."""
    return (f"the send journal {error.filename} could not be written "
            f"({error.strerror or error}); nothing more was sent, and the next run sends it")


class _Unavailable(Exception):
    """The server cannot be reached or logged into right now; trying again may help."""


class _Connection:
    """The batch's one SMTP connection, opened through yagmail on first use and after a drop."""

    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        self.settings = settings
        self.opened = 0
        self.handed_over = False  # the message went into DATA: a break now leaves doubt
        self.broken = ""  # why the connection is gone, or given up on, for good
        self._password = password
        self._source = "given by the caller"
        self._client: yagmail.SMTP | None = None

    def send(self, email: EmailMessage) -> dict:
        """Send over the open connection; the refused recipients, if only some were."""
        assert self._client is not None
        self.handed_over = False
        return self._client.smtp.send_message(email)

    def ensure(self) -> None:
        """Connect and log in if not connected; `MailerError` or `_Unavailable` otherwise."""
        if self._client is None:
            self._client = self._open()
            self.opened += 1

    def drop(self) -> None:
        """Forget a connection the server has dropped, without the courtesy of QUIT."""
        if self._client is not None:
            _discard(self._client)
            self._client = None

    def close(self) -> None:
        """End the conversation politely (QUIT) at the end of the batch."""
        if self._client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.smtp.quit()
            self.drop()

    def _open(self) -> yagmail.SMTP:
        settings = self.settings
        if settings.user and self._password is None:
            self._password, self._source = _find_password(settings, os.environ)
        context = ssl_context(settings)
        client = yagmail.SMTP(
            user={settings.user: settings.user},
            password=self._password or "",
            host=settings.host,
            port=settings.port,
            smtp_ssl=settings.security == "tls",
            smtp_starttls={"context": context} if settings.security == "starttls" else False,
            smtp_skip_login=not settings.user,
            soft_email_validation=False,
            timeout=settings.timeout,
            **({"context": context} if settings.security == "tls" else {}),
        )
        try:
            client.login()
        except (smtplib.SMTPException, OSError) as error:
            _discard(client)
            raise self._login_error(error) from error
        _track_handover(client.smtp, self)
        return client

    def _login_error(self, error: Exception) -> Exception:
        """`MailerError` when trying again cannot help, `_Unavailable` when it might."""
        settings = self.settings
        server = f"{settings.host}:{settings.port}"
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return MailerError(
                f"the SMTP server {server} refused the login of user {settings.user!r} "
                f"({_reply(error.smtp_code, error.smtp_error)}); check the password "
                f"{self._source}: set it in the environment variable {PASSWORD_VARIABLE} or in "
                f"the system keyring (service {KEYRING_SERVICE!r}, user {settings.user!r})")
        if isinstance(error, ssl.SSLCertVerificationError):
            return MailerError(_untrusted(server, settings, error))
        if isinstance(error, ssl.SSLError):
            return MailerError(
                f"TLS with {server} failed ({error}); check that the security setting matches "
                "the port: \"tls\" (usually 465) or \"starttls\" (usually 587)")
        if isinstance(error, smtplib.SMTPNotSupportedError):
            return MailerError(f"{server} cannot do what the settings ask: {error}")
        if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500:
            return MailerError(
                f"{server} refused the connection: {_reply(error.smtp_code, error.smtp_error)}")
        return _Unavailable(f"cannot connect to {server}: {_describe(error)}")


def _send_one(item: Outgoing, connection: _Connection, journal: Journal, retry: _Retry,
              retry_failed: bool) -> SendResult:
    earlier = _earlier_outcome(item, journal, retry_failed)
    if earlier is not None:
        return earlier
    if connection.broken:
        return _result(item, "not attempted", connection.broken, attempts=0)
    if connection.opened == 0:
        _connect_first(connection, retry)
    try:
        journal.intend(item.key, item.message_id)
    except JournalWriteError as error:  # not handed over: it goes with the next run
        raise _Unrecorded(_result(item, "not attempted", _journal_lost(error), attempts=0),
                          error) from error
    error, reachable = "", True
    for attempt in retry.attempts:
        if not retry.wait_before(attempt):
            return _give_up(item, connection, journal, error, retry.spent, attempt - 1)
        retry.start()
        try:
            connection.ensure()
        except MailerError as fatal:
            connection.broken = _lost(str(fatal))
            return _recorded(
                partial(journal.failed, item.key, item.message_id, str(fatal), permanent=False),
                _result(item, "failed", str(fatal), attempts=attempt))
        except _Unavailable as unavailable:
            error, reachable = str(unavailable), False
            if stop := retry.failed():
                return _give_up(item, connection, journal, error, stop, attempt)
            continue
        reachable = True
        try:
            refused = connection.send(item.email)
        except (smtplib.SMTPException, OSError, ValueError) as failure:
            kind, error = _classify(failure, connection.handed_over)
            if kind in ("dropped", "doubt"):
                connection.drop()
            if kind == "permanent":  # a refused address is named: later runs hold it
                refused = (sorted(failure.recipients)
                           if isinstance(failure, smtplib.SMTPRecipientsRefused) else [])
                return _recorded(
                    partial(journal.failed, item.key, item.message_id, error, permanent=True,
                            refused=refused),
                    _result(item, "failed", error, permanent=True, attempts=attempt))
            if kind == "doubt":
                return _recorded(partial(journal.doubt, item.key, item.message_id, error),
                                 _result(item, "in doubt", f"{error}; {IN_DOUBT_ADVICE}",
                                         attempts=attempt))
            if stop := retry.failed():
                return _give_up(item, connection, journal, error, stop, attempt)
            continue
        retry.succeeded()
        return _recorded(partial(journal.sent, item.key, item.message_id),
                         _result(item, "sent", _refused_text(refused), attempts=attempt))
    if not reachable:
        connection.broken = _lost(error)
    return _recorded(partial(journal.failed, item.key, item.message_id, error, permanent=False),
                     _result(item, "failed", error, attempts=retry.retries + 1))


def _lost(error: str) -> str:
    """Why the messages after a server lost for good are not attempted."""
    return f"the connection was lost earlier in this run ({error}); the next run sends it"


def _give_up(item: Outgoing, connection: _Connection, journal: Journal, error: str,
             reason: str, attempts: int) -> SendResult:
    """Stop trying the server for this run: this message failed (temporarily), the rest are
    not attempted; the next run sends them all."""
    server = f"{connection.settings.host}:{connection.settings.port}"
    connection.broken = (f"this run stopped trying {server}, which kept answering with "
                         f"temporary failures ({reason}; last: {error}); the next run sends it")
    return _recorded(partial(journal.failed, item.key, item.message_id, error, permanent=False),
                     _result(item, "failed", f"{error}; this run stopped trying {server} "
                             f"({reason}); the next run sends it", attempts=attempts))


def _earlier_outcome(item: Outgoing, journal: Journal, retry_failed: bool) -> SendResult | None:
    """The result for a key an earlier run settled, or None when it is to be sent now."""
    state = journal.state(item.key)
    record = journal.latest(item.key) or {}
    when = record.get("time", "an earlier run")
    if state == "sent":
        return _result(item, "already sent", attempts=0)
    if state == "in doubt":
        why = record.get("error", "the run stopped during the send")
        return _result(item, "in doubt", f"{why} (at {when}); {IN_DOUBT_ADVICE}", attempts=0)
    if state == "failed" and record.get("permanent") and not retry_failed:
        return _result(item, "failed before", f"{record.get('error', '')} (at {when}); not "
                       "retried unless asked", permanent=True, attempts=0)
    return None


def _connect_first(connection: _Connection, retry: _Retry) -> None:
    """Open the batch's connection before any intent is written, so a bad password or an
    unreachable server stops the run with nothing in doubt."""
    error = ""
    for attempt in retry.attempts:
        if not retry.wait_before(attempt):
            raise MailerError(f"{error} (tried {attempt - 1} times; {retry.spent}); nothing "
                              "was sent")
        retry.start()
        try:
            connection.ensure()
            return
        except _Unavailable as unavailable:
            error = str(unavailable)
            if stop := retry.failed():
                raise MailerError(f"{error} ({stop}); nothing was sent") from None
    raise MailerError(f"{error} (tried {retry.retries + 1} times); nothing was sent")


def _classify(error: Exception, handed_over: bool) -> tuple[str, str]:
    """("permanent" | "temporary" | "dropped" | "doubt", the server's words) for a failed send."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        text = "; ".join(f"{address} refused: {_reply(code, reply)}"
                         for address, (code, reply) in error.recipients.items())
        temporary = bool(codes) and all(400 <= code < 500 for code in codes)
        return ("temporary" if temporary else "permanent"), text
    if isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, _reply(error.smtp_code, error.smtp_error)
        if code == 421:
            return "dropped", text  # the server is closing the connection
        if 400 <= code < 500:
            return "temporary", text
        if 500 <= code < 600:
            return "permanent", text
        return ("doubt" if handed_over else "dropped"), text
    if isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
        return ("doubt" if handed_over else "dropped"), _describe(error)
    return "permanent", f"the message cannot be sent: {_describe(error)}"


def _track_handover(smtp: smtplib.SMTP, connection: _Connection) -> None:
    """Note when smtplib enters DATA: after that, a broken connection may hide a delivery."""
    data = smtp.data

    def tracked_data(msg: bytes | str) -> tuple[int, bytes]:
        connection.handed_over = True
        return data(msg)

    smtp.data = tracked_data  # type: ignore[method-assign]


def _untrusted(server: str, settings: SmtpSettings, error: ssl.SSLCertVerificationError) -> str:
    """Why the server's certificate was refused, and the setting that can fix it."""
    why = f"the certificate of {server} is not trusted ({error.verify_message})"
    if error.verify_code == _HOSTNAME_MISMATCH:
        return (f"{why}; check that SMTP Host is the name the server's certificate is made "
                "out to")
    if settings.cafile:
        return (f"{why}: {CA_FILE_SETTING} {settings.cafile!r} does not hold the certificate "
                "authority that signed it; set SMTP CA File to the PEM file of the CA that "
                "signed the mail server's certificate")
    return (f"{why}; for a mail server with its own certificate authority, set SMTP CA File "
            "in the Settings sheet to the full path of that CA's certificate (a PEM file)")


def _find_password(settings: SmtpSettings, env: Mapping[str, str]) -> tuple[str, str]:
    """The password and where it came from, or `MailerError` saying both ways to give it."""
    if env.get(PASSWORD_VARIABLE):
        return env[PASSWORD_VARIABLE], f"in {PASSWORD_VARIABLE}"
    note = ""
    try:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, settings.user)
    except Exception as error:  # no keyring, or a backend that cannot be read
        stored, note = None, f" (the system keyring could not be read: {error})"
    if stored:
        return stored, f"in the system keyring (service {KEYRING_SERVICE!r})"
    raise MailerError(
        f"no SMTP password for user {settings.user!r} at {settings.host}{note}; set the "
        f"environment variable {PASSWORD_VARIABLE}, or store it in the system keyring under "
        f"service {KEYRING_SERVICE!r} and user {settings.user!r} (for example: "
        f"keyring set {KEYRING_SERVICE} {settings.user}). Passwords are never read from the "
        "workbook.")


def _cafile_problem(cafile: str, error: Exception) -> str:
    """What is wrong with the SMTP CA File, in words that name the setting."""
    named = f"{CA_FILE_SETTING} {cafile!r}"
    blank = "or leave it blank to trust the system's certificate store"
    path = Path(cafile)
    if "\0" in cafile:
        return f"{named} is not a file name; give the full path of a PEM file, {blank}"
    if not path.exists():
        return (f"{named} does not exist; give the full path of the mail server's CA "
                f"certificate (a PEM file), {blank}")
    if not path.is_file():
        return f"{named} is not a file; give the full path of a PEM file, {blank}"
    if isinstance(error, ssl.SSLError):
        return (f"{named} is not a PEM bundle of certificates ({error.reason or error}); it "
                "must hold one or more \"-----BEGIN CERTIFICATE-----\" blocks: the mail "
                f"server's certificate authority, as your IT department gives it, {blank}")
    return f"{named} cannot be read ({_describe(error)}); {blank}"


def _check_outgoing(outgoing: Sequence[Outgoing]) -> None:
    missing = [item.key for item in outgoing if not item.message_id or not item.email["To"]]
    if missing:
        raise ValueError(f"emails without a Message-ID or To header: {', '.join(missing[:5])}")


def _result(item: Outgoing, outcome: str, error: str = "", *, permanent: bool = False,
            attempts: int = 1) -> SendResult:
    return SendResult(item.key, item.customer, item.message_id, outcome, error, permanent,
                      attempts)


def _refused_text(refused: dict) -> str:
    """Recipients refused while others accepted the message (rare: one address per message)."""
    return "; ".join(f"{address} refused: {_reply(code, reply)}"
                     for address, (code, reply) in refused.items())


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {words}".strip()


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _discard(client: yagmail.SMTP) -> None:
    """Close the socket and tell yagmail, so its __del__ does not try QUIT on a dead line."""
    client.is_closed = True
    if client.smtp is not None:
        client.smtp.close()
