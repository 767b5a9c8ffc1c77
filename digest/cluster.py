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
vague item cannot glue two stories together. Reports in different languages
rarely share words and are left apart.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from .classify import normalise, stem
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
class _Report:
    item: Item
    terms: dict[str, float]
    keys: tuple[str, ...]  # the rarest terms, by which stories are looked up


def cluster_items(
    items: Sequence[Item],
    *,
    threshold: float = THRESHOLD,
    window: timedelta = WINDOW,
    lang: str | None = None,
) -> tuple[Story, ...]:
    """Stories with more than one report, each led by its best report."""
    stories: list[list[tuple[_Report, float]]] = []
    index: dict[str, set[int]] = defaultdict(set)  # term → stories using it
    for report in sorted(_weighted_reports(items), key=lambda r: (r.item.date, r.item.id)):
        best, best_score = None, threshold
        for position in _candidates(report, index):
            story = stories[position]
            if report.item.date - story[0][0].item.date > window:
                continue
            if any(member.item.source_url == report.item.source_url for member, _ in story):
                continue
            score = max(similarity(report.terms, member.terms) for member, _ in story)
            if score >= best_score:
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


def _candidates(report: _Report, index: dict[str, set[int]]) -> list[int]:
    """Stories sharing at least one of this report's key terms, newest first."""
    found: set[int] = set()
    for term in report.keys:
        found.update(index.get(term, ()))
    return sorted(found, reverse=True)


def _weighted_reports(items: Sequence[Item]) -> list[_Report]:
    counts = [_term_counts(item) for item in items]
    frequency = Counter(term for terms in counts for term in terms)
    size = len(items)
    rare = max(RARE_FLOOR, RARE_SHARE * size)
    reports = []
    for item, terms in zip(items, counts, strict=True):
        weighted = {
            term: count * math.log(1 + size / frequency[term]) for term, count in terms.items()
        }
        keys = sorted(
            (term for term in weighted if frequency[term] <= rare),
            key=lambda term: (-weighted[term], term),
        )[:KEY_TERMS]
        reports.append(_Report(item, weighted, tuple(keys)))
    return reports


def _term_counts(item: Item) -> Counter[str]:
    summary = " ".join(item.summary.split()[:SUMMARY_WORDS])
    # The title counts twice: it says what the story is.
    return Counter(_terms(item.title) * 2 + _terms(summary))


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
