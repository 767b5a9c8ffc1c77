"""SMTP delivery: one connection reused across messages, one message per call.

Where the server offers PIPELINING (RFC 2920), as mail providers do, MAIL,
RCPT and DATA go out together and their three replies are read after: a
message then costs two round trips instead of four, which over a real
network is most of the time a long list takes.

An edge: it talks to the server and reports what the server said; it keeps
no ledger and decides nothing about retries (core does, with the store).
Credentials arrive as arguments, read by core from the environment variables
the config names; they are never logged, and errors never echo them.
"""

from __future__ import annotations

import functools
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from smtplib import quoteaddr
from types import TracebackType

from .delivery import is_permanent
from .errors import DigestError
from .settings import SmtpSettings


class SmtpUnavailable(DigestError):
    """The server cannot be reached or refuses us (login, TLS): stop the run."""


@dataclass(frozen=True)
class SmtpResult:
    """The server's answer to one message."""

    code: int
    reply: str

    @property
    def accepted(self) -> bool:
        return 200 <= self.code < 300

    @property
    def permanent(self) -> bool:
        return is_permanent(self.code)


# What a dropped connection is recorded as: a temporary failure.
CONNECTION_LOST = 421


class SmtpMailer:
    """Send messages over one SMTP session, reconnecting when it drops,
    at most `rate` messages per second (0: no limit)."""

    def __init__(
        self,
        settings: SmtpSettings,
        credentials: tuple[str, str] | None,
        *,
        rate: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._credentials = credentials
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._sleep = sleep
        self._clock = clock
        self._last_sent: float | None = None
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0  # opened so far, for reports and the benchmark

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def send(self, sender: str, recipient: str, message: bytes | Message) -> SmtpResult:
        """Offer one message (as SMTP carries it, or to be written so) for one
        recipient; return what the server said.

        A refused recipient or message comes back as a result with the
        server's code; a dropped connection as a temporary 421. Only a
        server that cannot be reached at all raises `SmtpUnavailable`.
        """
        self._wait_for_rate()
        smtp = self._connection()
        data = message if isinstance(message, bytes) else wire_bytes(message)
        try:
            if smtp.has_extn("pipelining"):
                code, reply = self._send_pipelined(smtp, sender, recipient, data)
            else:
                code, reply = self._send_in_turn(smtp, sender, recipient, data)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            return SmtpResult(CONNECTION_LOST, f"connection lost: {exc or type(exc).__name__}")
        except smtplib.SMTPResponseException as exc:
            self._drop()
            return SmtpResult(exc.smtp_code, _text(exc.smtp_error))
        finally:
            self._last_sent = self._clock()
        return SmtpResult(code, _text(reply))

    @staticmethod
    def _send_in_turn(
        smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes
    ) -> tuple[int, bytes]:
        code, reply = smtp.mail(sender)
        if code == 250:
            code, reply = smtp.rcpt(recipient)
        if code in (250, 251):
            return smtp.data(data)
        if code >= 400:
            smtp.rset()
        return code, reply

    def _send_pipelined(
        self, smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes
    ) -> tuple[int, bytes]:
        smtp.send(_commands(f"MAIL FROM:{quoteaddr(sender)}", f"RCPT TO:{quoteaddr(recipient)}"))
        replies: list[tuple[int, bytes]] = []
        try:
            for _ in range(3):
                replies.append(smtp.getreply())
        except smtplib.SMTPServerDisconnected:
            # A server that refuses and hangs up (421) has said why: keep that.
            refusal = _first_refusal(replies)
            if refusal is None:
                raise
            self._drop()
            return refusal
        (mail, _), (rcpt, _), (opened, _) = replies
        if opened == 354:
            if mail == 250 and rcpt in (250, 251):
                smtp.send(_terminated(data))
                return smtp.getreply()
            # DATA opened though nobody was accepted: end it with nothing in it.
            smtp.send(b".\r\n")
            smtp.getreply()
        if mail == 250:
            smtp.rset()  # the sender was accepted: close that transaction
        return _first_refusal(replies) or replies[-1]

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the server went first; nothing is lost by not saying goodbye
            self._smtp = None

    def _wait_for_rate(self) -> None:
        if self._interval and self._last_sent is not None:
            wait = self._last_sent + self._interval - self._clock()
            if wait > 0:
                self._sleep(wait)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._connect()
            self.connections += 1
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        where = f"{settings.host}:{settings.port}"
        try:
            smtp: smtplib.SMTP
            context = _tls_context(str(settings.ca_file) if settings.ca_file else None)
            if settings.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=settings.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            # SMTP is a dialogue of short lines: without this, Nagle's
            # algorithm meets delayed ACKs and each message waits ~40 ms.
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if settings.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self._credentials is not None:
                smtp.login(*self._credentials)
        except smtplib.SMTPAuthenticationError as exc:
            # The reply may quote what was sent; say only who was refused.
            raise SmtpUnavailable(
                f"SMTP server {where} refused the login ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SmtpUnavailable(f"SMTP server {where}: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SmtpUnavailable(f"cannot reach SMTP server {where}: {exc}") from None
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None


@functools.lru_cache(maxsize=4)
def _tls_context(cafile: str | None) -> ssl.SSLContext:
    """Certificates are always checked: against the system's CAs, or the one
    CA the config names for a relay with its own. Built once: loading the
    system's CA bundle takes longer than a TLS handshake."""
    return ssl.create_default_context(cafile=cafile)


def wire_bytes(message: Message) -> bytes:
    """The message as SMTP carries it: every line ending in CRLF. (smtplib
    passes bytes through untouched, and strict servers refuse bare LF.)"""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _commands(*lines: str) -> bytes:
    """MAIL and RCPT as one write, with DATA last, as RFC 2920 has it. An
    address with a line break in it would smuggle in a command: refused."""
    if any("\r" in line or "\n" in line for line in lines):
        raise ValueError("an SMTP command may not hold a line break")
    return "".join(f"{line}\r\n" for line in (*lines, "DATA")).encode("ascii")


def _terminated(data: bytes) -> bytes:
    """The message as DATA carries it: a dot doubled at the start of a line,
    a line break at the end, and the lone dot that ends it."""
    stuffed = _LEADING_DOT.sub(b"..", data)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _first_refusal(replies: list[tuple[int, bytes]]) -> tuple[int, bytes] | None:
    return next(((code, reply) for code, reply in replies if code >= 400), None)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
