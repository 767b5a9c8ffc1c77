"""Feeds handed to the parse workers in batches: each feed gets its own
result, a broken one fails alone, and a batch never holds much."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from digest.errors import FeedError
from digest.parsing import (
    PROCESS_POOL_MIN_FEEDS,
    Parsed,
    Parser,
    _WorkersOnFirstUse,
    parser_for,
)
from digest.types import FeedSource, FetchResult

from .conftest import ROOT
from .dying_workers import DyingWorkers, killing

T = TypeVar("T")
SAMPLE = (ROOT / "feeds/sample/mekong-dispatch.rss").read_bytes()
ITEMS = SAMPLE.count(b"<item>")


class CountedCalls(ThreadPoolExecutor):
    """A worker thread that counts the calls handed to it."""

    calls = 0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        self.calls += 1
        return super().submit(fn, *args, **kwargs)


def feed(number: int, body: bytes = SAMPLE) -> tuple[FeedSource, FetchResult]:
    url = f"https://outlet{number}.example/feed"
    return FeedSource(url=url), FetchResult(url=url, content=body)


async def parse_all(parser: Parser, feeds: list[tuple[FeedSource, FetchResult]]) -> list[Any]:
    return await asyncio.gather(
        *(parser.parse(source, fetched) for source, fetched in feeds), return_exceptions=True
    )


def test_feeds_that_arrive_together_are_parsed_in_few_calls_each_to_its_own_result() -> None:
    feeds = [feed(n) for n in range(20)]
    feeds[7] = feed(7, b"<html><body>Not a feed</body></html>")
    with CountedCalls(max_workers=1) as executor:
        results = asyncio.run(parse_all(Parser(executor, workers=1), feeds))
        calls = executor.calls
    assert calls == 1, "feeds waiting together are handed over together"
    assert isinstance(results[7], FeedError), "the broken feed fails alone"
    for number, result in enumerate(results):
        if number != 7:
            parsed, terms = result
            assert parsed.url == feeds[number][0].url
            assert len(parsed.items) == len(terms) == ITEMS


def test_while_more_feeds_are_coming_a_feed_waits_for_them_to_cross_together() -> None:
    async def run(gather: float) -> int:
        with CountedCalls(max_workers=1) as executor:
            parser = Parser(executor, workers=1, gather=gather)
            first = asyncio.ensure_future(parser.parse(*feed(0), more_coming=True))
            await asyncio.sleep(0.01)  # the next answers come in a little later
            others = [parser.parse(*feed(n), more_coming=True) for n in range(1, 5)]
            results = await asyncio.gather(first, *others)
            assert [parsed.url for parsed, _ in results] == [feed(n)[0].url for n in range(5)]
            return executor.calls

    assert asyncio.run(run(gather=0.0)) == 2, "without waiting, the first feed goes alone"
    assert asyncio.run(run(gather=0.2)) == 1, "the five feeds are handed over in one call"


def test_the_last_feed_to_come_takes_the_waiting_ones_along_at_once() -> None:
    async def run() -> list[Parsed]:
        with CountedCalls(max_workers=1) as executor:
            parser = Parser(executor, workers=1, gather=60.0)  # a wait no test sits out
            waiting = [parser.parse(*feed(n), more_coming=True) for n in range(3)]
            last = parser.parse(*feed(3), more_coming=False)
            results = await asyncio.wait_for(asyncio.gather(*waiting, last), timeout=10)
            assert executor.calls == 1
            return results

    assert [parsed.url for parsed, _ in asyncio.run(run())] == [feed(n)[0].url for n in range(4)]


def test_a_feed_waiting_for_others_that_never_come_is_parsed_when_the_wait_ends() -> None:
    async def run() -> Parsed:
        with CountedCalls(max_workers=1) as executor:
            parser = Parser(executor, workers=1, gather=0.05)
            return await asyncio.wait_for(parser.parse(*feed(0), more_coming=True), timeout=10)

    parsed, terms = asyncio.run(run())
    assert len(parsed.items) == len(terms) == ITEMS


def test_a_batch_holds_no_more_than_a_megabyte_of_feeds_unless_one_alone_is_larger() -> None:
    def padded(size: int) -> bytes:
        return SAMPLE.replace(b"<channel>", b"<channel><!--" + b" " * size + b"-->")

    for size, calls_expected in ((400_000, 3), (600_000, 6), (1_500_000, 6)):
        feeds = [feed(n, padded(size)) for n in range(6)]
        with CountedCalls(max_workers=1) as executor:
            results = asyncio.run(parse_all(Parser(executor, workers=1), feeds))
            assert executor.calls == calls_expected, size
        assert all(len(parsed.items) == ITEMS for parsed, _ in results)


@pytest.mark.parametrize("feeds", [2, PROCESS_POOL_MIN_FEEDS])
def test_in_a_thread_or_in_worker_processes_the_results_are_the_same(feeds: int) -> None:
    async def run() -> list[Parsed]:
        with parser_for(feeds) as parser:
            return await asyncio.gather(*(parser.parse(*feed(n)) for n in range(feeds)))

    results = asyncio.run(run())
    assert [parsed.url for parsed, _ in results] == [feed(n)[0].url for n in range(feeds)]
    assert {len(parsed.items) for parsed, _ in results} == {ITEMS}


def test_the_event_loop_runs_on_while_the_workers_start() -> None:
    """Starting worker processes takes a fork server's imports: the downloads
    in flight must not wait for it, only the feeds handed over meanwhile."""
    started = threading.Event()
    go_on = threading.Event()

    def slow_start(workers: int) -> Executor:
        started.set()
        if not go_on.wait(10):
            raise RuntimeError("the event loop stood still while the workers started")
        return ThreadPoolExecutor(max_workers=workers)

    async def run() -> Parsed:
        with _WorkersOnFirstUse(1, start=slow_start) as executor:
            parser = Parser(executor, workers=1)
            parsing = asyncio.ensure_future(parser.parse(*feed(0)))
            while not started.is_set():
                await asyncio.sleep(0.001)
            await asyncio.sleep(0.01)  # a download's turn on the loop, meanwhile
            assert not parsing.done(), "the feed waits for the workers"
            go_on.set()
            return await parsing

    parsed, terms = asyncio.run(run())
    assert len(parsed.items) == len(terms) == ITEMS


def test_where_no_worker_process_can_start_the_feeds_are_parsed_in_a_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    parsed_in: set[str] = set()

    def no_processes(workers: int) -> Executor:
        # What the pool's constructor raises where there is no /dev/shm.
        raise OSError(38, "Function not implemented")

    async def run() -> list[Any]:
        with _WorkersOnFirstUse(1, start=no_processes) as executor:
            parser = Parser(executor, workers=1)
            results = await parse_all(parser, [feed(0), feed(1)])
            executor.submit(lambda: parsed_in.add(threading.current_thread().name)).result()
            return results

    with caplog.at_level(logging.WARNING, logger="digest.parsing"):
        results = asyncio.run(run())
    assert [len(parsed.items) for parsed, _ in results] == [ITEMS, ITEMS]
    assert [name.split("_")[0] for name in parsed_in] == ["parse"]
    assert "could not start processes to parse the feeds in (OSError: [Errno 38]" in caplog.text
    assert "parsing them in this process instead" in caplog.text


def test_dead_workers_that_cannot_be_replaced_fail_their_feeds_rather_than_parse_here() -> None:
    starts = 0

    def once(workers: int) -> Executor:
        nonlocal starts
        starts += 1
        if starts > 1:
            raise OSError(11, "Resource temporarily unavailable")
        return DyingWorkers(workers)

    async def run() -> list[Any]:
        with _WorkersOnFirstUse(1, start=once) as executor:
            return await parse_all(
                Parser(executor, workers=1), [feed(0, killing(SAMPLE)), feed(1)]
            )

    results = asyncio.run(run())
    assert all(isinstance(result, OSError) for result in results), results
    assert all("Resource temporarily unavailable" in str(result) for result in results)
    assert starts == 2


def test_a_feed_that_kills_its_worker_fails_alone_and_new_workers_parse_the_rest() -> None:
    feeds = [feed(n) for n in range(6)]
    feeds[3] = feed(3, killing(SAMPLE))
    DyingWorkers.started = 0

    async def run() -> list[Any]:
        with _WorkersOnFirstUse(1, start=DyingWorkers) as executor:
            return await parse_all(Parser(executor, workers=1), feeds)

    results = asyncio.run(run())
    assert isinstance(results[3], FeedError)
    assert "the process parsing this feed died" in results[3].message
    for number, result in enumerate(results):
        if number != 3:
            parsed, terms = result
            assert parsed.url == feeds[number][0].url
            assert len(parsed.items) == len(terms) == ITEMS
    # The six went over in one batch, which killed the first workers; the
    # feed alone killed the second; the third parsed the two after it.
    assert DyingWorkers.started == 3


def test_workers_that_die_every_time_are_replaced_a_few_times_then_the_feeds_fail() -> None:
    feeds = [feed(n, killing(SAMPLE)) for n in range(5)]
    DyingWorkers.started = 0

    async def run() -> list[Any]:
        with _WorkersOnFirstUse(1, start=DyingWorkers, starts=3) as executor:
            return await asyncio.wait_for(
                parse_all(Parser(executor, workers=1), feeds), timeout=60
            )

    results = asyncio.run(run())
    assert DyingWorkers.started == 3
    messages = [result.message for result in results]
    assert all("the process parsing this feed died" in m for m in messages[:2]), messages
    assert all(
        m.startswith("not parsed: the parsing workers were started 3 times this run")
        for m in messages[2:]
    ), messages
