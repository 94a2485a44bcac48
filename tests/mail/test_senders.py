"""The senders: the console by default, SMTP when configured, and a failure that never
reaches the reader who signed up."""

from email.message import EmailMessage
from unittest.mock import patch

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from api.app import create_app
from api.errors import ConfigurationError
from api.logging import configure_logging
from api.mail import ConsoleSender, SmtpSender, SmtpServer, sender_address, sender_for
from api.settings import Settings
from tests.conftest import serving
from tests.mail.smtp_sink import SmtpSink


def test_smtp_urls() -> None:
    assert SmtpServer.from_url("smtp://mail.example.org") == SmtpServer("mail.example.org", 25)
    assert SmtpServer.from_url("smtps://a%40b:p%3Ass@mail.example.org:2465") == SmtpServer(
        "mail.example.org", 2465, "a@b", "p:ss", implicit_tls=True
    )
    with pytest.raises(ConfigurationError):
        SmtpServer.from_url("smtp://mail.example.org:port")
    with pytest.raises(ValueError, match="COLOPHON_SMTP_URL"):
        Settings(smtp_url="http://mail.example.org")
    assert Settings(smtp_url="").smtp_url is None


def test_the_sender_follows_the_settings(settings: Settings) -> None:
    assert isinstance(sender_for(settings), ConsoleSender)
    smtp = sender_for(settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:2525"}))
    assert isinstance(smtp, SmtpSender)
    assert smtp.server.is_loopback
    assert not SmtpServer("mail.example.org", 25).is_loopback


def test_the_from_address(settings: Settings) -> None:
    assert sender_address(settings) == "Colophon <no-reply@example.org>"
    configured = settings.model_copy(update={"mail_from": "News <news@example.org>"})
    assert sender_address(configured) == "News <news@example.org>"


async def test_the_console_sender_logs_the_whole_message() -> None:
    message = EmailMessage()
    message["To"] = "reader@example.org"
    message["Subject"] = "Hello"
    message["List-Unsubscribe"] = "<https://example.org/u?token=t>"
    message.set_content("Open https://example.org/c?token=t")
    configure_logging(Settings(log_level="INFO"))  # as in development
    with capture_logs() as logs:
        await ConsoleSender().send(message)
    [entry] = logs
    assert entry["event"] == "mail"
    assert entry["headers"]["List-Unsubscribe"] == "<https://example.org/u?token=t>"
    assert "https://example.org/c?token=t" in entry["text"]


async def test_the_console_is_the_default(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The console sender logs at INFO, which the tests' settings otherwise filter out.
    verbose = settings.model_copy(update={"log_level": "INFO"})
    async with serving(create_app(verbose, sessionmaker=sessionmaker)) as client:
        with capture_logs() as logs:
            answer = await client.post(
                "/api/v1/subscriptions", json={"email": "reader@example.org"}
            )
    assert answer.status_code == 202
    [mail] = [entry for entry in logs if entry["event"] == "mail"]
    assert mail["to"] == "reader@example.org"
    assert "/subscriptions/confirm?token=" in mail["text"]


async def test_a_failed_delivery_is_logged_not_shown(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # Nothing listens on port 9 of this machine: the connection is refused at once.
    unreachable = settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:9"})
    async with serving(create_app(unreachable, sessionmaker=sessionmaker)) as client:
        with capture_logs() as logs:
            answer = await client.post(
                "/api/v1/subscriptions", json={"email": "reader@example.org"}
            )
    assert answer.status_code == 202
    assert any(entry["event"] == "mail.failed" for entry in logs)


async def test_credentials_never_cross_the_network_in_the_clear(smtp: SmtpSink) -> None:
    """The sink offers no STARTTLS; a server that is not on this machine gets no password."""
    sender = SmtpSender(SmtpServer("127.0.0.1", smtp.port, "user", "password"))
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "x"
    message.set_content("x")
    with patch.object(SmtpServer, "is_loopback", False), pytest.raises(ConfigurationError):
        await sender.send(message)
    assert smtp.logins == []
    assert smtp.messages == []
