"""Group reports of the same event from several outlets into one story.

Pure. Each item becomes a bag of weighted terms: word stems (the classifier's
normalisation, so case, accents and plurals do not matter) from the title,
counted twice, and from the start of the summary; Khmer, written without
spaces between words, gives character trigrams instead. Terms are weighted by
how rare they are in the batch (inverse document frequency), so "court" or
"Cambodia" count for little and "casino" or a person's name for much.

Two items are the same story when their weighted Jaccard similarity reaches
the threshold, they come from different outlets and their dates are close.
Taken in date order, each item joins the story holding the report it most
resembles, or starts its own; stories are never merged afterwards, so one
vague item cannot glue two stories together.

Reports in different languages share few words, so they are compared by
concepts instead: a small lexicon (concepts.toml) maps the words for the same
act, role, place or thing in English, French and Khmer to one name, and names
written in Latin letters count as concepts too. Two reports in different
languages are one story only when enough of their concepts are shared (the
rare ones weighing most), among them an event and an anchor (a place, a
name, a telling thing), and when they do not name different places.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from .errors import ConfigError
from .text import normalise, stem
from .tomlfile import load_toml
from .types import Item, Story

THRESHOLD = 0.22
# Reports are compared only with stories sharing one of their rare terms (in
# at most RARE_SHARE of the batch, or RARE_FLOOR items): two reports of one
# event share names and places, and this keeps a large batch from comparing
# everything with everything.
KEY_TERMS = 6
RARE_SHARE = 0.01
RARE_FLOOR = 5
WINDOW = timedelta(days=3)
SUMMARY_WORDS = 60
# Across languages: the weighted share of concepts two reports must have in
# common, and how many concepts at least (one shared place is not a story).
CROSS_THRESHOLD = 0.3
MIN_SHARED_CONCEPTS = 3
CONCEPT_KEYS = 6
KINDS = ("event", "role", "body", "place", "region", "thing", "subject")
# What pins a report to one event: where, which body or person, or a telling detail.
_ANCHORS = ("place:", "body:", "name:", "thing:")
_LONGEST_PHRASE = 3  # words
# A capitalised word inside a sentence: a person's, a place's or a group's name.
_LATIN_NAME = re.compile(r"(?<=[^\s.!?:]\s)([A-Z][a-zà-ÿ]+|[A-Z]{2,})\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
_WORD = re.compile(r"[^\W_\u1780-\u17ff]+")  # words in any script but Khmer
_KHMER_RUN = re.compile(r"[\u1780-\u17ff]+")
STOPWORDS = frozenset(
    """
    a an and are as at be been by for from has have he her his in into is it its of on or
    over said say says she that the their them they this to was were which who will with
    after before about against amid new also more than not but

    au aux avec ce ces dans de des du elle en est et il ils la le les leur leurs mais ne
    par pas plus pour qui que sa se ses son sont sur un une apres selon
    """.split()
)


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


@dataclass(frozen=True)
class _Report:
    item: Item
    terms: dict[str, float]
    keys: tuple[str, ...]  # the rarest terms, by which stories are looked up
    concepts: dict[str, float]  # empty unless the batch mixes languages


def cluster_items(
    items: Sequence[Item],
    *,
    threshold: float = THRESHOLD,
    window: timedelta = WINDOW,
    lang: str | None = None,
    concepts: Concepts | None = None,
    known_terms: Mapping[tuple[str, str], Counter[str]] | None = None,
) -> tuple[Story, ...]:
    """Stories with more than one report, each led by its best report.
    Without `concepts`, reports in different languages stay apart.
    `known_terms` holds `term_counts` already worked out, by (title, summary):
    the counts of items parsed in this run, made beside the parsing."""
    stories: list[list[tuple[_Report, float]]] = []
    index: dict[str, set[int]] = defaultdict(set)  # term → stories using it
    reports = _weighted_reports(items, concepts, known_terms or {})
    for report in sorted(reports, key=lambda r: (r.item.date, r.item.id)):
        best, best_score = None, 0.0
        for position in _candidates(report, index):
            story = stories[position]
            if report.item.date - story[0][0].item.date > window:
                continue
            if any(member.item.source_url == report.item.source_url for member, _ in story):
                continue
            score = max(_likeness(report, member, threshold) for member, _ in story)
            if score and score >= best_score:
                best, best_score = position, score
        if best is None:
            best, best_score = len(stories), 1.0
            stories.append([])
        stories[best].append((report, best_score))
        for term in report.keys:
            index[term].add(best)
    found = [_story(group, lang) for group in stories if len(group) > 1]
    return tuple(sorted(found, key=lambda story: story.lead))


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Weighted Jaccard: shared weight over combined weight, 0 to 1."""
    if len(a) > len(b):
        a, b = b, a
    shared = sum(min(weight, b[term]) for term, weight in a.items() if term in b)
    if not shared:
        return 0.0
    total = sum(a.values()) + sum(b.values()) - shared
    return shared / total


def _likeness(a: _Report, b: _Report, threshold: float) -> float:
    """How alike two reports are, or 0 when they are not one story."""
    if a.item.lang == b.item.lang or not (a.concepts and b.concepts):
        score = similarity(a.terms, b.terms)
        return score if score >= threshold else 0.0
    shared = a.concepts.keys() & b.concepts.keys()
    if (
        len(shared) < MIN_SHARED_CONCEPTS
        # One event: the same thing happened, and something pins it down.
        or not any(concept.startswith("event:") for concept in shared)
        or not any(concept.startswith(_ANCHORS) for concept in shared)
        or _different_places(a, b, shared)
    ):
        return 0.0
    score = similarity(a.concepts, b.concepts)
    return score if score >= CROSS_THRESHOLD else 0.0


def _different_places(a: _Report, b: _Report, shared: set[str]) -> bool:
    """Both name places, and none of them the same: two events, not one."""
    return (
        any(c.startswith("place:") for c in a.concepts)
        and any(c.startswith("place:") for c in b.concepts)
        and not any(c.startswith("place:") for c in shared)
    )


def _candidates(report: _Report, index: dict[str, set[int]]) -> list[int]:
    """Stories sharing at least one of this report's key terms, newest first."""
    found: set[int] = set()
    for term in report.keys:
        found.update(index.get(term, ()))
    return sorted(found, reverse=True)


def _weighted_reports(
    items: Sequence[Item],
    concepts: Concepts | None,
    known: Mapping[tuple[str, str], Counter[str]],
) -> list[_Report]:
    counts = [
        known.get((item.title, item.summary)) or term_counts(item.title, item.summary)
        for item in items
    ]
    # Concepts are for comparing reports in two known languages, so only a
    # batch with several gets them, and only its reports of known language.
    languages = {item.lang for item in items if item.lang}
    if concepts is not None and len(languages) > 1:
        found = [item_concepts(item, concepts) if item.lang else Counter() for item in items]
    else:
        found = [Counter() for _ in items]
    rare = max(RARE_FLOOR, RARE_SHARE * len(items))
    terms_rarity, concepts_rarity = _Rarity(counts), _Rarity(found)
    reports = []
    for item, terms, named in zip(items, counts, found, strict=True):
        weighted, weighted_concepts = terms_rarity.weigh(terms), concepts_rarity.weigh(named)
        keys = terms_rarity.rarest(weighted, rare, KEY_TERMS)
        keys += concepts_rarity.rarest(weighted_concepts, rare, CONCEPT_KEYS)
        reports.append(_Report(item, weighted, keys, weighted_concepts))
    return reports


class _Rarity:
    """How many reports of the batch use each term: rare terms weigh most
    (inverse document frequency) and are the keys stories are found by."""

    def __init__(self, counts: Sequence[Counter[str]]) -> None:
        self._size = len(counts)
        self._frequency = Counter(term for terms in counts for term in terms)

    def weigh(self, terms: Counter[str]) -> dict[str, float]:
        size, frequency = self._size, self._frequency
        return {term: n * math.log(1 + size / frequency[term]) for term, n in terms.items()}

    def rarest(self, weighted: dict[str, float], rare: float, count: int) -> tuple[str, ...]:
        chosen = sorted(
            (term for term in weighted if self._frequency[term] <= rare),
            key=lambda term: (-weighted[term], term),
        )
        return tuple(chosen[:count])


def term_counts(title: str, summary: str) -> Counter[str]:
    """A report's terms and how often each comes: the title's twice (it says
    what the story is), then the start of the summary's."""
    start = " ".join(summary.split()[:SUMMARY_WORDS])
    return Counter(_terms(title) * 2 + _terms(start))


def item_concepts(item: Item, concepts: Concepts) -> Counter[str]:
    """The concepts a report names (each once), and the Latin-script names in it."""
    summary = " ".join(item.summary.split()[:SUMMARY_WORDS])
    text = f"{item.title}. {summary}"
    found: set[str] = set()
    khmer = _KHMER_RUN.findall(text)
    # Khmer is matched by its own phrases below; the words need only the rest.
    stems = _content_stems(_KHMER_RUN.sub(" ", text) if khmer else text)
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
    return [stem(word) for word in _WORD.findall(normalise(text)) if word not in STOPWORDS]


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


def _terms(text: str) -> list[str]:
    text = normalise(text)
    terms = [stem(word) for word in _WORD.findall(text) if len(word) > 1 and word not in STOPWORDS]
    if text.isascii():
        return terms
    for run in _KHMER_RUN.findall(text):
        terms.extend(run[i : i + 3] for i in range(len(run) - 2))
    return terms


def _story(group: list[tuple[_Report, float]], lang: str | None) -> Story:
    """The lead is the report to send readers to: one the editor added, then one
    in the edition's language, then the fullest summary, then the first out."""

    def rank(entry: tuple[_Report, float]) -> tuple[bool, bool, int, object, int]:
        item = entry[0].item
        return (
            not item.editor_added,
            lang is not None and item.lang != lang,
            -len(item.summary),
            item.date,
            item.id,
        )

    ordered = sorted(group, key=rank)
    return Story(
        lead=ordered[0][0].item.id,
        members=tuple(report.item.id for report, _ in ordered),
        scores=tuple(round(score, 3) for _, score in ordered),
    )
