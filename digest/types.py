"""The core objects of press-digest, as frozen, typed values.

What a parser produced (`ParsedItem`) is kept apart from what the store holds
(`Item`, with its id and times), as in lemon24/reader. Nothing here does I/O or
imports anything else from the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Field = Literal["title", "summary"]


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
class Phrase:
    """A phrase that signals a topic, with its weight (negative phrases weigh < 0)."""

    text: str
    weight: float
    lang: str


@dataclass(frozen=True)
class Topic:
    """A theme the digest is grouped by (a section of the email)."""

    id: str
    label: str
    definition: str
    phrases: tuple[Phrase, ...] = ()


ScopeKind = Literal["core", "acts", "targets", "actors", "responses", "dampers", "senses"]


@dataclass(frozen=True)
class ScopePhrase:
    """A phrase of the relevance stage: what part of "who did what to whom" it
    names (`kind`), the group it belongs to ("detention", "press"), and how
    strongly it says so (0 to 1)."""

    kind: ScopeKind
    group: str
    phrase: Phrase


@dataclass(frozen=True)
class SectionRule:
    """One line of the written precedence: the first rule whose groups all
    appear in a story's main event chooses its section. Within one kind the
    groups are alternatives; across kinds all must be present."""

    topic: str
    rule: str
    acts: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    responses: tuple[str, ...] = ()
    core: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scope:
    """What is in the digest's scope: a repressive act against a civic or
    political target, or a response to one; and the precedence of sections."""

    phrases: tuple[ScopePhrase, ...]
    sections: tuple[SectionRule, ...] = ()
    threshold: float = 0.5
    # How much a sign of ordinary crime, sport or business lowers relevance.
    damping: float = 0.5
    # Response groups that need no responder named ("sanctions imposed").
    responses_alone: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """The topics, in the order their sections appear, and the filing threshold.

    `scope` is the relevance stage; a taxonomy without one files every item
    whose topic score reaches the threshold, as the first versions did.
    """

    topics: tuple[Topic, ...]
    threshold: float = 1.0
    scope: Scope | None = None

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)


@dataclass(frozen=True)
class Evidence:
    """One phrase that matched, and what it counted for."""

    topic: str
    term: str
    field: Field
    weight: float


@dataclass(frozen=True)
class Classification:
    """The topics of one item and the evidence that decided them.

    `primary` is the section the item is filed under; None means off-topic.
    """

    topics: tuple[str, ...]
    primary: str | None
    confidence: float
    scores: tuple[tuple[str, float], ...] = ()
    evidence: tuple[Evidence, ...] = ()
    # The editor chose the primary topic by hand; the evidence is the machine's.
    set_by_editor: bool = False
    # How surely the item is in the digest's scope (0 to 1), and a sentence
    # saying why it is in or out, for the editor.
    relevance: float = 1.0
    why: str = ""


@dataclass(frozen=True)
class EditionItem:
    """An item as it appears in an edition, with why it is there."""

    item: Item
    classification: Classification
    # The same story from other outlets, shown as "also reported by".
    also: tuple[Item, ...] = ()
    # A watched case this item continues was in an earlier edition of that date.
    previously: datetime | None = None
    # The watched people, cases and organisations it names.
    watched: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """One topic's heading and its items, in reading order."""

    topic: Topic
    items: tuple[EditionItem, ...]


@dataclass(frozen=True)
class EditionText:
    """The words around the items, from the config (and later the editor)."""

    title: str
    organisation: str
    greeting: str
    intro: str
    closing: str
    signature: str
    lang: str = "en"
    direction: Literal["ltr", "rtl"] = "ltr"
    subject: str = ""  # the editor's subject for this edition; empty: the template's


@dataclass(frozen=True)
class Edition:
    """One issue of the digest, planned but not yet rendered."""

    slug: str
    created: datetime
    window_start: datetime | None
    text: EditionText
    sections: tuple[Section, ...]
    off_topic: tuple[EditionItem, ...] = ()
    # The story shown first, above the sections (and not repeated in them).
    lead: EditionItem | None = None
    # Set aside by the editor: left out of this edition, or held until released.
    excluded: tuple[EditionItem, ...] = ()
    held: tuple[EditionItem, ...] = ()

    @property
    def items(self) -> tuple[EditionItem, ...]:
        """Every item in reading order: the lead, then each section's."""
        placed = tuple(entry for section in self.sections for entry in section.items)
        return ((self.lead,) if self.lead else ()) + placed


@dataclass(frozen=True)
class RenderedEdition:
    """An edition turned into what a reader receives."""

    subject: str
    preheader: str
    html: str
    text: str
    # Things the editor should fix before sending (size, contrast...).
    warnings: tuple[str, ...] = ()
    # The logo the HTML refers to by Content-ID, carried with the message.
    logo: Logo | None = None


@dataclass(frozen=True)
class Sender:
    name: str
    address: str

    @property
    def domain(self) -> str:
        """The part after the @: for Message-IDs, List-Id and tag URIs."""
        return self.address.rpartition("@")[2]


@dataclass(frozen=True)
class Logo:
    """An image sent inside the message (never fetched from a server)."""

    data: bytes
    mime: str  # image/png, image/jpeg or image/gif
    alt: str
    width: int
    filename: str
    content_id: str = "logo@press-digest"


@dataclass(frozen=True)
class Theme:
    """How the email looks: colours for light and dark mode, fonts, logo, labels."""

    ink: str = "#1f2933"
    muted: str = "#52606d"
    accent: str = "#8a1c1c"
    paper: str = "#ffffff"
    page: str = "#f3f0eb"
    dark_ink: str = "#e8e6e3"
    dark_muted: str = "#b8c0c8"
    dark_accent: str = "#f3a6a6"
    dark_paper: str = "#1b2026"
    dark_page: str = "#111418"
    font_family: str = (
        "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Noto Sans', "
        "'Noto Sans Khmer', 'Khmer OS System', 'Khmer OS', 'Khmer UI', "
        "Helvetica, Arial, sans-serif"
    )
    lead_title: str = "Top story"
    show_numbers: bool = True
    logo: Logo | None = None


@dataclass(frozen=True)
class MailingList:
    """What the list says about itself in headers and the footer."""

    list_id: str  # the List-Id header, e.g. "Weekly digest <digest.example.org>"
    unsubscribe_mailto: str  # an address; the mailto link asks to be taken off
    unsubscribe_url: str = ""  # https; enables one-click unsubscribe
    archive_url: str = ""  # where the web versions live, ending in "/"
    reason: str = ""  # why the reader gets this email
    # Where an archived copy of a page lives ("{url}" is replaced), and the
    # hosts it is offered for ("*": every item).
    archived_copy: str = ""
    archived_copy_hosts: tuple[str, ...] = ()
    html_budget: int = 60_000  # bytes; warn above this


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


@dataclass(frozen=True)
class EditionRecord:
    """An edition the store remembers having built (for the archive index)."""

    id: int
    slug: str
    title: str
    subject: str
    created: datetime
    folder: str
    item_count: int
    preheader: str = ""


@dataclass(frozen=True)
class BuildResult:
    """Where a built edition was written, and what it holds."""

    edition: Edition
    rendered: RenderedEdition
    folder: str
    files: tuple[str, ...] = field(default=())
    # Every listed feed's health when the edition was built (flags, notes).
    feeds: tuple[FeedHealth, ...] = ()

    @property
    def html_path(self) -> str:
        return f"{self.folder}/email.html"


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


@dataclass(frozen=True)
class FrozenEdition:
    """An edition's rendered content, fixed before its first message goes out
    (or when the editor approves it): every retry sends these bytes."""

    slug: str
    rendered: RenderedEdition
    content_hash: str
    frozen: datetime
    approved: datetime | None = None


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
