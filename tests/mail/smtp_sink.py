"""A tiny SMTP server for tests: it accepts every message and keeps it, with the credentials
it was given. Enough of RFC 5321 for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

import asyncio
import base64
import email
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpSink:
    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"smtp://reader%40list:s3cret@127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        sender, recipients = "", list[str]()
        reply("220 sink ESMTP")
        try:
            while line := await reader.readline():
                command, _, argument = line.decode().rstrip("\r\n").partition(" ")
                verb = command.upper()
                if verb == "EHLO":
                    reply("250-sink")
                    reply("250 AUTH PLAIN")
                elif verb == "AUTH":
                    _mechanism, _, encoded = argument.partition(" ")
                    _authzid, user, password = base64.b64decode(encoded).decode().split("\0")
                    self.logins.append((user, password))
                    reply("235 2.7.0 accepted")
                elif verb == "MAIL":
                    sender, recipients = argument.partition(":")[2].strip("<>"), []
                    reply("250 ok")
                elif verb == "RCPT":
                    recipients.append(argument.partition(":")[2].strip("<>"))
                    reply("250 ok")
                elif verb == "DATA":
                    reply("354 go on")
                    await writer.drain()
                    self.messages.append(Received(sender, recipients, await _data(reader)))
                    reply("250 kept")
                elif verb == "QUIT":
                    reply("221 bye")
                    break
                else:
                    reply("250 ok")
                await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()


async def _data(reader: asyncio.StreamReader) -> bytes:
    lines = []
    while (line := await reader.readline()) != b".\r\n":
        # RFC 5321 §4.5.2: a line that starts with a dot was sent with one more.
        lines.append(line[1:] if line.startswith(b"..") else line)
    return b"".join(lines)
