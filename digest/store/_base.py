"""What every table family shares: the connection, transactions, time format."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


class StoreBase:
    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self._db = connection
        self.path = path

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


def iso(moment: datetime | None) -> str | None:
    """UTC ISO-8601 with a fixed width, so that text order is time order."""
    if moment is None:
        return None
    # isoformat is several times faster than strftime, and this runs per item.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    """The inverse of `iso` (fromisoformat is C code, strptime is 20× slower)."""
    return datetime.fromisoformat(text)


def optional_time(value: object) -> datetime | None:
    return parse_time(str(value)) if value else None
