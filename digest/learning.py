"""Learn from the editor: stories like ones they left out, or kept, count so.

Pure. Each item the editor left out of an edition, filed under a topic by
hand or added by hand is a labelled example. A new item is compared with
them by what makes stories of one kind alike: the words of their headlines
and their outlet, as the cosine of the two sets ("Giant Bombcast 06-30-2009"
and "Giant Bombcast 12-02-2008" from one feed are alike; two stories that
share only their outlet are not). Examples alike enough raise or lower its
relevance, and the evidence says so ("like 6 stories you left out").
Building the model is one pass over the examples' headlines, done for each
plan, so there is nothing to store and nothing to go stale. It never
overrides a human decision: the items the editor decided on are examples,
not judged, and every edit still wins over the machine when the edition is
planned.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .text import WORD, is_khmer, normalise, stem
from .types import Classification

# How alike (cosine of the headline words and outlet) an example must be to count.
SIMILAR = 0.5
# How far each alike example moves relevance, and how far they all may.
STEP = 0.2
MOST = 0.6
_MIN_WORD = 4  # shorter words are mostly grammar in our three languages
KHMER_RUN = 3


@dataclass(frozen=True)
class Example:
    """One item the editor decided on: its headline and outlet, and the topic
    they kept it under (None: they left it out)."""

    title: str
    topic: str | None
    outlet: str = ""


@dataclass(frozen=True)
class Likeness:
    left_out: int
    kept: int
    topic: str | None  # the commonest topic of the alike stories kept


def _words(title: str, outlet: str) -> frozenset[str]:
    """The headline's content words and the outlet. Khmer, written without
    spaces, gives its runs of three letters instead of words."""
    words: set[str] = set()
    for word in WORD.findall(normalise(title)):
        if is_khmer(word):
            words.update(word[i : i + KHMER_RUN] for i in range(len(word) - KHMER_RUN + 1))
        elif len(word) >= _MIN_WORD:
            words.add(stem(word))
    return frozenset({*words, f"@{outlet}"} if outlet else words)


class EditorModel:
    """The editor's examples, ready to compare new items with."""

    def __init__(self, examples: Iterable[Example]) -> None:
        self._examples = list(examples)
        # word -> the examples that hold it: only shared words are counted.
        self._postings: dict[str, list[int]] = {}
        self._sizes: list[int] = []
        for index, example in enumerate(self._examples):
            words = _words(example.title, example.outlet)
            self._sizes.append(len(words))
            for word in words:
                self._postings.setdefault(word, []).append(index)

    def __len__(self) -> int:
        return len(self._examples)

    def likeness(self, title: str, outlet: str = "") -> Likeness:
        words = _words(title, outlet)
        shared: Counter[int] = Counter()
        for word in words:
            shared.update(self._postings.get(word, ()))
        alike = [
            self._examples[index]
            for index, count in shared.items()
            if count / math.sqrt(len(words) * self._sizes[index]) >= SIMILAR
        ]
        kept = Counter(example.topic for example in alike if example.topic)
        left_out = sum(1 for example in alike if example.topic is None)
        topic = kept.most_common(1)[0][0] if kept else None
        return Likeness(left_out=left_out, kept=sum(kept.values()), topic=topic)


def adjust(
    classification: Classification, likeness: Likeness, threshold: float, labels: dict[str, str]
) -> Classification:
    """The classification moved by what the editor did with alike stories."""
    shift = max(-MOST, min(MOST, STEP * (likeness.kept - likeness.left_out)))
    if not shift:
        return classification
    relevance = round(max(0.0, min(1.0, classification.relevance + shift)), 3)
    if classification.primary and relevance < threshold:
        return replace(
            classification,
            topics=(),
            primary=None,
            relevance=relevance,
            why=f"Out: like {_stories(likeness.left_out)} you left out. {classification.why}",
        )
    if not classification.primary and relevance >= threshold and likeness.topic:
        topic = likeness.topic
        return replace(
            classification,
            topics=(topic,),
            primary=topic,
            confidence=0.5,
            relevance=relevance,
            why=f"In: like {_stories(likeness.kept)} you kept under {labels.get(topic, topic)}.",
        )
    note = (
        f"like {_stories(likeness.left_out)} you left out"
        if shift < 0
        else f"like {_stories(likeness.kept)} you kept"
    )
    return replace(classification, relevance=relevance, why=f"{classification.why} ({note})")


def _stories(count: int) -> str:
    return "1 story" if count == 1 else f"{count} stories"


def judge_all(
    model: EditorModel,
    items: Sequence[tuple[int, str, str, Classification]],
    decided: set[int],
    threshold: float,
    labels: dict[str, str],
) -> dict[int, Classification]:
    """Each item's classification after the editor's examples have had their say;
    the items the editor decided on themselves are left as they are. Items are
    (id, title, outlet, classification)."""
    if not len(model):
        return {key: found for key, *_, found in items}
    return {
        key: found
        if key in decided
        else adjust(found, model.likeness(title, outlet), threshold, labels)
        for key, title, outlet, found in items
    }
