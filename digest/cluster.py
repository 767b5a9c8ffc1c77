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
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from itertools import chain

from .concepts import (
    KHMER_RUN,
    STOPWORDS,
    SUMMARY_WORDS,
    WORD,
    Concepts,
    ascii_letter_runs,
    item_concepts,
)
from .text import normalise, stem
from .types import Item, Story, StoryItem

THRESHOLD = 0.22
# Reports are compared only with stories sharing one of their rare terms (in
# at most RARE_SHARE of the batch, or RARE_FLOOR items, and in more than one):
# two reports of one event share names and places, and this keeps a large
# batch from comparing everything with everything.
KEY_TERMS = 6
RARE_SHARE = 0.01
RARE_FLOOR = 5
WINDOW = timedelta(days=3)
# Across languages: the weighted share of concepts two reports must have in
# common, and how many concepts at least (one shared place is not a story).
CROSS_THRESHOLD = 0.3
MIN_SHARED_CONCEPTS = 3
CONCEPT_KEYS = 6
# What pins a report to one event: where, which body or person, or a telling detail.
_ANCHORS = ("place:", "body:", "name:", "thing:")
_NONE: Counter[str] = Counter()  # no concepts: shared, never changed


# A summary's length past which a batch keeps only its first SUMMARY_WORDS
# words, all that grouping reads of it (cut only where that saves much, as
# most are shorter): an update with 100,000 items of the month peaked at 311
# MB holding each item whole, 270 MB holding a `StoryItem` so cut.
_LONG_SUMMARY = 1000


def story_item(item: Item) -> StoryItem:
    """An item as story grouping reads it (as the store gives it)."""
    return StoryItem(
        id=item.id,
        source_url=item.source_url,
        date=item.date,
        lang=item.lang,
        editor_added=item.editor_added,
        summary_length=len(item.summary),
        title=item.title,
        summary=item.summary,
    )


class _Report:
    """One item as grouping sees it. Its full weights are worked out when it
    is first compared: most reports share no rare term with any story, and
    are never compared at all."""

    __slots__ = ("item", "keys", "_counts", "_named", "_rarity", "_terms", "_concepts")

    def __init__(
        self,
        item: StoryItem,
        counts: Counter[str],
        named: Counter[str],
        rarity: tuple[_Rarity, _Rarity],
        keys: tuple[str, ...],
    ) -> None:
        self.item = item
        self._counts, self._named, self._rarity = counts, named, rarity
        self._terms: dict[str, float] | None = None
        self._concepts: dict[str, float] | None = None
        self.keys = keys  # the rarest terms and concepts, by which stories are looked up

    @property
    def terms(self) -> dict[str, float]:
        if self._terms is None:
            self._terms = self._rarity[0].weigh(self._counts)
        return self._terms

    @property
    def concepts(self) -> dict[str, float]:
        """Empty unless the batch mixes languages."""
        if self._concepts is None:
            self._concepts = self._rarity[1].weigh(self._named)
        return self._concepts


def cluster_items(
    items: Sequence[Item],
    *,
    threshold: float = THRESHOLD,
    window: timedelta = WINDOW,
    lang: str | None = None,
    concepts: Concepts | None = None,
    known_terms: Mapping[int, Counter[str]] | None = None,
) -> tuple[Story, ...]:
    """Stories with more than one report, each led by its best report.
    Without `concepts`, reports in different languages stay apart.
    `known_terms` holds `term_counts` already worked out, by item id: those
    counted when the items were stored. Items are told apart by their ids."""
    batch = StoryBatch()
    known = known_terms or {}
    for item in items:
        batch.add(story_item(item), known.get(item.id))
    return batch.stories(threshold=threshold, window=window, lang=lang, concepts=concepts)


class StoryBatch:
    """The reports to group, gathered as they come (an update adds each
    feed's items as it stores them), with how many of them use each term.

    Only placing reports in stories waits for the whole batch: a report
    joins the story of the report it most resembles among those dated
    before it, by weights that depend on how rare its terms are in the
    whole batch. Placed as they arrived, the sample's feeds gave other
    stories in 360 of their 720 arrival orders; placed at the end, the
    stories are the same whatever the order."""

    def __init__(self) -> None:
        self._reports: dict[int, tuple[StoryItem, Counter[str]]] = {}
        self._frequency: Counter[str] = Counter()  # reports using each term

    def add(self, item: StoryItem, counts: Counter[str] | None = None) -> None:
        """Add an item, or replace the one of the same id; `counts` are its
        `term_counts` when already worked out."""
        counts = counts or term_counts(item.title, item.summary)
        if len(item.summary) > _LONG_SUMMARY:
            item = item._replace(summary=" ".join(item.summary.split()[:SUMMARY_WORDS]))
        self.discard(item.id)
        self._reports[item.id] = (item, counts)
        self._frequency.update(counts.keys())

    def discard(self, item_id: int) -> None:
        replaced = self._reports.pop(item_id, None)
        if replaced is not None:
            self._frequency.subtract(replaced[1].keys())

    @property
    def ids(self) -> set[int]:
        return set(self._reports)

    def stories(
        self,
        *,
        threshold: float = THRESHOLD,
        window: timedelta = WINDOW,
        lang: str | None = None,
        concepts: Concepts | None = None,
    ) -> tuple[Story, ...]:
        """Stories with more than one report, each led by its best report."""
        stories: list[list[tuple[_Report, float]]] = []
        index: dict[str, set[int]] = defaultdict(set)  # term → stories using it
        for report in sorted(self._keyed(concepts), key=lambda r: (r.item.date, r.item.id)):
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

    def _keyed(self, concepts: Concepts | None) -> list[_Report]:
        """Each report that has a rare term or concept, with the rarities of
        the batch. One with none finds no story, and no later report can find
        its own: it would stay a story of one, which is not reported."""
        items = [item for item, _ in self._reports.values()]
        # Concepts are for comparing reports in two known languages, so only a
        # batch with several gets them, and only its reports of known language.
        languages = {item.lang for item in items if item.lang}
        if concepts is not None and len(languages) > 1:
            found = [item_concepts(item, concepts) if item.lang else _NONE for item in items]
        else:
            found = [_NONE] * len(items)
        size = len(items)
        rare = max(RARE_FLOOR, RARE_SHARE * size)
        rarity = (
            _Rarity(size, self._frequency, rare),
            _Rarity(size, Counter(chain.from_iterable(found)), rare),
        )
        by_term, by_concept = rarity
        keyed = []
        for (item, counts), named in zip(self._reports.values(), found, strict=True):
            keys = by_term.rarest(counts, KEY_TERMS) + by_concept.rarest(named, CONCEPT_KEYS)
            if keys:
                keyed.append(_Report(item, counts, named, rarity, keys))
        return keyed


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


class _Rarity:
    """How many reports of the batch use each term: rare terms weigh most
    (inverse document frequency) and are the keys stories are found by."""

    def __init__(self, size: int, frequency: Counter[str], rare: float) -> None:
        self._size = size
        self._frequency = frequency  # how many reports use each term
        # The terms used by at most `rare` reports, and by more than one: the
        # only ones a report's keys are chosen among (found for each report by
        # a set operation). A term no other report uses can find nothing, and
        # as a key it would only crowd out one that can.
        self._rare = {term for term, used in frequency.items() if 1 < used <= rare}

    def weigh(self, terms: Counter[str]) -> dict[str, float]:
        size, frequency = self._size, self._frequency
        return {term: n * math.log(1 + size / frequency[term]) for term, n in terms.items()}

    def rarest(self, terms: Counter[str], count: int) -> tuple[str, ...]:
        """The `count` heaviest of the rare terms among `terms`."""
        found = terms.keys() & self._rare
        if not found:
            return ()
        size, frequency = self._size, self._frequency
        weighted = {term: terms[term] * math.log(1 + size / frequency[term]) for term in found}
        chosen = sorted(weighted, key=lambda term: (-weighted[term], term))
        return tuple(chosen[:count])


def term_counts(title: str, summary: str) -> Counter[str]:
    """A report's terms and how often each comes: the title's twice (it says
    what the story is), then the start of the summary's."""
    return Counter(_report_terms(title, summary))


def counted_terms(title: str, summary: str) -> str:
    """A report's terms as text to store, each as often as it comes, for
    `decode_terms` to count. Terms hold no spaces (words, or runs of three
    Khmer letters)."""
    return " ".join(_report_terms(title, summary))


def decode_terms(text: str) -> Counter[str]:
    # Interned: a month of items names the same few thousand terms again and
    # again, and one string each saved 1.7 KB an item.
    return Counter(map(sys.intern, text.split()))


def _report_terms(title: str, summary: str) -> list[str]:
    start = " ".join(summary.split()[:SUMMARY_WORDS])
    return _terms(title) * 2 + _terms(start)


class _TermOf(dict[str | bytes, str]):
    """Each word's term: its stem, or "" for a stopword or a single letter;
    worked out the first time a word is met, then looked up (in C). Words
    of ASCII text come as bytes (`concepts.ascii_letter_runs`)."""

    def __missing__(self, key: str | bytes) -> str:
        if len(self) > _TERM_CACHE_SIZE:
            self.clear()  # past its bound, the memory starts again
        word = key.decode() if isinstance(key, bytes) else key
        term = "" if len(word) < 2 or word in STOPWORDS else stem(word)
        self[key] = term
        return term


_TERM_CACHE_SIZE = 200_000
_term_of = _TermOf()


def _terms(text: str) -> list[str]:
    text = normalise(text)
    if text.isascii():
        return list(filter(None, map(_term_of.__getitem__, ascii_letter_runs(text))))
    terms = list(filter(None, map(_term_of.__getitem__, WORD.findall(text))))
    for run in KHMER_RUN.findall(text):
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
            -item.summary_length,
            item.date,
            item.id,
        )

    ordered = sorted(group, key=rank)
    return Story(
        lead=ordered[0][0].item.id,
        members=tuple(report.item.id for report, _ in ordered),
        scores=tuple(round(score, 3) for _, score in ordered),
    )
