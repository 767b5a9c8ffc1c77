"""Several `digest update` runs at once against one PostgreSQL database.

Each run is a process of its own, as cron or systemd would start it, and the
feeds come from a real HTTP server on loopback, slow enough that the runs
overlap. Every feed also carries a wire story other feeds carry too, so
runs race to store the same item. Whatever the interleaving, and whichever
run is killed, each item is stored once and every feed is fetched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import psycopg
import pytest

from digest import load_config, open_digest, updates, workers
from digest.store import _postgres as postgres_store

from .conftest import FeedServer, write_config
from .postgres import Cluster
from .test_update import opml_for

FEEDS = 24
ITEMS = 6
WIRE_STORIES = 4  # each carried by FEEDS / WIRE_STORIES feeds
EXPECTED_ITEMS = FEEDS * ITEMS + WIRE_STORIES
LEASE = 2.0
WORKER_FETCH = f"""
[fetch]
timeout = 5
feed_timeout = 20
concurrency = 4
backoff = 0.01
lease = {LEASE}
"""


def feed(number: int) -> bytes:
    own = "".join(
        f"<item><title>Story {number}-{n}</title><link>https://news.example/{number}/{n}</link>"
        f"<guid>{number}-{n}</guid></item>"
        for n in range(ITEMS)
    )
    wire = number % WIRE_STORIES
    shared = (
        f"<item><title>Wire story {wire}</title><link>https://wire.example/{wire}?utm_source=f"
        f"{number}</link><guid>wire-{number}</guid></item>"
    )
    channel = f"<channel><title>Feed {number}</title>{own}{shared}</channel>"
    return f'<rss version="2.0">{channel}</rss>'.encode()


def farm(feed_server: FeedServer, tmp_path: Path, delay: float) -> Path:
    urls = {
        f"feed-{n}": feed_server.add(f"/feed-{n}.xml", feed(n), delay=delay) for n in range(FEEDS)
    }
    return write_config(tmp_path, opml_for(tmp_path, urls), WORKER_FETCH)


def start_update(config: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "digest", "update", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=config.parent,
        env={**os.environ, "DIGEST_DATABASE_URL": url},
        # Its own process group: killed, it goes with its parse workers, as
        # systemd kills a service's whole cgroup.
        start_new_session=True,
    )


def finish(run: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = run.communicate(timeout=180)
    return run.returncode, stderr


def stored(url: str) -> tuple[int, int, dict[str, str | None], int]:
    """(items, distinct links, each feed's last status, runs that claimed feeds)."""
    with psycopg.connect(url) as db:
        items = db.execute("SELECT count(*), count(DISTINCT canonical_url) FROM items").fetchone()
        statuses = dict(db.execute("SELECT url, last_status FROM sources").fetchall())
        claimers = db.execute("SELECT count(DISTINCT claimed_by) FROM sources").fetchone()
    assert items is not None and claimers is not None
    return items[0], items[1], statuses, claimers[0]


def run_holding_claims(
    runs: list[subprocess.Popen[str]], url: str, table: str = "sources"
) -> subprocess.Popen[str]:
    """A run that holds feeds (or readers) it has not finished: the one to kill mid-run."""
    with psycopg.connect(url) as db:
        holders = db.execute(
            f"SELECT DISTINCT claimed_by FROM {table} WHERE claimed_until IS NOT NULL"
        ).fetchall()
    pids = {int(holder.rpartition(":")[2]) for (holder,) in holders}
    victims = [run for run in runs if run.pid in pids]
    assert victims, "no run held a claim"
    return victims[0]


def assert_every_item_once_and_every_feed_reached(url: str) -> None:
    items, links, statuses, _ = stored(url)
    assert (items, links) == (EXPECTED_ITEMS, EXPECTED_ITEMS)
    # A rerun finds unchanged bytes where a feed was stored: not modified.
    assert set(statuses.values()) <= {"ok", "not-modified"} and len(statuses) == FEEDS


def test_two_updates_at_once_split_the_feeds_and_store_each_item_once(
    feed_server: FeedServer, tmp_path: Path, postgres_url: str
) -> None:
    # Slow enough that the first run to claim cannot take every feed before
    # the other has started: it claims 8 more each time 4 of its feeds end,
    # and at 0.2 s a feed it had claimed all 24 by 0.4 s, once a loaded
    # machine had started the other run later than that.
    config = farm(feed_server, tmp_path, delay=1.0)
    runs = [start_update(config, postgres_url) for _ in range(2)]
    for run in runs:
        code, stderr = finish(run)
        assert code == 0, stderr
    items, links, statuses, claimers = stored(postgres_url)
    assert (items, links) == (EXPECTED_ITEMS, EXPECTED_ITEMS)
    assert set(statuses.values()) == {"ok"} and len(statuses) == FEEDS
    # Split, not repeated: each feed was fetched once, by one run or the other.
    assert sorted(len(feed_server.hits(f"/feed-{n}.xml")) for n in range(FEEDS)) == [1] * FEEDS
    assert claimers == 2


@pytest.mark.parametrize("workers", [2, 4])
def test_a_run_killed_mid_update_leaves_its_feeds_to_the_next_run(
    feed_server: FeedServer, tmp_path: Path, postgres_url: str, workers: int
) -> None:
    config = farm(feed_server, tmp_path, delay=0.3)
    runs = [start_update(config, postgres_url) for _ in range(workers)]
    feed_server.wait_for_requests(workers * 3)
    victim = run_holding_claims(runs, postgres_url)
    os.killpg(victim.pid, signal.SIGKILL)
    for run in runs:
        code, stderr = finish(run)
        assert code == (-signal.SIGKILL if run is victim else 0), stderr
    # Its claims lapse after the lease: a run still going takes them over,
    # or else the next run does.
    time.sleep(LEASE)
    code, stderr = finish(start_update(config, postgres_url))
    assert code == 0, stderr
    assert_every_item_once_and_every_feed_reached(postgres_url)


def test_a_database_restart_mid_update_is_reported_and_the_next_run_completes(
    feed_server: FeedServer, tmp_path: Path, postgres_url: str, postgres_cluster: Cluster
) -> None:
    config = farm(feed_server, tmp_path, delay=0.3)
    run = start_update(config, postgres_url)
    feed_server.wait_for_requests(4)
    postgres_cluster.restart()
    code, stderr = finish(run)
    assert code != 0 and "lost the database" in stderr, stderr
    assert "Traceback" not in stderr, stderr
    time.sleep(LEASE)
    code, stderr = finish(start_update(config, postgres_url))
    assert code == 0, stderr
    assert_every_item_once_and_every_feed_reached(postgres_url)


class _TwoHoursFast(datetime):
    """A machine whose clock runs two hours ahead of the database's."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _TwoHoursFast:  # type: ignore[override]
        real = datetime.now(tz)
        return cls.fromtimestamp(real.timestamp() + 7200, real.tzinfo)


def test_a_worker_whose_clock_runs_ahead_takes_no_feed_another_holds(
    feed_server: FeedServer, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claims are timed by the database's clock: by this machine's, two hours
    fast, the other worker's lease would have run out long ago."""
    config_path = farm(feed_server, tmp_path, delay=0)
    monkeypatch.setenv("DIGEST_DATABASE_URL", postgres_url)
    with psycopg.connect(postgres_url) as server:
        server_now = server.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
    for module in (updates, workers, postgres_store):
        monkeypatch.setattr(module, "datetime", _TwoHoursFast, raising=False)
    with open_digest(load_config(config_path)) as digest:
        store = digest.store
        assert abs(store.clock() - server_now) < timedelta(minutes=1), "not the server's time"
        store.sources.sync_sources(digest.context.sources())
        # Another worker holds every feed, for a lease of a minute by the server.
        _, held = store.sources.claim_feeds(
            "elsewhere:1", None, now=store.clock(), lease=timedelta(minutes=1), limit=99
        )
        assert len(held) == FEEDS
        assert digest.update() == []
    fetched = sum(len(feed_server.hits(f"/feed-{n}.xml")) for n in range(FEEDS))
    assert fetched == 0, "it fetched feeds another worker holds"
