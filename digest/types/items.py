"""Stored stories and what the editor decided about them; the watchlist.

Frozen, typed values; nothing here does I/O or imports the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

Field = Literal["title", "summary"]


@dataclass(frozen=True)
class Item:
    """One news story as the store holds it."""

    id: int
    source_url: str
    outlet: str
    guid: str
    url: str
    canonical_url: str
    title: str
    summary: str
    published: datetime | None
    first_seen: datetime
    updated: datetime
    lang: str | None = None
    # Hand-added by an editor (`digest add`): their topic and note, if any.
    editor_added: bool = False
    editor_topic: str | None = None
    note: str = ""

    @property
    def date(self) -> datetime:
        """The date the edition shows and windows on: published, else first seen."""
        return self.published or self.first_seen


class StoryItem(NamedTuple):
    """An item as story grouping reads it: what placing it in a story and
    choosing a story's lead need. The store reads a month of them at once
    (75,000 in 0.36 CPU-s, where whole items took 0.62), and a batch holds
    them until the month is grouped."""

    id: int
    source_url: str
    date: datetime  # as `Item.date`
    lang: str | None
    editor_added: bool
    summary_length: int
    title: str
    summary: str  # whole, or the start of a long one (as grouping keeps it)


@dataclass(frozen=True)
class Story:
    """One event reported by several outlets: the lead item and the others.

    `members` starts with the lead; `scores` gives, for each member, the
    similarity that brought it in (1.0 for the report that started the story).
    """

    lead: int
    members: tuple[int, ...]
    scores: tuple[float, ...] = ()

    @property
    def others(self) -> tuple[int, ...]:
        return self.members[1:]


@dataclass(frozen=True)
class ItemEdit:
    """What the editor decided about one item for the next edition. The
    stored item keeps its own title and summary; these are shown instead."""

    item_id: int
    excluded: bool = False
    held: bool = False  # sensitive: never sent until released
    topic: str | None = None
    title: str | None = None
    summary: str | None = None
    position: float | None = None  # order within its section
    lead: bool = False


@dataclass(frozen=True)
class AuditEntry:
    """One change an editor made: what, when, from what to what."""

    at: datetime
    subject: str  # "item 12" or "edition"
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Watched:
    """A person, case or organisation the editors follow, in every spelling."""

    id: str
    name: str
    kind: Literal["person", "case", "organisation"] = "person"
    topic: str | None = None  # the topic a mention counts towards
    aliases: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Watchlist:
    entries: tuple[Watched, ...] = ()
    # How much a mention adds to its topic's score, and how alike (0-100) a
    # misspelt name must be to count.
    boost: float = 1.5
    fuzzy: int = 80


@dataclass(frozen=True)
class Mention:
    """A watched name found in an item: which entry, as what text, where."""

    watched: Watched
    text: str
    field: Field
    exact: bool
