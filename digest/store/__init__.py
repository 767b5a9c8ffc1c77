"""Storage: sources, items, editions, recipients and the delivery ledger,
behind one `Store` object, in SQLite (the default, one file) or PostgreSQL
(shared by several workers and editors).

The only package that imports sqlite3 or psycopg. The tables write their SQL
once for both (`_connection.py` runs it on either); one file per table
family; `_schema` holds the numbered migrations, `_sqlite` and `_postgres`
how each database keeps count of them. Every multi-row change runs in one
transaction.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from ._base import Claims, transaction
from ._connection import Database, display_url, is_postgres_url
from ._deliveries import OWED, DeliveryTable
from ._editions import EditionTable
from ._edits import EditTable
from ._items import ItemTable, UpsertCounts
from ._recipients import RecipientTable
from ._schema import APPLICATION_ID, MIGRATIONS
from ._sources import SourceTable
from ._sqlite import open_sqlite

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "OWED",
    "Store",
    "UpsertCounts",
    "display_url",
    "is_postgres_url",
    "open_store",
]


class Store:
    """A press-digest database. Open with `open_store(path)`; close when done.

    Each table family is an attribute, over the one connection: `sources`
    (the feed list and each feed's health), `items` (and stories), `edits`
    (the editor's changes and the audit log), `editions`, `recipients`,
    `deliveries` (the send ledger) and `claims` (which run holds what)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self.path = database.where
        self.sources = SourceTable(database)
        self.items = ItemTable(database, self.sources)
        self.edits = EditTable(database)
        self.editions = EditionTable(database)
        self.recipients = RecipientTable(database)
        self.deliveries = DeliveryTable(database)
        self.claims = Claims(database)

    def transaction(self) -> AbstractContextManager[Database]:
        """BEGIN … COMMIT, or ROLLBACK on any error: all or nothing."""
        return transaction(self._db)

    @property
    def backend(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self._db.kind

    @property
    def shared(self) -> bool:
        """Whether runs at once share this database's work (PostgreSQL): each
        claims feeds or readers a batch at a time, and a second `digest send`
        waits for the first to fill the ledger rather than leaving."""
        return self._db.shared

    def clock(self) -> datetime:
        """The time by the database, which claims are timed by: on
        PostgreSQL the server's, so that workers on machines whose clocks
        disagree still agree on when a claim lapses."""
        return self._db.clock()

    def relaxed_durability(self) -> AbstractContextManager[None]:
        """Within: commits are not flushed to the disk one by one. They
        survive this process dying; a power cut undoes the last ones and
        leaves the database whole. For updating, whose feeds the next run
        reads again; never for sending, whose ledger must outlive a power cut."""
        return self._db.relaxed_durability()

    def revision(self) -> int | None:
        """A number that changes whenever another process (or connection)
        commits, on SQLite; None on PostgreSQL, where it cannot be told."""
        return self._db.revision()

    def exclusive(self, name: str, *, wait: bool = False) -> AbstractContextManager[bool]:
        """Whether this process now holds the database's lock called `name`
        (`digest send` takes "send"); with `wait`, once the holder lets go."""
        return self._db.exclusive(name, wait=wait)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_store(target: str | Path) -> Store:
    """Open (creating if needed) and migrate the database at `target`: a
    `postgresql://` URL, or the path of a SQLite file."""
    if isinstance(target, str) and is_postgres_url(target):
        from ._postgres import open_postgres  # psycopg, only for those who use it

        return Store(open_postgres(target))
    return Store(open_sqlite(Path(target)))
