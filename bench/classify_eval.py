"""How well the classifier files items it was not tuned on: `make bench-classify`.

Reads bench/data/classify_eval.jsonl (our own sentences, labelled with the
primary topic or null for off-topic), splits it by a hash of each id into a
dev part (about two thirds, for tuning) and a test part (only scored), and
prints for one part: per-topic precision, recall and F1, macro-F1 over the
topics, primary accuracy overall and by language, and off-topic precision
and recall. Targets on the test part: macro-F1 >= 0.85, primary accuracy
>= 0.85, French and Khmer primary accuracy >= 0.80 each.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.bundled import load_taxonomy  # noqa: E402
from digest.classify import Classifier  # noqa: E402
from digest.text import detect_language  # noqa: E402

DATA = ROOT / "bench" / "data" / "classify_eval.jsonl"
OFF = "(off-topic)"


def part_of(item_id: str) -> str:
    """A stable split that does not depend on the order of the file."""
    return "test" if int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--taxonomy", type=Path, help="taxonomy file (default: bundled)")
    parser.add_argument("--misses", action="store_true", help="list the items filed wrongly")
    args = parser.parse_args()

    taxonomy = load_taxonomy(args.taxonomy)
    classifier = Classifier(taxonomy)
    items = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]
    chosen = [i for i in items if args.part == "all" or part_of(i["id"]) == args.part]

    truth: list[str] = []
    guess: list[str] = []
    misses = []
    for item in chosen:
        found = classifier.classify(item["title"], item["summary"], item.get("lang"))
        expected, got = item["primary"] or OFF, found.primary or OFF
        truth.append(expected)
        guess.append(got)
        if expected != got:
            misses.append((item["id"], expected, got, item["title"]))

    labels = [topic.id for topic in taxonomy.topics]
    languages = Counter(item.get("lang") or "?" for item in chosen)
    print(f"{len(chosen)} items ({args.part} part of {len(items)}): "
          + ", ".join(f"{n} {lang}" for lang, n in sorted(languages.items())))  # fmt: skip
    print(f"\n{'topic':28} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}")
    scores = []
    for label in [*labels, OFF]:
        tp = sum(1 for t, g in zip(truth, guess, strict=True) if t == g == label)
        predicted = guess.count(label)
        actual = truth.count(label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        score = f1(precision, recall)
        if label != OFF and actual:
            scores.append(score)
        print(f"{label:28} {precision:6.2f} {recall:6.2f} {score:6.2f} {actual:4}")
    accuracy = sum(t == g for t, g in zip(truth, guess, strict=True)) / len(truth)
    print(f"\nmacro-F1 over topics:   {sum(scores) / len(scores):.3f}  (target >= 0.85)")
    print(f"primary accuracy:       {accuracy:.3f}  (target >= 0.85)")
    for lang in sorted(languages):
        pairs = [
            (t, g)
            for t, g, item in zip(truth, guess, chosen, strict=True)
            if (item.get("lang") or "?") == lang
        ]
        share = sum(t == g for t, g in pairs) / len(pairs)
        target = "  (target >= 0.80)" if lang in ("fr", "km") else ""
        print(f"  accuracy, {lang}:        {share:.3f}  ({len(pairs)} items){target}")
    detected = Counter(
        "right" if found == item.get("lang") else "undecided" if found is None else "wrong"
        for item in chosen
        for found in [detect_language(f"{item['title']} {item['summary']}")]
    )
    print(
        f"language told from the text alone: {detected['right']} right, "
        f"{detected['undecided']} undecided, {detected['wrong']} wrong"
    )
    if args.misses:
        print("\nfiled wrongly:")
        for item_id, expected, got, title in misses:
            print(f"  {item_id}: expected {expected}, got {got}: {title}")


if __name__ == "__main__":
    main()
