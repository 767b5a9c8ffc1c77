"""Recipients, the send ledger and what a send reports.

Frozen, typed values; nothing here does I/O or imports the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .editions import RenderedEdition


@dataclass(frozen=True)
class Recipient:
    """Someone the digest goes to. An unsubscribed recipient is kept, so that
    importing an old list again cannot sign them back up."""

    address: str
    name: str = ""
    lang: str = ""
    list: str = "main"
    unsubscribed: datetime | None = None


DeliveryStatus = Literal["pending", "sending", "sent", "failed-temporary", "failed-permanent"]


@dataclass(frozen=True)
class Delivery:
    """The ledger's line for one recipient of one edition."""

    address: str
    status: DeliveryStatus
    attempts: int = 0
    reply: str = ""  # the server's last answer, e.g. "250 2.0.0 Ok: queued"
    message_id: str = ""
    lang: str = ""  # the language of the edition this recipient is sent


@dataclass(frozen=True)
class FrozenEdition:
    """An edition's rendered content, fixed before its first message goes out
    (or when the editor approves it): every retry sends these bytes."""

    slug: str
    rendered: RenderedEdition
    content_hash: str
    frozen: datetime
    approved: datetime | None = None
    lang: str = ""  # the language of `rendered`, the default one
    # The same edition in the other languages, frozen in the same moment.
    translations: tuple[tuple[str, RenderedEdition], ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        return (self.lang, *(lang for lang, _ in self.translations))

    def language_for(self, wanted: str) -> str:
        """The language a reader who reads `wanted` is sent ("fr-CA" reads
        "fr"): theirs where it was written, else the default."""
        primary = wanted.split("-")[0].strip().lower()
        return primary if primary in self.languages[1:] else self.lang

    def in_language(self, lang: str) -> RenderedEdition:
        return dict(self.translations).get(lang, self.rendered)


SendOutcome = Literal[
    "sent", "partial", "nothing-due", "nothing-new", "blocked", "busy", "dry-run", "test"
]


@dataclass(frozen=True)
class SendReport:
    """What one `digest send` did, for the editor and for cron's exit code."""

    outcome: SendOutcome
    slug: str = ""
    sent: int = 0
    failed_permanent: tuple[Delivery, ...] = ()
    failed_temporary: tuple[Delivery, ...] = ()
    left_for_next_run: int = 0
    message: str = ""
    files: tuple[str, ...] = ()
    # Messages per language: sent by this edition so far (or written, in a dry run).
    languages: tuple[tuple[str, int], ...] = ()
    # Problems worth the editor's eye even when the send went well: failing
    # feeds, an edition over its size budget, poor contrast.
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 sent or nothing to do, 1 some deliveries failed, 3 blocked by approval."""
        if self.outcome == "blocked":
            return 3
        if self.failed_permanent or self.failed_temporary:
            return 1
        return 0


@dataclass(frozen=True)
class SchedulePlan:
    """What `digest schedule` prints."""

    cron: str
    timezone: str
    next_runs: tuple[datetime, ...]
    crontab: str
    systemd: dict[str, str]
