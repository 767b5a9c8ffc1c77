"""One way to talk to either database, so the tables write their SQL once.

The tables write SQL both SQLite and PostgreSQL understand (ON CONFLICT,
RETURNING, CAST, integers for flags), with sqlite3's placeholders: `?` and
`:name`. `Database` is what they see; `SQLiteDatabase` hands the SQL to
sqlite3 as it is, and `_postgres.PostgresDatabase` rewrites the placeholders
for psycopg 3 (imported only when a PostgreSQL URL is opened).
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

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
    # A server many workers use at once, on one machine or several: they
    # claim work a batch at a time and wait their turn for a lock.
    shared: bool
    where: str  # the file, or the URL without its password: for messages
    # Appended to a SELECT that claims rows: PostgreSQL's FOR UPDATE SKIP
    # LOCKED; nothing on SQLite, where a write transaction excludes the others.
    skip_locked: str
    # Errors after which the transaction may be tried again: another worker
    # stored the same row first, or the server broke a deadlock.
    retryable: tuple[type[BaseException], ...]

    def execute(self, sql: str, parameters: Parameters = (), *, prepare: bool = True) -> Cursor:
        """Run one statement. `prepare=False` where a plan kept from earlier
        would go stale: on a table a run fills from nothing (PostgreSQL keeps
        a prepared statement's plan; SQLite plans every statement anyway)."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> int: ...

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...

    def exclusive(self, name: str, *, wait: bool = False) -> AbstractContextManager[bool]:
        """Hold the lock called `name` on this database if no other process
        holds it (True), or say it is taken (False); with `wait`, wait for it
        (always True). A dead holder's lock goes with it."""
        ...

    def serialise(self, name: str) -> None:
        """Within a transaction: wait until no other transaction holds `name`."""
        ...

    def clock(self) -> datetime:
        """The time by the database: what claims are timed by."""
        ...

    def relaxed_durability(self) -> AbstractContextManager[None]:
        """Within: a commit survives this process dying, not the machine
        losing power (the database stays whole either way, and the last
        commits are undone). No flush to the disk a commit."""
        ...

    def revision(self) -> int | None:
        """A number that changes whenever another connection commits, or None
        where the database cannot tell: while it stays the same, rows read
        earlier on this connection are still what the database holds, but
        for this connection's own writes."""
        ...


class SQLiteDatabase:
    kind = "sqlite"
    shared = False
    skip_locked = ""
    retryable: tuple[type[BaseException], ...] = ()

    def __init__(self, connection: sqlite3.Connection, where: str) -> None:
        self.connection = connection
        self.where = where

    def execute(self, sql: str, parameters: Parameters = (), *, prepare: bool = True) -> Cursor:
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

    def clock(self) -> datetime:
        # A file on this machine: every run that opens it shares its clock.
        return datetime.now(UTC)

    def revision(self) -> int | None:
        return int(self.connection.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def relaxed_durability(self) -> Iterator[None]:
        # In WAL mode, NORMAL flushes the log at checkpoints, not at every commit.
        level = self.connection.execute("PRAGMA synchronous").fetchone()[0]
        self.connection.execute("PRAGMA synchronous = NORMAL")
        try:
            yield
        finally:
            self.connection.execute(f"PRAGMA synchronous = {int(level)}")

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def exclusive(self, name: str, *, wait: bool = False) -> Iterator[bool]:
        # A file lock beside the database: the kernel drops it with its process.
        with open(f"{self.where}.{name}-lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def serialise(self, name: str) -> None:
        pass  # BEGIN IMMEDIATE already keeps every other writer out


def is_postgres_url(target: str) -> bool:
    return target.partition("://")[0] in ("postgresql", "postgres")


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}@" if parts.username else ""
    netloc += parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))
