"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd with STARTTLS or TLS, AUTH, and faults.

The certificate is made at test time with the `cryptography` package: a throwaway
certificate authority and a server certificate for 127.0.0.1 and localhost signed
by it, so the client verifies the chain and the name exactly as it would against
a real server (given the CA file), and no key is committed to the repository.

Faults, each counted across the whole server:
- `refuse`: recipients answered 550 at RCPT;
- `temporary_failures`: the first N DATA commands answered 451;
- `always_temporary`: every DATA command answered 451 (a server that never recovers);
- `drop_after`: after N accepted messages, the connection is closed at the next MAIL;
- `drop_in_data`: message N is stored, then the connection is closed before the reply;
- `hold_at`: message N is stored, `arrived` is set, and the reply waits for `release()`;
- `max_connections`: connections after the first N are closed before the greeting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import logging
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

TEST_USER = "dunning@example.test"
TEST_PASSWORD = "loopback-Pa55-7f3c9e"
HOST = "127.0.0.1"
HOLD_LIMIT = 30.0  # seconds a held reply waits before giving up (bounds a broken test)

# aiosmtpd 1.4 logs a deprecation warning about its own Session.login_data on every AUTH.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Received:
    """One message as the server took it: the envelope and the exact bytes."""

    mail_from: str
    recipients: tuple[str, ...]
    data: bytes
    connection: int

    @property
    def message(self) -> EmailMessage:
        """The message parsed back, with the wire's CRLF line ends made Python's LF again."""
        return email.message_from_bytes(self.data.replace(b"\r\n", b"\n"),
                                        policy=email.policy.default)


@dataclass
class Faults:
    refuse: frozenset[str] = frozenset()
    temporary_failures: int = 0
    always_temporary: bool = False
    drop_after: int | None = None
    drop_in_data: int | None = None
    hold_at: int | None = None
    max_connections: int | None = None


@dataclass
class _State:
    messages: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    connections: int = 0
    dropped: int = 0
    data_commands: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA certificate and a server certificate + key for 127.0.0.1/localhost, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dunning test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def build_email(number: int, *, to: str | None = None,
                domain: str = "example.test") -> EmailMessage:
    """A reminder-like multipart/alternative message with a stable Message-ID."""
    message = EmailMessage()
    message["From"] = f"Accounts <{TEST_USER}>"
    message["To"] = to or f"customer{number}@{domain}"
    message["Subject"] = f"Reminder {number}: invoice INV-{number:05d} is overdue — ünïcode"
    message["Message-ID"] = f"<reminder-{number}.dunning@{domain}>"
    message["X-Dunning-Key"] = f"C{number}|friendly|2026-11-23"
    message.set_content(f"Dear customer {number},\n\nINV-{number:05d} is 12 days overdue.\n")
    message.add_alternative(f"<p>Dear customer {number},</p><p><b>INV-{number:05d}</b></p>",
                            subtype="html")
    return message


class _Handler:
    def __init__(self, state: _State, faults: Faults, arrived: threading.Event,
                 released: threading.Event, require_auth: bool) -> None:
        self.state, self.faults, self.require_auth = state, faults, require_auth
        self.arrived, self.released = arrived, released

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        drop_after = self.faults.drop_after
        if drop_after is not None and not self.state.dropped and \
                len(self.state.messages) >= drop_after:
            self.state.dropped += 1
            server.transport.close()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.faults.refuse:
            with self.state.lock:
                self.state.refused.append(address)
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.state.lock:
            self.state.data_commands += 1
        if self.faults.always_temporary:
            return "451 4.3.0 Temporary local problem, try again later"
        if self.faults.temporary_failures > 0:
            self.faults.temporary_failures -= 1
            return "451 4.3.0 Temporary local problem, try again later"
        with self.state.lock:
            self.state.messages.append(Received(
                envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content),
                server.connection_number))
            count = len(self.state.messages)
        if count == self.faults.drop_in_data:
            server.transport.close()
        if count == self.faults.hold_at:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait,
                                                             HOLD_LIMIT)
        return "250 2.0.0 OK: queued"


class _CountingSMTP(SMTP):
    """aiosmtpd's SMTP, made once per client connection, that numbers its connection."""

    def __init__(self, handler, state: _State, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        with state.lock:
            state.connections += 1
            self.connection_number = state.connections

    def connection_made(self, transport) -> None:
        first = self.transport is None  # STARTTLS calls this again for the same connection
        super().connection_made(transport)
        limit = self.event_handler.faults.max_connections
        if first and limit is not None and self.connection_number > limit:
            transport.close()  # before the greeting: the client finds the line dead


class _Controller(Controller):
    def __init__(self, handler, state: _State, **kwargs) -> None:
        super().__init__(handler, hostname=HOST, port=0, **kwargs)
        self._state = state

    def factory(self):
        return _CountingSMTP(self.handler, self._state, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]  # port 0: the one the OS chose
        super()._trigger_server()


class LoopbackSmtp:
    """A running SMTP server on 127.0.0.1; use as a context manager.

    Args:
        folder: where the certificates are written.
        security: "starttls" (STARTTLS required before AUTH and mail), "tls" (TLS from the
            first byte) or "none" (plain text, no AUTH).
        user, password: the one account AUTH PLAIN/LOGIN accepts.
        faults: the faults to inject (see the module docstring).
    """

    def __init__(self, folder: Path, *, security: str = "starttls", user: str = TEST_USER,
                 password: str = TEST_PASSWORD, faults: Faults | None = None) -> None:
        self.security = security
        self.user, self.password = user, password
        self.faults = faults or Faults()
        self.arrived, self._released = threading.Event(), threading.Event()
        self._state = _State()
        self.cafile, certfile, keyfile = make_certificates(folder)
        self._controller = _Controller(
            _Handler(self._state, self.faults, self.arrived, self._released,
                     require_auth=security != "none"), self._state,
            **self._smtp_options(certfile, keyfile))
        self.port = 0

    # Public API

    @property
    def messages(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.messages)

    @property
    def refused(self) -> list[str]:
        """The recipients answered 550 at RCPT, in order (each attempt)."""
        with self._state.lock:
            return list(self._state.refused)

    @property
    def connections(self) -> int:
        """Client connections since the server started (not counting aiosmtpd's own probe)."""
        return self._state.connections

    @property
    def data_commands(self) -> int:
        """DATA commands received, answered 250 or not."""
        return self._state.data_commands

    @property
    def logins(self) -> list[str]:
        """The login names of successful AUTH commands."""
        return list(self._state.logins)

    def settings(self, **changes):
        """SmtpSettings for this server (trusting its test CA)."""
        from dunning.mail.smtp import SmtpSettings

        values = dict(host=HOST, port=self.port, security=self.security,
                      user=self.user if self.security != "none" else "",
                      timeout=10.0, cafile=str(self.cafile))
        values.update(changes)
        return SmtpSettings(**values)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait (bounded) until `count` messages have arrived."""
        deadline = time.monotonic() + timeout
        while len(self._state.messages) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def release(self) -> None:
        """Let a held DATA reply go."""
        self._released.set()

    def start(self) -> LoopbackSmtp:
        self._controller.start()
        self.port = self._controller.port
        with self._state.lock:
            self._state.connections = 0  # forget aiosmtpd's start-up probe
        return self

    def stop(self) -> None:
        self.release()
        self._controller.stop()

    def __enter__(self) -> LoopbackSmtp:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Private API

    def _smtp_options(self, certfile: Path, keyfile: Path) -> dict:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)
        if self.security == "none":
            return {"server_hostname": "localhost"}
        options = {"server_hostname": "localhost", "authenticator": self._authenticate,
                   "auth_required": True}
        if self.security == "tls":
            # aiosmtpd offers AUTH only after its own STARTTLS unless told TLS is not required
            # (safe here: every byte is encrypted); it then warns about auth_required, so the
            # handler asks for AUTH at MAIL instead.
            return {**options, "ssl_context": context, "auth_require_tls": False,
                    "auth_required": False}
        return {**options, "tls_context": context, "require_starttls": True}

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        if login == self.user and auth_data.password == self.password.encode():
            with self._state.lock:
                self._state.logins.append(login)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)
