"""How long one edition takes to render, run by hand: `make bench-render`.

A 40-item edition (three languages, stories reported by several outlets, a
logo) goes through everything a send does: Jinja2 → MJML → HTML, the text
part and the .eml bytes. Beside it, in the same run and on the same MJML,
the bare mjml-python call: the floor no template layer can beat. The ratio
says what our side costs on top. Target: at most 3 ms median.
"""

from __future__ import annotations

import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mjml import mjml2html  # noqa: E402

from digest.bundled import bundled_templates_dir  # noqa: E402
from digest.mime import compose_message, message_body  # noqa: E402
from digest.render import email_sources, render_edition  # noqa: E402
from digest.types import Logo, Sender, Theme  # noqa: E402
from tests.editions import LOGO_PNG, MAILING, NOW, big_edition  # noqa: E402

RUNS = 50
TARGET_MS = 3.0


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    action()  # warm up: template compilation and caches belong to the first send only
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def main() -> None:
    edition = big_edition(40)
    templates = {p.name: p.read_text("utf-8") for p in bundled_templates_dir().iterdir()}
    sender = Sender("Press Office", "press@press-office.example")
    zone = ZoneInfo("Asia/Phnom_Penh")
    logo = Logo(
        data=LOGO_PNG, mime="image/png", alt="Press Office", width=120, filename="logo.png"
    )
    theme = Theme(logo=logo)
    render = functools.partial(
        render_edition, edition, templates, sender=sender, zone=zone, theme=theme, mailing=MAILING
    )
    run_templates = functools.partial(
        email_sources, edition, templates, sender=sender, zone=zone, theme=theme, mailing=MAILING
    )

    def whole_send() -> bytes:
        rendered = render()
        return compose_message(
            message_body(rendered),
            sender=sender,
            to="reader@example.org",
            date=NOW,
            message_id="<bench@press-office.example>",
            mailing=MAILING,
            list_name="Press Office",
        )

    sources = run_templates()
    html = render().html

    full = median_ms(whole_send)
    templates_only = median_ms(run_templates)
    bare = median_ms(lambda: mjml2html(sources.mjml, disable_comments=True, fonts={}))

    print(f"40-item edition, median of {RUNS} runs")
    print(f"  whole render (Jinja2 → MJML → HTML, text, .eml): {full:.2f} ms")
    print(f"    of which the Jinja2 templates:                  {templates_only:.2f} ms")
    print(f"  baseline, bare mjml2html on the same MJML:        {bare:.2f} ms")
    print(f"  ratio whole render / bare mjml2html:              {full / bare:.1f}x")
    size = len(html.encode()) / 1000
    print(f"  email.html: {size:.1f} KB (budget 60 KB; Gmail clips at ~102 KB)")
    print(f"  target ≤ {TARGET_MS} ms median: {'met' if full <= TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
