"""Labelled pairs of reports in different languages (tests/data/story_pairs.json),
clustered among the bundled sample feeds' items so that word rarity is
weighed as in a real batch. Shared by tests/test_cluster.py and
bench/stories_eval.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from digest.bundled import bundled_concepts
from digest.cluster import cluster_items
from digest.config import load_config
from digest.core import Digest, open_digest
from digest.parse import parse_feed
from digest.types import FeedSource, FetchResult, Item

from .conftest import ROOT

# The sample feeds' news is from the week before: grouping looks a month back.
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


def on_sample_clock(digest: Digest, at: datetime = NOW) -> Digest:
    digest._now = lambda: at  # type: ignore[method-assign]
    return digest


def sample_digest(tmp_path: Path, at: datetime = NOW) -> Digest:
    """The sample, updated once on its own clock, in a database of its own."""
    config = load_config(ROOT / "digest.example.toml")
    config = replace(config, paths=replace(config.paths, database=tmp_path / "d.sqlite3"))
    digest = on_sample_clock(open_digest(config), at)
    digest.update()
    return digest
