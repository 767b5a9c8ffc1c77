"""File the items of the next edition: classify, learn from the editor, apply the focus.

Pure: the façade gathers what is stored (items, the watched names they
mention, the editor's examples, which feeds are curated) and passes it in.
The three steps, in order:

1. `classify.Classifier`: scope, section and evidence, from the words;
2. `learning`: stories like ones the editor left out or kept move relevance;
3. `focus`: a story in scope from a general outlet that names no place of
   the digest's focus is left out, saying so.

The editor's own decisions (edits, hand-added items) are applied later, by
`select.plan_edition`, and always win.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .classify import Classifier
from .focus import FocusMatcher, outside_focus
from .learning import EditorModel, judge_all
from .types import Classification, Evidence, Item


@dataclass(frozen=True)
class Filing:
    """What filing needs besides the items: the compiled parts and the facts."""

    classifier: Classifier
    model: EditorModel
    # The items the editor decided on themselves: examples, never judged.
    decided: frozenset[int] = frozenset()
    focus: FocusMatcher | None = None
    curated: frozenset[str] = frozenset()  # feed URLs marked curated


def file_items(
    items: Sequence[Item], filing: Filing, watched: Mapping[int, Sequence[Evidence]]
) -> dict[int, Classification]:
    """Each item's classification, keyed by item id."""
    taxonomy = filing.classifier.taxonomy
    labels = {topic.id: topic.label for topic in taxonomy.topics}
    threshold = taxonomy.scope.threshold if taxonomy.scope else 0.5
    classified = [
        (
            item.id,
            item.title,
            item.outlet,
            filing.classifier.classify(
                item.title, item.summary, item.lang, watched.get(item.id, ())
            ),
        )
        for item in items
    ]
    filed = judge_all(filing.model, classified, set(filing.decided), threshold, labels)
    if filing.focus is None:
        return filed
    for item in items:
        found = filed[item.id]
        if found.primary is None or _in_focus_anyway(item, filing, watched):
            continue
        if filing.focus.place(item.title, item.summary) is None:
            filed[item.id] = outside_focus(found, filing.focus.label, labels[found.primary])
    return filed


def _in_focus_anyway(
    item: Item, filing: Filing, watched: Mapping[int, Sequence[Evidence]]
) -> bool:
    """Hand-added, from a curated feed, or naming someone the editor watches."""
    return item.editor_added or item.source_url in filing.curated or bool(watched.get(item.id))
