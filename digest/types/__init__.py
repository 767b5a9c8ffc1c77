"""The core objects of press-digest, as frozen, typed values, by the part of
the pipeline they belong to: feeds, items, classification, editions, delivery.

What a parser produced (`ParsedItem`) is kept apart from what the store holds
(`Item`, with its id and times), as in lemon24/reader. Nothing here does I/O or
imports anything else from the package; `from digest.types import X` finds
every one of them.
"""

from __future__ import annotations

from .classification import (
    Classification,
    Evidence,
    Phrase,
    Scope,
    ScopeKind,
    ScopePhrase,
    SectionRule,
    Taxonomy,
    Topic,
)
from .delivery import (
    Delivery,
    DeliveryStatus,
    FrozenEdition,
    Recipient,
    SchedulePlan,
    SendOutcome,
    SendReport,
)
from .editions import (
    Alternate,
    BuildResult,
    Edition,
    EditionItem,
    EditionRecord,
    EditionText,
    Logo,
    MailingList,
    RenderedEdition,
    Section,
    Sender,
    Theme,
)
from .feeds import (
    AddedFeed,
    AddedItem,
    FeedHealth,
    FeedSource,
    FeedState,
    FeedUpdate,
    FetchResult,
    HealthFlag,
    ParsedFeed,
    ParsedItem,
    UpdateStatus,
)
from .items import (
    AuditEntry,
    Field,
    Item,
    ItemEdit,
    Mention,
    Story,
    StoryItem,
    Watched,
    Watchlist,
)

__all__ = [
    "AddedFeed",
    "AddedItem",
    "AuditEntry",
    "BuildResult",
    "Classification",
    "Delivery",
    "DeliveryStatus",
    "Edition",
    "EditionItem",
    "EditionRecord",
    "Alternate",
    "EditionText",
    "Evidence",
    "FeedHealth",
    "FeedSource",
    "FeedState",
    "FeedUpdate",
    "FetchResult",
    "Field",
    "FrozenEdition",
    "HealthFlag",
    "Item",
    "ItemEdit",
    "Logo",
    "MailingList",
    "Mention",
    "ParsedFeed",
    "ParsedItem",
    "Phrase",
    "Recipient",
    "RenderedEdition",
    "SchedulePlan",
    "Scope",
    "ScopeKind",
    "ScopePhrase",
    "Section",
    "SectionRule",
    "SendOutcome",
    "SendReport",
    "Sender",
    "Story",
    "StoryItem",
    "Taxonomy",
    "Theme",
    "Topic",
    "UpdateStatus",
    "Watched",
    "Watchlist",
]
