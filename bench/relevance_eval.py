"""Whether general news stays out, measured on text we did not tune on: part
of `make bench-classify`.

1. The frozen look-alikes (tests/data/lookalikes.json, written before the
   relevance rules and never tuned on): per language, the share of off-topic
   sentences filed under a topic (target <= 5%), the share of in-scope
   reports from other countries found, and per-topic precision and recall of
   the section chosen by the written precedence.
2. Every entry of ../shared/fixtures/real-feeds, labelled by hand
   (tests/data/real_feed_labels.json): the share of out-of-scope entries
   filed under a topic (target <= 1%), by feed.
3. Learning from the editor, by replay: half of the real entries (split by a
   hash of their key) play the editor's decisions on what the classifier
   showed them (left out if out of scope, kept if in); the other half is
   scored with and without what was learnt, for the classifier with its
   relevance stage and for the words-only classifier without it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.bundled import load_taxonomy  # noqa: E402
from digest.classify import Classifier  # noqa: E402
from digest.learning import EditorModel, Example, judge_all  # noqa: E402
from tests.realfeeds import REAL_FEEDS, RealEntry, labelled_entries  # noqa: E402

LOOKALIKES = ROOT / "tests" / "data" / "lookalikes.json"


def look_alikes(classifier: Classifier) -> None:
    items = json.loads(LOOKALIKES.read_text("utf-8"))["items"]
    print("Frozen look-alikes (never tuned on)")
    print(f"  {'lang':4} {'off-topic filed':>16} {'in-scope found':>15} {'section right':>14}")
    truth: list[str] = []
    guess: list[str] = []
    for lang in ("en", "fr", "km"):
        outs = [i for i in items if i["lang"] == lang and i["scope"] == "out"]
        ins = [i for i in items if i["lang"] == lang and i["scope"] == "in"]
        filed = sum(bool(classifier.classify(i["title"], i["summary"]).primary) for i in outs)
        found = [classifier.classify(i["title"], i["summary"]).primary for i in ins]
        right = sum(got == i["primary"] for got, i in zip(found, ins, strict=True))
        truth += [i["primary"] for i in ins]
        guess += [got or "(left out)" for got in found]
        print(
            f"  {lang:4} {filed:>4} of {len(outs)} ({filed / len(outs):5.1%})"
            f" {sum(map(bool, found)):>6} of {len(ins)} {right:>7} of {len(ins)}"
        )
    print("  target: at most 5% of off-topic sentences filed")
    print(f"\n  {'section (in-scope look-alikes)':32} {'prec':>6} {'recall':>6} {'n':>4}")
    for topic in sorted(set(truth)):
        tp = sum(t == g == topic for t, g in zip(truth, guess, strict=True))
        predicted, actual = guess.count(topic), truth.count(topic)
        precision = tp / predicted if predicted else 0.0
        print(f"  {topic:32} {precision:6.2f} {tp / actual:6.2f} {actual:4}")


def real_feeds(classifier: Classifier, labelled: list[tuple[RealEntry, dict[str, str]]]) -> None:
    outs = [entry for entry, label in labelled if label["scope"] == "out"]
    filed = [entry for entry in outs if classifier.classify(entry.title, entry.summary).primary]
    print(f"\nReal feeds ({len(labelled)} entries labelled by hand, read from {REAL_FEEDS})")
    share = len(filed) / len(outs)
    print(f"  out of scope filed under a topic: {len(filed)} of {len(outs)} ({share:.2%})")
    print("  target: at most 1%")
    for file, count in Counter(entry.file for entry in filed).most_common():
        print(f"    {count:3}  {file}")
    ins = [(entry, label) for entry, label in labelled if label["scope"] == "in"]
    found = sum(bool(classifier.classify(e.title, e.summary).primary) for e, _ in ins)
    print(f"  in scope found: {found} of {len(ins)} (two are in Portuguese, not read)")


def _half(key: str) -> str:
    return "editor" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 2 else "scored"


def replay(
    name: str, classifier: Classifier, labelled: list[tuple[RealEntry, dict[str, str]]]
) -> None:
    decided = [(e, label) for e, label in labelled if label["scope"] != "unsure"]
    examples = []
    for entry, label in decided:
        if _half(entry.key) != "editor":
            continue
        shown = classifier.classify(entry.title, entry.summary)
        if shown.primary and label["scope"] == "out":
            examples.append(Example(entry.title, None, entry.file))  # left out
        elif label["scope"] == "in":
            topic = shown.primary or label.get("primary") or "political-prisoners"
            examples.append(Example(entry.title, topic, entry.file))  # kept
    start = time.perf_counter()
    model = EditorModel(examples)
    trained = time.perf_counter() - start
    scored = [(e, label) for e, label in decided if _half(e.key) == "scored"]
    before = {
        index: classifier.classify(e.title, e.summary) for index, (e, _) in enumerate(scored)
    }
    threshold = classifier.taxonomy.scope.threshold if classifier.taxonomy.scope else 0.5
    labels = {topic.id: topic.label for topic in classifier.taxonomy.topics}
    start = time.perf_counter()
    after = judge_all(
        model,
        [(i, e.title, e.file, before[i]) for i, (e, _) in enumerate(scored)],
        set(),
        threshold,
        labels,
    )
    judged = time.perf_counter() - start

    def wrong(filed: dict[int, object]) -> tuple[int, int]:
        outs = [i for i, (_, label) in enumerate(scored) if label["scope"] == "out"]
        ins = [i for i, (_, label) in enumerate(scored) if label["scope"] == "in"]
        false_in = sum(bool(getattr(filed[i], "primary", None)) for i in outs)
        missed = sum(not getattr(filed[i], "primary", None) for i in ins)
        return false_in, missed

    (fp_before, miss_before), (fp_after, miss_after) = wrong(before), wrong(after)
    outs = sum(label["scope"] == "out" for _, label in scored)
    print(
        f"  {name:28} {len(examples):>4} examples, trained in {trained * 1000:.0f} ms;"
        f" out of scope filed {fp_before} -> {fp_after} of {outs};"
        f" in scope missed {miss_before} -> {miss_after}; judged {len(scored)} in {judged:.2f} s"
    )


def main() -> None:
    taxonomy = load_taxonomy(None)
    classifier = Classifier(taxonomy)
    look_alikes(classifier)
    if not REAL_FEEDS.exists():
        print(f"\nReal feeds: skipped, {REAL_FEEDS} is absent (see ../shared/fixtures/SOURCES.md)")
        return
    labelled = labelled_entries()
    real_feeds(classifier, labelled)
    print("\nLearning from the editor, replayed (half the real entries decide, half are scored)")
    replay("with the relevance stage", classifier, labelled)
    replay("words only (no [scope])", Classifier(replace(taxonomy, scope=None)), labelled)


if __name__ == "__main__":
    main()
