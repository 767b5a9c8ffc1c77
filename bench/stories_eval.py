"""How well reports in different languages are grouped, run by hand:
`make bench-stories`.

Reads tests/data/story_pairs.json: pairs of reports in English, French and
Khmer, each marked as one event (should be one story) or two alike events
(must stay apart). Each pair is clustered among the bundled sample feeds'
items, and the script prints recall (one-event pairs grouped), precision
(grouped pairs that are one event), and for every mistake the concepts the
two reports share.

Then how fast a batch is grouped: 25,000 and 100,000 generated reports (ten
per outlet, each with a name among common words, as in `make bench-ingest`;
a tenth share their name with another outlet's report), against the floor
measured in the same run: counting each report's terms, which grouping
cannot do without.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.bundled import bundled_concepts  # noqa: E402
from digest.cluster import cluster_items, term_counts  # noqa: E402
from digest.concepts import item_concepts  # noqa: E402
from digest.types import Item  # noqa: E402
from tests.stories import PAIRS, background, grouped, pair_items  # noqa: E402


def main() -> None:
    concepts = bundled_concepts()
    outcomes = []
    for pair in PAIRS:
        together = grouped(pair)
        outcomes.append((pair["same"], together))
        if together != pair["same"]:
            first, second = pair_items(pair)
            shared = set(item_concepts(first, concepts)) & set(item_concepts(second, concepts))
            kind = "missed" if pair["same"] else "FALSE MERGE"
            print(f"{kind:11s} {pair['id']}: they share {sorted(shared)}")
    same = [together for expected, together in outcomes if expected]
    merged = [expected for expected, together in outcomes if together]
    print(f"{len(PAIRS)} pairs, each among {len(background())} sample items")
    print(f"recall:    {sum(same)}/{len(same)} one-event pairs grouped")
    print(f"precision: {sum(merged)}/{len(merged)} grouped pairs are one event")
    for size in (25_000, 100_000):
        print_speed(size)


WORDS = (
    "court police union activist journalist land eviction opposition leader trial "
    "detained released charged sentenced protest strike village ministry province"
).split()


def generated(count: int) -> list[Item]:
    rng = random.Random(count)
    now = datetime(2026, 11, 24, 8, tzinfo=UTC)
    items = []
    for number in range(count):
        outlet, n = divmod(number, 10)
        # Each outlet's first report is also another's: a tenth in stories.
        name = f"Person{outlet // 2}" if n == 0 else f"Person{outlet}x{n}"
        when = now - timedelta(hours=n)
        url = f"https://outlet{outlet}.example/{n}"
        items.append(
            Item(
                id=number, source_url=f"https://outlet{outlet}.example/feed",
                outlet=f"Outlet {outlet}", guid=url, url=url, canonical_url=url,
                title=f"{name} " + " ".join(rng.choices(WORDS, k=6)),
                summary=" ".join(rng.choices(WORDS, k=24)) + f" {name}.",
                published=when, first_seen=when, updated=when, lang="en",
            )
        )  # fmt: skip
    return items


def print_speed(size: int) -> None:
    """Grouping a batch whose terms were counted beside the parsing and
    stored, as `digest update` does, against counting those terms."""
    items = generated(size)
    started = time.process_time()
    known = {item.id: term_counts(item.title, item.summary) for item in items}
    counting = time.process_time() - started
    started = time.process_time()
    cluster_items(items, lang="en", concepts=bundled_concepts(), known_terms=known)
    grouping = time.process_time() - started
    print(
        f"grouping {size:,} reports: {grouping:.2f} CPU-s ({size / grouping:,.0f} a second); "
        f"counting their terms {counting:.2f} CPU-s; ratio {grouping / counting:.2f}"
    )


if __name__ == "__main__":
    main()
