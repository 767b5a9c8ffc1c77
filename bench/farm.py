"""The feed farm the ingest benches read from, run by bench/ingest.py and
bench/scale.py: generated RSS feeds served by threaded HTTP servers on 25
loopback addresses (127.0.0.2 … 127.0.0.26), each answering after 100 ms,
counting what they answer and noting when; and a config for `digest update`
that reads them.
"""

from __future__ import annotations

import http.server
import math
import random
import socketserver
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import NamedTuple

LATENCY = 0.1
HOSTS = [f"127.0.0.{n}" for n in range(2, 27)]
ITEMS_PER_FEED = 50
WORDS = (
    "court police union activist journalist land eviction opposition leader trial "
    "detained released charged sentenced protest strike village ministry province "
    "rights group statement election party commune official company river forest"
).split()


def feed_body(number: int, rng: random.Random, items: int = ITEMS_PER_FEED) -> bytes:
    """An RSS feed of `items` distinct items (50: about 20 KB), from outlet `number`."""
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    entries = []
    for n in range(items):
        words = " ".join(rng.choice(WORDS) for _ in range(6))
        name = f"Person{number}x{n}"  # a name only this report carries
        summary = " ".join(rng.choice(WORDS) for _ in range(24))
        entries.append(
            f"<item><guid>o{number}-{n}</guid><title>{name} {words}</title>"
            f"<link>https://outlet{number}.example/{n}</link>"
            f"<pubDate>{format_datetime(now - timedelta(hours=n))}</pubDate>"
            f"<description>{summary} {name}.</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {number}</title><link>https://outlet{number}.example/</link>"
        f"{''.join(entries)}</channel></rss>"
    ).encode()


class Counts:
    """The statuses the servers answered with, and when the first and the
    last answer went out (perf_counter)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.first = self.last = 0.0

    def add(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.last = time.perf_counter()
            self.first = self.first or self.last

    def take(self) -> Counter[int]:
        with self.lock:
            taken, self.statuses = self.statuses, Counter()
            self.first = self.last = 0.0
        return taken

    def timeline(self, started: float, seconds: float) -> Timeline:
        """When, after a run that began at `started` (perf_counter) and took
        `seconds`, the first and the last answer went out."""
        return Timeline(self.first - started, self.last - started, seconds)


class Timeline(NamedTuple):
    """A run's three parts, read from the servers' side: until the first
    answer (the start, and one latency), from the first answer to the last
    (the downloads), and after the last (the end)."""

    first: float
    last: float
    seconds: float

    def __str__(self) -> str:
        return (
            f"first answer at {self.first:.2f} s, last at {self.last:.2f} s; "
            f"ended {self.seconds - self.last:.2f} s after it"
        )

    def beyond(self, floor: Timeline) -> str:
        """How much longer each part took than the same part of `floor`."""
        start = self.first - floor.first
        middle = (self.last - self.first) - (floor.last - floor.first)
        end = (self.seconds - self.last) - (floor.seconds - floor.last)
        return f"start {start:+.2f} s, downloads {middle:+.2f} s, end {end:+.2f} s"


def serve(bodies: dict[str, bytes], counts: Counts) -> list[http.server.HTTPServer]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # As web servers do (nginx's tcp_nodelay): this handler writes the
        # status, each header and the body apart, and with Nagle's algorithm
        # a body waited on the client's delayed ACK of the headers, adding
        # 10-40 ms to each 200 (the fresh update measured 4.06 s with it,
        # 3.75 s without).
        disable_nagle_algorithm = True

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

    servers: list[http.server.HTTPServer] = []
    for host in HOSTS:
        server = Server((host, 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def per_host(concurrency: int) -> int:
    """The requests at once to one host that `digest update` is allowed."""
    return max(4, math.ceil(concurrency / len(HOSTS)) * 2)


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
per_host = {per_host(concurrency)}
max_bytes = 10000000
""",
        "utf-8",
    )
    return config


def feed_url(servers: list[http.server.HTTPServer], number: int, name: str = "") -> str:
    """Where feed `number` is served (the feeds take the hosts in turn), or
    the body called `name` on its host."""
    host, server = HOSTS[number % len(HOSTS)], servers[number % len(HOSTS)]
    return f"http://{host}:{server.server_address[1]}/feed/{name or number}.xml"
