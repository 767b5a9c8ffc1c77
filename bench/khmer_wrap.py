"""Wrapping Khmer in the text part: ICU's line breaker against letter clusters,
run by hand with `make bench-khmer` (which installs PyICU, the khmer extra).

Khmer writes no spaces between words. Over every Khmer headline and summary
we have (the sample feeds, our labelled set, the look-alikes), joined into
paragraphs and wrapped at 40 columns: the time each way, measured in the same
run, and how many of the cluster fallback's line breaks fall inside a word
as ICU's dictionary sees it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest import linebreak  # noqa: E402
from digest.render import wrap_text  # noqa: E402

WIDTH = 40


def khmer_texts() -> list[str]:
    texts = []
    for line in (ROOT / "bench/data/classify_eval.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        if item.get("lang") == "km":
            texts.append(item["title"] + item["summary"])
    lookalikes = json.loads((ROOT / "tests/data/lookalikes.json").read_text("utf-8"))["items"]
    texts += [i["title"] + i["summary"] for i in lookalikes if i["lang"] == "km"]
    return texts


def timed(texts: list[str]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    wrapped = [wrap_text(text, WIDTH) for text in texts]
    return time.perf_counter() - start, wrapped


def main() -> None:
    texts = khmer_texts()
    icu = linebreak._icu_breaker()
    linebreak._icu_breaker.cache_clear()
    original = linebreak._icu_breaker
    linebreak._icu_breaker = lambda: None  # type: ignore[assignment]
    fallback_time, fallback = timed(texts)
    linebreak._icu_breaker = original  # type: ignore[assignment]
    print(f"{len(texts)} Khmer paragraphs wrapped at {WIDTH} columns")
    print(f"  letter clusters: {fallback_time * 1000:.1f} ms")
    if icu is None:
        print("  ICU: PyICU is not installed (pip install -e '.[khmer]'); nothing to compare")
        return
    icu_time, _ = timed(texts)
    print(f"  ICU line breaks: {icu_time * 1000:.1f} ms ({icu_time / fallback_time:.1f}x)")
    inside = breaks = 0
    for text, wrapped in zip(texts, fallback, strict=True):
        words = icu(text.replace(" ", ""))
        ends = set()
        position = 0
        for word in words:
            position += len(word)
            ends.add(position)
        position = 0
        lines = wrapped.splitlines()
        for line in lines[:-1]:
            position += len(line.replace(" ", ""))
            breaks += 1
            inside += position not in ends
    print(f"  cluster breaks inside an ICU word: {inside} of {breaks}")


if __name__ == "__main__":
    main()
