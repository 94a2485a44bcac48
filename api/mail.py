"""Outgoing mail: anything with `async send(message)` is a `MailSender`.

The console sender (the default) writes each message to the log, so a developer can follow
its links; the SMTP sender delivers through the server `COLOPHON_SMTP_URL` names, with the
standard library's smtplib in a worker thread (one connection per message: the mailing list
sends one confirmation at a time).
"""

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from ipaddress import ip_address
from typing import Protocol
from urllib.parse import unquote, urlsplit

from api.errors import ConfigurationError
from api.logging import get_logger
from api.settings import Settings

SMTP_TIMEOUT_SECONDS = 30
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class ConsoleSender:
    """Logs the whole message (headers and text) instead of sending it."""

    async def send(self, message: EmailMessage) -> None:
        body = message.get_body(("plain",))
        get_logger("colophon.mail").info(
            "mail",
            to=message["To"],
            subject=message["Subject"],
            headers={name: str(value) for name, value in message.items()},
            text=body.get_content() if isinstance(body, EmailMessage) else "",
        )


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where `COLOPHON_SMTP_URL` points: `smtp://user:password@host:port` (STARTTLS when the
    server offers it) or `smtps://…` (TLS from the first byte)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ConfigurationError(
                "COLOPHON_SMTP_URL must look like smtp://user:password@host:port or smtps://…"
            )
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ConfigurationError("COLOPHON_SMTP_URL has a port that is not a number") from None
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=parts.scheme == "smtps",
        )

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ip_address(self.host).is_loopback
        except ValueError:
            return False


class SmtpSender:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        server = self.server
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
        with smtp:
            smtp.ehlo()
            encrypted = server.implicit_tls
            if not encrypted and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                encrypted = True
            if server.username is not None:
                # A password crosses the network only encrypted (a relay on this machine may
                # take it in the clear).
                if not encrypted and not server.is_loopback:
                    raise ConfigurationError(
                        f"{server.host} offers no STARTTLS: use smtps:// to send credentials"
                    )
                smtp.login(server.username, server.password or "")
            smtp.send_message(message)


def sender_for(settings: Settings) -> MailSender:
    if settings.smtp_url:
        return SmtpSender(SmtpServer.from_url(settings.smtp_url))
    return ConsoleSender()


def sender_address(settings: Settings) -> str:
    """`COLOPHON_MAIL_FROM`, or the site's name at no-reply@ the public site's host."""
    if settings.mail_from:
        return settings.mail_from
    host = urlsplit(settings.public_base_url).hostname or "localhost"
    return formataddr((settings.site_name, f"no-reply@{host}"))
