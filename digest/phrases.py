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
        self._by_first_stem: dict[str, list[_Pattern]] = {}
        # Khmer needles by their first two letters: a text is searched only
        # for the needles whose opening it holds.
        self._by_opening: dict[str, list[_Pattern]] = {}
        for tag, phrase in entries:
            needle = normalise(phrase.text)
            if is_khmer(needle):
                pattern = _Pattern(tag, phrase, (), self.khmer_needle(needle))
                self._by_opening.setdefault(pattern.needle[:2], []).append(pattern)
            elif words := stems(needle):
                self._add(_Pattern(tag, phrase, words, needle))

    def khmer_needle(self, text: str) -> str:
        """Khmer text as matched: spaces removed, or whole words between breaks."""
        squeezed = text.replace(" ", "")
        if self._segmenter is None:
            return squeezed
        words = self._segmenter(squeezed)
        return _WORD_BREAK + _WORD_BREAK.join(words) + _WORD_BREAK

    def _add(self, pattern: _Pattern) -> None:
        """Index a word pattern; of two spellings with one stem, the heavier wins.

        "election" and "elections" stem alike, and must not count twice.
        """
        bucket = self._by_first_stem.setdefault(pattern.stems[0], [])
        for index, other in enumerate(bucket):
            if other.tag == pattern.tag and other.stems == pattern.stems:
                if abs(pattern.phrase.weight) > abs(other.phrase.weight):
                    bucket[index] = pattern
                return
        bucket.append(pattern)

    def find(self, text: str) -> list[Match]:
        """Every phrase in `text` (already normalised) that counts."""
        found: list[Match] = []
        words = WORD.findall(text)
        word_stems = list(map(stem, words))
        by_first_stem = self._by_first_stem
        # Most words start no phrase: find the few that do in one comprehension.
        starts = [index for index, first in enumerate(word_stems) if first in by_first_stem]
        for index in starts:
            bucket = by_first_stem[word_stems[index]]
            denied: bool | None = None  # a negation denies every phrase starting here
            for pattern in bucket:
                size = len(pattern.stems)
                if size > 1 and tuple(word_stems[index : index + size]) != pattern.stems:
                    continue
                if denied is None:
                    denied = _negated(words, index)
                if denied:
                    break
                found.append(Match(pattern.tag, pattern.phrase, index, index + size))
        if self._by_opening and is_khmer(text):
            found += self._khmer_matches(text, offset=len(word_stems) + 1)
        if len(found) < 2:
            return found
        return self._counted(found)

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
        says it). Compared within a tag only, so the cost stays near linear."""
        masks = [match for match in found if match.tag == self._mask]
        by_tag: dict[str, list[Match]] = {}
        for match in found:
            by_tag.setdefault(match.tag, []).append(match)
        kept = []
        for match in found:
            if masks and match.tag != self._mask and any(_within(match, m) for m in masks):
                continue
            same = by_tag[match.tag]
            if len(same) > 1 and any(
                _within(match, other) and other.end - other.start > match.end - match.start
                for other in same
            ):
                continue
            kept.append(match)
        return kept


def _within(inner: Match, outer: Match) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def _negated(words: Sequence[str], index: int) -> bool:
    return any(word in _NEGATIONS for word in words[max(0, index - NEGATION_WINDOW) : index])


def _khmer_negated(text: str, start: int) -> bool:
    before = text[max(0, start - KHMER_NEGATION_WINDOW) : start]
    for compound in _KHMER_NOT_NEGATIONS:
        before = before.replace(compound, "")
    return any(negation in before for negation in _KHMER_NEGATIONS)
