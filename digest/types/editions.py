"""An edition, planned and rendered, and what rendering it needs (sender, theme, list).

Frozen, typed values; nothing here does I/O or imports the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .classification import Classification, Topic
from .feeds import FeedHealth
from .items import Item


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
    # "sectioned": headed sections of stories; "briefing": the media summary's
    # bullet paragraphs, links on the headline words, no headings unless asked.
    layout: str = "sectioned"
    briefing_headings: bool = False

    @property
    def templates(self) -> tuple[str, str]:
        """The HTML (MJML) and text templates of the layout."""
        name = "briefing" if self.layout == "briefing" else "email"
        return f"{name}.mjml", f"{name}.txt"


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
class Alternate:
    """The same page in another language: its code, its name in itself
    ("Français", "ខ្មែរ") and its address."""

    lang: str
    name: str
    href: str


@dataclass(frozen=True)
class BuildResult:
    """Where a built edition was written, and what it holds."""

    edition: Edition
    rendered: RenderedEdition
    folder: str
    files: tuple[str, ...] = field(default=())
    # Every listed feed's health when the edition was built (flags, notes).
    feeds: tuple[FeedHealth, ...] = ()
    # The edition in its other languages (lang, rendered), beside `rendered`.
    translations: tuple[tuple[str, RenderedEdition], ...] = ()

    @property
    def html_path(self) -> str:
        return f"{self.folder}/email.html"
