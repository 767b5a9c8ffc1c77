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

Every phrase is looked for in one pass (phrasebook.py compiles them): the
words through a trie of stems, where only the few words that start a phrase
are looked at twice; the Khmer through one Aho-Corasick automaton.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from itertools import compress, count
from typing import Literal, NamedTuple

from .phrasebook import Ending, KhmerValue, Node, Pattern, WordTrie, holding, khmer_automaton
from .text import WORD, ascii_words, is_khmer, normalise, stem, stems
from .types import Phrase

Segmenter = Callable[[str], Sequence[str]]
# A text's words: as text, or as bytes for ASCII text.
Words = Sequence[str | bytes]

# Normalised forms (no accents; "n't" leaves "didn" and "t"), as text and as
# the bytes ASCII text is read in.
_NEGATION_WORDS = """
    not no never without nor neither didn doesn don isn wasn weren hasn haven hadn
    ne pas jamais sans aucun aucune ni
    """.split()
_NEGATIONS = frozenset([*_NEGATION_WORDS, *(word.encode() for word in _NEGATION_WORDS)])
NEGATION_WINDOW = 2
# Distinct words remembered with their stems: news in three languages holds
# a few tens of thousands; past this the memory starts again.
_SURFACE_CACHE_SIZE = 200_000
# Khmer negation ("not", "not yet", "without") in the characters just before a phrase.
_KHMER_NEGATIONS = ("មិន", "គ្មាន", "ពុំ", "អត់")
KHMER_NEGATION_WINDOW = 12
_KHMER_NEGATION = re.compile("|".join(_KHMER_NEGATIONS))
# Words that hold a negation but deny nothing: "unidentified", "untrue",
# "unlawful", "non-governmental".
_KHMER_NOT_NEGATIONS = ("មិនស្គាល់", "មិនពិត", "មិនស្របច្បាប់", "មិនមែនរដ្ឋាភិបាល")
# Quotes, dashes, ellipses, symbols: no part of a word, and not ASCII.
_NEITHER_ASCII_NOR_WORD = re.compile(r"[^\x00-\x7f\w]")
# Between Khmer words once a segmenter has found them: a character Khmer text never holds.
_WORD_BREAK = "|"


class Match(NamedTuple):
    """One phrase found: its tag, the phrase, and where (words, or Khmer
    characters past the text's length; only ever compared with each other). A named
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
        trie = WordTrie(mask)
        # Every word seen, with its stem, and the root it starts (or False).
        # A word of ASCII text is read as bytes (see _word_matches): both
        # spellings are keys, and never equal.
        self._stem_of: dict[str | bytes, str] = {}
        self._root_of: dict[str | bytes, Node | Literal[False]] = {}
        # The Khmer needles, each with the patterns it stands for, in one
        # Aho-Corasick automaton: a text is read once for all of them.
        needles: dict[str, list[Pattern]] = {}
        for tag, phrase in entries:
            needle = normalise(phrase.text)
            if is_khmer(needle):
                pattern = Pattern(tag, phrase, (), self.khmer_needle(needle))
                needles.setdefault(pattern.needle, []).append(pattern)
            elif words := stems(needle):
                trie.add(tag, phrase, words, needle)
        self._roots = trie.compile()
        initials = sorted({root[0] for root in self._roots})
        self._initials = re.compile(f"[{re.escape(''.join(initials))}]" if initials else "(?!)")
        self._khmer = khmer_automaton(needles, mask)

    def khmer_needle(self, text: str) -> str:
        """Khmer text as matched: spaces removed, or whole words between breaks."""
        squeezed = text.replace(" ", "")
        if self._segmenter is None:
            return squeezed
        words = self._segmenter(squeezed)
        return _WORD_BREAK + _WORD_BREAK.join(words) + _WORD_BREAK

    def find(self, text: str) -> list[Match]:
        """Every phrase in `text` (already normalised) that counts."""
        # A text with no letter a word phrase starts with (most Khmer) has
        # none of them to find.
        found = self._word_matches(text) if self._initials.search(text) else []
        if self._khmer is not None and is_khmer(text):
            found += self._khmer_matches(text, offset=len(text) + 1)
        return found

    def _learn(self, words: Words) -> list[Node | Literal[False]]:
        """Stem the words never seen before, and give each word's root.
        Most words of the news recur, so each is stemmed once, not once per
        text; past its bound the memory starts again."""
        if len(self._stem_of) > _SURFACE_CACHE_SIZE:
            self._stem_of, self._root_of = {}, {}
        stem_of, root_of = self._stem_of, self._root_of
        for word in set(words).difference(stem_of):
            text = word.decode() if isinstance(word, bytes) else word
            stem_of[word] = word_stem = stem(text)
            root_of[word] = self._roots.get(word_stem) or False
        return [root_of[word] for word in words]

    def _word_matches(self, text: str) -> list[Match]:
        """The word phrases in `text` that count, in the order they start."""
        # Most text is ASCII once normalised (French loses its accents) and
        # its curly quotes and dashes, which part words either way, are
        # spaces: its words are split as bytes, in a fraction of the time.
        if not text.isascii():
            text = _NEITHER_ASCII_NOR_WORD.sub(" ", text)
        words: Words = ascii_words(text) if text.isascii() else WORD.findall(text)
        try:  # each word's root in the trie, or False
            roots = list(map(self._root_of.__getitem__, words))
        except KeyError:
            roots = self._learn(words)  # a word never seen before
        # Most words start no phrase: find the few that do without a Python
        # step per word (compress and count run in C).
        starts = list(compress(count(), roots))
        found: list[Match] = []
        if not starts:
            return found
        last = len(words) - 1
        stem_of = self._stem_of
        may_deny = not _NEGATIONS.isdisjoint(words)
        # The matches so far that may hold another: where each starts and
        # ends, its length and its tag. Once past where the last of them
        # ends (`reach`), they are forgotten.
        holders: list[tuple[int, int, int, str]] = []
        reach = 0
        for index in starts:
            node = roots[index]
            assert node  # starts are where there is a root
            endings, held_by = node.endings, node.holding
            # The next word seldom goes on with a phrase: look it up here,
            # and walk on only when it does.
            if node.children and index < last:
                child = node.children.get(stem_of[words[index + 1]])
                if child is not None:
                    endings = self._walk(endings, child, words, index + 1)
                    held_by = holding(endings)
            if node.led is not None and index:
                # Phrases led by the words before ("in" custody): they start
                # there, so they come first.
                led = self._led(node.led, words, index)
                if led:
                    endings = led + endings
                    held_by = holding(endings)
            if not endings:
                continue
            if may_deny:
                # A negation denies every phrase starting after it; one
                # denied holds nothing.
                endings = tuple(e for e in endings if not _negated(words, index - e.back))
                held_by = holding(endings)
            if holders and index >= reach:
                holders = []
            if held_by:
                holders += [
                    (index + start, index + end, length, tag)
                    for start, end, length, tag in held_by
                ]
                reach = max(holder[1] for holder in holders)
            for _, tag, phrase, length, _, back in endings:
                start = index - back
                if not (holders and _held(tag, start, length, holders, self._mask)):
                    found.append(_new_match(Match, (tag, phrase, start, start + length)))
        return found

    def _led(
        self, led: dict[tuple[str, ...], Node], words: Words, index: int
    ) -> tuple[Ending, ...]:
        """The phrases keyed on `words[index]` whose first words are the
        ones before it, in the order they start."""
        stem_of = self._stem_of
        found: tuple[Ending, ...] = ()
        for lead, node in led.items():
            back = len(lead)
            if back > index:
                continue
            if back == 1:
                if stem_of[words[index - 1]] != lead[0]:
                    continue
            elif tuple(stem_of[word] for word in words[index - back : index]) != lead:
                continue
            endings = node.endings
            if node.children and index + 1 < len(words):
                child = node.children.get(stem_of[words[index + 1]])
                if child is not None:
                    endings = self._walk(endings, child, words, index + 1)
            found += endings
        return found

    def _walk(
        self, endings: tuple[Ending, ...], node: Node, words: Words, index: int
    ) -> tuple[Ending, ...]:
        """`endings` (of a phrase's first words) with those of the phrases
        that go on with `node` at `words[index]`, in the vocabulary's order."""
        stem_of = self._stem_of
        while True:
            if node.endings:
                # Both hold some: put them back in the vocabulary's order
                # (by rank, which no two endings share).
                endings = tuple(sorted(endings + node.endings)) if endings else node.endings
            index += 1
            if not node.children or index == len(words):
                return endings
            child = node.children.get(stem_of[words[index]])
            if child is None:
                return endings
            node = child

    def _khmer_matches(self, text: str, offset: int) -> list[Match]:
        """The Khmer needles in `text` that count; positions sit past the
        text's length (`offset`)."""
        assert self._khmer is not None
        squeezed = self.khmer_needle(text)
        found: list[Match] = []
        holders: list[tuple[int, int, int, str]] = []
        seen: set[str] = set()
        may_deny = _KHMER_NEGATION.search(squeezed) is not None
        # Every occurrence of every needle, by where it ends; a needle counts
        # at its first occurrence only, and not at all if that one is denied.
        last: int
        value: KhmerValue
        for last, value in self._khmer.iter(squeezed):
            needle, tagged, holds = value
            if needle in seen:
                continue
            seen.add(needle)
            start = last + 1 - len(needle)
            if may_deny and _khmer_negated(squeezed, start):
                continue
            start += offset
            for tag, phrase in tagged:
                found.append(_new_match(Match, (tag, phrase, start, start + len(needle))))
                if holds:
                    holders.append((start, start + len(needle), len(needle), tag))
        if not holders:
            return found
        return [
            m for m in found if not _held(m.tag, m.start, m.end - m.start, holders, self._mask)
        ]


# A named tuple's own constructor is a Python function; the tuple's is not,
# and matching makes a few matches per sentence.
_new_match = tuple.__new__


def _held(
    tag: str, start: int, length: int, holders: list[tuple[int, int, int, str]], mask: str | None
) -> bool:
    """Whether a match (of `tag`, from `start`, `length` words or Khmer
    letters) lies inside one of `holders` that keeps it from counting: a
    longer match of its tag, or a mask over another tag."""
    end = start + length
    for holder_start, holder_end, holder_length, holder_tag in holders:
        if (
            holder_start <= start
            and end <= holder_end
            and (
                (holder_tag == tag and holder_length > length)
                or (holder_tag == mask and tag != mask)
            )
        ):
            return True
    return False


def _negated(words: Words, index: int) -> bool:
    return any(word in _NEGATIONS for word in words[max(0, index - NEGATION_WINDOW) : index])


def _khmer_negated(text: str, start: int) -> bool:
    before = text[max(0, start - KHMER_NEGATION_WINDOW) : start]
    for compound in _KHMER_NOT_NEGATIONS:
        before = before.replace(compound, "")
    return any(negation in before for negation in _KHMER_NEGATIONS)
