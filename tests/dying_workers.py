"""Parse workers that die, for tests: real worker processes, killed with
SIGKILL (as the kernel's out-of-memory killer ends one) when handed a feed
that carries MARK. Kept apart from the tests so that a worker imports
little to find `parse_or_die`."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from digest.parsing import _worker_processes
from digest.types import FeedSource, FetchResult

T = TypeVar("T")
MARK = b"<!-- this feed kills its parser -->"


def killing(body: bytes) -> bytes:
    """`body`, an RSS feed, as one the dying workers die on: still well-formed."""
    return body.replace(b"<channel>", b"<channel>" + MARK, 1)


def parse_or_die(
    parse: Callable[[list[tuple[FeedSource, FetchResult]]], T],
    feeds: list[tuple[FeedSource, FetchResult]],
) -> T:
    """In the worker: die if a feed carries MARK, else parse them all."""
    if any(MARK in fetched.content for _, fetched in feeds):
        os.kill(os.getpid(), signal.SIGKILL)
    return parse(feeds)


class DyingWorkers(Executor):
    """press-digest's own worker processes, each call going through
    `parse_or_die`. `started` counts the pools made, in this process."""

    started = 0

    def __init__(self, workers: int) -> None:
        DyingWorkers.started += 1
        self._pool = _worker_processes(workers)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self._pool.submit(parse_or_die, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
