"""Choosing the edition's items: window, grouping, order, limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from digest.select import edition_slug, plan_edition
from digest.types import Classification, EditionText, Item, Story, Taxonomy, Topic

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
TAXONOMY = Taxonomy(topics=(Topic("first", "First", "d"), Topic("second", "Second", "d")))
TEXT = EditionText("Weekly digest", "Org", "Hello,", "Intro", "Closing", "Sig")


def item(item_id: int, days_ago: float) -> Item:
    when = NOW - timedelta(days=days_ago)
    return Item(
        id=item_id, source_url="s", outlet="O", guid=str(item_id), url=f"https://x/{item_id}",
        canonical_url=f"https://x/{item_id}", title=f"Story {item_id}", summary="",
        published=when, first_seen=when, updated=when,
    )  # fmt: skip


def filed(primary: str | None) -> Classification:
    topics = (primary,) if primary else ()
    return Classification(topics=topics, primary=primary, confidence=0.7)


def plan(items: list[Item], primaries: dict[int, str | None], **options: object):  # type: ignore[no-untyped-def]
    settings = {"max_age": timedelta(days=7), "max_items": 40, **options}
    return plan_edition(
        items,
        {i: filed(p) for i, p in primaries.items()},
        taxonomy=TAXONOMY,
        text=TEXT,
        now=NOW,
        **settings,  # type: ignore[arg-type]
    )


def test_sections_follow_the_taxonomy_order_and_items_are_newest_first() -> None:
    edition = plan([item(1, 3), item(2, 1), item(3, 2)], {1: "second", 2: "first", 3: "second"})
    assert [s.topic.id for s in edition.sections] == ["first", "second"]
    assert [e.item.id for e in edition.sections[1].items] == [3, 1]


def test_items_outside_the_window_or_in_the_future_stay_out() -> None:
    edition = plan([item(1, 8), item(2, 6), item(3, -1)], {1: "first", 2: "first", 3: "first"})
    assert [e.item.id for e in edition.items] == [2]
    assert edition.window_start == NOW - timedelta(days=7)


def test_no_window_takes_everything_stored() -> None:
    edition = plan([item(1, 400), item(2, 1)], {1: "first", 2: "first"}, max_age=None)
    assert [e.item.id for e in edition.items] == [2, 1]


def test_off_topic_items_are_kept_aside() -> None:
    edition = plan([item(1, 1), item(2, 1)], {1: "first", 2: None})
    assert [e.item.id for e in edition.items] == [1]
    assert [e.item.id for e in edition.off_topic] == [2]


def test_the_newest_items_are_kept_when_there_are_too_many() -> None:
    items = [item(i, i) for i in range(1, 6)]
    edition = plan(items, {i: "first" for i in range(1, 6)}, max_items=3)
    assert [e.item.id for e in edition.items] == [1, 2, 3]


def test_slug_is_dated_and_ascii() -> None:
    assert (
        edition_slug("Le Courrier : édition spéciale!", NOW)
        == "2026-11-25-le-courrier-edition-speciale"
    )
    assert edition_slug("សេចក្តីសង្ខេប", NOW) == "2026-11-25-edition"


def test_a_story_appears_once_under_its_lead_with_the_other_reports() -> None:
    items = [item(1, 1), item(2, 1.5), item(3, 2), item(4, 3)]
    story = Story(lead=2, members=(2, 1, 4), scores=(1.0, 0.4, 0.3))
    edition = plan(items, {1: "first", 2: "second", 3: "first", 4: "first"}, stories=[story])
    placed = {entry.item.id: entry for entry in edition.items}
    assert sorted(placed) == [2, 3]
    assert [other.id for other in placed[2].also] == [1, 4]
    assert placed[2].classification.primary == "second"


def test_a_story_counts_only_reports_in_the_window() -> None:
    items = [item(1, 1), item(2, 30)]
    edition = plan(items, {1: "first", 2: "first"}, stories=[Story(2, (2, 1), (1.0, 0.5))])
    assert [(e.item.id, e.also) for e in edition.items] == [(1, ())]


def test_the_editors_topic_wins_over_the_classifier() -> None:
    chosen = replace(item(1, 1), editor_topic="second")
    stale = replace(item(2, 1), editor_topic="topic-since-removed")
    edition = plan([chosen, stale], {1: "first", 2: "first"})
    sections = {s.topic.id: [e.item.id for e in s.items] for s in edition.sections}
    assert sections == {"first": [2], "second": [1]}
    assert edition.sections[1].items[0].classification.set_by_editor
