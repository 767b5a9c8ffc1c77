"""Which feed parser, measured: `make bench-parsers`, run by hand.

On the real publishers' feeds of ../shared/fixtures/real-feeds and on a
generated 50-item RSS feed, in this process and on one core:

- speed: median CPU time of feedparser (our reference), of our lxml reader
  (plainfeed.py) alone and of the whole parse_feed fast path (reading,
  sanitising, checking each entry) against the same parse_feed through
  feedparser, and of fastfeedparser and feedparser-rs when they are
  installed (`pip install fastfeedparser feedparser-rs`; not dependencies);
- agreement with feedparser: the feeds whose entries' titles and links
  differ from feedparser's, for each; for our reader, the feeds it takes and
  whether their stored items differ (tests/test_plainfeed.py asserts none).
"""

from __future__ import annotations

import importlib
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import feed_body  # noqa: E402
from digest.parse import parse_feed  # noqa: E402
from digest.plainfeed import PlainFeed, read_plain_feed  # noqa: E402
from digest.types import FeedSource, FetchResult  # noqa: E402

REAL_FEEDS = ROOT.parent / "shared" / "fixtures" / "real-feeds"
URL = "https://news.example/feed"
HEADERS = {"content-type": "application/xml"}


def cpu_ms(action: Callable[[], object], runs: int = 30) -> float:
    action()
    timings = []
    for _ in range(runs):
        started = time.process_time()
        action()
        timings.append(time.process_time() - started)
    return statistics.median(timings) * 1000


def titles_and_links(entries: Any) -> list[tuple[str, str]]:
    found = []
    for entry in entries:
        get = entry.get if hasattr(entry, "get") else lambda key, e=entry: getattr(e, key, None)
        found.append((str(get("title") or "").strip(), str(get("link") or "").strip()))
    return found


def main() -> None:
    import feedparser

    others: dict[str, Callable[[bytes], Any]] = {}
    for module, name in (("fastfeedparser", "fastfeedparser"), ("feedparser_rs", "feedparser-rs")):
        try:
            others[name] = importlib.import_module(module).parse
        except ImportError:
            print(f"({name} is not installed: pip install {name} to compare it)")

    def reference(body: bytes) -> Any:
        return feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False).entries

    def ours(body: bytes, fast: bool = True) -> Any:
        fetched = FetchResult(url=URL, content=body, headers=tuple(HEADERS.items()))
        return parse_feed(FeedSource(url=URL), fetched, fast=fast)

    body = feed_body(1, random.Random(7))
    print(f"one generated feed, 50 items, {len(body) / 1024:.1f} KB: median CPU of 30 runs")
    base = cpu_ms(lambda: reference(body))
    print(f"  feedparser.parse                      {base:7.2f} ms   1.0x")
    for name, parse in others.items():
        spent = cpu_ms(lambda parse=parse: parse(body))  # type: ignore[misc]
        print(f"  {name:<37} {spent:7.2f} ms   {base / spent:.1f}x")
    reader = cpu_ms(lambda: read_plain_feed(body, HEADERS))
    print(f"  plainfeed (our lxml reader) alone     {reader:7.2f} ms   {base / reader:.1f}x")
    slow = cpu_ms(lambda: ours(body, fast=False))
    fast = cpu_ms(lambda: ours(body))
    print(f"  parse_feed through feedparser         {slow:7.2f} ms")
    print(f"  parse_feed, fast path                 {fast:7.2f} ms   {slow / fast:.1f}x")

    if not REAL_FEEDS.is_dir():
        print(f"\n{REAL_FEEDS} is absent: the real feeds' measures are skipped")
        return
    files = sorted(p for p in REAL_FEEDS.rglob("*") if p.is_file() and p.name != "LICENSE")
    bodies = [p.read_bytes() for p in files]
    print(f"\n{len(files)} real feeds ({sum(map(len, bodies)) / 1e6:.1f} MB): CPU for all of them")
    expected = []
    started = time.process_time()
    for content in bodies:
        expected.append(titles_and_links(reference(content)))
    base = time.process_time() - started
    print(f"  feedparser.parse                      {base * 1000:7.0f} ms")
    for name, parse in others.items():
        differ, started = 0, time.process_time()
        for content, wanted in zip(bodies, expected, strict=True):
            try:
                got = titles_and_links(parse(content).entries)
            except Exception:  # noqa: BLE001 (a failure is a disagreement, counted)
                got = []
            differ += got != wanted
        spent = time.process_time() - started
        print(
            f"  {name:<37} {spent * 1000:7.0f} ms   titles or links differ on {differ} of "
            f"{len(files)}"
        )
    taken, differ, started = 0, 0, time.process_time()
    for content in bodies:
        if isinstance(read_plain_feed(content, HEADERS), PlainFeed):
            taken += 1
    spent = time.process_time() - started
    for content in bodies:
        try:
            fast_feed, slow_feed = ours(content), ours(content, fast=False)
        except Exception:  # noqa: BLE001 (feeds neither path can read)
            continue
        differ += fast_feed.parser == "lxml" and fast_feed.items != slow_feed.items
    print(
        f"  plainfeed (ours)                      {spent * 1000:7.0f} ms   takes {taken} of "
        f"{len(files)}; stored items differ on {differ} of those"
    )


if __name__ == "__main__":
    main()
