"""The taxonomy (topics, scope, the precedence of sections) and what filing an item gives.

Frozen, typed values; nothing here does I/O or imports the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .items import Field


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


ScopeKind = Literal[
    "core", "acts", "targets", "actors", "agents", "responses", "dampers", "senses"
]


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
