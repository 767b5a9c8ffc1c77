"""Choose what goes into the next edition and in what order.

Pure: given stored items, their classifications, the editor's text and `now`,
return an `Edition`. Nothing is read or written; the caller stores the plan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from .types import (
    Classification,
    Edition,
    EditionItem,
    EditionText,
    Item,
    ItemEdit,
    Section,
    Story,
    Taxonomy,
)
from .urls import reader_url

# Fewer on-topic items than this and the edition opens straight on its sections.
LEAD_MIN_ITEMS = 4
# Where a sentence ends: Latin stops followed by a space, or Khmer's khan.
_SENTENCE_END = re.compile(r"[.!?](?=\s)|[។៕]")
_COENG = "\u17d2"  # Khmer: joins the next consonant below this one


def plan_edition(
    items: Sequence[Item],
    classifications: Mapping[int, Classification],
    *,
    taxonomy: Taxonomy,
    text: EditionText,
    now: datetime,
    max_age: timedelta | None,
    max_items: int,
    summary_chars: int = 0,
    stories: Sequence[Story] = (),
    edits: Mapping[int, ItemEdit] | None = None,
    watched: Mapping[int, tuple[str, ...]] | None = None,
    previously: Mapping[int, datetime] | None = None,
) -> Edition:
    """Window the items, file each under its primary topic, newest first.

    Items older than `max_age` (None: no limit) stay out; so do items dated
    after `now`, which are either mistakes in the feed or embargoed. Off-topic
    items are kept aside for the editor to see, never sent. When there are more
    than `max_items` on-topic items, the newest are kept. A story reported by
    several outlets appears once, under its lead item, with the other reports
    as "also reported by". A topic the editor gave an item by hand wins, and
    so do the editor's `edits`: excluded and held items are set aside (held
    ones are never sent until released), headlines, summaries, sections,
    order and the lead are theirs to choose. `watched` names the watched
    people an item mentions, `previously` when a watched case it continues
    was last in an edition. Summaries longer than `summary_chars` (0: no
    limit) are shown cut short, unless the editor wrote them.
    """
    edits = edits or {}
    window_start = now - max_age if max_age is not None else None
    in_window = [
        item
        for item in items
        if item.date <= now and (window_start is None or item.date >= window_start)
    ]
    in_window.sort(key=lambda item: (item.date, item.id), reverse=True)
    also = _also_reported(in_window, stories, text.lang)
    known = {topic.id for topic in taxonomy.topics}
    hidden = {other.id for others in also.values() for other in others}
    entries = [
        _edited(
            EditionItem(
                item,
                _with_editor_topic(item, item.editor_topic, classifications[item.id], known),
                also.get(item.id, ()),
                previously=(previously or {}).get(item.id),
                watched=(watched or {}).get(item.id, ()),
            ),
            edits.get(item.id),
            known,
            summary_chars,
        )
        for item in in_window
        if item.id not in hidden
    ]
    # Held wins over excluded: a held item is listed once, as held.
    held = tuple(e for e in entries if _edit(edits, e).held)
    excluded = tuple(e for e in entries if _edit(edits, e).excluded and not _edit(edits, e).held)
    shown = [e for e in entries if not (_edit(edits, e).held or _edit(edits, e).excluded)]
    on_topic = [entry for entry in shown if entry.classification.primary][:max_items]
    pinned = [e for e in on_topic if _edit(edits, e).lead]
    lead = pinned[0] if pinned else choose_lead(on_topic)
    sections = []
    for topic in taxonomy.topics:
        filed = [e for e in on_topic if e.classification.primary == topic.id and e is not lead]
        # The editor's order first where given; the rest keep theirs (newest first).
        order = {id(e): (_position(edits, e, n), n) for n, e in enumerate(filed)}
        filed.sort(key=lambda e: order[id(e)])
        if filed:
            sections.append(Section(topic=topic, items=tuple(filed)))
    return Edition(
        slug=edition_slug(text.title, now),
        created=now,
        window_start=window_start,
        text=text,
        sections=tuple(sections),
        off_topic=tuple(entry for entry in shown if not entry.classification.primary),
        lead=lead,
        excluded=excluded,
        held=held,
    )


_NO_EDIT = ItemEdit(item_id=0)


def _edit(edits: Mapping[int, ItemEdit], entry: EditionItem) -> ItemEdit:
    return edits.get(entry.item.id, _NO_EDIT)


def _position(edits: Mapping[int, ItemEdit], entry: EditionItem, default: int) -> float:
    position = _edit(edits, entry).position
    return float(default) if position is None else position


def _edited(
    entry: EditionItem, edit: ItemEdit | None, known: set[str], summary_chars: int
) -> EditionItem:
    """The entry as it will be shown: the editor's headline, summary and
    section where they gave them, else the feed's summary cut to length, and
    every link without its tracking parameters. The stored item is untouched;
    this is a copy."""
    if edit is None or edit.summary is None:
        summary = excerpt(entry.item.summary, summary_chars)
    else:
        summary = edit.summary
    title = (edit.title if edit else None) or entry.item.title
    url = reader_url(entry.item.url)
    if (title, summary, url) != (entry.item.title, entry.item.summary, entry.item.url):
        entry = replace(entry, item=replace(entry.item, title=title, summary=summary, url=url))
    if any(reader_url(other.url) != other.url for other in entry.also):
        also = tuple(replace(other, url=reader_url(other.url)) for other in entry.also)
        entry = replace(entry, also=also)
    if edit is None:
        return entry
    classification = _with_editor_topic(entry.item, edit.topic, entry.classification, known)
    return replace(entry, classification=classification)


def excerpt(text: str, limit: int) -> str:
    """The start of a summary for a bullet, at most `limit` characters (0:
    all of it). Feeds often carry a whole article as their summary, where the
    digest wants its first lines: cut after the last sentence that ends in
    the limit if that keeps half of it, else after the last whole word, with
    "…". Khmer, written without spaces between words, is never cut inside a
    letter cluster."""
    text = text.strip()
    if limit <= 0 or len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    if ends and ends[-1] >= limit // 2:
        return text[: ends[-1]]
    cut = max(text.rfind(" ", 0, limit + 1), text.rfind("\n", 0, limit + 1))
    if cut < limit // 2:  # one long run of letters: cut between two clusters
        cut = limit
        while cut > 1 and (unicodedata.category(text[cut])[0] == "M" or text[cut - 1] == _COENG):
            cut -= 1
    return text[:cut].rstrip(" \n,;:-–—") + "…"


def choose_lead(entries: Sequence[EditionItem]) -> EditionItem | None:
    """The story to open with: the one most outlets reported, then the surest
    match, then the newest. A short edition has no lead: it would leave the
    sections nearly empty."""
    if len(entries) < LEAD_MIN_ITEMS:
        return None
    return max(
        entries,
        key=lambda e: (len(e.also), e.classification.confidence, e.item.date, e.item.id),
    )


def arrange_topics(
    taxonomy: Taxonomy, order: Sequence[str], titles: Mapping[str, str]
) -> Taxonomy:
    """The taxonomy's topics in the editor's section order (topics not named
    keep their order after those named) and under the editor's titles."""
    rank = {topic_id: position for position, topic_id in enumerate(order)}
    ordered = sorted(
        enumerate(taxonomy.topics),
        key=lambda pair: (rank.get(pair[1].id, len(rank)), pair[0]),
    )
    topics = tuple(replace(topic, label=titles.get(topic.id, topic.label)) for _, topic in ordered)
    return replace(taxonomy, topics=topics)


def localise(
    edition: Edition,
    text: EditionText,
    section_titles: Mapping[str, str],
    summary_chars: int = 0,
) -> Edition:
    """The same edition in another language. The editor's choices stay as
    they are (which stories, their order, the lead, what is held or left
    out); the words around them are `text`'s and the sections are headed by
    `section_titles` (topic id → heading; others keep theirs). A story
    reported in the edition's language is shown by that report, with the
    one it replaces among the "also reported by" links."""

    def shown(entry: EditionItem) -> EditionItem:
        return _in_language(entry, text.lang, summary_chars)

    sections = tuple(
        Section(
            topic=replace(
                section.topic, label=section_titles.get(section.topic.id, section.topic.label)
            ),
            items=tuple(shown(entry) for entry in section.items),
        )
        for section in edition.sections
    )
    lead = shown(edition.lead) if edition.lead is not None else None
    return replace(edition, text=text, sections=sections, lead=lead)


def speaks(item: Item, lang: str) -> bool:
    """Whether `item` is written in `lang` ("fr" matches "fr-FR")."""
    return (item.lang or "").split("-")[0].lower() == lang


def _in_language(entry: EditionItem, lang: str, summary_chars: int) -> EditionItem:
    if speaks(entry.item, lang):
        return entry
    own = next((other for other in entry.also if speaks(other, lang)), None)
    if own is None:
        return entry
    others = (entry.item, *(other for other in entry.also if other is not own))
    item = replace(own, summary=excerpt(own.summary, summary_chars))
    return replace(entry, item=item, also=others)


def _also_reported(
    items: Sequence[Item], stories: Sequence[Story], lang: str
) -> dict[int, tuple[Item, ...]]:
    """Shown item id → the story's other reports, counting only items in the
    window. A story reported in several languages is shown in the edition's
    own language where one of its reports is in it; the others are linked."""
    by_id = {item.id: item for item in items}
    also: dict[int, tuple[Item, ...]] = {}
    for story in stories:
        present = [by_id[member] for member in story.members if member in by_id]
        if len(present) > 1:
            shown = next((item for item in present if speaks(item, lang)), present[0])
            also[shown.id] = tuple(item for item in present if item is not shown)
    return also


def _with_editor_topic(
    item: Item, topic: str | None, classification: Classification, known: set[str]
) -> Classification:
    if topic is None or topic not in known:  # a topic since removed from the taxonomy
        return classification
    others = tuple(t for t in classification.topics if t != topic)
    return replace(classification, topics=(topic, *others), primary=topic, set_by_editor=True)


def edition_slug(title: str, now: datetime) -> str:
    """`2026-11-25-cambodia-rights-digest`: sortable by date, readable, ASCII only."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    words = "-".join(words.split("-")[:6]) or "edition"
    return f"{now:%Y-%m-%d}-{words}"
