"""Workers on one PostgreSQL database, run by hand: `make bench-scale`.

Starts a throwaway PostgreSQL server (as the tests do), then measures, all on
loopback:

  update: N feeds (default 10,000, 10 items each) served by threaded HTTP
          servers on 25 loopback addresses, 100 ms a request, read by 1, 2 and
          4 `digest update` processes started at once on a fresh database;
  send:   one edition to R recipients (default 100,000) through a counting
          SMTP sink, by 1, 2 and 4 `digest send` processes at once.

For each it prints wall time, throughput in all and per worker, the scaling
of 4 workers against 1, the peak RSS of each worker's main process, the most
client connections to the database seen at once, and the CPU the workers
used (with PostgreSQL's and this benchmark's own feed farm or SMTP sink
beside it) against
what this machine's cores could give: where 4 workers are not 4 times 1, that
says which bound applies. The baseline is 1 worker, measured in the same run.

Bounded in time: --feeds and --recipients make it smaller (the figures in
the README say which sizes they are from); --skip-update or --skip-send
runs one half.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
from farm import Counts, feed_body, feed_url, serve, write_config  # noqa: E402

from tests.postgres import Cluster, start_cluster  # noqa: E402

ITEMS_PER_FEED = 10
WORKERS = (1, 2, 4)


@dataclass
class Run:
    workers: int
    wall: float
    cpu: float  # user + system seconds of the workers' processes and their children
    own_cpu: float  # this process's: the feed farm or the SMTP sink it serves
    server_cpu: float  # PostgreSQL's processes
    peak_rss_mb: list[float]
    connections: int
    done: int  # feeds stored, or messages the sink took


def start_workers(
    command: str, config: Path, url: str, count: int
) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DIGEST_DATABASE_URL": url}
    argv = [sys.executable, "-m", "digest", command, "--config", str(config)]
    return [
        subprocess.Popen(argv, cwd=config.parent, env=env, stdout=subprocess.DEVNULL)
        for _ in range(count)
    ]


def wait_all(
    runs: list[subprocess.Popen[bytes]], url: str, server: dict[int, float]
) -> tuple[float, list[float], int]:
    """Wait for every worker; (CPU seconds, peak RSS MB each, most connections).
    `server` follows each PostgreSQL process's CPU, sampled while they live
    (a worker's server process ends with its connection)."""
    most = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal most
        with psycopg.connect(url, autocommit=True) as db:
            while not stop.is_set():
                server.update(postgres_cpu())
                row = db.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                ).fetchone()
                most = max(most, row[0] if row else 0)
                time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    cpu, peaks = 0.0, []
    for run in runs:
        _, status, usage = os.wait4(run.pid, 0)
        run.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
        peaks.append(usage.ru_maxrss / 1024)
    stop.set()
    watcher.join()
    # The parse workers are the workers' children: their CPU counts too.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return max(cpu, children.ru_utime + children.ru_stime), peaks, most


def postgres_cpu() -> dict[int, float]:
    """CPU seconds used so far by each live process named postgres: the
    throwaway server's (the machine runs no other)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        if name.startswith("postgres"):
            fields = rest.split()
            used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def measure(command: str, config: Path, url: str, workers: int, done: Callable[[], int]) -> Run:
    """`workers` runs of `digest <command>` at once, measured to the last."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    server_before = postgres_cpu()
    server_after = dict(server_before)
    started = time.perf_counter()
    runs = start_workers(command, config, url, workers)
    cpu, peaks, connections = wait_all(runs, url, server_after)
    wall = time.perf_counter() - started
    server_after.update(postgres_cpu())
    server = sum(used - server_before.get(pid, 0.0) for pid, used in server_after.items())
    cpu -= before.ru_utime + before.ru_stime
    own = resource.getrusage(resource.RUSAGE_SELF)
    own_cpu = own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime
    return Run(workers, wall, cpu, own_cpu, server, peaks, connections, done())


@dataclass
class Farm:
    cluster: Cluster
    folder: Path


def fresh_database(cluster: Cluster) -> str:
    return cluster.create_database()


def bench_update(farm: Farm, feeds: int) -> list[Run]:
    rng = random.Random(7)
    bodies = {f"/feed/{n}.xml": feed_body(n, rng, ITEMS_PER_FEED) for n in range(feeds)}
    counts = Counts()
    servers = serve(bodies, counts)
    urls = [feed_url(servers, n) for n in range(feeds)]
    config = write_config(farm.folder, urls, concurrency=100)
    results = []
    for workers in WORKERS:
        url = fresh_database(farm.cluster)
        results.append(measure("update", config, url, workers, partial(feeds_stored, url)))
        counts.take()
    for server in servers:
        server.shutdown()
    return results


def feeds_stored(url: str) -> int:
    with psycopg.connect(url) as db:
        row = db.execute("SELECT count(*) FROM sources WHERE last_status = 'ok'").fetchone()
    return row[0] if row else 0


class Sink:
    """An SMTP server that counts messages and keeps nothing else."""

    def __init__(self) -> None:
        self.received = 0
        self.lock = threading.Lock()

    def count(self) -> int:
        return self.received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.received += len(envelope.rcpt_tos)
        return "250 OK"


@dataclass
class SmtpSink:
    sink: Sink
    port: int


def run_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    from tests.smtp import free_port

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpSink(sink, port)
    finally:
        controller.stop()


def send_config(folder: Path, port: int, recipients: int) -> Path:
    config = folder / "send.toml"
    config.write_text(
        f"""
[digest]
title = "Bench digest"
organisation = "Bench Press Office"
intro = "i"
closing = "c"
signature = "s"
max_age_days = 0
[sender]
name = "Bench"
address = "bench@example.org"
[paths]
feeds = "{(ROOT / "feeds" / "sample.opml").as_posix()}"
database = "send.sqlite3"
output = "send-output"
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
timeout = 30
[send]
rate = 0
max_recipients = {recipients}
retries = 1
backoff = 0.01
""",
        "utf-8",
    )
    return config


def bench_send(farm: Farm, recipients: int) -> list[Run]:
    from digest.config import load_config
    from digest.core import open_digest
    from digest.types import Recipient

    results = []
    for sink in run_sink():
        config = send_config(farm.folder, sink.port, recipients)
        for workers in WORKERS:
            url = fresh_database(farm.cluster)
            os.environ["DIGEST_DATABASE_URL"] = url
            with open_digest(load_config(config)) as digest:
                digest.update()
                digest.store.recipients.add_recipients(
                    [Recipient(f"reader{n:06d}@example.org") for n in range(recipients)],
                    digest.context.now(),
                )
            del os.environ["DIGEST_DATABASE_URL"]
            sink.sink.received = 0
            results.append(measure("send", config, url, workers, sink.sink.count))
    return results


def report(title: str, unit: str, runs: list[Run]) -> None:
    cores = os.cpu_count() or 1
    base = runs[0]
    print(f"\n{title}")
    print(
        f"  {'workers':>7} {'wall s':>8} {unit + '/s':>10} {'per worker':>10} "
        f"{'vs 1':>6} {'CPU s':>7} {'CPU use':>8} {'server CPU':>10} {'bench CPU':>9} "
        f"{'peak RSS MB (each)':>22} {'conns':>5}"
    )
    for run in runs:
        rate = run.done / run.wall
        busy = run.cpu / (run.wall * cores)
        peaks = ", ".join(f"{p:.0f}" for p in run.peak_rss_mb)
        print(
            f"  {run.workers:>7} {run.wall:>8.1f} {rate:>10,.0f} {rate / run.workers:>10,.0f} "
            f"{base.wall / run.wall:>5.2f}x {run.cpu:>7.1f} {busy:>7.0%} "
            f"{run.server_cpu / (run.wall * cores):>9.0%} "
            f"{run.own_cpu / (run.wall * cores):>8.0%} {peaks:>22} {run.connections:>5}"
        )
    last = runs[-1]
    busy = (last.cpu + last.own_cpu + last.server_cpu) / (last.wall * cores)
    bound = (
        f"CPU-bound: the workers, PostgreSQL and this benchmark's own servers kept {busy:.0%} "
        f"of this machine's {cores} cores busy"
        if busy > 0.8
        else f"not CPU-bound ({busy:.0%} of {cores} cores with PostgreSQL and this "
        "benchmark's own servers): the database's round trips set the pace"
    )
    print(f"  scaling {last.workers} against 1: {base.wall / last.wall:.2f}x; {bound}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--skip-update", action="store_true")
    parser.add_argument("--skip-send", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-scale-") as tmp:
        for cluster in start_cluster():
            farm = Farm(cluster, Path(tmp))
            if not options.skip_update:
                runs = bench_update(farm, options.feeds)
                report(f"digest update: {options.feeds:,} feeds", "feeds", runs)
            if not options.skip_send:
                runs = bench_send(farm, options.recipients)
                report(f"digest send: {options.recipients:,} recipients", "msgs", runs)


if __name__ == "__main__":
    main()
