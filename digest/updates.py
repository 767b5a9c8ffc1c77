"""Updating: every listed feed fetched, parsed and stored, once each, never
aborting; reports of one event grouped into stories; each feed's health.

A service of the `Digest` façade. Fetching is the `fetch` edge, parsing
`parsing` (the pure `parse`, in worker processes for many feeds), storing the
`store` edge, and grouping `grouping`.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import datetime, timedelta
from functools import partial
from typing import NamedTuple

from . import fetch
from .context import Context
from .errors import FeedError, FeedGone
from .grouping import Gathering, Grouping
from .health import flag_feeds
from .parsing import Parser, parser_for
from .types import (
    FeedHealth,
    FeedSource,
    FeedState,
    FeedUpdate,
    FetchResult,
    ParsedFeed,
    Story,
    UpdateStatus,
)
from .urls import canonical_url
from .workers import lapse_dead_claims, worker_name

log = logging.getLogger(__name__)

# Told of each feed as it finishes: (its result, feeds done, feeds in all).
Progress = Callable[[FeedUpdate, int, int], None]


class Updates:
    """Fetch, parse and store the listed feeds; group stories; feed health."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.grouping = Grouping(context)

    def update(self, progress: Progress | None = None) -> list[FeedUpdate]:
        """Fetch, parse and store every listed feed: one result per feed, in list
        order, never aborting. `progress` hears of each feed as it finishes.

        Runs at once (workers sharing a PostgreSQL database) split the feeds:
        each claims a few at a time, and reports only the feeds it fetched."""
        sources = self.context.sources()
        # Made first: it starts loading what the downloads will need.
        fetcher = fetch.Fetcher(self.context.config.fetch, expecting=[s.url for s in sources])
        self.context.store.sources.sync_sources(sources)
        claims = _Claims(self.context, sources)
        # The month's items, gathered as the feeds are stored, for grouping.
        gathering = self.grouping.gathering()
        # A commit a feed flushed to the disk took 0.3 ms of CPU (more
        # on slow disks): what a power cut undoes, the next run fetches again.
        with _collecting_less(), self.context.store.relaxed_durability():
            updates = asyncio.run(self._update_all(fetcher, claims, progress, gathering))
            # Grouping reads every recent item: with runs at once, the last one
            # to finish does it, once, for all (a run still holding feeds will).
            store = self.context.store
            others = store.claims.claimants("sources", store.clock()) - {worker_name()}
            if any(update.new or update.updated for update in updates) and not others:
                self.grouping.group(gathering)
        return updates

    def group_stories(self) -> list[Story]:
        """Find reports of the same event among recent items and store them."""
        return self.grouping.group()

    def stories(self) -> list[Story]:
        return self.grouping.stories()

    async def _update_all(
        self,
        fetcher: fetch.Fetcher,
        claims: _Claims,
        progress: Progress | None,
        gathering: Gathering | None,
    ) -> list[FeedUpdate]:
        states = self.context.store.sources.feed_states()
        loop = asyncio.get_running_loop()
        finished: dict[str, FeedUpdate] = {}
        # The store is written from one thread of its own, so that neither
        # the database's work nor its fsyncs hold up the event loop driving
        # every other download; one thread keeps the writes in sequence.
        with (
            parser_for(len(claims.sources)) as parser,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="store") as writer,
        ):
            async with fetcher, _holding(claims, writer):
                means = _Means(fetcher, parser, writer, gathering)
                running: set[asyncio.Future[FeedUpdate]] = set()
                started: list[asyncio.Future[FeedUpdate]] = []
                # Each feed says it is done here: waiting on the set of those
                # running would look at every one of them each time one ends.
                ended: asyncio.Queue[asyncio.Future[FeedUpdate]] = asyncio.Queue()
                try:
                    while True:
                        # Claim more as the running feeds thin out, not all
                        # at once, so that other runs get their share.
                        if len(running) < claims.batch and not claims.exhausted:
                            for source in await loop.run_in_executor(writer, claims.next_batch):
                                update = self._update_source(source, states[source.url], means)
                                started.append(asyncio.ensure_future(update))
                                started[-1].add_done_callback(ended.put_nowait)
                                running.add(started[-1])
                        if not running:
                            break
                        task = await ended.get()
                        running.discard(task)
                        result = task.result()
                        finished[result.source.url] = result
                        if progress is not None:
                            progress(result, len(finished), len(claims.sources))
                except BaseException:
                    # The store failed (the database went away): the run stops
                    # and says so once; the feeds in flight are abandoned, and
                    # the others that failed the same way are not told again.
                    for task in running:
                        task.cancel()
                    await asyncio.gather(*started, return_exceptions=True)
                    raise
        return [finished[s.url] for s in claims.sources if s.url in finished]

    async def _update_source(
        self, source: FeedSource, state: FeedState, means: _Means
    ) -> FeedUpdate:
        if state.disabled:
            await asyncio.get_running_loop().run_in_executor(
                means.writer, self.context.store.sources.release_feed, source.url, worker_name()
            )
            return FeedUpdate(
                source=source,
                status="disabled",
                warning=f"disabled after 410 Gone; `digest feeds enable {source.url}` "
                "to try it again",
            )
        record = await self._fetch_and_parse(source, state, means)
        return await asyncio.get_running_loop().run_in_executor(means.writer, record)

    async def _fetch_and_parse(
        self, source: FeedSource, state: FeedState, means: _Means
    ) -> Callable[[], FeedUpdate]:
        """Fetch and parse one feed; returns how to record the outcome in the store."""
        request = fetch.FetchRequest(source, state.fetch_url, state.etag, state.last_modified)
        try:
            fetched = await means.fetcher.fetch(request)
            if fetched.not_modified:
                return partial(self._not_modified, source, fetched, None)
            validators = (fetched.header("etag"), fetched.header("last-modified"))
            content_hash = hashlib.sha256(fetched.content).hexdigest()
            if content_hash == state.content_hash:
                # No validators from the server, but the same bytes as last time.
                return partial(self._not_modified, source, fetched, (*validators, content_hash))
            parsed, terms = await means.parser.parse(
                source, fetched, more_coming=means.fetcher.queued
            )
        except FeedError as exc:
            status: UpdateStatus = "gone" if isinstance(exc, FeedGone) else "failed"
            return partial(self._failed, source, exc.message, status)
        except Exception as exc:  # a broken feed must never stop the others
            log.debug("unexpected error updating %s", source.url, exc_info=True)
            message = f"unexpected error: {type(exc).__name__}: {exc}"
            return partial(self._failed, source, message, "failed")
        validated = (*validators, content_hash)
        return partial(self._stored, source, fetched, parsed, terms, validated, means.gathering)

    def _stored(
        self,
        source: FeedSource,
        fetched: FetchResult,
        parsed: ParsedFeed,
        story_terms: dict[tuple[str, str], str],
        validators: tuple[str | None, str | None, str | None],
        gathering: Gathering | None,
    ) -> FeedUpdate:
        now = self.context.now()
        counts = self.context.store.items.upsert_items(
            source,
            [(item, canonical_url(item.url)) for item in parsed.items],
            now=now,
            story_terms=story_terms,
        )
        self.context.store.sources.record_fetch(
            source,
            now=now,
            status="ok",
            warning=parsed.warning,
            feed_title=parsed.title,
            validators=validators,
            moved_to=fetched.moved_to,
            items_seen=len(parsed.items),
            new_items=counts.new,
            parser=parsed.parser,
        )
        if gathering is not None and (counts.new or counts.updated):
            gathering.stored(source, now)
        return FeedUpdate(
            source=source,
            new=counts.new,
            updated=counts.updated,
            unchanged=counts.unchanged,
            warning=parsed.warning,
            moved_to=fetched.moved_to,
        )

    def _not_modified(
        self,
        source: FeedSource,
        fetched: FetchResult,
        validators: tuple[str | None, str | None, str | None] | None,
    ) -> FeedUpdate:
        self.context.store.sources.record_fetch(
            source,
            now=self.context.now(),
            status="not-modified",
            validators=validators,
            moved_to=fetched.moved_to,
        )
        return FeedUpdate(source=source, status="not-modified", moved_to=fetched.moved_to)

    def _failed(self, source: FeedSource, message: str, status: UpdateStatus) -> FeedUpdate:
        self.context.store.sources.record_fetch(
            source, now=self.context.now(), status=status, error=message
        )
        return FeedUpdate(source=source, status=status, error=message)

    def feed_health(self) -> list[FeedHealth]:
        """Every listed feed, with flags for those that need the editor's eye."""
        self.context.store.sources.sync_sources(self.context.sources())
        settings = self.context.config.fetch
        return flag_feeds(
            self.context.store.sources.feed_health(),
            now=self.context.now(),
            failing_after=settings.failing_after,
            silent_after=timedelta(days=settings.silent_after_days),
        )


class _Means(NamedTuple):
    """What the feeds of one update share."""

    fetcher: fetch.Fetcher
    parser: Parser
    writer: Executor  # the store's one thread
    gathering: Gathering | None  # the month's items, for grouping stories


class _Claims:
    """The feeds this run takes, a batch at a time, out of the listed ones.

    Alone on SQLite a run takes every feed at once, as it always has; on a
    shared database a few at a time, so that runs started together split the
    feeds between them. Claims run on the wall clock, whatever clock the
    digest keeps: they are about processes alive, not about the news."""

    def __init__(self, context: Context, sources: Sequence[FeedSource]) -> None:
        self.context = context
        self.sources = sources
        self._by_url = {source.url: source for source in sources}
        self._round: datetime | None = None
        lapse_dead_claims(context.store, "sources")
        shared = context.store.shared
        self.batch = 2 * context.config.fetch.concurrency if shared else max(len(sources), 1)
        self.lease = timedelta(seconds=context.config.fetch.lease)
        self.exhausted = False

    def next_batch(self) -> list[FeedSource]:
        self._round, urls = self.context.store.sources.claim_feeds(
            worker_name(),
            self._round,
            now=self.context.store.clock(),
            lease=self.lease,
            limit=self.batch,
        )
        self.exhausted = not urls
        return [self._by_url[url] for url in urls if url in self._by_url]

    def hold(self) -> None:
        """Keep the feeds claimed and not yet fetched for another lease."""
        store = self.context.store
        store.claims.extend_claims("sources", worker_name(), store.clock() + self.lease)


@asynccontextmanager
async def _holding(claims: _Claims, writer: Executor) -> AsyncIterator[None]:
    """Renew the run's claims every third of a lease while it goes on. A run
    alone claims every feed at once, and a long list behind slow servers can
    outlast the lease: a run started then would fetch the rest again."""

    async def renew() -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(claims.lease.total_seconds() / 3)
            try:
                await loop.run_in_executor(writer, claims.hold)
            except Exception as exc:  # the store's trouble shows where feeds are stored
                log.warning("could not renew this run's claims on its feeds: %s", exc)
                return

    renewing = asyncio.ensure_future(renew())
    try:
        yield
    finally:
        renewing.cancel()
        with suppress(asyncio.CancelledError):
            await renewing


@contextmanager
def _collecting_less() -> Iterator[None]:
    """Look for reference cycles every 20,000 new objects rather than 700.
    An update holds the month's items for grouping while it makes and drops
    many small objects, and each full collection went through them all again
    (bench-ingest: 0.12 of the fresh update's 2.5 CPU-s). What an update
    drops mostly holds no cycle, and is freed at once whatever the setting."""
    saved = gc.get_threshold()
    gc.set_threshold(_YOUNG_OBJECTS, *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


_YOUNG_OBJECTS = 20_000
