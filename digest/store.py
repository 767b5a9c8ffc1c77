"""SQLite storage: schema, migrations, sources, items and editions.

The only module that imports sqlite3, so that another backend (PostgreSQL for
newsrooms with many editors) can take its place behind the same methods.
The schema is versioned with numbered migrations on `PRAGMA user_version`;
`PRAGMA application_id` marks the file as ours, so a foreign database is
refused rather than altered. Every multi-row change runs in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import StoreError
from .types import EditionRecord, FeedSource, Item, ParsedItem

APPLICATION_ID = 0x50524447  # "PRDG"

MIGRATIONS: tuple[str, ...] = (
    # 1: sources, items, editions
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        lang TEXT,
        feed_title TEXT,
        last_fetched_at TEXT,
        last_error TEXT,
        last_warning TEXT
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources (id),
        guid TEXT NOT NULL,
        url TEXT NOT NULL,
        canonical_url TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        author TEXT NOT NULL DEFAULT '',
        lang TEXT,
        published_at TEXT,
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (source_id, guid)
    );
    CREATE UNIQUE INDEX items_by_canonical_url ON items (canonical_url);
    CREATE INDEX items_by_date ON items (coalesce(published_at, first_seen_at));
    CREATE TABLE editions (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        subject TEXT NOT NULL,
        created_at TEXT NOT NULL,
        folder TEXT NOT NULL
    );
    CREATE TABLE edition_items (
        edition_id INTEGER NOT NULL REFERENCES editions (id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL REFERENCES items (id),
        position INTEGER NOT NULL,
        topic TEXT NOT NULL,
        PRIMARY KEY (edition_id, item_id)
    );
    """,
)


@dataclass(frozen=True)
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


class Store:
    """A press-digest database. Open with `open_store(path)`; close when done."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self._db = connection
        self.path = path

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error: all or nothing."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- sources ---------------------------------------------------------

    def sync_sources(self, sources: Sequence[FeedSource]) -> None:
        """Make the stored sources follow the feed list (names and languages)."""
        with self.transaction() as db:
            for source in sources:
                db.execute(
                    """
                    INSERT INTO sources (url, name, lang) VALUES (?, ?, ?)
                    ON CONFLICT (url) DO UPDATE SET name = excluded.name, lang = excluded.lang
                    """,
                    (source.url, source.name, source.lang),
                )

    def record_fetch(
        self,
        source: FeedSource,
        *,
        now: datetime,
        error: str | None,
        warning: str | None = None,
        feed_title: str | None = None,
    ) -> None:
        with self.transaction() as db:
            db.execute(
                """
                UPDATE sources SET last_fetched_at = ?, last_error = ?, last_warning = ?,
                    feed_title = coalesce(?, feed_title)
                WHERE url = ?
                """,
                (_iso(now), error, warning, feed_title, source.url),
            )

    # -- items -------------------------------------------------------------

    def upsert_items(
        self, source: FeedSource, items: Sequence[tuple[ParsedItem, str]], *, now: datetime
    ) -> UpsertCounts:
        """Store a feed's items, each with its canonical URL, in one transaction.

        An item is the one already stored if its GUID matches within the feed,
        or its canonical URL matches across feeds. A changed item is updated in
        place (it stays the same item); an item first stored from another feed
        is left as it is.
        """
        new = updated = unchanged = 0
        with self.transaction() as db:
            source_id = self._source_id(db, source)
            for parsed, canonical in items:
                row = db.execute(
                    "SELECT id, source_id, url, title, summary, published_at FROM items "
                    "WHERE (source_id = ? AND guid = ?) OR canonical_url = ? "
                    # the feed's own GUID first, then a link from the same feed
                    "ORDER BY (source_id = ? AND guid = ?) DESC, source_id = ? DESC LIMIT 1",
                    (source_id, parsed.guid, canonical, source_id, parsed.guid, source_id),
                ).fetchone()
                if row is None:
                    self._insert_item(db, source_id, parsed, canonical, now)
                    new += 1
                elif row[1] == source_id and _changed(row, parsed):
                    self._update_item(db, row[0], parsed, canonical, now)
                    updated += 1
                else:
                    unchanged += 1
        return UpsertCounts(new=new, updated=updated, unchanged=unchanged)

    def _source_id(self, db: sqlite3.Connection, source: FeedSource) -> int:
        row = db.execute("SELECT id FROM sources WHERE url = ?", (source.url,)).fetchone()
        if row is not None:
            return int(row[0])
        cursor = db.execute(
            "INSERT INTO sources (url, name, lang) VALUES (?, ?, ?)",
            (source.url, source.name, source.lang),
        )
        return int(cursor.lastrowid or 0)

    def _insert_item(
        self,
        db: sqlite3.Connection,
        source_id: int,
        parsed: ParsedItem,
        canonical: str,
        now: datetime,
    ) -> None:
        db.execute(
            """
            INSERT INTO items (source_id, guid, url, canonical_url, title, summary, author,
                lang, published_at, first_seen_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                source_id,
                parsed.guid,
                parsed.url,
                canonical,
                parsed.title,
                parsed.summary,
                parsed.author,
                parsed.lang,
                _iso(parsed.published),
                _iso(now),
                _iso(now),
            ),
        )

    def _update_item(
        self,
        db: sqlite3.Connection,
        item_id: int,
        parsed: ParsedItem,
        canonical: str,
        now: datetime,
    ) -> None:
        # If the feed moved this item onto a link another item already has,
        # the old canonical URL stays: two stories must not merge into one.
        db.execute(
            """
            UPDATE items SET url = ?, title = ?, summary = ?, author = ?, lang = ?,
                published_at = ?, updated_at = ?,
                canonical_url = CASE
                    WHEN EXISTS (SELECT 1 FROM items AS other
                                 WHERE other.canonical_url = ? AND other.id != items.id)
                    THEN canonical_url ELSE ? END
            WHERE id = ?
            """,
            (
                parsed.url,
                parsed.title,
                parsed.summary,
                parsed.author,
                parsed.lang,
                _iso(parsed.published),
                _iso(now),
                canonical,
                canonical,
                item_id,
            ),
        )

    def items(self, *, since: datetime | None = None) -> list[Item]:
        """Stored items dated at or after `since` (all when None), newest first."""
        query = """
            SELECT items.id, sources.url, coalesce(nullif(sources.name, ''), sources.feed_title,
                   sources.url), guid, items.url, canonical_url, title, summary, published_at,
                   first_seen_at, updated_at, items.lang
            FROM items JOIN sources ON sources.id = items.source_id
            WHERE ? IS NULL OR coalesce(published_at, first_seen_at) >= ?
            ORDER BY coalesce(published_at, first_seen_at) DESC, items.id DESC
        """
        bound = _iso(since)
        return [_item(row) for row in self._db.execute(query, (bound, bound))]

    def count_items(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM items").fetchone()[0])

    # -- editions ----------------------------------------------------------

    def save_edition(
        self,
        *,
        slug: str,
        title: str,
        subject: str,
        created: datetime,
        folder: str,
        placed: Sequence[tuple[int, str]],
    ) -> int:
        """Record a built edition and its items (item id, topic) in reading order.

        Building the same edition again replaces the earlier record.
        """
        with self.transaction() as db:
            db.execute("DELETE FROM editions WHERE slug = ?", (slug,))
            cursor = db.execute(
                "INSERT INTO editions (slug, title, subject, created_at, folder) "
                "VALUES (?, ?, ?, ?, ?)",
                (slug, title, subject, _iso(created), folder),
            )
            edition_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO edition_items (edition_id, item_id, position, topic) "
                "VALUES (?, ?, ?, ?)",
                [
                    (edition_id, item_id, position, topic)
                    for position, (item_id, topic) in enumerate(placed)
                ],
            )
        return edition_id

    def editions(self) -> list[EditionRecord]:
        """Every built edition, newest first."""
        rows = self._db.execute(
            """
            SELECT editions.id, slug, title, subject, created_at, folder,
                   (SELECT count(*) FROM edition_items WHERE edition_id = editions.id)
            FROM editions ORDER BY created_at DESC, editions.id DESC
            """
        )
        return [
            EditionRecord(
                id=row[0],
                slug=row[1],
                title=row[2],
                subject=row[3],
                created=_parse_time(row[4]),
                folder=row[5],
                item_count=row[6],
            )
            for row in rows
        ]


def open_store(path: str | Path) -> Store:
    """Open (creating if needed) and migrate the database at `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(str(path), f"cannot open database: {exc}") from exc
    try:
        _prepare(connection, str(path))
    except BaseException:
        connection.close()
        raise
    return Store(connection, str(path))


def _prepare(db: sqlite3.Connection, path: str) -> None:
    try:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        has_tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        raise StoreError(path, f"not a press-digest database ({exc})") from exc
    if has_tables and application_id != APPLICATION_ID:
        raise StoreError(path, "not a press-digest database; refusing to change it")
    if version > len(MIGRATIONS):
        raise StoreError(
            path, f"database schema {version} is newer than this press-digest ({len(MIGRATIONS)})"
        )
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    for number in range(version + 1, len(MIGRATIONS) + 1):
        _migrate(db, path, number)


def _migrate(db: sqlite3.Connection, path: str, number: int) -> None:
    script = MIGRATIONS[number - 1]
    try:
        db.executescript(
            f"BEGIN IMMEDIATE;\n{script}\n"
            f"PRAGMA application_id = {APPLICATION_ID};\n"
            f"PRAGMA user_version = {number};\nCOMMIT;"
        )
    except sqlite3.Error as exc:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise StoreError(path, f"migration {number} failed: {exc}") from exc


def _changed(row: tuple[object, ...], parsed: ParsedItem) -> bool:
    _, _, url, title, summary, published = row
    return (url, title, summary, published) != (
        parsed.url,
        parsed.title,
        parsed.summary,
        _iso(parsed.published),
    )


def _item(row: tuple[object, ...]) -> Item:
    published = row[8]
    return Item(
        id=int(str(row[0])),
        source_url=str(row[1]),
        outlet=str(row[2]),
        guid=str(row[3]),
        url=str(row[4]),
        canonical_url=str(row[5]),
        title=str(row[6]),
        summary=str(row[7]),
        published=_parse_time(str(published)) if published else None,
        first_seen=_parse_time(str(row[9])),
        updated=_parse_time(str(row[10])),
        lang=str(row[11]) if row[11] else None,
    )


def _iso(moment: datetime | None) -> str | None:
    """UTC ISO-8601 with a fixed width, so that text order is time order."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
