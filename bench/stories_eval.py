"""How well reports in different languages are grouped, run by hand:
`make bench-stories`.

Reads tests/data/story_pairs.json: pairs of reports in English, French and
Khmer, each marked as one event (should be one story) or two alike events
(must stay apart). Each pair is clustered among the bundled sample feeds'
items, and the script prints recall (one-event pairs grouped), precision
(grouped pairs that are one event), and for every mistake the concepts the
two reports share.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.bundled import bundled_concepts  # noqa: E402
from digest.cluster import item_concepts  # noqa: E402
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


if __name__ == "__main__":
    main()
