"""The editor's decisions on the next edition, each change logged.

Every change is one transaction holding the edit and its audit line, so the
log never misses a change nor records one that did not happen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..types import AuditEntry, ItemEdit
from ._base import iso, parse_time, transaction
from ._connection import Database

ITEM_FIELDS = ("excluded", "held", "topic", "title", "summary", "position", "lead")
TEXT_FIELDS = ("subject", "intro", "closing")


class EditTable:
    """The editor's edits and the audit log; `store.edits`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def item_edits(self) -> dict[int, ItemEdit]:
        rows = self._db.execute(f"SELECT item_id, {', '.join(ITEM_FIELDS)} FROM item_edits")
        return {
            row[0]: ItemEdit(
                item_id=row[0],
                excluded=bool(row[1]),
                held=bool(row[2]),
                topic=row[3],
                title=row[4],
                summary=row[5],
                position=row[6],
                lead=bool(row[7]),
            )
            for row in rows
        }

    def edit_item(self, item_id: int, field: str, value: Any, now: datetime) -> bool:
        """Set one field of an item's edit; False (and nothing logged) if unchanged."""
        if field not in ITEM_FIELDS:
            raise ValueError(f"unknown item field {field!r}")
        with transaction(self._db) as db:
            db.execute(
                "INSERT INTO item_edits (item_id) VALUES (?) ON CONFLICT DO NOTHING", (item_id,)
            )
            if field == "lead" and value:
                # One lead at a time: pinning one unpins the other.
                for (other,) in db.execute(
                    "SELECT item_id FROM item_edits WHERE lead = 1 AND item_id != ?", (item_id,)
                ).fetchall():
                    db.execute("UPDATE item_edits SET lead = 0 WHERE item_id = ?", (other,))
                    self._log(db, now, f"item {other}", "lead", "1", "0")
            old = db.execute(
                f"SELECT {field} FROM item_edits WHERE item_id = ?", (item_id,)
            ).fetchone()[0]
            # Flags are integers in both databases (PostgreSQL takes no
            # boolean into an integer column); the log still says what was asked.
            stored = int(value) if isinstance(value, bool) else value
            if old == stored:
                return False
            db.execute(f"UPDATE item_edits SET {field} = ? WHERE item_id = ?", (stored, item_id))
            self._log(db, now, f"item {item_id}", field, old, value)
            return True

    def text_edits(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT field, value FROM text_edits").fetchall())

    def edit_text(self, field: str, value: str | None, now: datetime) -> bool:
        """Set (or with None, drop) the editor's subject, intro or closing;
        "intro@fr" is the French edition's."""
        if field.partition("@")[0] not in TEXT_FIELDS:
            raise ValueError(f"unknown text field {field!r}")
        with transaction(self._db) as db:
            row = db.execute("SELECT value FROM text_edits WHERE field = ?", (field,)).fetchone()
            old = row[0] if row else None
            if old == value:
                return False
            if value is None:
                db.execute("DELETE FROM text_edits WHERE field = ?", (field,))
            else:
                db.execute(
                    "INSERT INTO text_edits (field, value) VALUES (?, ?) "
                    "ON CONFLICT (field) DO UPDATE SET value = excluded.value",
                    (field, value),
                )
            self._log(db, now, "edition", field, old, value)
            return True

    def clear_text_edits(self, now: datetime) -> None:
        """After an edition goes out, the next one starts from the config's words."""
        with transaction(self._db) as db:
            for field, old in db.execute("SELECT field, value FROM text_edits").fetchall():
                self._log(db, now, "edition", field, old, None)
            db.execute("DELETE FROM text_edits")

    def log_event(self, subject: str, field: str, new: str, now: datetime) -> None:
        with transaction(self._db) as db:
            self._log(db, now, subject, field, None, new)

    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        rows = self._db.execute(
            "SELECT at, subject, field, old, new FROM audit_log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [AuditEntry(parse_time(at), s, f, o, n) for at, s, f, o, n in rows]

    def withdraw_approval(self, now: datetime) -> str | None:
        """Un-approve the approved edition nobody has been sent yet; its slug."""
        with transaction(self._db) as db:
            row = db.execute(
                "SELECT slug FROM frozen_editions WHERE approved_at IS NOT NULL "
                "AND slug NOT IN (SELECT slug FROM deliveries)"
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE frozen_editions SET approved_at = NULL WHERE slug = ?", (row[0],))
            self._log(
                db, now, "edition", "approval", "approved", "withdrawn: edited after approval"
            )
            return str(row[0])

    @staticmethod
    def _log(db: Any, now: datetime, subject: str, field: str, old: Any, new: Any) -> None:
        db.execute(
            "INSERT INTO audit_log (at, subject, field, old, new) VALUES (?, ?, ?, ?, ?)",
            (iso(now), subject, field, _text(old), _text(new)),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
