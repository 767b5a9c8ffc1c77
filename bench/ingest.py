"""How fast `digest update` pulls many feeds, run by hand: `make bench-ingest`.

Serves N generated feeds (default 500, 50 items each, about 20 KB) from
threaded HTTP servers on 25 loopback addresses (127.0.0.2 … 127.0.0.26), each
answering after 100 ms, and measures in one run:

  (a) a plain sequential loop of feedparser.parse(url) over every URL;
  (b) `digest update` on a fresh database (a subprocess, as cron runs it);
  (c) `digest update` again, when every feed answers 304;
  (d) (b) again with one feed serving a 50 MB body, for peak memory;
  (e) (c) with the validators forgotten: every body comes again, unchanged,
      and is hashed but not parsed, stored or grouped.

Two floors bound (b): the network's (100 ms × ⌈N / concurrency⌉), and the
CPU our parse of every body needs, spread over the machine's cores; it is
measured here too, in this process, so that (b) can be read against both.
Two more are measured, not worked out, each the best of three runs of a
process of its own: httpx alone (bench/httpx_alone.py) fetching every feed
within the same limits and dropping the bodies; and fetching, parsing and
inserting alone (bench/pipeline_alone.py), where each body is also parsed by
digest.parse and its items inserted into SQLite, and nothing else is done.
What (b) takes beyond httpx alone is press-digest's own: its start, the
database, parsing, storing and grouping; (e) tells the first two from the
rest. The servers note when their first and last answers go out, so that
what (b) takes beyond each of the two is split into its start, its
downloads and its end.

It prints wall times, (a)/(b), (b) against the larger floor, the CPU of the
fresh update end to end (every process it starts, per feed), the 304s and
parses in (c) against the network floor (100 ms × ⌈N / concurrency⌉), items
stored and the peak RSS of the largest process. Options: --feeds N,
--concurrency C, --skip-sequential.
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
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
LATENCY = 0.1
TICKS = os.sysconf("SC_CLK_TCK")
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


class Run(NamedTuple):
    """One `digest update`: wall time; CPU seconds of its own process, and
    of the processes it started (a fork server and the parse workers); and
    the peak RSS (KB) of the largest."""

    started: float  # perf_counter
    seconds: float
    cpu: float
    workers_cpu: float
    peak_rss: int


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def descendants_cpu(root: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds used so far by each process under `root` (not
    itself). The fork server the parse workers come from outlives the run
    unwaited, so their time never reaches RUSAGE_CHILDREN: it is sampled
    from /proc while they live (the last few milliseconds of each are lost)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    for pid, cpu in used.items():
        ancestor = parents.get(pid, 0)
        while ancestor not in (0, 1, root):
            ancestor = parents.get(ancestor, 0)
        if ancestor == root:
            seen[pid] = max(seen.get(pid, 0.0), cpu)


def digest_update(config: Path) -> Run:
    cpu_before = children_cpu()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:  # a pipe could fill while we sample
        process = subprocess.Popen(
            [sys.executable, "-m", "digest", "update", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        workers: dict[int, float] = {}
        while True:
            descendants_cpu(process.pid, workers)
            try:
                # Waiting, not sleeping: the end is seen when it comes, where a
                # sleep between looks counted up to 20 ms more (10 on average)
                # than httpx alone, timed by subprocess.run.
                process.wait(timeout=0.02)
                break
            except subprocess.TimeoutExpired:
                continue
        elapsed = time.perf_counter() - started
        if process.returncode not in (0, 1):
            errors.seek(0)
            sys.exit(f"digest update failed:\n{errors.read()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Run(started, elapsed, children_cpu() - cpu_before, sum(workers.values()), peak)


def sequential_feedparser(urls: list[str]) -> float:
    import feedparser

    started = time.perf_counter()
    for url in urls:
        feedparser.parse(url)
    return time.perf_counter() - started


def quickest(
    script: str, folder: Path, urls: list[str], concurrency: int, counts: Counts, *more: str
) -> Timeline:
    """The quickest of three runs of a bench script that fetches every URL
    within the update's limits (httpx_alone.py, pipeline_alone.py); `more`
    are its arguments after those limits."""
    listed = folder / "urls.txt"
    listed.write_text("\n".join(urls), "utf-8")
    command = [sys.executable, str(ROOT / "bench" / script), str(listed)]
    command += [str(concurrency), str(per_host(concurrency)), *more]
    runs = []
    for _ in range(3):
        counts.take()
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        runs.append(counts.timeline(started, time.perf_counter() - started))
    counts.take()
    return min(runs, key=lambda run: run.seconds)


def parse_cpu(bodies: list[bytes], urls: list[str]) -> list[float]:
    """CPU seconds our parse (the fast path or feedparser, as each body needs,
    then sanitizing and checking each entry) takes for every body, on this
    process's one core: three passes, as this machine's speed varies by a
    tenth from one moment to the next."""
    from digest.parse import parse_feed
    from digest.types import FeedSource, FetchResult

    passes = []
    for _ in range(3):
        started = time.process_time()
        for url, body in zip(urls, bodies, strict=True):
            parse_feed(FeedSource(url=url), FetchResult(url=url, content=body, status=200))
        passes.append(time.process_time() - started)
    return passes


def forget_validators(folder: Path) -> None:
    """Drop the feeds' ETags and Last-Modified dates from the database, as
    for servers that send none: the next update brings every body again, and
    parses none whose bytes it has seen (the hash kept from the last time)."""
    with sqlite3.connect(folder / "digest.sqlite3") as db:
        db.execute("UPDATE sources SET etag = NULL, last_modified = NULL")


def unchanged_feeds(folder: Path) -> int:
    with sqlite3.connect(folder / "digest.sqlite3") as db:
        query = "SELECT count(*) FROM sources WHERE last_status = 'not-modified'"
        return int(db.execute(query).fetchone()[0])


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
        passes = parse_cpu(list(bodies.values()), urls)
        parsing = min(passes)
        print(
            f"    parse of the {len(urls)} bodies: {parsing:.2f} CPU-s, the least of "
            f"{', '.join(f'{cpu:.2f}' for cpu in passes)} (target ≤ 0.5; "
            f"{parsing / len(urls) * 1000:.2f} ms a feed), {parsing / cores:.2f} s on "
            f"{cores} cores; network floor {floor:.2f} s"
        )

        alone_run = quickest("httpx_alone.py", folder, urls, options.concurrency, counts)
        alone = alone_run.seconds
        print(f"    httpx alone, every body fetched and dropped: {alone:.2f} s (best of 3)")
        print(f"    {alone_run}")
        pipeline = quickest(
            "pipeline_alone.py", folder, urls, options.concurrency, counts, str(folder / "p.db")
        )
        print(
            f"    fetching, parsing and inserting alone: {pipeline.seconds:.2f} s (best of 3), "
            f"{pipeline.seconds - alone:.2f} s more than httpx alone"
        )
        if sequential is not None:
            print(
                f"    (a) / httpx alone = {sequential / alone:.1f}×; (a) / fetching, parsing "
                f"and inserting alone = {sequential / pipeline.seconds:.1f}×; at 20×, (b) has "
                f"{sequential / 20 - alone:.2f} s more than httpx alone for all the rest"
            )

        fresh = digest_update(config)
        fresh_timeline = counts.timeline(fresh.started, fresh.seconds)
        fresh_counts = counts.take()
        larger_floor = max(floor, parsing / cores)
        print(
            f"(b) digest update, fresh:         {fresh.seconds:7.2f} s   "
            f"{stored_items(folder)} items stored, {fresh_counts[200]} × 200; "
            f"{fresh.seconds / larger_floor:.2f}× the larger floor (target ≤ 1.4), "
            f"{fresh.seconds - alone:.2f} s more than httpx alone"
        )
        print(f"    {fresh_timeline}")
        print(f"    beyond httpx alone: {fresh_timeline.beyond(alone_run)}")
        print(
            f"    beyond fetching, parsing and inserting alone: {fresh_timeline.beyond(pipeline)}"
        )
        total = fresh.cpu + fresh.workers_cpu
        print(
            f"    fresh cost end to end: {total:.2f} CPU-s ({fresh.cpu:.2f} the update, "
            f"{fresh.workers_cpu:.2f} its workers), {total / len(urls) * 1000:.1f} ms a "
            f"{ITEMS_PER_FEED}-item feed (target ≤ 6)"
        )
        if sequential is not None:
            print(
                f"    (a)/(b) = {sequential / fresh.seconds:.1f}×   (target ≥ 20×; "
                f"{sequential / larger_floor:.1f}× if (b) took no more than the larger floor)"
            )

        again = digest_update(config)
        again_counts = counts.take()
        print(
            f"(c) digest update, all 304:       {again.seconds:7.2f} s   "
            f"{again_counts[304]} × 304, {again_counts[200]} parsed; "
            f"network floor {floor:.2f} s, ratio {again.seconds / floor:.2f} (target ≤ 1.25); "
            f"{again.seconds - alone:.2f} s more than httpx alone"
        )
        print(f"    peak RSS of the largest process so far: {fresh.peak_rss / 1024:.0f} MB")

        bodies["/feed/huge.xml"] = b"<rss>" + b" " * 50_000_000
        huge_url = f"http://{HOSTS[0]}:{servers[0].server_address[1]}/feed/huge.xml"
        folder_d = folder / "with-huge"
        folder_d.mkdir()
        config_d = write_config(folder_d, [*urls, huge_url], options.concurrency)
        with_huge = digest_update(config_d)
        counts.take()
        print(
            f"(d) fresh update with a 50 MB feed: {with_huge.seconds:5.2f} s   "
            f"peak RSS of the largest process: {with_huge.peak_rss / 1024:.0f} MB "
            "(target < 200 MB)"
        )

        forget_validators(folder)
        unchanged = digest_update(config)
        unchanged_counts = counts.take()
        print(
            f"(e) digest update, same bytes, no validators: {unchanged.seconds:5.2f} s   "
            f"{unchanged_counts[200]} × 200, {unchanged_feeds(folder)} found unchanged "
            "by their hash, none parsed"
        )
        print(
            f"    {unchanged.seconds - alone:.2f} s more than httpx alone (the start, the "
            f"database, the bookkeeping); (b) − (e) = {fresh.seconds - unchanged.seconds:.2f} s "
            "(parsing, storing and grouping, in wall time)"
        )
        if sequential is not None:
            print(f"    (a)/(e) = {sequential / unchanged.seconds:.1f}×")
    for server in servers:
        server.shutdown()


if __name__ == "__main__":
    main()
