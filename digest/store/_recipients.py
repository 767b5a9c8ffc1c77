"""The people the digest goes to, and who asked to stop."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..types import Recipient
from ._base import iso, optional_time, transaction
from ._connection import Database


class RecipientTable:
    """Who the digest goes to, in which language; `store.recipients`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add_recipients(self, recipients: Iterable[Recipient], now: datetime) -> int:
        """Add new addresses; return how many were new. An address already
        known keeps its record, and an unsubscribed one stays unsubscribed."""
        with transaction(self._db) as db:
            return db.executemany(
                "INSERT INTO recipients (address, name, lang, list, added_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(r.address, r.name, r.lang, r.list, iso(now)) for r in recipients],
            )

    def unsubscribe(self, address: str, now: datetime) -> bool:
        """Stop sending to `address` from the next message on; False if unknown."""
        with transaction(self._db) as db:
            cursor = db.execute(
                "UPDATE recipients SET unsubscribed_at = coalesce(unsubscribed_at, ?) "
                "WHERE address = ?",
                (iso(now), address),
            )
            # Not yet sent this edition? Then not at all.
            db.execute(
                "DELETE FROM deliveries WHERE address = ? "
                "AND status IN ('pending', 'failed-temporary')",
                (address,),
            )
            return cursor.rowcount > 0

    def all(self, *, include_unsubscribed: bool = False) -> list[Recipient]:
        query = "SELECT address, name, lang, list, unsubscribed_at FROM recipients"
        if not include_unsubscribed:
            query += " WHERE unsubscribed_at IS NULL"
        rows = self._db.execute(query + " ORDER BY address")
        return [
            Recipient(address=a, name=n, lang=lang, list=group, unsubscribed=optional_time(u))
            for a, n, lang, group, u in rows
        ]

    def recipient_language(self, address: str) -> str:
        """The language a recipient reads ("" if unknown or not listed)."""
        row = self._db.execute("SELECT lang FROM recipients WHERE address = ?", (address,))
        found = row.fetchone()
        return str(found[0]) if found else ""
