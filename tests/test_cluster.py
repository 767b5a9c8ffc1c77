"""Grouping reports of one event: the sample's stories, and what must stay apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from digest.cluster import cluster_items, similarity
from digest.config import load_config
from digest.core import open_digest
from digest.types import Item

from .conftest import ROOT

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def report(item_id: int, outlet: str, title: str, summary: str = "", **extra: object) -> Item:
    when = extra.pop("when", NOW)
    return Item(
        id=item_id, source_url=f"https://{outlet}.example/feed", outlet=outlet, guid=str(item_id),
        url=f"https://{outlet}.example/{item_id}", canonical_url=f"https://{outlet}.example/{item_id}",
        title=title, summary=summary, published=when, first_seen=when, updated=when,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


UNION = report(
    1,
    "dispatch",
    "Union leader jailed for two years after casino strike",
    "A Phnom Penh court sentenced casino union leader Sok Rathana to two years.",
)
UNION_AGAIN = report(
    2,
    "observer",
    "Court jails casino union leader Sok Rathana for two years",
    "Sok Rathana, who led the casino strike, was sentenced on Tuesday.",
)
OTHER_ARREST = report(
    3,
    "bulletin",
    "Opposition youth activist arrested over Facebook post",
    "Police in Siem Reap arrested a youth activist on Monday.",
)
FILLER = [
    report(10 + n, f"outlet{n}", title, "")
    for n, title in enumerate(
        [
            "Rice exporters expect record shipments",
            "Election body strikes candidates from the ballot",
            "Monk beaten after land protest",
            "Radio station loses licence",
            "Garment workers' protest dispersed",
        ]
    )
]


def test_two_reports_of_one_event_are_one_story() -> None:
    stories = cluster_items([UNION, UNION_AGAIN, OTHER_ARREST, *FILLER])
    assert [set(story.members) for story in stories] == [{1, 2}]


def test_the_same_outlet_never_makes_a_story_with_itself() -> None:
    same_outlet = replace(UNION_AGAIN, source_url=UNION.source_url)
    assert cluster_items([UNION, same_outlet, *FILLER]) == ()


def test_reports_days_apart_are_different_stories() -> None:
    later = replace(UNION_AGAIN, published=NOW + timedelta(days=5))
    assert cluster_items([UNION, later, *FILLER]) == ()


def test_the_lead_is_the_editors_then_the_editions_language_then_the_fullest() -> None:
    french = replace(UNION_AGAIN, lang="fr", summary=UNION_AGAIN.summary * 3)
    story = cluster_items([replace(UNION, lang="en"), french, *FILLER], lang="en")[0]
    assert story.lead == 1
    story = cluster_items([UNION, replace(UNION_AGAIN, summary=UNION.summary + " More.")])[0]
    assert story.lead == 2
    story = cluster_items([replace(UNION, editor_added=True), UNION_AGAIN, *FILLER])[0]
    assert story.lead == 1


def test_similarity_is_symmetric_and_bounded() -> None:
    a, b = {"casino": 2.0, "union": 1.0}, {"casino": 1.0, "court": 1.0}
    assert similarity(a, b) == similarity(b, a) == 1 / 4
    assert similarity(a, a) == 1.0 and similarity(a, {}) == 0.0


def test_in_the_sample_only_the_casino_union_reports_are_grouped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = load_config(ROOT / "digest.example.toml")
    config = replace(config, paths=replace(config.paths, database=tmp_path / "d.sqlite3"))
    with open_digest(config) as digest:
        digest.update()
        items = {item.id: item for item in digest.store.items()}
        stories = digest.stories()
    titles = [sorted(items[m].outlet for m in story.members) for story in stories]
    assert titles == [["Mekong Dispatch", "Phnom Penh Observer"]]
