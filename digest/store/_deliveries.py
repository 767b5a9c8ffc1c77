"""Frozen editions and the delivery ledger: who got which edition, and how.

Each change to a delivery is its own committed transaction, written before
(`sending`) and after (`sent`, `failed-*`) the SMTP exchange, so a run
killed at any point leaves a ledger the next run can resume from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ..types import Delivery, DeliveryStatus, FrozenEdition, Logo, RenderedEdition
from ._base import iso, optional_time, parse_time, transaction
from ._connection import Database

# Still owed a message: never tried, tried and refused for now, or cut off
# mid-exchange (the server may or may not have taken it; see send.py).
OWED: tuple[DeliveryStatus, ...] = ("pending", "failed-temporary", "sending")


class DeliveryTable:
    """Frozen editions, approvals and the send ledger; `store.deliveries`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def freeze(self, frozen: FrozenEdition) -> None:
        """Fix the content of an edition in every language at once, replacing
        an earlier freeze only if no message of it has gone out yet (a sent
        edition never changes)."""
        rendered, slug = frozen.rendered, frozen.slug
        logo = rendered.logo
        with transaction(self._db) as db:
            if self._has_deliveries(slug):
                return
            db.execute("DELETE FROM frozen_editions WHERE slug = ?", (slug,))
            db.execute(
                "INSERT INTO frozen_editions (slug, subject, preheader, html, text, logo, "
                "logo_mime, logo_alt, logo_width, logo_filename, content_hash, frozen_at, lang) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    slug, rendered.subject, rendered.preheader, rendered.html, rendered.text,
                    logo.data if logo else None, logo.mime if logo else None,
                    logo.alt if logo else None, logo.width if logo else None,
                    logo.filename if logo else None, frozen.content_hash, iso(frozen.frozen),
                    frozen.lang,
                ),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO frozen_translations "
                "(slug, lang, subject, preheader, html, text, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (slug, lang, version.subject, version.preheader, version.html, version.text, n)
                    for n, (lang, version) in enumerate(frozen.translations, 1)
                ],
            )

    def approve(self, slug: str, now: datetime) -> bool:
        with transaction(self._db) as db:
            cursor = db.execute(
                "UPDATE frozen_editions SET approved_at = ? WHERE slug = ?", (iso(now), slug)
            )
            return cursor.rowcount > 0

    def frozen(self, slug: str) -> FrozenEdition | None:
        row = self._db.execute(
            "SELECT subject, preheader, html, text, logo, logo_mime, logo_alt, logo_width, "
            "logo_filename, content_hash, frozen_at, approved_at, lang "
            "FROM frozen_editions WHERE slug = ?",
            (slug,),
        ).fetchone()
        if row is None:
            return None
        subject, preheader, html, text, data, mime, alt, width, filename = row[:9]
        logo = Logo(data, mime, alt, width, filename) if data is not None else None
        rendered = RenderedEdition(subject, preheader, html, text, logo=logo)
        rows = self._db.execute(
            "SELECT lang, subject, preheader, html, text FROM frozen_translations "
            "WHERE slug = ? ORDER BY position",
            (slug,),
        )
        translations = tuple(
            (lang, RenderedEdition(subject, preheader, html, text, logo=logo))
            for lang, subject, preheader, html, text in rows
        )
        return FrozenEdition(
            slug,
            rendered,
            row[9],
            parse_time(row[10]),
            optional_time(row[11]),
            lang=row[12],
            translations=translations,
        )

    def unfinished_edition(self) -> str | None:
        """The slug of an edition some recipient is still owed, oldest first."""
        row = self._db.execute(
            f"SELECT slug FROM deliveries WHERE status IN ({_marks(OWED)}) "
            "ORDER BY updated_at LIMIT 1",
            OWED,
        ).fetchone()
        return str(row[0]) if row else None

    def enqueue(self, slug: str, owed: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Add (address, message id, language) lines as pending; known lines
        stay as they are, language included: a resumed send keeps to it."""
        with transaction(self._db) as db:
            db.executemany(
                "INSERT INTO deliveries (slug, address, status, message_id, lang, updated_at) "
                "VALUES (?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    (slug, address, message_id, lang, iso(now))
                    for address, message_id, lang in owed
                ],
            )

    def of(self, slug: str, statuses: Sequence[DeliveryStatus] = ()) -> list[Delivery]:
        """The ledger's lines for edition `slug` by address; with `statuses`, only those."""
        query = (
            "SELECT address, status, attempts, reply, message_id, lang "
            "FROM deliveries WHERE slug = ?"
        )
        parameters: tuple[str, ...] = (slug,)
        if statuses:
            query += f" AND status IN ({_marks(statuses)})"
            parameters += tuple(statuses)
        rows = self._db.execute(query + " ORDER BY address", parameters)
        return [Delivery(a, s, n, r, m, lang) for a, s, n, r, m, lang in rows]

    def mark(
        self, slug: str, address: str, status: DeliveryStatus, now: datetime, reply: str = ""
    ) -> None:
        """Record one step of one delivery, committed at once."""
        attempt = 1 if status == "sending" else 0
        with transaction(self._db) as db:
            db.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + ?, "
                "reply = CASE WHEN ? = '' THEN reply ELSE ? END, updated_at = ? "
                "WHERE slug = ? AND address = ?",
                (status, attempt, reply, reply, iso(now), slug, address),
            )

    def start_sending(
        self, slug: str, address: str, worker: str, now: datetime, lease: timedelta
    ) -> bool:
        """Mark a line "sending" if `worker` still holds it, renewing its claim;
        False if its claim lapsed and another sender took the line over."""
        with transaction(self._db) as db:
            cursor = db.execute(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, "
                "updated_at = ?, claimed_until = ? "
                "WHERE slug = ? AND address = ? AND claimed_by = ?",
                (iso(now), iso(self._db.clock() + lease), slug, address, worker),
            )
            return cursor.rowcount > 0

    def claim_deliveries(
        self, slug: str, worker: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[Delivery]:
        """Claim for `worker`, until `now + lease`, up to `limit` lines of
        `slug` still owed and not claimed by a live sender, by address.
        Senders at once share out the readers; a killed sender's lines go
        back when its claim lapses, an in-doubt one ("sending") included.

        The rows are picked once, in a materialised CTE: inside `IN (...)`
        PostgreSQL may run a LIMIT ... SKIP LOCKED subquery again for each
        row it compares, and claim far more than `limit`."""
        with transaction(self._db) as db:
            rows = db.execute(
                f"""
                WITH picked AS MATERIALIZED (
                    SELECT address FROM deliveries
                    WHERE slug = ? AND status IN ({_marks(OWED)})
                      AND (claimed_until IS NULL OR claimed_until < ?)
                    ORDER BY address LIMIT ?{db.skip_locked})
                UPDATE deliveries SET claimed_by = ?, claimed_until = ?
                WHERE slug = ? AND address IN (SELECT address FROM picked)
                RETURNING address, status, attempts, reply, message_id, lang
                """,
                (slug, *OWED, iso(now), limit, worker, iso(now + lease), slug),
            ).fetchall()
        lines = [Delivery(a, s, n, r, m, lang) for a, s, n, r, m, lang in rows]
        return sorted(lines, key=lambda line: line.address)

    def release_deliveries(self, slug: str, worker: str) -> None:
        """Let go of `worker`'s lines of `slug`: those still owed are anyone's again."""
        with transaction(self._db) as db:
            db.execute(
                "UPDATE deliveries SET claimed_until = NULL WHERE slug = ? AND claimed_by = ?",
                (slug, worker),
            )

    def in_doubt(self, slug: str, now: datetime) -> set[str]:
        """Addresses of `slug` left "sending" by a sender no longer at work on
        them (it died, or its run ended between the server's answer and our
        record): the next run sends them again. One another sender is sending
        right now is not in doubt."""
        rows = self._db.execute(
            "SELECT address FROM deliveries WHERE slug = ? AND status = 'sending' "
            "AND (claimed_until IS NULL OR claimed_until < ?)",
            (slug, iso(now)),
        )
        return {str(row[0]) for row in rows}

    def _has_deliveries(self, slug: str) -> bool:
        row = self._db.execute("SELECT 1 FROM deliveries WHERE slug = ? LIMIT 1", (slug,))
        return row.fetchone() is not None

    # -- the schedule --------------------------------------------------------

    def slot_decided(self, slot: datetime) -> str | None:
        """What an earlier run decided for this scheduled time, if anything."""
        row = self._db.execute(
            "SELECT outcome FROM schedule_slots WHERE slot = ?", (iso(slot),)
        ).fetchone()
        return str(row[0]) if row else None

    def decide_slot(self, slot: datetime, outcome: str, slug: str | None, now: datetime) -> None:
        with transaction(self._db) as db:
            db.execute(
                "INSERT INTO schedule_slots (slot, outcome, slug, decided_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (slot) DO UPDATE SET outcome = excluded.outcome, "
                "slug = excluded.slug, decided_at = excluded.decided_at",
                (iso(slot), outcome, slug, iso(now)),
            )

    def sent_item_ids(self) -> set[int]:
        """Items placed in an edition that went out: never to be sent again."""
        rows = self._db.execute(
            """
            SELECT DISTINCT item_id FROM edition_items
            JOIN editions ON editions.id = edition_items.edition_id
            WHERE editions.slug IN (SELECT slug FROM deliveries WHERE status = 'sent')
            """
        )
        return {int(row[0]) for row in rows}

    def approved_unsent(self) -> str | None:
        """The newest approved edition no one has been sent yet."""
        row = self._db.execute(
            "SELECT slug FROM frozen_editions WHERE approved_at IS NOT NULL "
            "AND slug NOT IN (SELECT slug FROM deliveries) ORDER BY approved_at DESC LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else None

    def sent_editions(self) -> list[str]:
        """Slugs of editions at least one recipient received, newest first."""
        rows = self._db.execute(
            "SELECT slug FROM deliveries WHERE status = 'sent' "
            "GROUP BY slug ORDER BY max(updated_at) DESC"
        )
        return [str(row[0]) for row in rows]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)
