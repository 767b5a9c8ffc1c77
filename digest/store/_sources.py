"""The feeds: the list the editor keeps, and what each fetch left behind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ..types import FeedHealth, FeedSource, FeedState, UpdateStatus
from ._base import iso, optional_time, parse_time, transaction
from ._connection import Database

FAILED = ("failed", "gone")
REACHED = ("ok", "not-modified")


class SourceTable:
    """The feed list as stored: each feed's id, validators, claims and health; `store.sources`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def sync_sources(self, sources: Sequence[FeedSource]) -> None:
        """Make the stored sources follow the feed list.

        A feed taken off the list is kept, unlisted, with its items: nothing
        already collected is lost, and putting it back restores its history.
        """
        wanted = {source.url: (source.name, source.lang, source.user_agent) for source in sources}
        with transaction(self._db) as db:
            # Only what changed is written: workers starting at once then
            # take no row locks on an unchanged list, and do not queue.
            stored = {
                str(url): (name, lang, user_agent, bool(listed))
                for url, name, lang, user_agent, listed in db.execute(
                    "SELECT url, name, lang, user_agent, listed FROM sources "
                    "WHERE url NOT LIKE 'editor:%'"
                )
            }
            db.executemany(
                "UPDATE sources SET listed = 0 WHERE url = ?",
                [(url,) for url, row in stored.items() if row[3] and url not in wanted],
            )
            db.executemany(
                """
                INSERT INTO sources (url, name, lang, user_agent) VALUES (?, ?, ?, ?)
                ON CONFLICT (url) DO UPDATE SET name = excluded.name, lang = excluded.lang,
                    user_agent = excluded.user_agent, listed = 1
                """,
                [
                    (url, *fields)
                    for url, fields in wanted.items()
                    if stored.get(url) != (*fields, True)
                ],
            )

    def source_id(self, db: Database, source: FeedSource) -> int:
        row = db.execute("SELECT id FROM sources WHERE url = ?", (source.url,)).fetchone()
        if row is not None:
            return int(row[0])
        cursor = db.execute(
            "INSERT INTO sources (url, name, lang, user_agent, listed) VALUES (?, ?, ?, ?, 0) "
            "RETURNING id",
            (source.url, source.name, source.lang, source.user_agent),
        )
        return int(cursor.fetchone()[0])

    def claim_feeds(
        self, worker: str, round_: datetime | None, *, now: datetime, lease: timedelta, limit: int
    ) -> tuple[datetime, list[str]]:
        """Claim for `worker`, until `now + lease`, up to `limit` listed feeds
        not yet claimed in this round of updates, or whose claim lapsed (its
        run died); the round and their URLs.

        A run's first claim finds its round: the round of the runs still
        holding claims, which it joins, or a new one starting `now`. Runs at
        once so split the feeds, each fetched by one; a run after them starts
        a new round and fetches them all again. Claims are taken one at a
        time, so two runs starting together agree on their round."""
        with transaction(self._db) as db:
            db.serialise("claims")
            if round_ is None:
                row = db.execute(
                    "SELECT min(claimed_at) FROM sources WHERE claimed_until >= ?", (iso(now),)
                ).fetchone()
                round_ = parse_time(row[0]) if row[0] else now
            rows = db.execute(
                f"""
                WITH picked AS MATERIALIZED (
                    SELECT id FROM sources WHERE listed = 1 AND (
                        (claimed_until IS NULL AND (claimed_at IS NULL OR claimed_at < ?))
                        OR claimed_until < ?)
                    ORDER BY id LIMIT ?{db.skip_locked})
                UPDATE sources SET claimed_by = ?, claimed_at = ?, claimed_until = ?
                WHERE id IN (SELECT id FROM picked)
                RETURNING url
                """,
                (iso(round_), iso(now), limit, worker, iso(round_), iso(now + lease)),
            ).fetchall()
        return round_, [str(row[0]) for row in rows]

    def release_feed(self, url: str, worker: str) -> None:
        """Let go of a claimed feed (recording a fetch does so too)."""
        with transaction(self._db) as db:
            db.execute(
                "UPDATE sources SET claimed_until = NULL WHERE url = ? AND claimed_by = ?",
                (url, worker),
            )

    def feed_states(self) -> dict[str, FeedState]:
        """For each stored feed (by listed URL): where to fetch it and its validators."""
        rows = self._db.execute(
            "SELECT url, coalesce(fetch_url, url), etag, last_modified, content_hash, "
            "disabled_at IS NOT NULL FROM sources"
        )
        return {
            row[0]: FeedState(
                fetch_url=row[1],
                etag=row[2],
                last_modified=row[3],
                content_hash=row[4],
                disabled=bool(row[5]),
            )
            for row in rows
        }

    def record_fetch(
        self,
        source: FeedSource,
        *,
        now: datetime,
        status: UpdateStatus,
        error: str | None = None,
        warning: str | None = None,
        feed_title: str | None = None,
        validators: tuple[str | None, str | None, str | None] | None = None,
        moved_to: str | None = None,
        items_seen: int | None = None,
        new_items: int = 0,
        parser: str | None = None,
    ) -> None:
        """Remember how one fetch went.

        `validators` (ETag, Last-Modified, content hash) replace the stored
        ones when given: only a fully stored response may set them, or the
        next run would skip content it never saw.
        """
        etag, last_modified, content_hash = validators or (None, None, None)
        stamp = iso(now)
        with transaction(self._db) as db:
            db.execute(
                f"""
                UPDATE sources SET
                    last_fetched_at = :now, last_status = :status, last_error = :error,
                    last_warning = :warning, feed_title = coalesce(:title, feed_title),
                    last_parser = coalesce(:parser, last_parser),
                    consecutive_failures = CASE WHEN :status IN {FAILED}
                        THEN consecutive_failures + 1 ELSE 0 END,
                    last_ok_at = CASE WHEN :status IN {REACHED} THEN :now ELSE last_ok_at END,
                    etag = CASE WHEN :set_validators = 1 THEN :etag ELSE etag END,
                    last_modified = CASE WHEN :set_validators = 1
                        THEN :last_modified ELSE last_modified END,
                    content_hash = CASE WHEN :set_validators = 1
                        THEN :content_hash ELSE content_hash END,
                    fetch_url = coalesce(:moved_to, fetch_url),
                    items_seen = coalesce(:items_seen, items_seen),
                    last_new_item_at = CASE WHEN :new_items > 0
                        THEN :now ELSE last_new_item_at END,
                    disabled_at = CASE WHEN :status = 'gone' THEN :now ELSE disabled_at END,
                    claimed_until = NULL
                WHERE url = :url
                """,
                {
                    "now": stamp,
                    "status": status,
                    "error": error,
                    "warning": warning,
                    "title": feed_title,
                    "set_validators": int(validators is not None),
                    "etag": etag,
                    "last_modified": last_modified,
                    "content_hash": content_hash,
                    "moved_to": moved_to,
                    "items_seen": items_seen,
                    "new_items": new_items,
                    "parser": parser,
                    "url": source.url,
                },
            )

    def enable_source(self, url: str) -> bool:
        """Clear a feed's disabled mark (after a 410); False if it is not stored."""
        with transaction(self._db) as db:
            cursor = db.execute(
                "UPDATE sources SET disabled_at = NULL, consecutive_failures = 0, "
                "fetch_url = NULL, etag = NULL, last_modified = NULL, content_hash = NULL "
                "WHERE url = ?",
                (url,),
            )
        return cursor.rowcount > 0

    def feed_health(self) -> list[FeedHealth]:
        """Every listed feed with its fetch history, in the order they were added."""
        rows = self._db.execute(
            """
            SELECT url, name, lang, user_agent, coalesce(fetch_url, url), last_status,
                   last_fetched_at, last_ok_at, last_error, last_warning,
                   consecutive_failures, items_seen,
                   (SELECT count(*) FROM items WHERE items.source_id = sources.id),
                   last_new_item_at, disabled_at IS NOT NULL, last_parser
            FROM sources WHERE listed = 1 ORDER BY id
            """
        )
        return [
            FeedHealth(
                source=FeedSource(url=row[0], name=row[1], lang=row[2], user_agent=row[3]),
                fetch_url=row[4],
                status=row[5],
                last_fetched=optional_time(row[6]),
                last_ok=optional_time(row[7]),
                last_error=row[8],
                last_warning=row[9],
                consecutive_failures=row[10],
                items_seen=row[11],
                items_stored=row[12],
                last_new_item=optional_time(row[13]),
                disabled=bool(row[14]),
                parser=row[15],
            )
            for row in rows
        ]
