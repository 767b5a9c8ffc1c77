"""One way to talk to either database, so the tables write their SQL once.

The tables write SQL both SQLite and PostgreSQL understand (ON CONFLICT,
RETURNING, CAST, integers for flags), with sqlite3's placeholders: `?` and
`:name`. `SQLiteDatabase` hands it to sqlite3 as it is; `PostgresDatabase`
rewrites the placeholders as psycopg wants them (`%s`, `%(name)s`, and `%`
doubled), once per statement, and runs it through psycopg 3.
"""

from __future__ import annotations

import fcntl
import functools
import re
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from ._schema import APPLICATION_ID

Parameters = Sequence[object] | Mapping[str, object]


class Cursor(Protocol):
    """What the tables read from a statement run: rows, and how many changed."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """A connection to one of the two databases."""

    kind: str  # "sqlite" or "postgresql"
    where: str  # the file, or the URL without its password: for messages

    def execute(self, sql: str, parameters: Parameters = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> int: ...

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...

    def exclusive(self, name: str) -> AbstractContextManager[bool]:
        """Hold the lock called `name` on this database if no other process
        holds it (True), or say it is taken (False). A dead holder's lock
        goes with it."""
        ...


class SQLiteDatabase:
    kind = "sqlite"

    def __init__(self, connection: sqlite3.Connection, where: str) -> None:
        self.connection = connection
        self.where = where

    def execute(self, sql: str, parameters: Parameters = ()) -> Cursor:
        return self.connection.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        return self.connection.executemany(sql, rows).rowcount

    def begin(self) -> None:
        # IMMEDIATE takes the write lock at once, so two writers queue
        # instead of failing halfway through.
        self.connection.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        self.connection.execute("ROLLBACK")

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        # A file lock beside the database: the kernel drops it with its process.
        with open(f"{self.where}.{name}-lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class PostgresDatabase:
    kind = "postgresql"

    def __init__(self, connection: Any, where: str) -> None:  # psycopg's, in autocommit
        self.connection = connection
        self.where = where

    def execute(self, sql: str, parameters: Parameters = ()) -> Cursor:
        if not parameters:
            return self.connection.execute(postgres_sql(sql, False))  # type: ignore[no-any-return]
        return self.connection.execute(postgres_sql(sql, True), parameters)  # type: ignore[no-any-return]

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        batch = list(rows)
        if not batch:
            return 0
        with self.connection.cursor() as cursor:
            cursor.executemany(postgres_sql(sql, True), batch)
            return int(cursor.rowcount)

    def begin(self) -> None:
        self.connection.execute("BEGIN")

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        self.connection.execute("ROLLBACK")

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        # A session advisory lock: held by this connection, on every machine
        # sharing the database; the server drops it when the connection goes.
        key = (APPLICATION_ID, zlib.crc32(name.encode()) & 0x7FFFFFFF)
        if not self.execute("SELECT pg_try_advisory_lock(?, ?)", key).fetchone()[0]:
            yield False
            return
        try:
            yield True
        finally:
            self.execute("SELECT pg_advisory_unlock(?, ?)", key)


# A quoted literal (skipped, but its % doubled), a placeholder, or a lone %.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\?|(?<!:):([A-Za-z_]\w*)|%")


@functools.lru_cache(maxsize=512)
def postgres_sql(sql: str, has_parameters: bool) -> str:
    """sqlite3's placeholders as psycopg's: `?` → `%s`, `:name` → `%(name)s`,
    and every other `%` doubled (psycopg reads them all, quoted or not)."""
    if not has_parameters:
        return sql

    def rewrite(token: re.Match[str]) -> str:
        text = token.group(0)
        if text.startswith("'"):
            return text.replace("%", "%%")
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return f"%({token.group(1)})s"

    return _TOKEN.sub(rewrite, sql)
