"""PostgreSQL, the shared store: connecting through psycopg 3, and its schema.

The migrations are `_schema.MIGRATIONS`, numbered once for both databases;
`postgres_script` writes each in PostgreSQL's types. A table
`press_digest_schema` plays the part of SQLite's application_id and
user_version: a database with tables of its own but not that one is someone
else's and is refused unchanged, as is one a newer press-digest migrated.
Migrations run under an advisory lock, so workers starting at once migrate
the database once.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import psycopg
from psycopg import errors

from ..errors import StoreError
from ._connection import Cursor, Parameters, display_url
from ._schema import APPLICATION_ID, MIGRATIONS, POSTGRES_MIGRATIONS


class PostgresDatabase:
    """A psycopg connection in autocommit mode, transactions begun by hand.

    A lost connection (the server restarted, the network dropped) becomes a
    StoreError naming the database: the run reports it and stops, and the
    next run connects afresh."""

    kind = "postgresql"
    shared = True
    skip_locked = " FOR UPDATE SKIP LOCKED"
    retryable: tuple[type[BaseException], ...] = (
        errors.UniqueViolation,
        errors.DeadlockDetected,
        errors.SerializationFailure,
    )

    def __init__(self, connection: psycopg.Connection[Any], where: str) -> None:
        self.connection = connection
        self.where = where
        self._offset: timedelta | None = None  # the server's clock less this machine's

    def execute(self, sql: str, parameters: Parameters = (), *, prepare: bool = True) -> Cursor:
        # psycopg prepares a statement on its sixth run (None), or never (False).
        when = None if prepare else False
        try:
            if not parameters:
                return self.connection.execute(postgres_sql(sql, False), prepare=when)
            return self.connection.execute(postgres_sql(sql, True), parameters, prepare=when)
        except psycopg.OperationalError as exc:
            raise self._lost(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        batch = list(rows)
        if not batch:
            return 0
        try:
            with self.connection.cursor() as cursor:
                cursor.executemany(postgres_sql(sql, True), batch)
                return int(cursor.rowcount)
        except psycopg.OperationalError as exc:
            raise self._lost(exc) from exc

    def clock(self) -> datetime:
        # The server's, so that workers on machines whose clocks disagree
        # still agree on when a claim lapses: this machine's clock set by how
        # far it stands from the server's, asked once a connection rather
        # than once a message.
        if self._offset is None:
            asked = datetime.now(UTC)
            row = self.execute("SELECT clock_timestamp()").fetchone()
            answered = datetime.now(UTC)
            self._offset = cast(datetime, row[0]) - (asked + (answered - asked) / 2)
        return datetime.now(UTC) + self._offset

    @contextmanager
    def relaxed_durability(self) -> Iterator[None]:
        # The server answers a COMMIT before its log reaches the disk.
        level = self.execute("SHOW synchronous_commit").fetchone()[0]
        self.execute("SET synchronous_commit = off")
        try:
            yield
        finally:
            try:
                self.execute("SELECT set_config('synchronous_commit', ?, false)", (level,))
            except StoreError:
                pass  # the connection is gone, and its setting with it

    def revision(self) -> None:
        # Many workers write at once, and the server keeps no count of
        # commits a connection could ask for: rows read earlier must be read again.
        return None

    def _lost(self, exc: BaseException) -> StoreError:
        return StoreError(self.where, f"lost the database: {first_line(exc)}")

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self.connection.execute("ROLLBACK")
        except psycopg.OperationalError:
            pass  # the connection is gone, and the server dropped the transaction with it

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def exclusive(self, name: str, *, wait: bool = False) -> Iterator[bool]:
        # A session advisory lock: held by this connection, on every machine
        # sharing the database; the server drops it when the connection goes.
        key = _lock_key(name)
        if wait:
            self.execute("SELECT pg_advisory_lock(?, ?)", key)
        elif not self.execute("SELECT pg_try_advisory_lock(?, ?)", key).fetchone()[0]:
            yield False
            return
        try:
            yield True
        finally:
            if not self.connection.closed:
                self.execute("SELECT pg_advisory_unlock(?, ?)", key)

    def serialise(self, name: str) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?, ?)", _lock_key(name))


def _lock_key(name: str) -> tuple[int, int]:
    return APPLICATION_ID, zlib.crc32(name.encode()) & 0x7FFFFFFF


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


def open_postgres(url: str) -> PostgresDatabase:
    """Connect to the database at `url`, creating or migrating its schema."""
    where = display_url(url)
    try:
        connection = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise StoreError(where, f"cannot connect: {first_line(exc)}") from exc
    database = PostgresDatabase(connection, where)
    try:
        prepare(database, where)
    except psycopg.Error as exc:
        database.close()
        raise StoreError(where, f"cannot prepare the schema: {first_line(exc)}") from exc
    except BaseException:
        database.close()
        raise
    return database


def prepare(db: PostgresDatabase, where: str) -> None:
    """Check the database is ours (or empty), then bring its schema up to date,
    all in one transaction."""
    db.begin()
    try:
        db.serialise("schema")
        version = _version(db, where)
        for number in range(version + 1, len(MIGRATIONS) + 1):
            db.execute(postgres_script(number))
        if version < len(MIGRATIONS):
            db.execute("UPDATE press_digest_schema SET version = ?", (len(MIGRATIONS),))
    except BaseException:
        db.rollback()
        raise
    db.commit()


def _version(db: PostgresDatabase, where: str) -> int:
    ours = db.execute("SELECT to_regclass('press_digest_schema') IS NOT NULL").fetchone()[0]
    if not ours:
        tables = db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()[0]
        if tables:
            raise StoreError(where, "not a press-digest database; refusing to change it")
        db.execute("CREATE TABLE press_digest_schema (application_id BIGINT, version INTEGER)")
        db.execute("INSERT INTO press_digest_schema VALUES (?, 0)", (APPLICATION_ID,))
        return 0
    application_id, version = db.execute(
        "SELECT application_id, version FROM press_digest_schema"
    ).fetchone()
    if application_id != APPLICATION_ID:
        raise StoreError(where, "not a press-digest database; refusing to change it")
    if version > len(MIGRATIONS):
        raise StoreError(
            where, f"database schema {version} is newer than this press-digest ({len(MIGRATIONS)})"
        )
    return int(version)


_TYPES = (
    (
        re.compile(r"\bid INTEGER PRIMARY KEY\b"),
        "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),  # PostgreSQL's REAL has 6 digits
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    # PostgreSQL indexes an expression only inside parentheses of its own.
    (re.compile(r"ON (\w+) \((coalesce\([^)]*\))\)"), r"ON \1 ((\2))"),
)


def postgres_script(number: int) -> str:
    """Migration `number` in PostgreSQL's types."""
    script = POSTGRES_MIGRATIONS.get(number, MIGRATIONS[number - 1])
    for pattern, replacement in _TYPES:
        script = pattern.sub(replacement, script)
    return script


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
