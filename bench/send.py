"""How fast an edition goes out, run by hand: `make bench-send`.

1,000 recipients to an aiosmtpd server on loopback, the same 40-item edition
each, in one run:

- one SMTP connection reused for every message (what `digest send` does);
- baseline: a new connection (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT)
  per message;
- the whole `digest send` path, ledger included (two committed writes per
  message), over the reused connection;

first with STARTTLS and a login, as a real provider asks, then over plain
SMTP to show what the connection alone costs on loopback.

Loopback has no latency, and over a network round trips are what a
connection costs: TCP's handshake and the banner, EHLO, STARTTLS, the TLS
handshake, EHLO again, AUTH and QUIT, against two for a pipelined message.
So the run ends with fewer messages (--relayed, default 200) sent through a
relay on loopback that holds every chunk --rtt/2 ms each way (default 10 ms
round trip: a provider in the same region), both ways, and once more to a
server that does not offer PIPELINING.

Wall time includes the server's own work on each message, the same in both
ways of sending: aiosmtpd reads a message line by line, in Python, and that
is most of the time with reuse. So the bench also prints the sender's CPU
time per message (this process's main thread; the server runs in another),
which is what reuse saves on the machine that sends.

Target: reuse at least 5x faster than a connection per message.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest import load_config, open_digest  # noqa: E402
from digest.bundled import bundled_templates_dir  # noqa: E402
from digest.mime import compose_message, message_body  # noqa: E402
from digest.render import render_edition  # noqa: E402
from digest.send import SmtpMailer  # noqa: E402
from digest.settings import SmtpSettings  # noqa: E402
from digest.types import Sender, Theme  # noqa: E402
from tests.conftest import SAMPLE_OPML, write_config  # noqa: E402
from tests.editions import MAILING, NOW, big_edition  # noqa: E402
from tests.smtp import Mailbox, certificates, run_relay, run_smtp_server  # noqa: E402

RECIPIENTS = [f"reader{n:04d}@example.org" for n in range(1000)]
SENDER = Sender("Press Office", "press@press-office.example")


def timed_with_cpu(action: object) -> tuple[float, float]:
    """Wall time, and CPU time of the calling thread (not the server's)."""
    start, start_cpu = time.perf_counter(), time.thread_time()
    action()  # type: ignore[operator]
    return time.perf_counter() - start, time.thread_time() - start_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=float, default=10.0, help="relay round trip, ms")
    parser.add_argument("--relayed", type=int, default=200, help="messages through the relay")
    options = parser.parse_args()
    # aiosmtpd's AUTH code logs a warning about its own deprecated attribute
    # on each login.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    templates = {p.name: p.read_text("utf-8") for p in bundled_templates_dir().iterdir()}
    rendered = render_edition(
        big_edition(40),
        templates,
        sender=SENDER,
        zone=ZoneInfo("Asia/Phnom_Penh"),
        theme=Theme(),
        mailing=MAILING,
    )
    body = message_body(rendered)
    messages = [
        compose_message(
            body,
            sender=SENDER,
            to=address,
            date=NOW,
            message_id=f"<bench.{n}@press-office.example>",
            mailing=MAILING,
            list_name="Press Office",
        )
        for n, address in enumerate(RECIPIENTS)
    ]
    count = len(RECIPIENTS)
    size = len(messages[0]) / 1000
    print(f"{count} messages of {size:.0f} KB each to aiosmtpd on loopback")
    with tempfile.TemporaryDirectory() as folder:
        context, ca_file = certificates(Path(folder))
        login = ("bench", "bench-password")
        for _, port in run_smtp_server(Mailbox(login=login), context):
            settings = SmtpSettings(host="127.0.0.1", port=port, ca_file=ca_file)
            print("\nSTARTTLS and AUTH, as with a real provider:")
            compare(settings, login, messages)
            whole_time, sent = whole_send(port, ca_file, login)
            print(
                f"  whole `digest send`, ledger included: {whole_time:5.2f} s"
                f"  {sent / whole_time:5.0f} msg/s"
            )
        for _, port in run_smtp_server(Mailbox()):
            print("\nplain SMTP, no login (a local relay):")
            compare(SmtpSettings(host="127.0.0.1", port=port, security="none"), None, messages)
        relayed = messages[: options.relayed]
        for pipelining in (True, False):
            for _, port in run_smtp_server(Mailbox(login=login, pipelining=pipelining), context):
                for relay in run_relay(port, delay=options.rtt / 2000):
                    offered = "offering" if pipelining else "not offering"
                    print(
                        f"\n{len(relayed)} messages, STARTTLS and AUTH, {options.rtt:g} ms round "
                        f"trip, to a server {offered} PIPELINING:"
                    )
                    settings = SmtpSettings(host="127.0.0.1", port=relay.port, ca_file=ca_file)
                    compare(settings, login, relayed)


def compare(settings: SmtpSettings, login: tuple[str, str] | None, messages: list[bytes]) -> None:
    recipients = RECIPIENTS[: len(messages)]

    def reused() -> None:
        with SmtpMailer(settings, login) as mailer:
            for address, message in zip(recipients, messages, strict=True):
                assert mailer.send(SENDER.address, address, message).accepted

    def one_per_message() -> None:
        for address, message in zip(recipients, messages, strict=True):
            with SmtpMailer(settings, login) as mailer:
                assert mailer.send(SENDER.address, address, message).accepted

    count = len(messages)
    reuse_time, reuse_cpu = timed_with_cpu(reused)
    fresh_time, fresh_cpu = timed_with_cpu(one_per_message)
    for label, seconds, cpu in (
        ("one connection, reused:            ", reuse_time, reuse_cpu),
        ("baseline, a connection per message:", fresh_time, fresh_cpu),
    ):
        print(
            f"  {label}    {seconds:5.2f} s  {count / seconds:5.0f} msg/s"
            f"   sender CPU {cpu / count * 1000:5.2f} ms/msg"
        )
    print(f"  ratio (target >= 5x):                 {fresh_time / reuse_time:5.1f}x", end="")
    print(f"   sender CPU ratio {fresh_cpu / reuse_cpu:5.1f}x")


def whole_send(port: int, ca_file: Path, login: tuple[str, str]) -> tuple[float, int]:
    """`Digest.send` to the same 1,000 recipients: render once, freeze, ledger."""
    os.environ["DIGEST_SMTP_USERNAME"], os.environ["DIGEST_SMTP_PASSWORD"] = login
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(
            Path(folder),
            SAMPLE_OPML,
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nca_file = "{ca_file}"\n'
            "\n[send]\nrate = 0\nmax_recipients = 5000\n",
        )
        with open_digest(load_config(config)) as digest:
            digest.update()
            for address in RECIPIENTS:
                digest.add_recipient(address)
            start = time.perf_counter()
            report = digest.send()
            elapsed = time.perf_counter() - start
        assert report.sent == len(RECIPIENTS), report.message
        return elapsed, report.sent


if __name__ == "__main__":
    main()
