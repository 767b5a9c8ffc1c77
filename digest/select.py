"""Choose what goes into the next edition and in what order.

Pure: given stored items, their classifications, the editor's text and `now`,
return an `Edition`. Nothing is read or written; the caller stores the plan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from .types import Classification, Edition, EditionItem, EditionText, Item, Section, Taxonomy


def plan_edition(
    items: Sequence[Item],
    classifications: Mapping[int, Classification],
    *,
    taxonomy: Taxonomy,
    text: EditionText,
    now: datetime,
    max_age: timedelta | None,
    max_items: int,
) -> Edition:
    """Window the items, file each under its primary topic, newest first.

    Items older than `max_age` (None: no limit) stay out; so do items dated
    after `now`, which are either mistakes in the feed or embargoed. Off-topic
    items are kept aside for the editor to see, never sent. When there are more
    than `max_items` on-topic items, the newest are kept.
    """
    window_start = now - max_age if max_age is not None else None
    in_window = [
        item
        for item in items
        if item.date <= now and (window_start is None or item.date >= window_start)
    ]
    in_window.sort(key=lambda item: (item.date, item.id), reverse=True)
    entries = [EditionItem(item, classifications[item.id]) for item in in_window]
    on_topic = [entry for entry in entries if entry.classification.primary][:max_items]
    sections = []
    for topic in taxonomy.topics:
        filed = tuple(e for e in on_topic if e.classification.primary == topic.id)
        if filed:
            sections.append(Section(topic=topic, items=filed))
    return Edition(
        slug=edition_slug(text.title, now),
        created=now,
        window_start=window_start,
        text=text,
        sections=tuple(sections),
        off_topic=tuple(entry for entry in entries if not entry.classification.primary),
    )


def edition_slug(title: str, now: datetime) -> str:
    """`2026-11-25-cambodia-rights-digest`: sortable by date, readable, ASCII only."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    words = "-".join(words.split("-")[:6]) or "edition"
    return f"{now:%Y-%m-%d}-{words}"
