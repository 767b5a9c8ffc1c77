"""Stories: reports of one event, found among the month's items and stored.

A service of the `Digest` façade, run by `updates` after every update that
brought news. The grouping is the pure `cluster`; this module feeds it from
the store, in one of two ways:

- `Grouping.group` alone reads the month's items back from the store;
- with a `Gathering`, an update hands over each feed's new and changed items
  as it stores them, in the store's thread, while the network brings the
  other feeds. Its end is then left only with placing reports in stories.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .bundled import bundled_concepts
from .cluster import StoryBatch, decode_terms
from .context import Context
from .types import FeedSource, Story, StoryItem

# Stories are looked for among items first seen or dated this recently.
STORY_HORIZON = timedelta(days=30)


class Grouping:
    """Group the recent items into stories, and store them."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def group(self, gathered: Gathering | None = None) -> list[Story]:
        """Find reports of the same event among recent items and store them.
        The items are those `gathered` while an update stored them, or, when
        there are none or another process wrote meanwhile, read back here."""
        since = self.context.now() - STORY_HORIZON
        batch = gathered.batch(since) if gathered is not None else None
        if batch is None:
            batch = StoryBatch()
            _add_stored(batch, self.context.store.items.story_items(since=since))
        settings = self.context.config.digest
        stories = batch.stories(
            threshold=settings.story_similarity,
            lang=settings.language,
            concepts=bundled_concepts(),
        )
        self.context.store.items.replace_stories(sorted(batch.ids), stories)
        return list(stories)

    def gathering(self) -> Gathering | None:
        """Somewhere for an update to gather its items, on a database that
        says when another process wrote (SQLite): else None, and `group`
        reads them back (PostgreSQL, where workers store feeds at once)."""
        if self.context.store.revision() is None:
            return None
        return Gathering(self.context)

    def stories(self) -> list[Story]:
        return self.context.store.items.stories()


class Gathering:
    """The month's items as an update stores its feeds: read once when the
    first feed brings news, then each feed's new and changed items as it is
    stored. Used from the store's thread during the update, then by `group`."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._batch: StoryBatch | None = None
        self._revision: int | None = None

    def stored(self, source: FeedSource, now: datetime) -> None:
        """`source`'s new and changed items were stored at `now`."""
        store = self.context.store
        if self._batch is None:
            # The run's first news: the month's items, this feed's among them.
            # Taken before reading, the revision tells whether anything read
            # may have changed since.
            self._revision = store.revision()
            self._batch = StoryBatch()
            since = self.context.now() - STORY_HORIZON
            _add_stored(self._batch, store.items.story_items(since=since))
            bundled_concepts()  # read now (6 ms), not after the last feed, for `group`
        else:
            _add_stored(self._batch, store.items.story_items_written(source, now))

    def batch(self, since: datetime) -> StoryBatch | None:
        """The gathered items dated at or after `since`; None when nothing
        was gathered, or when the store may hold other items or other
        versions of them (another process wrote: an editor added a link)."""
        store = self.context.store
        if self._batch is None or store.revision() != self._revision:
            return None
        recent = store.items.item_ids(since=since)
        for item_id in self._batch.ids - recent:
            self._batch.discard(item_id)  # now older than the horizon
        return self._batch if self._batch.ids == recent else None


def _add_stored(batch: StoryBatch, stored: Iterable[tuple[StoryItem, str | None]]) -> None:
    """Items from the store, with the terms counted when they were stored:
    those stored without (added by hand, or before terms were kept) are
    counted when added."""
    for item, terms in stored:
        batch.add(item, decode_terms(terms) if terms else None)
