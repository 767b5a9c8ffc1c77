"""Khmer phrases: substrings or whole words? Run by hand: `make bench-khmer`.

Khmer is written without spaces between words, so the classifier matches its
Khmer phrases as substrings of the text. The alternative is to split the text
into words with a segmenter (khmer-nltk, a CRF model) and match whole words
only. This prints, for the Khmer items of our labelled set, each way's primary
accuracy (all items and the test part), how often the two disagree, the speed
of each, and how each handles a few sentences where a phrase hides inside
another word ("វាយតម្លៃ", to assess, holds "វាយ", to beat).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from classify_eval import DATA, part_of  # noqa: E402

from digest.bundled import load_taxonomy  # noqa: E402
from digest.classify import Classifier  # noqa: E402
from digest.phrases import Segmenter  # noqa: E402

# Our own sentences, each with the primary topic an editor would choose.
PROBES = [
    # "The ministry assesses the rice harvest": "assess" holds "beat".
    ("ក្រសួងវាយតម្លៃទិន្នផលស្រូវឆ្នាំនេះ", None),
    # "Police beat an activist in front of the court"
    ("ប៉ូលិសវាយដំសកម្មជនម្នាក់នៅមុខតុលាការ", "violence-torture"),
    # "Tourists visit the prison museum": a museum, not a prisoner.
    ("ភ្ញៀវទេសចរទស្សនាសារមន្ទីរគុកទួលស្លែង", None),
]


def accuracy(classifier: Classifier, items: list[dict[str, str]]) -> float:
    right = sum(
        classifier.classify(item["title"], item["summary"]).primary == item["primary"]
        for item in items
    )
    return right / len(items)


def speed(classifier: Classifier, items: list[dict[str, str]], rounds: int = 20) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for item in items:
            classifier.classify(item["title"], item["summary"])
    return rounds * len(items) / (time.perf_counter() - started)


def main() -> None:
    try:
        from khmernltk import word_tokenize
    except ImportError:
        sys.exit("khmer-nltk is not installed: `make bench-khmer` installs it first")
    segmenter: Segmenter = word_tokenize
    taxonomy = load_taxonomy(None)
    ways = {
        "substrings": Classifier(taxonomy),
        "whole words (khmer-nltk)": Classifier(taxonomy, segmenter=segmenter),
    }
    items = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]
    khmer = [item for item in items if item.get("lang") == "km"]
    test = [item for item in khmer if part_of(item["id"]) == "test"]
    print(f"{len(khmer)} Khmer items, {len(test)} in the test part\n")
    print(f"{'':26} {'accuracy':>9} {'test part':>10} {'items/s':>9}")
    rates = {}
    for name, classifier in ways.items():
        rates[name] = speed(classifier, khmer)
        print(
            f"{name:26} {accuracy(classifier, khmer):9.3f} {accuracy(classifier, test):10.3f} "
            f"{rates[name]:9,.0f}"
        )
    substrings, words = ways.values()
    disagree = sum(
        substrings.classify(i["title"], i["summary"]).primary
        != words.classify(i["title"], i["summary"]).primary
        for i in khmer
    )
    print(f"\nprimary topics that differ between the two: {disagree} of {len(khmer)}")
    slower = rates["substrings"] / rates["whole words (khmer-nltk)"]
    print(f"speed ratio, substrings / whole words: {slower:.0f}×")
    print("\nphrases hidden inside other words:")
    for text, expected in PROBES:
        got = [classifier.classify(text, "").primary for classifier in ways.values()]
        print(f"  expected {expected!s:18} substrings {got[0]!s:18} whole words {got[1]!s:18}")


if __name__ == "__main__":
    main()
