"""Which stored item each entry of a feed is: the stored items it could be
are read in one query (in parts of 500), then matched in memory."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from ..types import ParsedItem
from ._base import iso
from ._connection import Database

# What a match needs of a stored item, in this order (see feed_fields).
_KNOWN_COLUMNS = (
    "id, source_id, guid, url, title, summary, author, lang, published_at, "
    "editor_added, canonical_url"
)
# SQLite allows 32,766 bound values, PostgreSQL 65,535; a feed of more
# entries is read in parts.
_LOOKUP_CHUNK = 500


Row = tuple[object, ...]
# guid, url, title, summary, author, lang, published_at (see feed_fields)
Fields = tuple[str | None, ...]
_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


class KnownItems:
    """The stored items a feed's entries could be, read in three queries, then
    matched in memory, best match first: the feed's own GUID; then the link,
    whichever feed carried it; then, for a feed that rewrote its GUIDs, the
    same title and date in the same feed. Items stored during the batch are
    added, so that an entry listed twice is one item."""

    def __init__(
        self,
        db: Database,
        source_id: int,
        entries: Sequence[tuple[ParsedItem, str]],
    ) -> None:
        self._source_id = source_id
        self._by_guid: dict[object, Row] = {}
        self._by_url: dict[object, Row] = {}
        self._by_title_date: dict[tuple[object, object], Row] = {}
        # One query a part finds the feed's items by any of the three, first
        # stored first. Never prepared, nor the statements storing items: a
        # plan kept from when `items` was nearly empty scans the whole table
        # (a 10-item feed took 1.9 -> 6.6 ms by 20,000 items; now about 1 ms).
        for part, marks in parts(entries):
            query = (
                f"SELECT {_KNOWN_COLUMNS} FROM items "
                f"WHERE (source_id = ? AND guid IN ({marks})) OR canonical_url IN ({marks}) "
                f"OR (source_id = ? AND title IN ({marks})) ORDER BY id"
            )
            values = [
                source_id,
                *(parsed.guid for parsed, _ in part),
                *(canonical for _, canonical in part),
                source_id,
                *(parsed.title for parsed, _ in part),
            ]
            for row in db.execute(query, values, prepare=False):
                self.add(row)

    def add(self, row: Row) -> None:
        self._by_url.setdefault(row[10], row)
        if row[1] == self._source_id:
            self._by_guid.setdefault(row[2], row)
            if row[8] is not None:  # no date, no match by title and date
                self._by_title_date.setdefault((row[4], row[8]), row)

    def match(self, fields: Fields, canonical: str) -> Row | None:
        guid, title, published = fields[0], fields[2], fields[6]
        found = self._by_guid.get(guid) or self._by_url.get(canonical)
        if found is None and published is not None:
            found = self._by_title_date.get((title, published))
        return found

    def replace(self, row: Row, fields: Fields, canonical: str) -> None:
        """Follow an update made by _update_item, canonical URL rule included."""
        _forget(self._by_guid, row[2], row)
        _forget(self._by_url, row[10], row)
        _forget(self._by_title_date, (row[4], row[8]), row)
        holder = self._by_url.get(canonical)
        kept = row[10] if holder is not None and holder[0] != row[0] else canonical
        self.add((row[0], row[1], *fields, row[9], kept))


def parts(values: Sequence[_Value]) -> Iterator[tuple[Sequence[_Value], str]]:
    """`values` in parts of _LOOKUP_CHUNK, each with its "?, ?, ..." marks."""
    for start in range(0, len(values), _LOOKUP_CHUNK):
        part = values[start : start + _LOOKUP_CHUNK]
        yield part, ", ".join("?" * len(part))


def _forget(index: dict[_Key, Row], key: _Key, row: Row) -> None:
    if index.get(key) is row:
        del index[key]


def distinct(entries: Sequence[tuple[ParsedItem, str]]) -> bool:
    """Whether no entry of a feed could match another as one item: no GUID,
    canonical URL, or title on one date comes twice (see KnownItems.match)."""
    guids = [parsed.guid for parsed, _ in entries]
    links = [canonical for _, canonical in entries]
    dated = [(p.title, p.published) for p, _ in entries if p.published is not None]
    return all(len(set(keys)) == len(keys) for keys in (guids, links, dated))


def feed_fields(parsed: ParsedItem) -> Fields:
    """What a feed says about an item, in the order _KNOWN_COLUMNS reads it back."""
    return (
        parsed.guid,
        parsed.url,
        parsed.title,
        parsed.summary,
        parsed.author,
        parsed.lang,
        iso(parsed.published),
    )
