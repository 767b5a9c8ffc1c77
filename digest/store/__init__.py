"""SQLite storage: sources, items, editions, recipients and the delivery
ledger, behind one `Store` object.

The only package that imports sqlite3, so that another backend (PostgreSQL
for newsrooms with many editors) can take its place behind the same methods.
One file per table family; `_schema` holds the numbered migrations. Every
multi-row change runs in one transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import StoreError
from ._deliveries import OWED, DeliveryTable
from ._editions import EditionTable
from ._edits import EditTable
from ._items import ItemTable, UpsertCounts
from ._recipients import RecipientTable
from ._schema import APPLICATION_ID, MIGRATIONS, prepare

__all__ = ["APPLICATION_ID", "MIGRATIONS", "OWED", "Store", "UpsertCounts", "open_store"]


class Store(ItemTable, EditionTable, RecipientTable, DeliveryTable, EditTable):
    """A press-digest database. Open with `open_store(path)`; close when done."""

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_store(path: str | Path) -> Store:
    """Open (creating if needed) and migrate the database at `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread off: `update` writes from a thread of its own while
        # the event loop waits, never at the same time as another thread.
        connection = sqlite3.connect(
            path, isolation_level=None, timeout=30, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(str(path), f"cannot open database: {exc}") from exc
    try:
        prepare(connection, str(path))
    except BaseException:
        connection.close()
        raise
    return Store(connection, str(path))
