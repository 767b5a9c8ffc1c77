"""File items under repression topics, and say why.

Pure: given an item's text and a `Taxonomy`, return a `Classification` whose
evidence lists every phrase that matched, with its topic, weight and field.
Phrases are matched on normalised text: case-folded, Latin accents dropped,
French elisions split ("l'arrestation" → "arrestation"), a light suffix
stemmer for English and French word forms; Khmer, written without spaces
between words, is matched as a normalised substring. A phrase just after a
negation ("not", "pas", "មិន") is not evidence, and a phrase inside a longer
matched phrase of the same topic does not count twice. `detect_language`
tells Khmer, French and English apart for text whose language nobody declared.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError
from .tomlfile import KeyLocator, load_toml
from .types import Classification, Evidence, Field, Phrase, Taxonomy, Topic

LANGUAGES = ("en", "fr", "km")
TITLE_BOOST = 1.5
_WORD = re.compile(r"\w+")
_ELISION = re.compile(r"\b(?:qu|[cdjlmnst])'(?=\w)")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})
# Zero-width characters Khmer text uses as invisible word breaks.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"))
_SUFFIXES = (
    "ements", "ement", "ations", "ation", "ings", "ing", "ies", "ied",
    "ees", "ee", "es", "ed", "s", "e",
)  # fmt: skip
_MIN_STEM = 4


def _is_khmer_letter(char: str) -> bool:
    return "\u1780" <= char <= "\u17ff"


def is_khmer(text: str) -> bool:
    return any(map(_is_khmer_letter, text))


# Short words that are common in one language and rare in the other; enough
# to tell a French headline from an English one without a model.
_FRENCH_WORDS = frozenset(
    "le la les des du au aux une et est sont dans pour par sur avec contre selon apres "
    "qui que ont ete son ses leur deux trois un il elle ce cette pas de ne aucune".split()
)
_ENGLISH_WORDS = frozenset(
    "the a an of and is are was were in on for by with against after who that has have "
    "been his her their two three to as at from than this last any more says said".split()
)


DETECT_SAMPLE = 300


def detect_language(text: str) -> str | None:
    """'km', 'fr' or 'en' for text whose language nobody declared, else None.

    Khmer is told by its script; French from English by counting each
    language's commonest short words. Text in another script, or too short
    to tell, gives None rather than a guess.
    """
    sample = text[:DETECT_SAMPLE]  # a headline and a sentence or two tell enough
    if not sample.isascii():  # ASCII is neither Khmer nor another script
        letters = [char for char in sample if char.isalpha()]
        khmer = sum(map(_is_khmer_letter, letters))
        if letters and khmer >= len(letters) / 3:
            return "km"
        latin = sum(char.isascii() or "\u00c0" <= char <= "\u017f" for char in letters)
        if latin < len(letters) / 2:
            return None  # another script: neither of our Latin-script languages
    words = _WORD.findall(normalise(sample))
    french = sum(word in _FRENCH_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    if french == english:
        return None
    return "fr" if french > english else "en"


def normalise(text: str) -> str:
    """Case-fold, drop Latin accents and zero-width marks, split French elisions."""
    if text.isascii():  # most English text: nothing to decompose, a tenth of the time
        return _ELISION.sub(" ", text.lower())
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFD", text.casefold())
    kept: list[str] = []
    base = ""
    for char in decomposed:
        # Khmer vowel signs are combining marks too; only Latin accents go.
        if unicodedata.combining(char) and base and base < "\u0250":
            continue
        if not unicodedata.combining(char):
            base = char
        kept.append(char)
    text = unicodedata.normalize("NFC", "".join(kept))
    return _ELISION.sub(" ", text)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in _WORD.findall(text))


# A phrase within two words after one of these is denied, not reported: "was
# not arrested", "n'a pas été arrêté", "released without charge". Normalised
# forms (no accents; "n't" leaves "didn" and "t").
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


def _negated(words: Sequence[str], index: int) -> bool:
    return any(word in _NEGATIONS for word in words[max(0, index - NEGATION_WINDOW) : index])


def _khmer_negated(text: str, start: int) -> bool:
    before = text[max(0, start - KHMER_NEGATION_WINDOW) : start]
    return any(negation in before for negation in _KHMER_NEGATIONS)


@dataclass(frozen=True)
class _Pattern:
    topic: str
    phrase: Phrase
    stems: tuple[str, ...]  # empty for Khmer phrases, matched as substrings
    needle: str


Segmenter = Callable[[str], Sequence[str]]
# Between Khmer words once a segmenter has found them: a character Khmer text never holds.
_WORD_BREAK = "|"


class Classifier:
    """A taxonomy compiled for matching; build once, classify many items.

    Khmer phrases match as substrings of the text with spaces removed. With a
    `segmenter` (a Khmer word splitter, such as khmer-nltk's word_tokenize)
    they match only on whole words instead; bench/khmer_matching.py measures
    both, and substrings are the default (see its numbers in the README).
    """

    def __init__(self, taxonomy: Taxonomy, segmenter: Segmenter | None = None) -> None:
        self.taxonomy = taxonomy
        self._segmenter = segmenter
        self._by_first_stem: dict[str, list[_Pattern]] = {}
        self._substrings: list[_Pattern] = []
        for topic in taxonomy.topics:
            for phrase in topic.phrases:
                needle = normalise(phrase.text)
                if is_khmer(needle):
                    self._substrings.append(
                        _Pattern(topic.id, phrase, (), self._khmer_needle(needle))
                    )
                    continue
                stems = _stems(needle)
                if stems:
                    self._add(_Pattern(topic.id, phrase, stems, needle))

    def _khmer_needle(self, text: str) -> str:
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
            if other.topic == pattern.topic and other.stems == pattern.stems:
                if abs(pattern.phrase.weight) > abs(other.phrase.weight):
                    bucket[index] = pattern
                return
        bucket.append(pattern)

    def classify(
        self,
        title: str,
        summary: str,
        lang: str | None = None,
        extra: Sequence[Evidence] = (),
    ) -> Classification:
        """Topics, primary topic, confidence and evidence for one item.

        `lang` is accepted for callers that know it; every language's phrases
        are tried, since feeds often mislabel or omit their language. `extra`
        is evidence found elsewhere (a watched name) that counts the same way.
        """
        found: dict[tuple[str, str], Evidence] = {}
        for field, text in (("title", title), ("summary", summary)):
            for pattern in self._matches(normalise(text)):
                key = (pattern.topic, pattern.phrase.text)
                if key in found:
                    continue  # a phrase counts once, in the first field it appears
                found[key] = Evidence(
                    topic=pattern.topic,
                    term=pattern.phrase.text,
                    field=_field(field),
                    weight=pattern.phrase.weight,
                )
        return self._decide((*found.values(), *extra))

    def _matches(self, text: str) -> list[_Pattern]:
        found: list[tuple[_Pattern, int, int]] = []  # pattern, start, end
        words = _WORD.findall(text)
        stems = tuple(stem(word) for word in words)
        for index, first in enumerate(stems):
            for pattern in self._by_first_stem.get(first, ()):
                end = index + len(pattern.stems)
                if stems[index:end] == pattern.stems and not _negated(words, index):
                    found.append((pattern, index, end))
        if self._substrings and is_khmer(text):
            # Khmer positions count characters, words' count words: the two
            # never meet, so they are kept apart by an offset.
            squeezed = self._khmer_needle(text)
            offset = len(stems) + 1
            for pattern in self._substrings:
                start = squeezed.find(pattern.needle)
                if start >= 0 and not _khmer_negated(squeezed, start):
                    end = start + len(pattern.needle)
                    found.append((pattern, offset + start, offset + end))
        return [
            pattern for pattern, start, end in found if not _inside(found, pattern, start, end)
        ]

    def _decide(self, evidence: tuple[Evidence, ...]) -> Classification:
        scores: dict[str, float] = {}
        for found in evidence:
            boost = TITLE_BOOST if found.field == "title" and found.weight > 0 else 1.0
            scores[found.topic] = scores.get(found.topic, 0.0) + found.weight * boost
        threshold = self.taxonomy.threshold
        order = {topic.id: index for index, topic in enumerate(self.taxonomy.topics)}
        ranked = sorted(
            ((topic, score) for topic, score in scores.items() if score >= threshold),
            key=lambda pair: (-pair[1], order[pair[0]]),
        )
        topics = tuple(topic for topic, _ in ranked)
        primary = topics[0] if topics else None
        best = ranked[0][1] if ranked else max(scores.values(), default=0.0)
        return Classification(
            topics=topics,
            primary=primary,
            confidence=round(confidence(best, threshold), 3),
            scores=tuple(sorted(scores.items(), key=lambda pair: -pair[1])),
            evidence=tuple(e for e in evidence if e.topic in topics or primary is None),
        )


def _inside(
    found: list[tuple[_Pattern, int, int]], pattern: _Pattern, start: int, end: int
) -> bool:
    """Whether a longer phrase of the same topic matched around this one: the
    longer phrase's weight already says it ("ជាប់ពន្ធនាគារ" holds "ពន្ធនាគារ",
    "opposition leader" holds "opposition"), so the shorter does not add to it."""
    return any(
        other.topic == pattern.topic
        and other_start <= start
        and end <= other_end
        and (other_end - other_start) > (end - start)
        for other, other_start, other_end in found
    )


def confidence(score: float, threshold: float) -> float:
    """0.5 at the threshold, rising towards 1 as evidence accumulates."""
    if score <= 0:
        return 0.0
    return 1.0 - math.pow(0.5, score / threshold)


def _field(name: str) -> Field:
    return "title" if name == "title" else "summary"


def parse_taxonomy(text: str, path: str) -> Taxonomy:
    """Read and validate a taxonomy TOML file; errors name file, line and key."""
    raw = load_toml(text, path)
    locate = KeyLocator(text)
    known = {"threshold", "topics"}
    for key in raw:
        if key not in known:
            raise ConfigError(path, "unknown key", line=locate(None, key), key=key)
    threshold = raw.get("threshold", 1.0)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold <= 0:
        raise ConfigError(
            path, "must be a number above 0", line=locate(None, "threshold"), key="threshold"
        )
    entries = raw.get("topics")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(path, "needs at least one [[topics]] table", key="topics")
    topics = tuple(_parse_topic(entry, index, path, locate) for index, entry in enumerate(entries))
    seen: set[str] = set()
    for index, topic in enumerate(topics):
        if topic.id in seen:
            line = locate("topics", "id", index)
            raise ConfigError(path, f"duplicate topic id {topic.id!r}", line=line, key="topics.id")
        seen.add(topic.id)
    return Taxonomy(topics=topics, threshold=float(threshold))


_TOPIC_KEYS = {"id", "label", "definition", *LANGUAGES, "negative"}


def _parse_topic(entry: Any, index: int, path: str, locate: KeyLocator) -> Topic:
    def fail(message: str, key: str, table: str = "topics") -> ConfigError:
        line = locate(table, key, index) or locate("topics", None, index)
        return ConfigError(path, message, line=line, key=f"topics[{index}].{key}")

    for key in entry:
        if key not in _TOPIC_KEYS:
            raise fail(f"unknown key (known: {', '.join(sorted(_TOPIC_KEYS))})", key)
    for key in ("id", "label", "definition"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise fail("missing or not a string", key)
    if not re.fullmatch(r"[a-z][a-z0-9-]*", entry["id"]):
        raise fail("topic ids are lower-case words joined by hyphens", "id")
    phrases: list[Phrase] = []
    for lang in (*LANGUAGES, "negative"):
        table = entry.get(lang, {})
        if not isinstance(table, dict):
            raise fail('must be a table of "phrase" = weight', lang)
        for text, weight in table.items():
            sub = f"topics.{lang}"
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise fail(f"weight of {text!r} must be a number", text, sub)
            if (lang == "negative") != (weight < 0):
                rule = "below 0" if lang == "negative" else "above 0 (use [negative])"
                raise fail(f"weight of {text!r} must be {rule}", text, sub)
            phrases.append(Phrase(text=text, weight=float(weight), lang=lang))
    return Topic(
        id=entry["id"],
        label=entry["label"].strip(),
        definition=entry["definition"].strip(),
        phrases=tuple(phrases),
    )


def classification_record(item_id: str, classification: Classification) -> dict[str, Any]:
    """One line of `digest classify -` output (the documented contract)."""
    return {
        "id": item_id,
        "topics": list(classification.topics),
        "primary": classification.primary,
        "confidence": round(classification.confidence, 4),
        "evidence": [
            {"topic": ev.topic, "term": ev.term, "field": ev.field, "weight": ev.weight}
            for ev in classification.evidence
        ],
    }


def explain(classification: Classification, taxonomy: Taxonomy) -> str:
    """A readable breakdown for `digest classify --explain`."""
    labels = {topic.id: topic.label for topic in taxonomy.topics}
    if classification.primary is None:
        lines = ["Off-topic: no topic reached the threshold."]
    else:
        lines = [
            f"Filed under: {labels[classification.primary]} ({classification.primary}), "
            f"confidence {classification.confidence:.2f}"
        ]
    for topic, score in classification.scores:
        lines.append(f"  {labels.get(topic, topic)}: score {score:.2f}")
        for ev in classification.evidence:
            if ev.topic == topic:
                lines.append(f'    {ev.weight:+g}  "{ev.term}" in the {ev.field}')
    lines.append(f"(threshold {taxonomy.threshold:g})")
    return "\n".join(lines)
