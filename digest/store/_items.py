"""The items: one row per story, whichever feeds carried it."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from ..types import FeedSource, Item, ParsedItem, Story, StoryItem
from ._base import iso, optional_time, parse_time, transaction
from ._connection import Database
from ._matching import Fields, KnownItems, distinct, feed_fields, parts
from ._sources import SourceTable


@dataclass(frozen=True)
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


class ItemTable:
    """Items, one row per story whichever feeds carried it, with the terms
    counted for grouping, and the stories found among them; `store.items`."""

    def __init__(self, database: Database, sources: SourceTable) -> None:
        self._db = database
        self._sources = sources  # items belong to a source, by its id

    def upsert_items(
        self,
        source: FeedSource,
        items: Sequence[tuple[ParsedItem, str]],
        *,
        now: datetime,
        story_terms: Mapping[tuple[str, str], str] | None = None,
    ) -> UpsertCounts:
        """Store a feed's items, each with its canonical URL, in one transaction.

        An item already stored is updated in place when its feed changed it
        (it stays the same item, not a new one); an item first stored from
        another feed, or taken in hand by an editor, is left as it is.
        `story_terms` holds what story grouping compares, by (title,
        summary): stored with the item, for `story_terms` to give back.
        """
        attempt = 1
        while True:
            try:
                return self._upsert_once(source, items, now, story_terms or {})
            except self._db.retryable:
                # Another worker stored one of these items first (the same
                # link in two feeds): the next attempt finds it stored.
                if attempt == _ATTEMPTS:
                    raise
                attempt += 1

    def _upsert_once(
        self,
        source: FeedSource,
        items: Sequence[tuple[ParsedItem, str]],
        now: datetime,
        story_terms: Mapping[tuple[str, str], str],
    ) -> UpsertCounts:
        new = updated = unchanged = 0
        stamp = iso(now)  # once a feed, not twice an item
        with transaction(self._db) as db:
            source_id = self._sources.source_id(db, source)
            known = KnownItems(db, source_id, items)
            # New entries that cannot be one another are stored together at
            # the end, in one round trip; a feed listing an entry twice is
            # stored an entry at a time, each one matched against those before.
            together: list[tuple[object, ...]] | None = [] if distinct(items) else None
            for parsed, canonical in items:
                fields = feed_fields(parsed)  # once: matching, comparing and storing read it
                row = known.match(fields, canonical)
                terms = story_terms.get((parsed.title, parsed.summary))
                if row is None:
                    values = _item_values(source_id, fields, canonical, terms, stamp)
                    if together is None:
                        item_id = _insert_item(db, values)
                        known.add((item_id, source_id, *fields, 0, canonical))
                    else:
                        together.append(values)
                    new += 1
                elif row[1] == source_id and not row[9] and tuple(row[2:9]) != fields:
                    _update_item(db, int(str(row[0])), fields, canonical, terms, stamp)
                    known.replace(row, fields, canonical)
                    updated += 1
                else:
                    unchanged += 1
            db.executemany(_INSERT_ITEM, together or ())
        return UpsertCounts(new=new, updated=updated, unchanged=unchanged)

    def all(self, *, since: datetime | None = None) -> list[Item]:
        """Stored items dated at or after `since` (all when None), newest first."""
        query = f"""{_SELECT_ITEMS}
            WHERE CAST(? AS TEXT) IS NULL OR coalesce(published_at, first_seen_at) >= ?
            ORDER BY coalesce(published_at, first_seen_at) DESC, items.id DESC
        """
        bound = iso(since)
        return [_item(row) for row in self._db.execute(query, (bound, bound))]

    def story_items(self, *, since: datetime) -> Iterator[tuple[StoryItem, str | None]]:
        """The items dated or first seen at or after `since`, as story grouping
        reads them, each with the terms stored with it (None when it was stored
        without), as they are read."""
        query = f"{_SELECT_STORY_ITEMS} WHERE {_RECENT}"
        for row in self._db.execute(query, {"since": iso(since)}):
            yield _story_item(row), _story_terms(row)

    def story_items_written(
        self, source: FeedSource, now: datetime
    ) -> list[tuple[StoryItem, str | None]]:
        """The items `upsert_items` stored or changed for `source` at `now`
        (it stamps them with that time), as `story_items` gives them."""
        query = f"{_SELECT_STORY_ITEMS} WHERE sources.url = ? AND items.updated_at = ?"
        rows = self._db.execute(query, (source.url, iso(now)))
        return [(_story_item(row), _story_terms(row)) for row in rows]

    def item_ids(self, *, since: datetime) -> set[int]:
        """The ids of the items dated or first seen at or after `since`."""
        query = f"SELECT id FROM items WHERE {_RECENT}"
        return {int(row[0]) for row in self._db.execute(query, {"since": iso(since)})}

    def item(self, item_id: int) -> Item | None:
        """One stored item by its id."""
        row = self._db.execute(f"{_SELECT_ITEMS} WHERE items.id = ?", (item_id,)).fetchone()
        return _item(row) if row else None

    def count_items(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM items").fetchone()[0])

    def add_editor_item(
        self,
        source: FeedSource,
        parsed: ParsedItem,
        canonical: str,
        *,
        outlet: str,
        topic: str | None,
        note: str,
        now: datetime,
    ) -> tuple[int, bool]:
        """Store an item an editor added by hand: (its id, whether it is new).

        A link already stored (from a feed or an earlier `add`) is the same
        item: the editor's text, topic and note are laid over it.
        """
        with transaction(self._db) as db:
            source_id = self._sources.source_id(db, source)
            row = db.execute(
                "SELECT id FROM items WHERE canonical_url = ?", (canonical,)
            ).fetchone()
            # Its words are new: story grouping counts them when it meets them.
            if row is None:
                values = _item_values(source_id, feed_fields(parsed), canonical, None, iso(now))
                item_id = _insert_item(db, values)
            else:
                item_id = int(row[0])
                db.execute(
                    "UPDATE items SET title = ?, summary = ?, published_at = "
                    "coalesce(?, published_at), lang = coalesce(?, lang), updated_at = ?, "
                    "story_terms = NULL WHERE id = ?",
                    (
                        parsed.title,
                        parsed.summary,
                        iso(parsed.published),
                        parsed.lang,
                        iso(now),
                        item_id,
                    ),
                )
            db.execute(
                "UPDATE items SET outlet = ?, editor_added = 1, editor_topic = ?, note = ? "
                "WHERE id = ?",
                (outlet, topic, note, item_id),
            )
        return item_id, row is None

    def replace_stories(self, scope: Sequence[int], stories: Sequence[Story]) -> None:
        """Forget the stories of the items in `scope`, then store `stories`."""
        with transaction(self._db) as db:
            db.serialise("stories")  # workers finishing together regroup in turn
            # In parts: a statement an item took PostgreSQL seconds for a month.
            for part, marks in parts(scope):
                db.execute(
                    f"DELETE FROM story_members "
                    f"WHERE item_id IN ({marks}) OR lead_id IN ({marks})",
                    (*part, *part),
                )
            db.executemany(
                "INSERT INTO story_members (item_id, lead_id, position, score) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET "
                "lead_id = excluded.lead_id, position = excluded.position, score = excluded.score",
                [
                    (member, story.lead, position, score)
                    for story in stories
                    for position, (member, score) in enumerate(
                        zip(story.members, story.scores, strict=True)
                    )
                ],
            )

    def stories(self) -> list[Story]:
        """Every stored story, lead first in each."""
        grouped: dict[int, list[tuple[int, float]]] = {}
        for lead, member, score in self._db.execute(
            "SELECT lead_id, item_id, score FROM story_members ORDER BY lead_id, position"
        ):
            grouped.setdefault(lead, []).append((member, score))
        return [
            Story(
                lead=lead,
                members=tuple(member for member, _ in members),
                scores=tuple(score for _, score in members),
            )
            for lead, members in grouped.items()
        ]


# Tries of a feed's items against other workers storing the same items.
_ATTEMPTS = 3
_INSERT_ITEM = """
    INSERT INTO items (source_id, guid, url, canonical_url, title, summary, author,
        lang, published_at, first_seen_at, updated_at, story_terms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _item_values(
    source_id: int, fields: Fields, canonical: str, story_terms: str | None, stamp: str | None
) -> tuple[object, ...]:
    """A new item's row, in the order _INSERT_ITEM names its columns, from
    what the feed says of it (`feed_fields`) and when it was first seen."""
    guid, url, title, summary, author, lang, published = fields
    return (
        source_id, guid, url, canonical, title, summary, author, lang, published, stamp, stamp,
        story_terms,
    )  # fmt: skip


def _insert_item(db: Database, values: tuple[object, ...]) -> int:
    query = f"{_INSERT_ITEM} RETURNING id"
    return int(db.execute(query, values, prepare=False).fetchone()[0])


def _update_item(
    db: Database,
    item_id: int,
    fields: Fields,
    canonical: str,
    story_terms: str | None,
    stamp: str | None,
) -> None:
    # The GUID follows the feed (so a feed that rewrote its GUIDs matches by
    # GUID again next time). If the feed moved this item onto a link another
    # item already has, the old canonical URL stays: two stories must not merge.
    db.execute(
        """
        UPDATE items SET guid = ?, url = ?, title = ?, summary = ?, author = ?, lang = ?,
            published_at = ?, updated_at = ?, story_terms = ?,
            canonical_url = CASE
                WHEN EXISTS (SELECT 1 FROM items AS other
                             WHERE other.canonical_url = ? AND other.id != items.id)
                THEN canonical_url ELSE ? END
        WHERE id = ?
        """,
        (*fields, stamp, story_terms, canonical, canonical, item_id),
        prepare=False,
    )


# Every column of an Item, for `items` and `item` to filter; then with the
# terms stored for story grouping, which `_terms` reads.
_ITEM_COLUMNS = """items.id, sources.url, coalesce(items.outlet, nullif(sources.name, ''),
           sources.feed_title, sources.url), guid, items.url, canonical_url, title,
           summary, published_at, first_seen_at, updated_at, items.lang,
           editor_added, editor_topic, note"""
_FROM_ITEMS = "FROM items JOIN sources ON sources.id = items.source_id"
_SELECT_ITEMS = f"SELECT {_ITEM_COLUMNS} {_FROM_ITEMS}"
# What story grouping reads (`StoryItem`), then the terms stored for it.
_SELECT_STORY_ITEMS = f"""SELECT items.id, sources.url,
    coalesce(items.published_at, items.first_seen_at), items.lang, items.editor_added,
    length(items.summary), items.title, items.summary, items.story_terms {_FROM_ITEMS}"""
# Dated, or first seen, at or after :since: news this store has just met is
# recent to it, whatever date its feed gives it.
_RECENT = "(coalesce(published_at, first_seen_at) >= :since OR first_seen_at >= :since)"


def _item(row: tuple[object, ...]) -> Item:
    return Item(
        id=int(str(row[0])),
        source_url=str(row[1]),
        outlet=str(row[2]),
        guid=str(row[3]),
        url=str(row[4]),
        canonical_url=str(row[5]),
        title=str(row[6]),
        summary=str(row[7]),
        published=optional_time(row[8]),
        first_seen=parse_time(str(row[9])),
        updated=parse_time(str(row[10])),
        lang=str(row[11]) if row[11] else None,
        editor_added=bool(row[12]),
        editor_topic=str(row[13]) if row[13] else None,
        note=str(row[14]),
    )


def _story_item(row: tuple[object, ...]) -> StoryItem:
    item_id, source_url, date, lang, editor_added, length, title, summary = row[:8]
    fields = (
        item_id,
        sys.intern(cast(str, source_url)),  # one string for all of a feed's items
        parse_time(cast(str, date)),
        lang or None,
        bool(editor_added),
        length,
        title,
        summary,
    )
    # The columns come as the fields' types. A month of items is read at
    # once, and a named tuple's own constructor is a Python function.
    return _new_story_item(StoryItem, fields)


_new_story_item = tuple.__new__


def _story_terms(row: tuple[object, ...]) -> str | None:
    """The story terms `_SELECT_STORY_ITEMS` reads after a story item's columns."""
    return None if row[8] is None else str(row[8])
