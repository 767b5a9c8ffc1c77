"""Where a line of Khmer may break: Khmer writes no spaces between words, so
the text part must find the places itself.

Pure. With PyICU installed (the `khmer` extra; it needs libicu), ICU's line
breaker finds the word boundaries from its Khmer dictionary:
"ប៉ូលិស|បាន|ចាប់ខ្លួន|សកម្មជន". Without it, a run that fits on a line is
kept whole (Khmer writers put spaces between phrases), and only a run longer
than a line breaks between letter clusters, never inside one (before a
consonant or independent vowel that no subscript sign joins to the one
before): legible, though it may split a word. `make bench-khmer` measures
both. Widths count what takes room on screen: vowel signs and subscript
consonants sit on or under their letter.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

_COENG = "\u17d2"  # joins the next consonant below the one before


def cluster_pieces(text: str) -> list[str]:
    """`text` cut before each letter cluster: a Khmer consonant or independent
    vowel (letters, category Lo) not written below the previous one."""
    pieces: list[str] = []
    start = 0
    for index in range(1, len(text)):
        char = text[index]
        starts_cluster = (
            "\u1780" <= char <= "\u17b3"
            and unicodedata.category(char) == "Lo"
            and text[index - 1] != _COENG
        )
        if starts_cluster:
            pieces.append(text[start:index])
            start = index
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]


@functools.cache
def _icu_breaker() -> Callable[[str], list[str]] | None:
    try:  # a module named icu that is not PyICU lacks these: no ICU then
        from icu import BreakIterator, Locale  # type: ignore[import-not-found]
    except ImportError:
        return None

    def pieces(text: str) -> list[str]:
        breaker = BreakIterator.createLineInstance(Locale("km"))
        breaker.setText(text)
        found, start = [], 0
        for end in breaker:
            found.append(text[start:end])
            start = end
        return [piece for piece in found if piece]

    return pieces


@functools.lru_cache(maxsize=4096)
def khmer_pieces(text: str, room: int, *, use_icu: bool = True) -> tuple[str, ...]:
    """The pieces a run of text (no spaces) may be broken between, for lines
    of `room` columns. Kept: the frame's words and the dates come back in
    every story's line."""
    breaker = _icu_breaker() if use_icu else None
    if breaker is not None:
        return tuple(breaker(text))
    return tuple(cluster_pieces(text)) if display_width(text) > room else (text,)


# What takes no room of its own: a subscript consonant with the sign that
# puts it below, Khmer signs written over or under a letter (category Mn),
# zero-width spaces and joiners, and combining Latin accents.
_SILENT = re.compile(
    "\u17d2.|[\u17b4\u17b5\u17b7-\u17bd\u17c6\u17c9-\u17d1\u17d3\u17dd"
    "\u200b-\u200d\ufeff\u0300-\u036f]",
    re.DOTALL,
)


@functools.lru_cache(maxsize=8192)
def display_width(text: str) -> int:
    """Columns a text takes: signs written over or under a letter, and
    subscript consonants, take none; spacing vowel signs take one."""
    return len(_SILENT.sub("", text))
