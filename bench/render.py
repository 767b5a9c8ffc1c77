"""How long one edition takes to render, run by hand: `make bench-render`.

A 40-item edition (three languages, stories reported by several outlets, a
logo) goes through everything a send does: Jinja2 → MJML → HTML, the text
part and the .eml bytes. Beside it, in the same run and on the same MJML,
the bare mjml-python call: the floor no template layer can beat. The ratio
says what our side costs on top. Target: at most 3 ms median.

Then the same edition rendered in English, French and Khmer (each language's
stories chosen, catalogue, dates and Khmer digits), against the English one
alone, interleaved in the same run. Target: three languages in at most 3x one.
"""

from __future__ import annotations

import functools
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mjml import mjml2html  # noqa: E402

from digest.bundled import bundled_templates_dir, load_messages  # noqa: E402
from digest.layout import date_formatter  # noqa: E402
from digest.linebreak import display_width, khmer_pieces  # noqa: E402
from digest.mime import compose_message, message_body  # noqa: E402
from digest.render import (  # noqa: E402
    email_sources,
    html_lines,
    html_paragraphs,
    render_edition,
    wrap_text,
)
from digest.select import localise  # noqa: E402
from digest.types import Logo, Sender, Theme  # noqa: E402
from tests.editions import LOGO_PNG, MAILING, NOW, TEXT, big_edition  # noqa: E402

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

    messages = {
        "en": load_messages("en"),
        "fr": load_messages("fr"),
        "km": load_messages("km", digits="khmer"),
    }
    titles = {section.topic.id: section.topic.label for section in edition.sections}

    def one_language() -> object:
        return render_edition(
            edition, templates, sender=sender, zone=zone, theme=theme, mailing=MAILING
        )

    def three_languages() -> list[object]:
        rendered = []
        for lang, words in messages.items():
            version = (
                edition
                if lang == "en"
                else localise(edition, replace(TEXT, lang=lang), titles, 400)
            )
            rendered.append(
                render_edition(
                    version,
                    templates,
                    sender=sender,
                    zone=zone,
                    theme=theme,
                    mailing=MAILING,
                    messages=words,
                )
            )
        return rendered

    # Interleaved, so that a busy moment of the machine falls on both sides.
    # Each run is a fresh build: the wrapped paragraphs and written dates a
    # build keeps are forgotten (the compiled templates stay, as they do in
    # the preview and in every build after a process's first).
    one_timings: list[float] = []
    three_timings: list[float] = []
    three_languages()
    for _ in range(RUNS):
        for action, timings in ((one_language, one_timings), (three_languages, three_timings)):
            for cache in (
                wrap_text,
                html_lines,
                html_paragraphs,
                date_formatter,
                khmer_pieces,
                display_width,
            ):
                cache.cache_clear()
            start = time.perf_counter()
            action()
            timings.append(time.perf_counter() - start)
    one = statistics.median(one_timings) * 1000
    three = statistics.median(three_timings) * 1000
    print(f"\nthe same edition rendered in en, fr and km, median of {RUNS} interleaved runs")
    print(f"  three languages: {three:.2f} ms; English alone, same run: {one:.2f} ms")
    verdict = "met" if three <= 3 * one else "MISSED"
    print(f"  ratio three / one: {three / one:.2f}x (target ≤ 3x: {verdict})")


if __name__ == "__main__":
    main()
