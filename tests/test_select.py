"""Choosing the edition's items: window, grouping, order, limits."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from digest.parse import parse_feed
from digest.select import edition_slug, excerpt, plan_edition
from digest.types import (
    Classification,
    EditionText,
    FeedSource,
    FetchResult,
    Item,
    ItemEdit,
    Story,
    Taxonomy,
    Topic,
)

from .conftest import shared_fixture

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


ARTICLE = (
    "Police detained the union's president at dawn on Monday. "
    "Colleagues said officers gave no reason and showed no warrant. "
) * 12
KHMER = "សកម្មជនបរិស្ថានបីនាក់ត្រូវបានតុលាការកាត់ទោសឱ្យជាប់ពន្ធនាគារប្រាំឆ្នាំ" * 10


def test_a_whole_article_in_a_feed_summary_is_shown_as_its_first_sentences() -> None:
    cut = excerpt(ARTICLE, 200)
    assert cut == ARTICLE[: len(cut)] and len(cut) <= 200
    # Three sentences fit in 200 characters (176), not four (239).
    assert cut.endswith("at dawn on Monday.") and len(cut) == 176, "the last that fits"
    assert excerpt("Short and whole.", 200) == "Short and whole."
    assert excerpt(ARTICLE, 0) == ARTICLE.strip(), "0: no limit"


def test_without_a_sentence_end_the_cut_falls_between_words() -> None:
    words = "the court adjourned the hearing of the land defenders " * 20
    cut = excerpt(words, 100)
    assert cut.endswith("…") and len(cut) <= 101
    assert words.startswith(cut[:-1]) and words[len(cut) - 1] == " ", "a whole word"


def test_khmer_is_never_cut_inside_a_letter_cluster() -> None:
    for limit in range(40, 80):
        cut = excerpt(KHMER, limit)[:-1]
        rest = KHMER[len(cut) :]
        assert KHMER.startswith(cut) and len(cut) <= limit
        assert not cut.endswith("\u17d2"), "a subscript joiner waits for its consonant"
        assert not unicodedata.category(rest[0]).startswith("M"), "a vowel sign stays on"


def test_long_summaries_are_cut_for_the_email_but_the_editors_are_not() -> None:
    long_one, written = replace(item(1, 1), summary=ARTICLE), replace(item(2, 1), summary="x")
    edits = {2: ItemEdit(item_id=2, summary=ARTICLE)}
    edition = plan([long_one, written], {1: "first", 2: "first"}, summary_chars=300, edits=edits)
    shown = {e.item.id: e.item.summary for e in edition.items}
    assert len(shown[1]) <= 300 and ARTICLE.startswith(shown[1])
    assert shown[2] == ARTICLE, "what the editor wrote is theirs"
    assert long_one.summary == ARTICLE, "the stored item keeps the whole text"


def test_real_feeds_carrying_whole_articles_give_short_bullets() -> None:
    path = shared_fixture("real-feeds", "rss-parser", "many-links.rss")
    fetched = FetchResult(url="https://testing.example/feed", content=path.read_bytes())
    parsed = parse_feed(FeedSource(url=fetched.url), fetched)
    items = [replace(item(n, 1), summary=entry.summary) for n, entry in enumerate(parsed.items, 1)]
    assert max(len(i.summary) for i in items) > 5000, "the feed carries whole articles"
    edition = plan(items, dict.fromkeys(range(1, len(items) + 1), "first"), summary_chars=400)
    assert edition.items and max(len(e.item.summary) for e in edition.items) <= 401


def test_a_story_in_several_languages_is_shown_in_the_editions_own() -> None:
    english = item(1, 1)
    french = replace(item(2, 1.5), lang="fr", title="Un syndicaliste condamné")
    khmer = replace(item(3, 2), lang="km", title="មេដឹកនាំសហជីពត្រូវបានកាត់ទោស")
    story = Story(lead=1, members=(1, 2, 3))
    primaries: dict[int, str | None] = {1: "first", 2: "first", 3: "first"}
    for lang, shown, others in (("fr", 2, [1, 3]), ("km", 3, [1, 2]), ("en", 1, [2, 3])):
        edition = plan_edition(
            [english, french, khmer],
            {i: filed(p) for i, p in primaries.items()},
            taxonomy=TAXONOMY,
            text=replace(TEXT, lang=lang),
            now=NOW,
            max_age=timedelta(days=7),
            max_items=40,
            stories=[story],
        )
        [entry] = edition.items
        assert entry.item.id == shown, lang
        assert [other.id for other in entry.also] == others, lang
