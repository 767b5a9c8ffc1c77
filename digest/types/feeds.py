"""Feeds and what reading them gives: sources, fetched bytes, parsed entries,
update results and health.

Frozen, typed values; nothing here does I/O or imports the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class FeedSource:
    """One feed the editor follows, as listed in the feed list (OPML)."""

    url: str
    name: str = ""
    lang: str | None = None
    # Some publishers block unknown crawlers; the editor may name one per feed.
    user_agent: str | None = None
    # A rights group's own feed: its stories are in the digest's focus whatever
    # places they name (a general outlet's are checked against the focus).
    curated: bool = False


@dataclass(frozen=True)
class FeedState:
    """What the last runs left behind for the next fetch of one feed."""

    fetch_url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    disabled: bool = False


@dataclass(frozen=True)
class FetchResult:
    """The raw bytes of one feed, as the fetcher got them."""

    url: str
    content: bytes
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 200
    # Where a permanent redirect (301/308) says the feed now lives.
    moved_to: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True)
class ParsedItem:
    """One entry of a feed, as the parser read it; not yet stored."""

    guid: str
    url: str
    title: str
    summary: str
    published: datetime | None = None
    updated: datetime | None = None
    author: str = ""
    lang: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """A whole feed after parsing: its metadata and entries."""

    url: str
    title: str
    lang: str | None
    items: tuple[ParsedItem, ...]
    # feedparser recovers what it can from broken XML; this says what was wrong.
    warning: str | None = None
    # Which parser read it: "lxml" (the fast path) or "feedparser (why)".
    parser: str = "feedparser"


UpdateStatus = Literal["ok", "not-modified", "failed", "gone", "disabled"]


@dataclass(frozen=True)
class FeedUpdate:
    """What updating one feed did: counts, or the error that stopped it."""

    source: FeedSource
    status: UpdateStatus = "ok"
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    error: str | None = None
    warning: str | None = None
    moved_to: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


HealthFlag = Literal["failing", "silent", "disabled", "moved", "never-fetched"]


@dataclass(frozen=True)
class FeedHealth:
    """How one feed has been doing, for `digest feeds` and the edition report."""

    source: FeedSource
    fetch_url: str
    status: str | None
    last_fetched: datetime | None
    last_ok: datetime | None
    last_error: str | None
    last_warning: str | None
    consecutive_failures: int
    items_seen: int
    items_stored: int
    last_new_item: datetime | None
    disabled: bool
    flags: tuple[HealthFlag, ...] = ()
    # Which parser read it last: "lxml" (the fast path) or "feedparser (why)".
    parser: str | None = None
    # One sentence per flag: what is wrong and what to do about it.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddedItem:
    """What `digest add` stored, and what the editor should know about it."""

    item_id: int
    new: bool
    title: str
    outlet: str
    topic: str | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddedFeed:
    """What `digest feeds add` put in the feed list, and what it found there."""

    source: FeedSource
    checked: bool  # fetched and parsed before it was listed
    items: int = 0  # entries the feed holds now
    newest: datetime | None = None
    notes: tuple[str, ...] = ()
