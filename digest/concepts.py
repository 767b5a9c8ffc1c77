"""The concept lexicon: words for the same act, role, place or thing in
English, French and Khmer mapped to one name, so that reports in different
languages can be compared (concepts.toml, read by `parse_concepts`).

Pure. `item_concepts` says which concepts a report names; Latin-script
names count as concepts of their own ("name:hun"), acronyms only in capitals.
The words that carry no meaning (STOPWORDS) and how a report is cut into
words are shared with the story grouping (cluster.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .errors import ConfigError
from .text import normalise, stem
from .tomlfile import load_toml

SUMMARY_WORDS = 60  # a summary's words that count: its start says what happened
KINDS = ("event", "role", "body", "place", "region", "thing", "subject")
_LONGEST_PHRASE = 3  # words
# A capitalised word inside a sentence: a person's, a place's or a group's name.
_LATIN_NAME = re.compile(r"(?<=[^\s.!?:]\s)([A-Z][a-zà-ÿ]+|[A-Z]{2,})\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
WORD = re.compile(r"[^\W_\u1780-\u17ff]+")  # words in any script but Khmer
KHMER_RUN = re.compile(r"[\u1780-\u17ff]+")
# Every byte but an ASCII letter or digit, as a space: see ascii_letter_runs.
_ASCII_NOT_WORD = bytes(
    code if chr(code).isascii() and chr(code).isalnum() else ord(" ") for code in range(256)
)
STOPWORDS = frozenset(
    """
    a an and are as at be been by for from has have he her his in into is it its of on or
    over said say says she that the their them they this to was were which who will with
    after before about against amid new also more than not but

    au aux avec ce ces dans de des du elle en est et il ils la le les leur leurs mais ne
    par pas plus pour qui que sa se ses son sont sur un une apres selon
    """.split()
)


def ascii_letter_runs(text: str) -> list[bytes]:
    """WORD's words of ASCII text (runs of letters and digits; underscores
    part them, unlike `text.ascii_words`), as bytes: the text split at every
    byte that is no letter or digit, in a fifth of the expression's time."""
    return text.encode().translate(_ASCII_NOT_WORD).split()


@dataclass(frozen=True)
class Concepts:
    """Words that name the same thing in English, French and Khmer."""

    words: Mapping[tuple[str, ...], str]  # stemmed English or French words → concept
    acronyms: Mapping[str, str]  # "UN", "ONU": matched in capitals only
    khmer: tuple[tuple[str, str], ...]  # Khmer phrase → concept, found anywhere
    # Every stemmed word of the English and French phrases: "Phnom" in
    # "Phnom Penh" is part of a concept, not a name of its own.
    vocabulary: frozenset[str]
    phrase_starts: frozenset[str]  # first words of the phrases of several words


class ReportText(Protocol):
    """What concepts are read from: an `Item`, or what story grouping keeps of one."""

    @property
    def title(self) -> str: ...

    @property
    def summary(self) -> str: ...


def item_concepts(item: ReportText, concepts: Concepts) -> Counter[str]:
    """The concepts a report names (each once), and the Latin-script names in it:
    in its title and the first SUMMARY_WORDS words of its summary."""
    summary = " ".join(item.summary.split()[:SUMMARY_WORDS])
    text = f"{item.title}. {summary}"
    found: set[str] = set()
    khmer = KHMER_RUN.findall(text)
    # Khmer is matched by its own phrases below; the words need only the rest.
    stems = _content_stems(KHMER_RUN.sub(" ", text) if khmer else text)
    for start, word in enumerate(stems):
        if concept := concepts.words.get((word,)):
            found.add(concept)
        if word in concepts.phrase_starts:
            for end in range(start + 2, min(start + _LONGEST_PHRASE, len(stems)) + 1):
                if concept := concepts.words.get(tuple(stems[start:end])):
                    found.add(concept)
    if khmer:
        found.update(concept for phrase, concept in concepts.khmer if phrase in text)
    found.update(concepts.acronyms[a] for a in _ACRONYM.findall(text) if a in concepts.acronyms)
    for name in _LATIN_NAME.findall(text):
        word = stem(normalise(name))
        if name in concepts.acronyms or word in concepts.vocabulary or word in STOPWORDS:
            continue
        found.add(f"name:{word}")
    return Counter(found)


def _content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning, Khmer left out: "taken into
    custody" and "placé en garde à vue" become two and three stems."""
    return [stem(word) for word in WORD.findall(normalise(text)) if word not in STOPWORDS]


def parse_concepts(text: str, path: str) -> Concepts:
    """Read the concept lexicon: [kind.name] tables of en/fr/km word lists."""
    raw = load_toml(text, path)
    words: dict[tuple[str, ...], str] = {}
    acronyms: dict[str, str] = {}
    khmer: list[tuple[str, str]] = []
    for kind, table in raw.items():
        if kind not in KINDS or not isinstance(table, dict):
            raise ConfigError(path, f"unknown kind (known: {', '.join(KINDS)})", key=kind)
        for name, languages in table.items():
            concept = f"{kind}:{name}"
            for lang, phrases in languages.items():
                if lang not in ("en", "fr", "km") or not isinstance(phrases, list):
                    message = "expected en, fr or km = [...]"
                    raise ConfigError(path, message, key=f"{concept}.{lang}")
                for phrase in phrases:
                    if lang == "km":
                        khmer.append((phrase, concept))
                    elif phrase.isupper() and phrase.isalpha():
                        acronyms[phrase] = concept
                    else:
                        _add_phrase(words, phrase, concept, path)
    vocabulary = frozenset(word for phrase in words for word in phrase)
    starts = frozenset(phrase[0] for phrase in words if len(phrase) > 1)
    return Concepts(words, acronyms, tuple(khmer), vocabulary, starts)


def _add_phrase(words: dict[tuple[str, ...], str], phrase: str, concept: str, path: str) -> None:
    key = tuple(_content_stems(phrase))
    problem = None
    if not key:
        problem = "is only small words, which are not matched"
    elif len(key) > _LONGEST_PHRASE:
        problem = f"has more than {_LONGEST_PHRASE} words that count"
    elif words.get(key, concept) != concept:
        problem = f"matches the same words as a phrase of {words[key]}"
    if problem:
        raise ConfigError(path, f"{phrase!r} {problem}", key=concept)
    words[key] = concept
