"""A real SMTP server for the tests (aiosmtpd), plain or with STARTTLS and a login.

The server records what it received and how: whether the client had upgraded the connection to
TLS and logged in when it sent. The certificate is made for the test run by a throwaway CA.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "127.0.0.1"
USERNAME = "forum-relay"
PASSWORD = "relay-adgangskode-42"


@dataclass
class Received:
    """One message as the server got it."""

    message: EmailMessage
    mail_from: str
    rcpt_tos: list[str]
    tls: bool
    authenticated: bool
    login: str | None


@dataclass
class RecordingHandler:
    """aiosmtpd handler that keeps every message (thread-safe: senders run in threads)."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Record the message with the session's TLS and login state."""
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)  # lets senders overlap in the concurrency tests
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        auth = session.auth_data
        with self.lock:
            self.received.append(
                Received(
                    message=message,  # type: ignore[arg-type]
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    tls=session.ssl is not None,
                    authenticated=bool(session.authenticated),
                    login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                )
            )
        return "250 Message accepted for delivery"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = (
        mechanism in ("LOGIN", "PLAIN")
        and isinstance(data, LoginPassword)
        and (data.login, data.password) == (USERNAME.encode(), PASSWORD.encode())
    )
    return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


def free_port() -> int:
    """A local TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def make_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 it signed: (ca.pem, cert.pem, key.pem)."""
    now = datetime.now(UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Forum test CA"))
        .issuer_name(name("Forum test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(HOST))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address(HOST))]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


class SMTPServer:
    """A running aiosmtpd server; ``settings`` are the forum's MAIL_* settings to reach it."""

    def __init__(self, *, tls_directory: Path | None = None) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        self.settings: dict[str, object] = {
            "MAIL_SERVER": HOST,
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USERNAME": "",
            "MAIL_PASSWORD": "",
            "MAIL_CA_FILE": "",
            "MAIL_SENDER": "Ledernetværket <forum@test.example>",
        }
        if tls_directory is not None:
            ca, cert, key = make_certificate(tls_directory)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            kwargs.update(
                tls_context=context,
                require_starttls=True,
                auth_required=True,
                auth_require_tls=True,
                authenticator=_authenticate,
            )
            self.settings.update(
                MAIL_USE_TLS=True,
                MAIL_USERNAME=USERNAME,
                MAIL_PASSWORD=PASSWORD,
                MAIL_CA_FILE=str(ca),
            )
        self.controller = Controller(self.handler, hostname=HOST, port=self.port, **kwargs)

    def start(self) -> SMTPServer:
        """Start serving in a background thread."""
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop the server thread."""
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        """What arrived, in order."""
        with self.handler.lock:
            return list(self.handler.received)

    def clear(self) -> None:
        """Forget what arrived (between tests)."""
        with self.handler.lock:
            self.handler.received.clear()
        self.handler.delay = 0.0

    def to(self, recipient: str) -> list[EmailMessage]:
        """Messages that were addressed to ``recipient``, oldest first."""
        return [r.message for r in self.received if recipient in r.rcpt_tos]
