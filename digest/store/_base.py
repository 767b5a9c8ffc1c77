"""What every table family shares: transactions, claims, the time format."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from ._connection import Database


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """BEGIN … COMMIT, or ROLLBACK on any error: all or nothing."""
    db.begin()
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


# The tables whose rows runs claim with a lease (claimed_by, claimed_until).
CLAIMED = ("sources", "deliveries")


class Claims:
    """Who holds rows of the claimed tables, and for how long."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def claimants(self, table: str, now: datetime) -> set[str]:
        """Who holds a live claim on rows of `table` ("host:pid")."""
        assert table in CLAIMED
        rows = self._db.execute(
            f"SELECT DISTINCT claimed_by FROM {table} WHERE claimed_until >= ?", (iso(now),)
        )
        return {str(row[0]) for row in rows}

    def extend_claims(self, table: str, claimant: str, until: datetime) -> None:
        """Hold `claimant`'s claims on `table` not yet let go of until `until`:
        a run still working through what it claimed keeps it."""
        assert table in CLAIMED
        with transaction(self._db) as db:
            db.execute(
                f"UPDATE {table} SET claimed_until = ? "
                "WHERE claimed_by = ? AND claimed_until IS NOT NULL",
                (iso(until), claimant),
            )

    def drop_claims(self, table: str, claimants: Sequence[str]) -> None:
        """Let the claims of runs known dead lapse now, not when their lease ends."""
        assert table in CLAIMED
        with transaction(self._db) as db:
            db.executemany(
                f"UPDATE {table} SET claimed_until = NULL WHERE claimed_by = ?",
                [(claimant,) for claimant in claimants],
            )


def iso(moment: datetime | None) -> str | None:
    """UTC ISO-8601 with a fixed width, so that text order is time order."""
    if moment is None:
        return None
    # isoformat is several times faster than strftime, and this runs per item.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@functools.lru_cache(maxsize=4096)
def parse_time(text: str) -> datetime:
    """The inverse of `iso` (fromisoformat is C code, strptime is 20× slower).
    Remembered: every item a run stores shares its first-seen time, and
    reading a month of items back met each one thousands of times."""
    return datetime.fromisoformat(text)


def optional_time(value: object) -> datetime | None:
    return parse_time(str(value)) if value else None
