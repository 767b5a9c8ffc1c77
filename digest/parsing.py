"""Parsing fetched feeds away from the event loop: in worker processes when
an update has many, started on first use and handed feeds in batches; in a
thread when it has few.

A service of `updates`. In the worker, each feed is parsed (the pure
`parse`) and its entries' terms are counted for story grouping (`cluster`).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import (
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from .cluster import counted_terms
from .errors import FeedError
from .types import FeedSource, FetchResult, ParsedFeed

log = logging.getLogger(__name__)
T = TypeVar("T")
# A feed parsed, and its entries' terms for story grouping by (title, summary).
Parsed = tuple[ParsedFeed, dict[tuple[str, str], str]]
_Waiting = tuple[FeedSource, FetchResult, "asyncio.Future[Parsed]"]

# feedparser is pure Python: parsing on the event loop's thread would hold up
# every download, and threads share one core. Worker processes parse in
# parallel; starting them costs more than parsing a handful of feeds inline.
PROCESS_POOL_MIN_FEEDS = 12
# A worker takes the feeds waiting up to this many bytes at a time: enough to
# cross between processes a few times a wave of answers rather than once a
# feed, few enough that one batch never holds many large feeds in memory.
_BATCH_BYTES = 1_000_000
# While more answers are coming, a feed waits this long for them before it
# goes to a worker, so that they cross together. Answers come one by one:
# bench-ingest's 500 feeds went over in 313 batches, most of one feed, and
# every crossing wakes three threads of this process. Waiting 20 ms, they
# went over in 85, and the fresh update took 0.24 CPU-s less of 3.0, in the
# same time. Not in the last round (see Fetcher.queued): the feeds left are
# parsed as they come, so that the run's end does not wait for them.
GATHER_SECONDS = 0.02
# Workers that die (killed for memory, or crashed inside a C library) are
# replaced this many times a run at most; after that, the feeds left fail,
# to be tried again by the next run, rather than the run starting workers
# for ever. A feed that kills its worker costs two: its batch, then itself.
WORKER_STARTS = 8


@contextmanager
def parser_for(feeds: int) -> Iterator[Parser]:
    """A parser for an update of `feeds` feeds, its workers stopped after."""
    cores = os.cpu_count() or 1
    if feeds < PROCESS_POOL_MIN_FEEDS or cores < 2:
        executor: Executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse")
        workers = 1
    else:
        # One core stays with this process (the downloads, the store): a
        # 50-item feed parses in about 1.5 ms, so a worker fewer than the
        # cores keeps up with the network, at no cost in time (measured:
        # bench-ingest's fresh update took 4.0-4.1 s with one worker or two).
        workers = cores - 1
        executor = _WorkersOnFirstUse(workers)
    with executor:
        gather = GATHER_SECONDS if isinstance(executor, _WorkersOnFirstUse) else 0.0
        yield Parser(executor, workers, gather=gather)


class Parser:
    """Hands fetched feeds to the workers: each worker that frees up takes
    every feed that arrived meanwhile (up to _BATCH_BYTES) in one call; while
    more feeds are coming, one waits up to `gather` seconds for them.

    One call a feed crossed between processes, and woke the pool's thread
    and this loop, once for every feed: batched, 500 feeds arriving 20 at a
    time took 0.13 CPU-s less (parent and worker), in the same time."""

    def __init__(self, executor: Executor, workers: int, *, gather: float = 0.0) -> None:
        self._executor = executor
        self._workers = workers
        self._gather = gather
        self._waiting: list[_Waiting] = []
        self._handing = 0  # batches out with the workers now
        self._tasks: set[asyncio.Future[None]] = set()
        self._gathering: asyncio.TimerHandle | None = None

    async def parse(
        self, source: FeedSource, fetched: FetchResult, *, more_coming: bool = False
    ) -> Parsed:
        """The feed parsed, or the error that stopped it. `more_coming`: more
        feeds will be answered soon after, and this one may wait for them."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Parsed] = loop.create_future()
        self._waiting.append((source, fetched, future))
        if more_coming and self._gather:
            if self._gathering is None:
                self._gathering = loop.call_later(self._gather, self._hand_over_waiting)
        else:
            self._hand_over_waiting()
        return await future

    def _hand_over_waiting(self) -> None:
        """Hand the waiting feeds to a worker, if one is free; a busy one
        takes them when it is done."""
        if self._gathering is not None:
            self._gathering.cancel()
            self._gathering = None
        if self._waiting and self._handing < self._workers:
            self._handing += 1
            task = asyncio.ensure_future(self._hand_over())
            self._tasks.add(task)  # kept until done: the loop holds tasks weakly
            task.add_done_callback(self._tasks.discard)

    async def _hand_over(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch = self._take()
                feeds = [(source, fetched) for source, fetched, _ in batch]
                try:
                    results = await loop.run_in_executor(self._executor, parse_batch, feeds)
                except BrokenProcessPool:
                    results = await self._each_alone(feeds)
                except Exception as exc:  # no worker to parse them: they fail
                    results = [exc] * len(batch)
                for (_, _, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # the run gave up on this feed
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._handing -= 1

    async def _each_alone(
        self, feeds: list[tuple[FeedSource, FetchResult]]
    ) -> list[Parsed | Exception]:
        """A worker died parsing these feeds, and which one it was is not
        known: each is parsed again alone, by new workers, so that only a
        feed that kills its worker fails (and the others are stored)."""
        loop = asyncio.get_running_loop()
        results: list[Parsed | Exception] = []
        for source, fetched in feeds:
            try:
                [result] = await loop.run_in_executor(
                    self._executor, parse_batch, [(source, fetched)]
                )
            except WorkersGaveOut as exc:
                result = FeedError(source.url, f"not parsed: {exc}")
            except BrokenProcessPool:
                result = FeedError(
                    source.url,
                    "the process parsing this feed died (killed, perhaps for "
                    "using too much memory, or crashed); the other feeds were parsed",
                )
            except Exception as exc:
                result = exc
            results.append(result)
        return results

    def _take(self) -> list[_Waiting]:
        """The feeds waiting longest, up to _BATCH_BYTES of them; one at least."""
        count, size = 1, len(self._waiting[0][1].content)
        while count < len(self._waiting):
            size += len(self._waiting[count][1].content)
            if size > _BATCH_BYTES:
                break
            count += 1
        batch, self._waiting = self._waiting[:count], self._waiting[count:]
        return batch


def parse_batch(feeds: list[tuple[FeedSource, FetchResult]]) -> list[Parsed | Exception]:
    """Each feed parsed, or what stopped it: one broken feed fails alone."""
    results: list[Parsed | Exception] = []
    for source, fetched in feeds:
        try:
            results.append(parse_and_count(source, fetched))
        except Exception as exc:
            results.append(exc)
    return results


def parse_and_count(source: FeedSource, fetched: FetchResult) -> Parsed:
    """Parse a feed and count each entry's terms for story grouping, by
    (title, summary): both in a worker process, while the network brings the
    other feeds. The counts are stored with the items, as text."""
    # Imported here, in the workers: the process that hands them feeds never
    # parses one, and loading feedparser and lxml there held up its start.
    from .parse import parse_feed

    parsed = parse_feed(source, fetched)
    terms = {
        (item.title, item.summary): counted_terms(item.title, item.summary)
        for item in parsed.items
    }
    return parsed, terms


class _WorkersOnFirstUse(Executor):
    """Worker processes started when the first feed needs parsing: a run where
    every feed answers 304 parses nothing, and starting the workers (a fork
    server, then each worker loading the parser) was a tenth of its time.

    They start in a thread of their own: started from the event loop, the
    fork server's 0.1 s of imports held up every download in flight, and
    the first wave of answers waited that long to ask for the next (a round
    trip lost, bench-ingest). Feeds handed over meanwhile wait for them.

    Workers that die are replaced: the calls in flight fail with
    BrokenProcessPool, and the next call starts new ones (up to `starts`
    times a run; then calls fail with BrokenProcessPool at once).

    Where no worker process can be had at all (no /dev/shm for the pool's
    locks, as on some serverless and container hosts; a limit on processes),
    the feeds are parsed in a thread of this process, as for a few feeds."""

    def __init__(
        self,
        workers: int,
        start: Callable[[int], Executor] | None = None,
        *,
        starts: int = WORKER_STARTS,
    ) -> None:
        self._workers = workers
        self._start = start or _worker_processes
        self._starts = self._starts_left = starts
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workers")
        self._pool: Future[Executor] | None = None
        self._retired: list[Future[Executor]] = []  # pools whose workers died
        # The pool's own thread retires it, while the event loop hands it calls.
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        pool = self._current_pool()
        handed: Future[T] = Future()

        def hand_over(started: Future[Executor]) -> None:
            if not handed.set_running_or_notify_cancel():
                return  # given up on while the workers started
            try:
                inner = started.result().submit(fn, *args, **kwargs)
            except BaseException as exc:  # the workers could not start, or died
                self._retire_if_broken(started, exc)
                handed.set_exception(exc)
                return
            inner.add_done_callback(
                lambda done: self._retire_if_broken(
                    started, None if done.cancelled() else done.exception()
                )
            )
            _follow(inner, handed)

        # At once when the workers are up; else from the starter, when they are.
        pool.add_done_callback(hand_over)
        return handed

    def _current_pool(self) -> Future[Executor]:
        with self._lock:
            if self._pool is None:
                if self._starts_left <= 0:
                    raise WorkersGaveOut(self._starts)
                self._starts_left -= 1
                start = self._start if self._retired else self._start_or_parse_here
                self._pool = self._starter.submit(start, self._workers)
            return self._pool

    def _start_or_parse_here(self, workers: int) -> Executor:
        """The first workers, or a thread when processes cannot be started.
        Not so when workers that died are replaced: a feed that killed one
        must not be parsed in this process."""
        try:
            return self._start(workers)
        except Exception as exc:
            log.warning(
                "could not start processes to parse the feeds in (%s: %s); "
                "parsing them in this process instead, more slowly",
                type(exc).__name__,
                exc,
            )
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse")

    def _retire_if_broken(self, started: Future[Executor], error: BaseException | None) -> None:
        """Let the next call start new workers, if these died."""
        if isinstance(error, BrokenProcessPool):
            with self._lock:
                if self._pool is started:
                    self._pool = None
                    self._retired.append(started)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._starter.shutdown(wait=True)  # a pool starting is a pool to stop
        with self._lock:
            pools = [*self._retired, *([self._pool] if self._pool else [])]
        for pool in pools:
            if pool.exception() is None:
                pool.result().shutdown(wait=wait, cancel_futures=cancel_futures)


class WorkersGaveOut(BrokenProcessPool):
    """Workers died more often than a run replaces them."""

    def __init__(self, starts: int) -> None:
        super().__init__(
            f"the parsing workers were started {starts} times this run and died "
            "each time; the next run tries again"
        )


def _worker_processes(workers: int) -> Executor:
    """A pool of `workers` processes, the first of them running."""
    # forkserver: a clean process to fork workers from, not this threaded one.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, f"{__package__}.parse"])
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_yield_to_the_fetcher
    )
    try:
        # The pool starts a worker when handed its first call: this one, here.
        pool.submit(int).result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    return pool


def _follow(inner: Future[T], outer: Future[T]) -> None:
    """Settle `outer` (running) as `inner` settles."""

    def settle(done: Future[T]) -> None:
        if done.cancelled():
            outer.set_exception(CancelledError())
        elif (exc := done.exception()) is not None:
            outer.set_exception(exc)
        else:
            outer.set_result(done.result())

    inner.add_done_callback(settle)


def _yield_to_the_fetcher() -> None:
    """Parse at a lower priority: a parser kept waiting costs nothing, while an
    event loop kept waiting delays every download in flight behind it."""
    os.nice(10)
