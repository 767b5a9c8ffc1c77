"""How fast the rules layer classifies, run by hand: `make bench`.

Items per second on one core over the sample feeds' items, against
normalising the same text alone (the floor any phrase matcher pays),
measured in the same run so the ratio means something on any machine; then
the same with the example watchlist's names looked up too. Target: at least
5,000 items per second.

Rendering has its own benchmark, bench/render.py (`make bench-render`), and
quality its own, bench/classify_eval.py (`make bench-classify`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.classify import Classifier  # noqa: E402
from digest.parse import parse_feed  # noqa: E402
from digest.phrases import PhraseIndex  # noqa: E402
from digest.taxonomy import parse_taxonomy  # noqa: E402
from digest.text import WORD, normalise  # noqa: E402
from digest.types import FeedSource, FetchResult, Item  # noqa: E402
from digest.watch import WatchlistMatcher, parse_watchlist  # noqa: E402
from tests.realfeeds import REAL_FEEDS, read_entries  # noqa: E402

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def best_of(runs: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def sample_items() -> list[Item]:
    items: list[Item] = []
    for path in sorted((ROOT / "feeds/sample").iterdir()):
        fetched = FetchResult(url=path.as_uri(), content=path.read_bytes())
        for parsed in parse_feed(FeedSource(url=path.as_uri(), name=path.stem), fetched).items:
            items.append(
                Item(
                    id=len(items) + 1,
                    source_url=path.as_uri(),
                    outlet=path.stem,
                    guid=parsed.guid,
                    url=parsed.url,
                    canonical_url=parsed.url,
                    title=parsed.title,
                    summary=parsed.summary,
                    published=parsed.published,
                    first_seen=NOW,
                    updated=NOW,
                    lang=parsed.lang,
                )  # fmt: skip
            )
    return items


def main() -> None:
    taxonomy = parse_taxonomy(
        resources.files("digest").joinpath("taxonomy.toml").read_text("utf-8"), "taxonomy"
    )
    classifier = Classifier(taxonomy)
    items = sample_items()
    corpus = [(i.title, i.summary, i.lang) for i in items] * 50

    def classify_all() -> None:
        for title, summary, lang in corpus:
            classifier.classify(title, summary, lang)

    def normalise_all() -> None:
        for title, summary, _ in corpus:
            normalise(title)
            normalise(summary)

    classify_time = best_of(5, classify_all)
    normalise_time = best_of(5, normalise_all)
    watchlist_path = ROOT / "watchlist.example.toml"
    matcher = WatchlistMatcher(
        parse_watchlist(
            watchlist_path.read_text("utf-8"),
            str(watchlist_path),
            [topic.id for topic in taxonomy.topics],
        )
    )

    def classify_with_watchlist() -> None:
        for title, summary, lang in corpus:
            found = matcher.evidence(matcher.mentions(title, summary))
            classifier.classify(title, summary, lang, found)

    watched_time = best_of(5, classify_with_watchlist)
    # Phrase matching alone: every phrase of every topic and of the scope,
    # one pass per text through the index of first stems, on text already
    # normalised (as classify gives it).
    index = classifier._index  # the compiled index classify uses
    normalised = [(normalise(title), normalise(summary)) for title, summary, _ in corpus]

    def match_all() -> None:
        for title, summary in normalised:
            index.find(title)
            index.find(summary)

    match_time = best_of(5, match_all)

    # The floor of any matcher that reads words in Python: split the text
    # into words and look each up once (what find does before any match).
    def look_up_words() -> None:
        for title, summary in normalised:
            for text in (title, summary):
                words = WORD.findall(text)
                list(map(index._root_of.get, words))

    floor_time = best_of(5, look_up_words)
    matches = sum(len(index.find(t)) + len(index.find(s)) for t, s in normalised) / len(corpus)
    print(f"classify: {len(corpus) / classify_time:,.0f} items/s on one core (target 5,000)")
    print(f"  baseline, normalising only: {len(corpus) / normalise_time:,.0f} items/s")
    print(f"  ratio classify / normalise: {classify_time / normalise_time:.2f}x")
    print(f"  with the watchlist's names: {len(corpus) / watched_time:,.0f} items/s")
    print(
        f"  phrase matching alone (one pass over every phrase): "
        f"{len(corpus) / match_time:,.0f} items/s (target 50,000), "
        f"{matches:.1f} matches an item"
    )
    print(
        f"    floor, splitting words and looking each up: {len(corpus) / floor_time:,.0f} items/s"
    )
    print_real_news(index)


def print_real_news(index: PhraseIndex) -> None:
    """The same on general news (../shared/fixtures/real-feeds), when present:
    longer texts, fewer matches."""
    if not REAL_FEEDS.is_dir():
        print(f"  (no real-news figure: {REAL_FEEDS} is absent)")
        return
    texts = [(normalise(e.title), normalise(e.summary)) for e in read_entries()]
    seconds = best_of(5, lambda: [(index.find(t), index.find(s)) for t, s in texts])
    print(
        f"  phrase matching on {len(texts):,} real general-news entries: "
        f"{len(texts) / seconds:,.0f} items/s"
    )


if __name__ == "__main__":
    main()
