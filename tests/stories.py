"""Labelled pairs of reports in different languages (tests/data/story_pairs.json),
clustered among the bundled sample feeds' items so that word rarity is
weighed as in a real batch. Shared by tests/test_cluster.py and
bench/stories_eval.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from digest.bundled import bundled_concepts
from digest.cluster import cluster_items
from digest.parse import parse_feed
from digest.types import FeedSource, FetchResult, Item

from .conftest import ROOT

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
PAIRS: list[dict[str, Any]] = json.loads(
    (ROOT / "tests/data/story_pairs.json").read_text("utf-8")
)["pairs"]


def as_item(number: int, outlet: str, title: str, summary: str, lang: str | None) -> Item:
    url = f"https://{outlet}.example/{number}"
    return Item(
        id=number, source_url=f"https://{outlet}.example/feed", outlet=outlet, guid=url,
        url=url, canonical_url=url, title=title, summary=summary, published=NOW,
        first_seen=NOW, updated=NOW, lang=lang,
    )  # fmt: skip


@cache
def background() -> tuple[Item, ...]:
    """The sample feeds' items."""
    items: list[Item] = []
    for path in sorted((ROOT / "feeds/sample").iterdir()):
        fetched = FetchResult(url=path.as_uri(), content=path.read_bytes(), status=200)
        for entry in parse_feed(FeedSource(url=path.as_uri()), fetched).items:
            number = 1000 + len(items)
            items.append(as_item(number, f"bg{number}", entry.title, entry.summary, entry.lang))
    return tuple(items)


def pair_items(pair: dict[str, Any]) -> tuple[Item, Item]:
    a, b = pair["a"], pair["b"]
    return (
        as_item(1, "first", a["title"], a["summary"], a["lang"]),
        as_item(2, "second", b["title"], b["summary"], b["lang"]),
    )


def grouped(pair: dict[str, Any]) -> bool:
    """Whether the pair's two reports end up in one story."""
    first, second = pair_items(pair)
    stories = cluster_items([first, second, *background()], concepts=bundled_concepts())
    return any({first.id, second.id} <= set(story.members) for story in stories)
