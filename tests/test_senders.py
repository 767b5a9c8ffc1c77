"""Several `digest send` runs at once against one PostgreSQL database, to the
aiosmtpd test server: they share the readers out, and each reader gets the
edition once, even when one sender is killed mid-list or the database server
restarts under a send."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from digest import load_config, open_digest

from .postgres import Cluster
from .smtp import Mailbox, run_smtp_server
from .test_send import RECIPIENTS, exactly_once, send, send_config
from .test_workers import run_holding_claims

LEASE = 3.0


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    yield from run_smtp_server(Mailbox())


@pytest.fixture
def shared_config(
    tmp_path: Path, smtp: tuple[Mailbox, int], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """An edition ready to go to 100 readers, in PostgreSQL; every run of
    this test (here and in the processes it starts) uses that database."""
    monkeypatch.setenv("DIGEST_DATABASE_URL", postgres_url)
    path = send_config(tmp_path, smtp[1])
    text = path.read_text("utf-8").replace("rate = 0", "rate = 40")
    path.write_text(text.replace("backoff = 0.01", f"backoff = 0.01\nlease = {LEASE}"), "utf-8")
    with open_digest(load_config(path)) as digest:
        digest.update()
        for address in RECIPIENTS:
            digest.add_recipient(address, name=f"Reader {address[6:9]}")
    return path


def start_send(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "digest", "send", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def senders_of(url: str) -> set[str]:
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT DISTINCT claimed_by FROM deliveries WHERE status = 'sent'")
        return {str(row[0]) for row in rows}


@pytest.mark.parametrize("senders", [2, 4])
def test_senders_at_once_share_the_readers_and_each_reader_gets_one_copy(
    smtp: tuple[Mailbox, int], shared_config: Path, postgres_url: str, senders: int
) -> None:
    mailbox, _ = smtp
    runs = [start_send(shared_config) for _ in range(senders)]
    outputs = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=180)
        assert run.returncode == 0, stderr
        outputs.append(stdout + stderr)
    exactly_once(mailbox)
    assert len(senders_of(postgres_url)) > 1, outputs


@pytest.mark.parametrize("senders", [2, 4])
def test_a_sender_killed_mid_list_leaves_its_readers_to_the_others(
    smtp: tuple[Mailbox, int], shared_config: Path, postgres_url: str, senders: int
) -> None:
    mailbox, _ = smtp
    runs = [start_send(shared_config) for _ in range(senders)]
    wait_for_deliveries(mailbox, 20)
    victim = run_holding_claims(runs, postgres_url, "deliveries")
    os.killpg(victim.pid, signal.SIGKILL)
    for run in runs:
        _, stderr = run.communicate(timeout=180)
        assert run.returncode == (-signal.SIGKILL if run is victim else 0), stderr
    again = send(shared_config)
    assert again.returncode == 0, again.stderr
    each_reader_once_but_the_one_in_doubt(mailbox)


def test_a_database_restart_mid_send_is_reported_and_the_next_send_completes(
    smtp: tuple[Mailbox, int], shared_config: Path, postgres_cluster: Cluster
) -> None:
    mailbox, _ = smtp
    run = start_send(shared_config)
    wait_for_deliveries(mailbox, 20)
    postgres_cluster.restart()
    _, stderr = run.communicate(timeout=180)
    assert run.returncode != 0 and "lost the database" in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert len(mailbox.per_recipient()) < len(RECIPIENTS), "it stopped before the end"
    again = send(shared_config)
    assert again.returncode == 0, again.stderr
    each_reader_once_but_the_one_in_doubt(mailbox)


def wait_for_deliveries(mailbox: Mailbox, count: int) -> None:
    deadline = time.monotonic() + 60
    while len(mailbox.per_recipient()) < count:
        assert time.monotonic() < deadline, "the senders never got going"
        time.sleep(0.005)


def each_reader_once_but_the_one_in_doubt(mailbox: Mailbox) -> None:
    """Each reader has the edition; the one message a stopped sender had in
    flight may have gone twice, with the same Message-ID, which mail clients
    show once."""
    by_reader: dict[str, set[str]] = {}
    for message in mailbox.messages():
        reader = message["To"].addresses[0].addr_spec
        if reader in RECIPIENTS:  # not the editor's report of the stopped run
            by_reader.setdefault(reader, set()).add(message["Message-ID"])
    assert sorted(by_reader) == sorted(RECIPIENTS)
    assert all(len(ids) == 1 for ids in by_reader.values())
    assert mailbox.digests_per_recipient().total() - len(RECIPIENTS) <= 1
