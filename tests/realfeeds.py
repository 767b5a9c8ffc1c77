"""The entries of ../shared/fixtures/real-feeds, with our hand labels.

Real publishers' feeds (the Guardian, the Washington Post, heise, UOL,
podcasts, a classifieds feed...) are read in place, never copied in, and parsed
as press-digest parses any feed. Each distinct entry gets a key (a hash of its
file, GUID and title) under which tests/data/real_feed_labels.json records
whether it is in the digest's scope. The labels file keeps no text of the
feeds, only keys, labels and our own notes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from digest.errors import FeedError
from digest.parse import parse_feed
from digest.types import FeedSource, FetchResult

ROOT = Path(__file__).resolve().parent.parent
REAL_FEEDS = ROOT.parent / "shared" / "fixtures" / "real-feeds"
LABELS = ROOT / "tests" / "data" / "real_feed_labels.json"
FEED_SUFFIXES = {".xml", ".rss", ".atom"}


@dataclass(frozen=True)
class RealEntry:
    key: str
    file: str
    title: str
    summary: str
    lang: str | None


def entry_key(file: str, guid: str, title: str) -> str:
    return hashlib.sha1(f"{file}\0{guid}\0{title}".encode()).hexdigest()[:12]


def read_entries(base: Path = REAL_FEEDS) -> Iterator[RealEntry]:
    """Every distinct entry (by title and summary) of every feed file under `base`."""
    seen: set[tuple[str, str]] = set()
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.suffix not in FEED_SUFFIXES:
            continue
        content = path.read_bytes()
        if content[:2] == b"\x1f\x8b":  # served gzip-encoded in real life
            content = gzip.decompress(content)
        url = f"https://publisher.example/{path.name}"
        try:
            feed = parse_feed(FeedSource(url=url, name=path.stem), FetchResult(url, content))
        except FeedError:
            continue
        file = path.relative_to(base).as_posix()
        for item in feed.items:
            if (item.title, item.summary) in seen:
                continue
            seen.add((item.title, item.summary))
            yield RealEntry(
                entry_key(file, item.guid, item.title), file, item.title, item.summary, item.lang
            )


def read_labels() -> dict[str, dict[str, str]]:
    """Key → {"scope": "in" | "out" | "unsure", "primary"?, "note"?}."""
    raw = json.loads(LABELS.read_text("utf-8"))
    labels: dict[str, dict[str, str]] = {}
    for group in raw["files"]:
        for key in group["out"]:
            labels[key] = {"scope": "out"}
        for key, label in group.get("other", {}).items():
            labels[key] = label
    return labels


def labelled_entries() -> list[tuple[RealEntry, dict[str, str]]]:
    labels = read_labels()
    return [(entry, labels[entry.key]) for entry in read_entries() if entry.key in labels]
