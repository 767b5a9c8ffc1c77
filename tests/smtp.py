"""A real SMTP server on loopback (aiosmtpd in a thread) that can misbehave.

Faults a mailing list meets in real life: a connection that drops in the
middle of a message, a server that goes away after k messages, recipients
refused for now (451) or for good (550), a login that must be right.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the server received, and the faults it is told to inject."""

    received: list[tuple[str, bytes]] = field(default_factory=list)  # (recipient, raw message)
    rcpt_attempts: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    refuse: dict[str, str] = field(default_factory=dict)  # address → "451 ..." / "550 ..."
    drop_at: set[int] = field(default_factory=set)  # DATA numbers that lose the connection
    outage_after: int | None = None  # after this many messages, refuse everything with 421
    login: tuple[str, str] | None = None
    pipelining: bool = True  # offer PIPELINING (RFC 2920), as providers do
    data_count: int = 0
    encrypted: list[bool] = field(default_factory=list)  # per message: was TLS on?
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- aiosmtpd handler hooks ------------------------------------------------

    async def handle_EHLO(  # noqa: N802 (aiosmtpd's names)
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            # aiosmtpd reads one command at a time from its stream, so it
            # serves pipelined commands as they come; it only does not say so.
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        with self.lock:
            self.rcpt_attempts[address] += 1
            if self.outage_after is not None and len(self.received) >= self.outage_after:
                return "421 4.3.2 Service not available, try later"
            if address in self.refuse:
                return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.data_count += 1
            if self.data_count in self.drop_at:
                # The message is lost with the connection, as when a link fails.
                server.transport.close()
                return "421 4.4.2 Connection dropped"
            for recipient in envelope.rcpt_tos:
                self.received.append((recipient, envelope.original_content))
                self.encrypted.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 2.0.0 Ok: queued"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.login == (
            data.login.decode(),
            data.password.decode(),
        )
        return AuthResult(success=ok, handled=False)  # False: let the server answer 535

    # -- what tests read -------------------------------------------------------

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            raw = [content for _, content in self.received]
        parsed = [email.message_from_bytes(r, policy=email.policy.default) for r in raw]
        return [m for m in parsed if isinstance(m, EmailMessage)]

    def per_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(recipient for recipient, _ in self.received)

    def digests_per_recipient(self) -> Counter[str]:
        """Copies of the digest each recipient got (reports to the editor left out)."""
        return Counter(
            str(m["To"].addresses[0].addr_spec)
            for m in self.messages()
            if not str(m["Subject"]).strip().startswith("press-digest:")
        )

    def reports(self) -> list[EmailMessage]:
        return [
            m for m in self.messages() if str(m["Subject"]).strip().startswith("press-digest:")
        ]


@dataclass
class Relay:
    """A TCP relay on loopback between a sender and a server. It keeps what
    the sender wrote, one entry per read, and can hold every chunk `delay`
    seconds each way, as the network between a press office and its mail
    provider does (a connection then takes the three legs of TCP's handshake
    before the server hears of it)."""

    upstream: int
    delay: float = 0.0
    port: int = 0
    client_writes: list[bytes] = field(default_factory=list)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers = [writer]
        try:
            await asyncio.sleep(3 * self.delay)
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
            writers.append(up_writer)
            await asyncio.gather(
                self._pipe(reader, up_writer, self.client_writes),
                self._pipe(up_reader, writer, None),
            )
        except (OSError, asyncio.CancelledError):
            pass  # the sender or the server went, or the relay is shutting down
        finally:
            for each in writers:
                each.close()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: list[bytes] | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()
            writer.close()

        delivering = asyncio.ensure_future(deliver())
        try:
            while chunk := await reader.read(65536):
                if record is not None:
                    record.append(chunk)
                queue.put_nowait((loop.time() + self.delay, chunk))
        except OSError:
            pass
        queue.put_nowait((loop.time() + self.delay, b""))
        try:
            await delivering
        except OSError:
            pass


def run_relay(upstream: int, delay: float = 0.0) -> Iterator[Relay]:
    """Relay to `upstream` from a free loopback port until the generator is closed."""
    relay = Relay(upstream, delay)
    loop = asyncio.new_event_loop()

    async def start() -> asyncio.AbstractServer:
        server = await asyncio.start_server(relay._serve, "127.0.0.1", 0)
        relay.port = server.sockets[0].getsockname()[1]
        return server

    async def stop(server: asyncio.AbstractServer) -> None:
        server.close()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await asyncio.sleep(0.01)  # let the closed transports finish closing

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=5)
    try:
        yield relay
    finally:
        asyncio.run_coroutine_threadsafe(stop(server), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


class _CountingController(Controller):
    def __init__(self, mailbox: Mailbox, port: int, **kwargs: Any) -> None:
        super().__init__(mailbox, hostname="127.0.0.1", port=port, **kwargs)
        self.mailbox = mailbox

    def factory(self) -> Any:
        with self.mailbox.lock:
            self.mailbox.connections += 1
        return super().factory()


def certificates(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a certificate for 127.0.0.1 from a throwaway CA,
    and that CA's PEM file for the client to trust ([smtp] ca_file)."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = folder / "test-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return context, ca_file


def run_smtp_server(
    mailbox: Mailbox, tls: ssl.SSLContext | None = None, *, implicit: bool = False
) -> Iterator[tuple[Mailbox, int]]:
    """Serve `mailbox` on a free loopback port until the generator is closed.

    With `tls`, the server offers STARTTLS and requires it, or with
    `implicit` speaks TLS from the first byte (SMTPS)."""
    port = free_port()
    options: dict[str, Any] = {}
    if tls is not None:
        options = (
            {"ssl_context": tls} if implicit else {"tls_context": tls, "require_starttls": True}
        )
    if mailbox.login is not None:
        # PLAIN only: smtplib and aiosmtpd disagree on when LOGIN may retry.
        options |= {
            "authenticator": mailbox.authenticate,
            # aiosmtpd counts only STARTTLS as TLS for AUTH; SMTPS is TLS throughout.
            "auth_require_tls": tls is not None and not implicit,
            "auth_exclude_mechanism": ["LOGIN"],
        }
    controller = _CountingController(mailbox, port, **options)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
