"""The editions built, and which items each placed where."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..types import EditionRecord
from ._base import iso, parse_time, transaction
from ._connection import Database


class EditionTable:
    """Built editions and the texts they placed; `store.editions`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def save_edition(
        self,
        *,
        slug: str,
        title: str,
        subject: str,
        created: datetime,
        preheader: str = "",
        folder: str,
        placed: Sequence[tuple[int, str]],
        also: Sequence[tuple[int, int]] = (),
        texts: Sequence[tuple[str, str, str, str]] = (),
    ) -> int:
        """Record a built edition and its items (item id, topic) in reading order,
        and the other reports shown under them (item id, lead item id), and
        its words in each other language (lang, title, subject, preheader).

        Building the same edition again replaces the earlier record.
        """
        with transaction(self._db) as db:
            db.execute("DELETE FROM editions WHERE slug = ?", (slug,))
            cursor = db.execute(
                "INSERT INTO editions (slug, title, subject, preheader, created_at, folder) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (slug, title, subject, preheader, iso(created), folder),
            )
            edition_id = int(cursor.fetchone()[0])
            db.executemany(
                "INSERT INTO edition_items (edition_id, item_id, position, topic) "
                "VALUES (?, ?, ?, ?)",
                [
                    (edition_id, item_id, position, topic)
                    for position, (item_id, topic) in enumerate(placed)
                ],
            )
            db.executemany(
                "INSERT INTO edition_items (edition_id, item_id, position, topic, also_of) "
                "VALUES (?, ?, -1, '', ?) ON CONFLICT DO NOTHING",
                [(edition_id, item_id, lead_id) for item_id, lead_id in also],
            )
            db.executemany(
                "INSERT INTO edition_texts (edition_id, lang, title, subject, preheader) "
                "VALUES (?, ?, ?, ?, ?)",
                [(edition_id, *words) for words in texts],
            )
        return edition_id

    def all(self, lang: str = "") -> list[EditionRecord]:
        """Every built edition, newest first; with `lang`, in that language's
        words where the edition was written in it."""
        rows = self._db.execute(
            """
            SELECT editions.id, slug, coalesce(t.title, editions.title),
                   coalesce(t.subject, editions.subject), created_at, folder,
                   (SELECT count(*) FROM edition_items
                    WHERE edition_id = editions.id AND also_of IS NULL),
                   coalesce(t.preheader, editions.preheader)
            FROM editions
            LEFT JOIN edition_texts AS t ON t.edition_id = editions.id AND t.lang = ?
            ORDER BY created_at DESC, editions.id DESC
            """,
            (lang,),
        )
        return [
            EditionRecord(
                id=row[0],
                slug=row[1],
                title=row[2],
                subject=row[3],
                created=parse_time(row[4]),
                folder=row[5],
                item_count=row[6],
                preheader=row[7],
            )
            for row in rows
        ]

    def placed_texts(self, before: datetime) -> list[tuple[datetime, str, str]]:
        """(edition date, title, summary) of every item shown in an edition
        built before `before`: what a watched name is looked up in."""
        rows = self._db.execute(
            """
            SELECT editions.created_at, items.title, items.summary
            FROM edition_items
            JOIN editions ON editions.id = edition_items.edition_id
            JOIN items ON items.id = edition_items.item_id
            WHERE edition_items.also_of IS NULL AND editions.created_at < ?
            """,
            (iso(before),),
        )
        return [(parse_time(created), title, summary) for created, title, summary in rows]
