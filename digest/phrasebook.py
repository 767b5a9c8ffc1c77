"""A vocabulary compiled for `phrases.PhraseIndex`: its word phrases as a
trie of stems, its Khmer phrases in one Aho-Corasick automaton.

Pure. Two things are worked out here, once, so that matching a text does as
little as it can:

- which phrases a match could hold (a shorter phrase of its own tag within
  it, or any other tag's under a mask): only those are checked for it;
- which phrases start with common words ("the press", "in custody", "on
  trial"). Those are keyed on their first word that is not one, and look
  back at the words before it: "the", "in" and "on" are the commonest
  words of the news, and a text is then read past them without a look.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick

from .concepts import STOPWORDS
from .types import Phrase


@dataclass(frozen=True)
class Pattern:
    """A phrase as entered: its tag, and what is matched (word stems, or a
    Khmer needle)."""

    tag: str
    phrase: Phrase
    stems: tuple[str, ...]  # empty for Khmer phrases, matched as substrings
    needle: str
    rank: int = 0  # order of entry: matches at one word keep the vocabulary's order


class Ending(NamedTuple):
    """A phrase ending on a node, as matching reads it: in the vocabulary's
    order (`rank`), with its length in words, whether a match of it can hold
    another that must then not count, and how many words before the word it
    was found at it starts (1 for "in custody", found at "custody")."""

    rank: int
    tag: str
    phrase: Phrase
    length: int
    holds: bool
    back: int


class Node:
    """A word of the phrases trie: the phrases that end on it, the words that
    may follow it, and (at a root) the phrases keyed on it that start with
    common words before it (`led`, by those words' stems)."""

    __slots__ = ("children", "ending", "endings", "holding", "led")

    def __init__(self) -> None:
        self.children: dict[str, Node] = {}
        self.ending: list[Pattern] = []
        self.led: dict[tuple[str, ...], Node] | None = None
        # `ending` compiled for matching, once the vocabulary is in.
        self.endings: tuple[Ending, ...] = ()
        # Of those that may hold another: where they start and end (from the
        # word they are found at), their length and their tag.
        self.holding: tuple[tuple[int, int, int, str], ...] = ()

    def compile(self, holds: Callable[[Pattern], bool], back: int = 0) -> None:
        self.endings = tuple(
            Ending(p.rank, p.tag, p.phrase, len(p.stems), holds(p), back)
            for p in sorted(self.ending, key=_rank)
        )
        self.holding = holding(self.endings)
        for child in self.children.values():
            child.compile(holds, back)


def holding(endings: Iterable[Ending]) -> tuple[tuple[int, int, int, str], ...]:
    return tuple((-e.back, e.length - e.back, e.length, e.tag) for e in endings if e.holds)


class WordTrie:
    """The word phrases of a vocabulary, by stems."""

    def __init__(self, mask: str | None) -> None:
        self.mask = mask
        self.roots: dict[str, Node] = {}
        self._entered = 0
        self._tags_of: dict[tuple[str, ...], set[str]] = {}

    def add(self, tag: str, phrase: Phrase, words: tuple[str, ...], needle: str) -> None:
        """Index a word pattern; of two spellings with one stem, the heavier wins.

        "election" and "elections" stem alike, and must not count twice.
        """
        lead = _leading(words)
        if lead:
            # Keyed on its first word that means something, looking back at
            # the ones before it: see the module's docstring.
            anchor = self.roots.setdefault(words[lead], Node())
            anchor.led = anchor.led or {}
            node = anchor.led.setdefault(words[:lead], Node())
        else:
            node = self.roots.setdefault(words[0], Node())
        for word in words[lead + 1 :]:
            node = node.children.setdefault(word, Node())
        for index, other in enumerate(node.ending):
            if other.tag == tag:
                if abs(phrase.weight) > abs(other.phrase.weight):
                    node.ending[index] = Pattern(tag, phrase, words, needle, other.rank)
                return
        self._entered += 1
        node.ending.append(Pattern(tag, phrase, words, needle, self._entered))
        self._tags_of.setdefault(words, set()).add(tag)

    def compile(self) -> dict[str, Node]:
        """The roots to match with, once every phrase is in."""
        for root in self.roots.values():
            root.compile(self._holds)
            if root.led is not None:
                # The longest lead first: the phrases it leads start first.
                root.led = dict(sorted(root.led.items(), key=lambda pair: -len(pair[0])))
                for lead, node in root.led.items():
                    node.compile(self._holds, back=len(lead))
        return self.roots

    def _holds(self, pattern: Pattern) -> bool:
        """Whether the vocabulary has a phrase a match of `pattern` could hold."""
        size = len(pattern.stems)
        inside = (
            (self._tags_of.get(pattern.stems[start:end], set()), (start, end) == (0, size))
            for start in range(size)
            for end in range(start + 1, size + 1)
        )
        return holds(pattern.tag, inside, self.mask)


KhmerValue = tuple[str, tuple[tuple[str, Phrase], ...], bool]


def khmer_automaton(
    needles: dict[str, list[Pattern]], mask: str | None
) -> ahocorasick.Automaton | None:
    """The Khmer needles in one automaton. Each gives a `KhmerValue`: the
    needle, the (tag, phrase) pairs it stands for, and whether a match of
    one could hold another (found by a first automaton searching each
    needle for the others)."""
    if not needles:
        return None
    values = {
        needle: (needle, tuple((p.tag, p.phrase) for p in patterns))
        for needle, patterns in needles.items()
    }
    first = _built(values)

    def could_hold(pattern: Pattern) -> bool:
        inside = (
            ({tag for tag, _ in tagged}, needle == pattern.needle)
            for _, (needle, tagged) in first.iter(pattern.needle)
        )
        return holds(pattern.tag, inside, mask)

    return _built(
        {
            needle: (*value, any(could_hold(p) for p in needles[needle]))
            for needle, value in values.items()
        }
    )


def _built(values: Mapping[str, object]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for needle, value in values.items():
        automaton.add_word(needle, value)
    automaton.make_automaton()
    return automaton


def holds(tag: str, inside: Iterable[tuple[set[str], bool]], mask: str | None) -> bool:
    """Whether a match of `tag` could hold another that must not count;
    `inside` gives the tags of every phrase found within it, and whether
    that phrase spans the whole of it."""
    for tags, whole in inside:
        if tag == mask and tags - {mask}:
            return True  # a mask holds any other tag's phrase, even the same words
        if tag in tags and not whole:
            return True  # a shorter phrase of its own tag
    return False


def _leading(words: tuple[str, ...]) -> int:
    """How many of a phrase's first words are too common to key it on."""
    lead = 0
    while lead < len(words) - 1 and words[lead] in STOPWORDS:
        lead += 1
    return lead


def _rank(pattern: Pattern) -> int:
    return pattern.rank
