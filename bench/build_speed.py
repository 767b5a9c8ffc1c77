"""How long the pure build steps take, run by hand: `make bench`.

Prints timings and ratios against baselines measured in the same run, so the
numbers mean something on any machine:

- classify: items per second, against normalising the same text alone
  (the floor any phrase matcher pays);
- render: a 40-item edition, Jinja2 → MJML → HTML, against the Jinja2 step
  alone (so the ratio is what MJML compilation adds).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.classify import Classifier, normalise, parse_taxonomy  # noqa: E402
from digest.core import bundled_templates_dir  # noqa: E402
from digest.parse import parse_feed  # noqa: E402
from digest.render import _context, render_edition, template_environment  # noqa: E402
from digest.select import plan_edition  # noqa: E402
from digest.types import EditionText, FeedSource, FetchResult, Item, Sender  # noqa: E402

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
    print(f"classify: {len(corpus) / classify_time:,.0f} items/s on one core")
    print(f"  baseline, normalising only: {len(corpus) / normalise_time:,.0f} items/s")
    print(f"  ratio classify / normalise: {classify_time / normalise_time:.2f}x")

    many = (items * 2)[:40]
    many = [
        Item(**{**i.__dict__, "id": n, "published": NOW - timedelta(hours=n)})
        for n, i in enumerate(many, 1)
    ]
    found = {i.id: classifier.classify(i.title, i.summary, i.lang) for i in many}
    forced = {
        k: v if v.primary else v.__class__(("elections",), "elections", 0.6)
        for k, v in found.items()
    }
    text = EditionText("Weekly digest", "Press Office", "Hello,", "Intro.", "Closing.", "Sig")
    edition = plan_edition(
        many, forced, taxonomy=taxonomy, text=text, now=NOW, max_age=None, max_items=40
    )
    templates = {p.name: p.read_text("utf-8") for p in bundled_templates_dir().iterdir()}
    sender = Sender("Press Office", "press@example.org")
    zone = ZoneInfo("Asia/Phnom_Penh")
    env = template_environment(templates)
    context = {**_context(edition, sender, zone), "subject": "s", "preheader": "p"}

    render_time = best_of(20, lambda: render_edition(edition, templates, sender=sender, zone=zone))
    jinja_time = best_of(20, lambda: env.get_template("email.mjml").render(context))
    html = render_edition(edition, templates, sender=sender, zone=zone).html
    print(f"render: 40-item edition in {render_time * 1000:.1f} ms")
    print(f"  baseline, Jinja2 step alone: {jinja_time * 1000:.1f} ms")
    print(f"  ratio full render / Jinja2: {render_time / jinja_time:.2f}x")
    print(f"  email.html size: {len(html.encode()):,} bytes (Gmail clips past ~102,000)")


if __name__ == "__main__":
    main()
