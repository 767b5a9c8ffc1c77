"""Find a vocabulary's phrases in normalised text, each with what it counts for.

Pure. English and French phrases match whole words after `text.stem`, so
"arrested" and "arrests" are one phrase; Khmer, written without spaces
between words, matches as a substring of the text with spaces removed (or on
whole words, given a segmenter). Three rules keep a match honest:

- a phrase within two words after a negation ("not", "pas", "មិន") is denied;
- a phrase inside a longer matched phrase with the same tag does not count
  twice ("opposition" inside "opposition leader");
- a phrase inside a match tagged `mask` (a word in another sense: "cardiac
  arrest", "State of the Union") does not count at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .text import WORD, is_khmer, normalise, stem, stems
from .types import Phrase

Segmenter = Callable[[str], Sequence[str]]

# Normalised forms (no accents; "n't" leaves "didn" and "t").
_NEGATIONS = frozenset(
    """
    not no never without nor neither didn doesn don isn wasn weren hasn haven hadn
    ne pas jamais sans aucun aucune ni
    """.split()
)
NEGATION_WINDOW = 2
# Distinct words remembered with their stems: news in three languages holds
# a few tens of thousands; past this the memory starts again.
_SURFACE_CACHE_SIZE = 200_000
# Khmer negation ("not", "not yet", "without") in the characters just before a phrase.
_KHMER_NEGATIONS = ("មិន", "គ្មាន", "ពុំ", "អត់")
KHMER_NEGATION_WINDOW = 12
# Words that hold a negation but deny nothing: "unidentified", "untrue",
# "unlawful", "non-governmental".
_KHMER_NOT_NEGATIONS = ("មិនស្គាល់", "មិនពិត", "មិនស្របច្បាប់", "មិនមែនរដ្ឋាភិបាល")
# Between Khmer words once a segmenter has found them: a character Khmer text never holds.
_WORD_BREAK = "|"


@dataclass(frozen=True)
class _Pattern:
    tag: str
    phrase: Phrase
    stems: tuple[str, ...]  # empty for Khmer phrases, matched as substrings
    needle: str
    rank: int = 0  # order of entry: matches at one word keep the vocabulary's order


class _Node:
    """A word of the phrases trie: the phrases that end on it, and the words
    that may follow it."""

    __slots__ = ("children", "ending")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.ending: list[_Pattern] = []


class Match(NamedTuple):
    """One phrase found: its tag, the phrase, and where (words, or Khmer
    characters past the words; only ever compared with each other). A named
    tuple: thousands are made per second, and a frozen dataclass costs
    three times as much to make."""

    tag: str
    phrase: Phrase
    start: int
    end: int


class PhraseIndex:
    """A vocabulary compiled for matching; build once, search many texts."""

    def __init__(
        self,
        entries: Iterable[tuple[str, Phrase]],
        segmenter: Segmenter | None = None,
        mask: str | None = None,
    ) -> None:
        self._segmenter = segmenter
        self._mask = mask
        # The phrases as a trie of stems, so a text is read once whatever the
        # number of phrases: a word is looked up once, and only the words
        # after one that starts a phrase are looked at again.
        self._roots: dict[str, _Node] = {}
        self._entered = 0
        # Every word seen, with its stem; and the words seen that start a phrase.
        self._stem_of: dict[str, str] = {}
        self._starters: dict[str, _Node] = {}
        # Khmer needles by their first two letters: a text is searched only
        # for the needles whose opening it holds.
        self._by_opening: dict[str, list[_Pattern]] = {}
        for tag, phrase in entries:
            needle = normalise(phrase.text)
            if is_khmer(needle):
                pattern = _Pattern(tag, phrase, (), self.khmer_needle(needle))
                self._by_opening.setdefault(pattern.needle[:2], []).append(pattern)
            elif words := stems(needle):
                self._add(tag, phrase, words, needle)

    def khmer_needle(self, text: str) -> str:
        """Khmer text as matched: spaces removed, or whole words between breaks."""
        squeezed = text.replace(" ", "")
        if self._segmenter is None:
            return squeezed
        words = self._segmenter(squeezed)
        return _WORD_BREAK + _WORD_BREAK.join(words) + _WORD_BREAK

    def _add(self, tag: str, phrase: Phrase, words: tuple[str, ...], needle: str) -> None:
        """Index a word pattern; of two spellings with one stem, the heavier wins.

        "election" and "elections" stem alike, and must not count twice.
        """
        node = self._roots.setdefault(words[0], _Node())
        for word in words[1:]:
            node = node.children.setdefault(word, _Node())
        for index, other in enumerate(node.ending):
            if other.tag == tag:
                if abs(phrase.weight) > abs(other.phrase.weight):
                    node.ending[index] = _Pattern(tag, phrase, words, needle, other.rank)
                return
        self._entered += 1
        node.ending.append(_Pattern(tag, phrase, words, needle, self._entered))

    def find(self, text: str) -> list[Match]:
        """Every phrase in `text` (already normalised) that counts."""
        words = WORD.findall(text)
        starters = self._learn(words)
        # Most words start no phrase: find the few that do in one comprehension.
        starts = [index for index, word in enumerate(words) if word in starters]
        found = self._word_matches(words, starts, starters) if starts else []
        if self._by_opening and is_khmer(text):
            found += self._khmer_matches(text, offset=len(words) + 1)
        if len(found) < 2:
            return found
        return self._counted(found)

    def _learn(self, words: list[str]) -> dict[str, _Node]:
        """Stem the words never seen before, and return the surface forms
        that start a phrase. Most words of the news recur, so each is stemmed
        once, not once per text; past its bound the cache starts again (new
        dictionaries: a search under way keeps the ones it holds)."""
        if len(self._stem_of) > _SURFACE_CACHE_SIZE:
            self._stem_of, self._starters = {}, {}
        stem_of, starters = self._stem_of, self._starters
        for word in set(words).difference(stem_of):
            stem_of[word] = word_stem = stem(word)
            if root := self._roots.get(word_stem):
                starters[word] = root
        return starters

    def _word_matches(
        self, words: list[str], starts: list[int], starters: dict[str, _Node]
    ) -> list[Match]:
        found: list[Match] = []
        stem_of = self._stem_of
        may_deny = not _NEGATIONS.isdisjoint(words)
        for index in starts:
            node: _Node | None = starters[words[index]]
            matched: list[_Pattern] = []
            after = index
            while node is not None:
                matched += node.ending
                after += 1
                if not node.children or after == len(words):
                    break
                node = node.children.get(stem_of[words[after]])
            if not matched or (may_deny and _negated(words, index)):
                continue  # a negation denies every phrase starting here
            if len(matched) > 1:
                matched.sort(key=_rank)
            found += [
                _new_match(Match, (p.tag, p.phrase, index, index + len(p.stems))) for p in matched
            ]
        return found

    def _khmer_matches(self, text: str, offset: int) -> list[Match]:
        """Khmer needles in `text`; positions sit past the words' (`offset`)."""
        squeezed = self.khmer_needle(text)
        # Two-letter openings, and single letters for any one-letter needle.
        openings = {squeezed[index : index + 2] for index in range(len(squeezed))}
        found = []
        for opening in openings.intersection(self._by_opening):
            for pattern in self._by_opening[opening]:
                start = squeezed.find(pattern.needle)
                if start >= 0 and not _khmer_negated(squeezed, start):
                    end = offset + start + len(pattern.needle)
                    found.append(Match(pattern.tag, pattern.phrase, offset + start, end))
        return found

    def _counted(self, found: list[Match]) -> list[Match]:
        """The matches that count: not inside a word used in another sense,
        nor inside a longer phrase of their own tag (whose weight already
        says it). Only a match of two words or more can hold another of its
        tag, so few pairs are ever compared."""
        mask = self._mask
        masks: list[Match] = []
        holders: dict[str, list[Match]] = {}
        for match in found:
            if match.tag == mask:
                masks.append(match)
            if match.end - match.start > 1:
                holders.setdefault(match.tag, []).append(match)
        if not holders and not masks:
            return found
        kept = []
        for match in found:
            if masks and match.tag != mask and _inside_any(match, masks):
                continue
            around = holders.get(match.tag)
            if around is not None and _inside_longer(match, around):
                continue
            kept.append(match)
        return kept


def _rank(pattern: _Pattern) -> int:
    return pattern.rank


# A named tuple's own constructor is a Python function; the tuple's is not,
# and matching makes a few matches per sentence.
_new_match = tuple.__new__


def _inside_any(inner: Match, outers: list[Match]) -> bool:
    for outer in outers:
        if outer.start <= inner.start and inner.end <= outer.end:
            return True
    return False


def _inside_longer(inner: Match, outers: list[Match]) -> bool:
    size = inner.end - inner.start
    for outer in outers:
        if (
            outer.start <= inner.start
            and inner.end <= outer.end
            and outer.end - outer.start > size
        ):
            return True
    return False


def _negated(words: Sequence[str], index: int) -> bool:
    return any(word in _NEGATIONS for word in words[max(0, index - NEGATION_WINDOW) : index])


def _khmer_negated(text: str, start: int) -> bool:
    before = text[max(0, start - KHMER_NEGATION_WINDOW) : start]
    for compound in _KHMER_NOT_NEGATIONS:
        before = before.replace(compound, "")
    return any(negation in before for negation in _KHMER_NEGATIONS)
