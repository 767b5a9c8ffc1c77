"""How fast `digest update` pulls many feeds, run by hand: `make bench-ingest`.

Serves N generated feeds (default 500, 50 items each, about 20 KB) from
threaded HTTP servers on 25 loopback addresses (127.0.0.2 … 127.0.0.26), each
answering after 100 ms (bench/farm.py), and measures in one run:

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
import math
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from farm import (
    HOSTS,
    ITEMS_PER_FEED,
    LATENCY,
    Counts,
    Timeline,
    feed_body,
    feed_url,
    per_host,
    serve,
    write_config,
)

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


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
    urls = [feed_url(servers, n) for n in range(options.feeds)]
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
        huge_url = feed_url(servers, 0, "huge")
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
