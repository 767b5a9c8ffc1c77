"""SQLite, the embedded default: opening a file safely, and its schema.

`PRAGMA user_version` counts the migrations applied; `PRAGMA application_id`
marks the file as ours, so a foreign database is refused rather than altered,
and a database from a newer press-digest is refused rather than damaged.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import StoreError
from ._connection import SQLiteDatabase
from ._schema import APPLICATION_ID, MIGRATIONS


def open_sqlite(path: Path) -> SQLiteDatabase:
    """Open (creating if needed) and migrate the database file at `path`."""
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
    return SQLiteDatabase(connection, str(path))


def prepare(db: sqlite3.Connection, path: str) -> None:
    """Check the file is ours (or empty), then bring its schema up to date."""
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
