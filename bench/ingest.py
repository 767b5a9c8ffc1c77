"""How fast `digest update` pulls many feeds, run by hand: `make bench-ingest`.

Serves N generated feeds (default 500, 50 items each, about 20 KB) from
threaded HTTP servers on 25 loopback addresses (127.0.0.2 … 127.0.0.26), each
answering after 100 ms, and measures in one run:

  (a) a plain sequential loop of feedparser.parse(url) over every URL;
  (b) `digest update` on a fresh database (a subprocess, as cron runs it);
  (c) `digest update` again, when every feed answers 304;
  (d) (b) again with one feed serving a 50 MB body, for peak memory.

Two floors bound (b): the network's (100 ms × ⌈N / concurrency⌉), and the
CPU our parse of every body needs, spread over the machine's cores; it is
measured here too, in this process, so that (b) can be read against both.

It prints wall times, (a)/(b), the 304s and parses in (c) against the network
floor (100 ms × ⌈N / concurrency⌉), items stored and the peak RSS of the
largest process. Options: --feeds N, --concurrency C, --skip-sequential.
"""

from __future__ import annotations

import argparse
import http.server
import math
import os
import random
import resource
import socketserver
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATENCY = 0.1
HOSTS = [f"127.0.0.{n}" for n in range(2, 27)]
ITEMS_PER_FEED = 50
WORDS = (
    "court police union activist journalist land eviction opposition leader trial "
    "detained released charged sentenced protest strike village ministry province "
    "rights group statement election party commune official company river forest"
).split()


def feed_body(number: int, rng: random.Random) -> bytes:
    """An RSS feed of distinct items, about 20 KB, from outlet `number`."""
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    items = []
    for n in range(ITEMS_PER_FEED):
        words = " ".join(rng.choice(WORDS) for _ in range(6))
        name = f"Person{number}x{n}"  # a name only this report carries
        summary = " ".join(rng.choice(WORDS) for _ in range(24))
        items.append(
            f"<item><guid>o{number}-{n}</guid><title>{name} {words}</title>"
            f"<link>https://outlet{number}.example/{n}</link>"
            f"<pubDate>{format_datetime(now - timedelta(hours=n))}</pubDate>"
            f"<description>{summary} {name}.</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {number}</title><link>https://outlet{number}.example/</link>"
        f"{''.join(items)}</channel></rss>"
    ).encode()


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()

    def add(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def take(self) -> Counter[int]:
        with self.lock:
            taken, self.statuses = self.statuses, Counter()
        return taken


def serve(bodies: dict[str, bytes], counts: Counts) -> list[socketserver.BaseServer]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            time.sleep(LATENCY)
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                counts.add(404)
                return
            etag = f'"{len(body)}-{hash(body[:200]) & 0xFFFF}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("Content-Length", "0")
                self.end_headers()
                counts.add(304)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            counts.add(200)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        request_queue_size = 512

    servers = []
    for host in HOSTS:
        server = Server((host, 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def write_config(folder: Path, urls: list[str], concurrency: int) -> Path:
    outlines = "".join(f'<outline text="Outlet {n}" xmlUrl="{u}"/>' for n, u in enumerate(urls))
    (folder / "feeds.opml").write_text(
        f'<opml version="2.0"><head/><body>{outlines}</body></opml>', "utf-8"
    )
    config = folder / "digest.toml"
    config.write_text(
        f"""
[digest]
title = "Bench"
organisation = "Bench"
intro = "i"
closing = "c"
signature = "s"
max_age_days = 0
[sender]
name = "Bench"
address = "bench@example.org"
[paths]
feeds = "feeds.opml"
database = "digest.sqlite3"
output = "output"
[fetch]
concurrency = {concurrency}
per_host = {max(4, math.ceil(concurrency / len(HOSTS)) * 2)}
max_bytes = 10000000
""",
        "utf-8",
    )
    return config


def digest_update(config: Path) -> tuple[float, int]:
    """Wall time of `digest update` and the peak RSS (KB) of its largest process."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "digest", "update", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"digest update failed:\n{result.stderr}")
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def sequential_feedparser(urls: list[str]) -> float:
    import feedparser

    started = time.perf_counter()
    for url in urls:
        feedparser.parse(url)
    return time.perf_counter() - started


def parse_cpu(bodies: list[bytes], urls: list[str]) -> float:
    """CPU seconds our parse (feedparser, then sanitizing and checking each
    entry) takes for every body, on this process's one core."""
    from digest.parse import parse_feed
    from digest.types import FeedSource, FetchResult

    started = time.process_time()
    for url, body in zip(urls, bodies, strict=True):
        parse_feed(FeedSource(url=url), FetchResult(url=url, content=body, status=200))
    return time.process_time() - started


def stored_items(folder: Path) -> int:
    with sqlite3.connect(folder / "digest.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM items").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--skip-sequential", action="store_true")
    options = parser.parse_args()

    rng = random.Random(7)
    bodies = {f"/feed/{n}.xml": feed_body(n, rng) for n in range(options.feeds)}
    counts = Counts()
    servers = serve(bodies, counts)
    urls = [
        f"http://{HOSTS[n % len(HOSTS)]}:{servers[n % len(HOSTS)].server_address[1]}/feed/{n}.xml"
        for n in range(options.feeds)
    ]
    size = sum(map(len, bodies.values())) / len(bodies)
    print(
        f"{options.feeds} feeds × {ITEMS_PER_FEED} items, {size / 1024:.1f} KB each, "
        f"{LATENCY * 1000:.0f} ms latency, {len(HOSTS)} hosts, concurrency {options.concurrency}"
    )

    floor = LATENCY * math.ceil(options.feeds / options.concurrency)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        config = write_config(folder, urls, options.concurrency)

        sequential = None
        if not options.skip_sequential:
            sequential = sequential_feedparser(urls)
            counts.take()
            print(f"(a) sequential feedparser.parse: {sequential:7.2f} s")

        cores = os.cpu_count() or 1
        parsing = parse_cpu(list(bodies.values()), urls)
        print(
            f"    parsing alone: {parsing:.2f} CPU-s ({parsing / len(urls) * 1000:.1f} ms a "
            f"feed), {parsing / cores:.2f} s on {cores} cores; network floor {floor:.2f} s"
        )

        fresh, rss_fresh = digest_update(config)
        fresh_counts = counts.take()
        print(
            f"(b) digest update, fresh:         {fresh:7.2f} s   "
            f"{stored_items(folder)} items stored, {fresh_counts[200]} × 200"
        )
        if sequential is not None:
            best = sequential / max(floor, parsing / cores)
            print(
                f"    (a)/(b) = {sequential / fresh:.1f}×   (target ≥ 20×; "
                f"{best:.1f}× if (b) took no more than the larger floor)"
            )

        again, _ = digest_update(config)
        again_counts = counts.take()
        print(
            f"(c) digest update, all 304:       {again:7.2f} s   "
            f"{again_counts[304]} × 304, {again_counts[200]} parsed; "
            f"network floor {floor:.2f} s, ratio {again / floor:.2f} (target ≤ 1.25)"
        )
        print(f"    peak RSS of the largest process so far: {rss_fresh / 1024:.0f} MB")

        bodies["/feed/huge.xml"] = b"<rss>" + b" " * 50_000_000
        huge_url = f"http://{HOSTS[0]}:{servers[0].server_address[1]}/feed/huge.xml"
        folder_d = folder / "with-huge"
        folder_d.mkdir()
        config_d = write_config(folder_d, [*urls, huge_url], options.concurrency)
        with_huge, rss_huge = digest_update(config_d)
        print(
            f"(d) fresh update with a 50 MB feed: {with_huge:5.2f} s   "
            f"peak RSS of the largest process: {rss_huge / 1024:.0f} MB (target < 200 MB)"
        )
    for server in servers:
        server.shutdown()


if __name__ == "__main__":
    main()
