"""Sending from cron: never twice, never half, loud when something is wrong.

Mail goes to a real SMTP server on loopback (tests/smtp.py) that drops
connections, goes away, refuses recipients and dies with the sender.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from digest import load_config, open_digest
from digest.core import Digest
from digest.delivery import token_matches
from digest.errors import ConfigError
from digest.send import SmtpMailer, wire_bytes
from digest.settings import SmtpSettings
from digest.types import Recipient, SendReport

from .conftest import SAMPLE_OPML, write_config
from .smtp import Mailbox, certificates, run_relay, run_smtp_server

RECIPIENTS = [f"reader{n:03d}@example.org" for n in range(100)]
# Monday 7 December 2026, 07:02 in Phnom Penh: two minutes after the schedule.
MONDAY_MORNING = datetime(2026, 12, 7, 0, 2, tzinfo=UTC)


def send_config(folder: Path, port: int, extra: str = "") -> Path:
    return write_config(
        folder,
        SAMPLE_OPML,
        f"""
[schedule]
cron = "0 7 * * 1"
timezone = "Asia/Phnom_Penh"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
timeout = 5

[send]
editor = "editor@example.org"
rate = 0
retries = 2
backoff = 0.01
{extra}
""",
    )


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    yield from run_smtp_server(Mailbox())


@pytest.fixture
def config(tmp_path: Path, smtp: tuple[Mailbox, int]) -> Path:
    path = send_config(tmp_path, smtp[1])
    with open_digest(load_config(path)) as digest:
        digest.update()
        for address in RECIPIENTS:
            digest.add_recipient(address, name=f"Reader {address[6:9]}")
    return path


def send(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest", "send", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def ledger(config: Path) -> dict[str, str]:
    with open_digest(load_config(config)) as digest:
        [slug] = digest.store.deliveries.sent_editions() or [
            digest.store.deliveries.unfinished_edition()
        ]
        assert slug is not None
        return {d.address: d.status for d in digest.store.deliveries.of(slug)}


def kill_send_midway(
    config: Path, mailbox: Mailbox, kill_after: int, env: dict[str, str] | None = None
) -> None:
    """`digest send` at 100 messages a second, killed with SIGKILL once
    `kill_after` recipients have had a message."""
    config.write_text(config.read_text("utf-8").replace("rate = 0", "rate = 100"), "utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "send", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + 60
        while len(mailbox.per_recipient()) < kill_after and time.monotonic() < deadline:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)


def exactly_once(mailbox: Mailbox, addresses: list[str] = RECIPIENTS) -> None:
    got = mailbox.digests_per_recipient()
    assert {a: got[a] for a in addresses} == dict.fromkeys(addresses, 1)


def test_every_recipient_gets_one_message_with_headers_and_both_parts(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    mailbox, _ = smtp
    result = send(config)
    assert result.returncode == 0, result.stderr
    exactly_once(mailbox)
    messages = {m["To"].addresses[0].addr_spec: m for m in mailbox.messages()}
    message = messages["reader042@example.org"]
    assert str(message["To"]) == "Reader 042 <reader042@example.org>"
    assert message["List-Id"] and message["List-Unsubscribe"]
    assert message.get_body(preferencelist=("plain",)) is not None
    assert message.get_body(preferencelist=("html",)) is not None
    assert len({m["Message-ID"] for m in messages.values()}) == 100, "one Message-ID each"
    assert set(ledger(config).values()) == {"sent"}
    assert "100 of 100 recipients have it" in result.stderr
    # The connection is reused: the sender opened one (the server's own check opened one).
    assert mailbox.connections <= 2


@pytest.mark.parametrize("k", [1, 50, 100])
def test_a_connection_dropped_mid_list_is_picked_up_in_the_same_run(
    smtp: tuple[Mailbox, int], config: Path, k: int
) -> None:
    mailbox, _ = smtp
    mailbox.drop_at = {k}
    result = send(config)
    assert result.returncode == 0, result.stderr
    exactly_once(mailbox)
    assert set(ledger(config).values()) == {"sent"}


@pytest.mark.parametrize("k", [0, 37, 99])
def test_a_server_gone_after_k_messages_is_resumed_by_the_next_run(
    smtp: tuple[Mailbox, int], config: Path, k: int
) -> None:
    mailbox, _ = smtp
    mailbox.outage_after = k
    first = send(config)
    assert first.returncode == 1, first.stderr
    assert f"{k} of 100 recipients have it" in first.stderr
    assert list(ledger(config).values()).count("sent") == k
    mailbox.outage_after = None
    second = send(config)
    assert second.returncode == 0, second.stderr
    exactly_once(mailbox)
    assert set(ledger(config).values()) == {"sent"}
    # The server refused the report to the editor too; the run printed it.
    assert "to retry on the next run" in first.stderr


def test_permanent_refusals_are_not_retried_and_temporary_ones_are(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    mailbox, _ = smtp
    gone, busy = RECIPIENTS[:3], RECIPIENTS[3:6]
    mailbox.refuse = {a: "550 5.1.1 No such user" for a in gone}
    mailbox.refuse |= {a: "451 4.7.1 Greylisted, try later" for a in busy}
    first = send(config)
    assert first.returncode == 1
    assert "3 refused for good" in first.stderr and "3 to retry" in first.stderr
    assert all(mailbox.rcpt_attempts[a] == 3 for a in busy), "tried, then retried twice"
    assert all(mailbox.rcpt_attempts[a] == 1 for a in gone), "a 550 is final"
    for address in busy:
        del mailbox.refuse[address]
    second = send(config)
    assert second.returncode == 1, "the permanent failures still stand"
    assert all(mailbox.rcpt_attempts[a] == 1 for a in gone), "and are never tried again"
    exactly_once(mailbox, RECIPIENTS[3:])
    statuses = ledger(config)
    assert {statuses[a] for a in gone} == {"failed-permanent"}
    with open_digest(load_config(config)) as digest:
        [line] = [
            d
            for d in digest.store.deliveries.of(digest.store.deliveries.sent_editions()[0])
            if d.address == gone[0]
        ]
    assert line.reply == "550 No such user" or "No such user" in line.reply


def test_killed_mid_send_and_run_again_each_recipient_still_gets_it_once(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    mailbox, _ = smtp
    kill_send_midway(config, mailbox, random.Random(os.getpid()).randint(5, 90))
    assert 0 < sum(mailbox.per_recipient().values()) < 100, "killed part way through"
    again = send(config)
    assert again.returncode == 0, again.stderr
    # The one message in flight at the kill may have reached the server
    # without the ledger hearing back; it is sent again with the same
    # Message-ID, which mail clients show once. Nothing else repeats.
    by_id = {}
    for message in mailbox.messages():
        by_id.setdefault(message["Message-ID"], []).append(message["To"].addresses[0].addr_spec)
    assert sorted(a for addresses in by_id.values() for a in set(addresses)) == sorted(RECIPIENTS)
    raw = mailbox.digests_per_recipient()
    assert sum(raw.values()) - 100 <= 1
    assert set(ledger(config).values()) == {"sent"}


def test_two_cron_runs_at_once_send_once(smtp: tuple[Mailbox, int], config: Path) -> None:
    mailbox, _ = smtp
    text = config.read_text("utf-8").replace('cron = "0 7 * * 1"', 'cron = "* * * * *"')
    config.write_text(text.replace("rate = 0", "rate = 200"), "utf-8")
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "digest", "send", "--if-due", "--config", str(config)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum("another `digest send` is running" in out for out in outputs) == 1, outputs
    exactly_once(mailbox)
    third = send(config, "--if-due")
    assert third.returncode == 0
    assert mailbox.digests_per_recipient().total() == 100


# -- the schedule and the gates, with the clock in our hands --------------------


def digest_at(config: Path, now: datetime) -> Digest:
    digest = open_digest(load_config(config))
    digest._now = lambda: now  # type: ignore[method-assign]
    digest._sleep = lambda seconds: None  # type: ignore[method-assign]
    return digest


def test_not_due_sends_nothing(smtp: tuple[Mailbox, int], config: Path) -> None:
    mailbox, _ = smtp
    with digest_at(config, MONDAY_MORNING - timedelta(days=2)) as digest:
        report = digest.send(if_due=True)
    assert report.outcome == "nothing-due" and report.exit_code == 0
    assert "next edition is due 2026-12-07 07:00" in report.message
    assert mailbox.messages() == []


def test_due_sends_once_then_nothing_new_is_reported(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    mailbox, _ = smtp
    with digest_at(config, MONDAY_MORNING) as digest:
        assert digest.send(if_due=True).outcome == "sent"
        assert digest.send(if_due=True).outcome == "nothing-due", "the slot is dealt with"
    exactly_once(mailbox)
    with digest_at(config, MONDAY_MORNING + timedelta(days=7)) as digest:
        report = digest.send(if_due=True)
    assert report.outcome == "nothing-new" and report.exit_code == 0
    [notice] = mailbox.reports()
    assert "nothing new since the last edition" in notice.get_content()
    assert mailbox.digests_per_recipient().total() == 100, "no second edition of old news"


def test_a_slot_missed_by_more_than_the_grace_period_is_skipped(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    with digest_at(config, MONDAY_MORNING + timedelta(hours=30)) as digest:
        assert digest.send(if_due=True).outcome == "nothing-due"
    assert smtp[0].messages() == []


def test_approval_required_blocks_until_approved(
    tmp_path: Path, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    path = send_config(tmp_path, port, "require_approval = true")
    with digest_at(path, MONDAY_MORNING) as digest:
        digest.update()
        digest.add_recipient("one@example.org")
        blocked = digest.send(if_due=True)
        assert blocked.outcome == "blocked" and blocked.exit_code == 3
        assert "digest approve" in blocked.message
        approved = digest.approve()
        sent = digest.send(if_due=True)
    assert sent.outcome == "sent" and sent.slug == approved.slug
    [copy] = [m for m in mailbox.messages() if m["To"].addresses[0].addr_spec == "one@example.org"]
    html = copy.get_body(preferencelist=("html",))
    assert html is not None and html.get_content() == approved.rendered.html
    assert any("blocked" in str(m["Subject"]) for m in mailbox.reports())


def test_exit_code_3_when_blocked(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    path = send_config(tmp_path, smtp[1], "require_approval = true")
    result = send(path)
    assert result.returncode == 3, result.stderr
    assert "no approved edition" in result.stderr


# -- safety valves ----------------------------------------------------------------


def test_dry_run_writes_one_eml_per_recipient_and_connects_nowhere(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    mailbox, _ = smtp
    before = mailbox.connections
    result = send(config, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert mailbox.connections == before and mailbox.messages() == []
    [outbox] = (config.parent / "output").glob("*/outbox")
    assert len(list(outbox.glob("*.eml"))) == 100
    with open_digest(load_config(config)) as digest:
        assert (
            digest.store.deliveries.unfinished_edition() is None
            and digest.store.deliveries.sent_editions() == []
        )


def test_a_test_copy_leaves_the_ledger_alone(smtp: tuple[Mailbox, int], config: Path) -> None:
    mailbox, _ = smtp
    result = send(config, "--to", "me@example.org")
    assert result.returncode == 0, result.stderr
    assert mailbox.per_recipient() == {"me@example.org": 1}
    assert send(config).returncode == 0
    exactly_once(mailbox)


def test_max_recipients_per_run(smtp: tuple[Mailbox, int], config: Path) -> None:
    mailbox, _ = smtp
    config.write_text(config.read_text("utf-8") + "max_recipients = 30\n", "utf-8")
    text = config.read_text("utf-8")
    config.write_text(
        text.replace("backoff = 0.01\nmax_recipients", "backoff = 0.01\nmax_recipients"), "utf-8"
    )
    first = send(config)
    assert "70 left for the next run" in first.stderr
    assert mailbox.digests_per_recipient().total() == 30
    for _ in range(3):
        send(config)
    exactly_once(mailbox)


def test_unsubscribed_people_get_nothing_more_and_imports_do_not_bring_them_back(
    smtp: tuple[Mailbox, int], config: Path, tmp_path: Path
) -> None:
    mailbox, _ = smtp
    leaving = RECIPIENTS[10]
    with open_digest(load_config(config)) as digest:
        assert digest.remove_recipient(leaving.upper())
        listing = tmp_path / "list.csv"
        listing.write_text(f"address,name\n{leaving},Back again\nnew@example.org,New\n", "utf-8")
        assert digest.import_recipients(listing) == 1
    assert send(config).returncode == 0
    got = mailbox.digests_per_recipient()
    assert got[leaving] == 0 and got["new@example.org"] == 1


def test_an_address_the_wire_cannot_carry_is_refused_and_never_stops_the_list(
    smtp: tuple[Mailbox, int], config: Path, tmp_path: Path
) -> None:
    """A domain in another script goes out in its ASCII form; letters outside
    ASCII before the @ need SMTPUTF8, so such an address is refused when it
    is added (by hand or in a CSV), and one stored before fails on its own
    while everyone else still gets the edition."""
    mailbox, _ = smtp
    added = subprocess.run(
        [sys.executable, "-m", "digest", "recipients", "add", "josé@example.org"]
        + ["--config", str(config)],
        capture_output=True,
        text=True,
    )
    assert added.returncode == 2 and "SMTPUTF8" in added.stderr, added.stderr
    listing = tmp_path / "accents.csv"
    listing.write_text("address\nsok@example.org\njosé@example.org\n", "utf-8")
    with open_digest(load_config(config)) as digest:
        with pytest.raises(ConfigError, match=r"accents.csv:3: address: .*SMTPUTF8"):
            digest.import_recipients(listing)
        assert digest.add_recipient("Reader@Exämple.org")
        # As an older version of press-digest could have stored it.
        digest.store.recipients.add_recipients([Recipient("josé@example.org")], MONDAY_MORNING)
    result = send(config)
    assert result.returncode == 1, result.stderr
    assert "josé@example.org" in result.stderr and "SMTPUTF8" in result.stderr
    exactly_once(mailbox, [*RECIPIENTS, "reader@xn--exmple-cua.org"])
    statuses = ledger(config)
    assert statuses["josé@example.org"] == "failed-permanent"
    assert statuses["reader@exämple.org"] == "sent"
    test_copy = send(config, "--to", "josé@example.org")
    assert test_copy.returncode == 2 and "SMTPUTF8" in test_copy.stderr
    assert "Traceback" not in test_copy.stderr


def test_a_name_with_a_line_break_cannot_break_or_add_a_header(
    smtp: tuple[Mailbox, int], config: Path, tmp_path: Path
) -> None:
    """Names come from spreadsheets, where a cell can hold a line break: one
    must neither cut the To header short nor slip in a Bcc of its own."""
    mailbox, _ = smtp
    listing = tmp_path / "names.csv"
    listing.write_text('address,name\nsok@example.org,"Sok\r\nBcc: spy@example.org"\n', "utf-8")
    with open_digest(load_config(config)) as digest:
        assert digest.import_recipients(listing) == 1
        # As an older version could have stored it, uncleaned.
        digest.store.recipients.add_recipients(
            [Recipient("dara@example.org", "Dara\nChan")], MONDAY_MORNING
        )
        names = {r.address: r.name for r in digest.store.recipients.all()}
    assert names["sok@example.org"] == "Sok Bcc: spy@example.org"
    result = send(config)
    assert result.returncode == 0, result.stderr
    exactly_once(mailbox, [*RECIPIENTS, "sok@example.org", "dara@example.org"])
    assert mailbox.per_recipient()["spy@example.org"] == 0
    messages = {m["To"].addresses[0].addr_spec: m for m in mailbox.messages()}
    assert messages["sok@example.org"]["Bcc"] is None
    assert messages["dara@example.org"]["To"].addresses[0].display_name == "Dara Chan"


def test_credentials_never_appear_in_output(tmp_path: Path) -> None:
    user, password = "press-user", "s3cret-Pa55word"
    for mailbox, port in run_smtp_server(Mailbox(login=(user, password))):
        path = send_config(tmp_path, port)
        with open_digest(load_config(path)) as digest:
            digest.update()
            digest.add_recipient("one@example.org")
        wrong = send(
            path, "-vv", env={"DIGEST_SMTP_USERNAME": user, "DIGEST_SMTP_PASSWORD": "nope"}
        )
        right = send(
            path, "-vv", env={"DIGEST_SMTP_USERNAME": user, "DIGEST_SMTP_PASSWORD": password}
        )
        assert wrong.returncode == 1 and "refused the login" in wrong.stderr
        assert right.returncode == 0, right.stderr
        assert mailbox.digests_per_recipient()["one@example.org"] == 1
        for result in (wrong, right):
            for secret in (password, "nope"):
                assert secret not in result.stdout + result.stderr
        assert password not in (tmp_path / "digest.sqlite3").read_bytes().decode("latin-1")


def test_a_report_says_what_failed(smtp: tuple[Mailbox, int], config: Path) -> None:
    mailbox, _ = smtp
    mailbox.refuse = {RECIPIENTS[0]: "550 5.1.1 No such user"}
    assert send(config).returncode == 1
    [report] = mailbox.reports()
    assert "partial" in str(report["Subject"])
    assert f"{RECIPIENTS[0]}: 550" in report.get_content()


def test_send_report_exit_codes() -> None:
    assert SendReport("sent").exit_code == 0
    assert SendReport("nothing-new").exit_code == 0
    assert SendReport("blocked").exit_code == 3


def test_an_edition_over_budget_goes_out_and_the_editor_hears_of_it(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    mailbox, _ = smtp
    text = config.read_text("utf-8").replace(
        "max_age_days = 0", "max_age_days = 0\nhtml_budget_kb = 5"
    )
    config.write_text(text, "utf-8")
    result = send(config)
    assert result.returncode == 0, result.stderr
    assert "! the HTML is" in result.stderr
    exactly_once(mailbox)
    [report] = mailbox.reports()
    assert "over the 5 KB budget" in report.get_content()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_the_relays_own_ca_and_a_login(tmp_path: Path, security: str) -> None:
    context, ca_file = certificates(tmp_path)
    user, password = "relay-user", "relay-Pa55"
    mailbox = Mailbox(login=(user, password))
    for _, port in run_smtp_server(mailbox, context, implicit=security == "tls"):
        path = send_config(tmp_path, port)
        text = path.read_text("utf-8").replace('security = "none"', f'security = "{security}"')
        path.write_text(
            text.replace("timeout = 5", f'timeout = 5\nca_file = "{ca_file}"'), "utf-8"
        )
        with open_digest(load_config(path)) as digest:
            digest.update()
            digest.add_recipient("one@example.org")
        env = {"DIGEST_SMTP_USERNAME": user, "DIGEST_SMTP_PASSWORD": password}
        result = send(path, env=env)
        assert result.returncode == 0, result.stderr
    assert mailbox.digests_per_recipient()["one@example.org"] == 1
    assert mailbox.encrypted and all(mailbox.encrypted)


def test_a_certificate_from_an_unknown_ca_is_refused(tmp_path: Path) -> None:
    context, _ = certificates(tmp_path)
    mailbox = Mailbox()
    for _, port in run_smtp_server(mailbox, context):
        path = send_config(tmp_path, port)
        path.write_text(
            path.read_text("utf-8").replace('security = "none"', 'security = "starttls"')
        )
        with open_digest(load_config(path)) as digest:
            digest.update()
            digest.add_recipient("one@example.org")
        result = send(path)
    assert result.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
    assert mailbox.received == []


def test_each_recipient_gets_their_own_signed_unsubscribe_link(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    mailbox, _ = smtp
    text = config.read_text("utf-8") + '\n[list]\nunsubscribe_url = "https://example.org/leave"\n'
    config.write_text(text, "utf-8")
    assert send(config).returncode == 2, "no secret: a configuration error, nothing sent"
    assert mailbox.messages() == []
    result = send(config, env={"DIGEST_UNSUBSCRIBE_SECRET": "list-secret"})
    assert result.returncode == 0, result.stderr
    for message in mailbox.messages()[:10]:
        address = message["To"].addresses[0].addr_spec
        header = str(message["List-Unsubscribe"])
        [link] = re.findall(r"<(https://[^>]+)>", header)
        query = parse_qs(urlsplit(link).query)
        assert query["address"] == [address]
        assert token_matches("list-secret", "digest.example.org", address, query["token"][0])
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "list-secret" not in result.stderr


def test_the_rate_limit_spaces_messages() -> None:
    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    for _, port in run_smtp_server(Mailbox()):
        settings = SmtpSettings(host="127.0.0.1", port=port, security="none")
        mailer = SmtpMailer(settings, None, rate=4, sleep=sleep, clock=lambda: clock[0])
        message = EmailMessage()
        message.set_content("hello")
        with mailer:
            for n in range(5):
                assert mailer.send("a@example.org", f"r{n}@example.org", message).accepted
    assert waits == [0.25] * 4, "4 per second: a quarter second between messages"
    assert mailer.connections == 1


def _short_message(text: str) -> bytes:
    message = EmailMessage()
    message["Subject"] = "Weekly digest"
    # A line that starts with a dot must arrive as it was written.
    message.set_content(f"{text}\n.hidden line\n")
    return wire_bytes(message)


ADDRESSES = ("a@example.org", "gone@example.org", "busy@example.org", "b@example.org")


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "in-turn"])
def test_refusals_come_back_and_the_session_goes_on_either_way(pipelining: bool) -> None:
    """With PIPELINING offered, MAIL, RCPT and DATA leave in one write; without
    it, one at a time. Either way a refused recipient gets the server's own
    reply, and the next message on the same connection goes through."""
    mailbox = Mailbox(pipelining=pipelining)
    mailbox.refuse = {"gone@example.org": "550 5.1.1 No such user"}
    mailbox.refuse["busy@example.org"] = "451 4.7.1 Greylisted, try later"
    for _, port in run_smtp_server(mailbox):
        for relay in run_relay(port):
            settings = SmtpSettings(host="127.0.0.1", port=relay.port, security="none")
            with SmtpMailer(settings, None) as mailer:
                results = {
                    address: mailer.send("press@example.org", address, _short_message(address))
                    for address in ADDRESSES
                }
            writes = list(relay.client_writes)
    assert results["a@example.org"].accepted and results["b@example.org"].accepted
    gone, busy = results["gone@example.org"], results["busy@example.org"]
    assert (gone.code, gone.permanent) == (550, True)
    assert (busy.code, busy.permanent) == (451, False)
    assert "Greylisted" in busy.reply
    assert mailer.connections == 1
    assert mailbox.per_recipient() == {"a@example.org": 1, "b@example.org": 1}
    for message in mailbox.messages():
        assert ".hidden line" in message.get_content()
    grouped = [w for w in writes if b"MAIL FROM:" in w and b"RCPT TO:" in w and b"DATA\r\n" in w]
    assert len(grouped) == (4 if pipelining else 0)


def test_schedule_prints_the_next_runs_and_the_crontab_line(config: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "digest", "schedule", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "0 7 * * 1 (Asia/Phnom_Penh)" in result.stdout
    assert re.search(r"Mon \d{4}-\d\d-\d\d 07:00 \+07", result.stdout)
    assert re.search(r"^\*/5 \* \* \* \* \S+ send --if-due --config ", result.stdout, re.M)
    assert "OnCalendar=*:0/5" in result.stdout
