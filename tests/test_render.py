"""The email as readers get it: safe, self-contained, readable as text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from digest.core import bundled_templates_dir
from digest.errors import RenderError
from digest.render import render_edition, wrap_text
from digest.types import (
    Classification,
    Edition,
    EditionItem,
    EditionText,
    Item,
    Section,
    Sender,
    Topic,
)

NOW = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Phnom_Penh")
SENDER = Sender("Press Office", "press@example.org")
TEMPLATES = {p.name: p.read_text("utf-8") for p in bundled_templates_dir().iterdir()}
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def edition(
    title: str = "Union leader jailed", summary: str = "Sentenced to two years."
) -> Edition:
    item = Item(
        id=1, source_url="s", outlet="Mekong Dispatch", guid="g", url="https://n.example/a?id=1&x=2",
        canonical_url="https://n.example/a?id=1&x=2", title=title, summary=summary,
        published=NOW, first_seen=NOW, updated=NOW, lang="en",
    )  # fmt: skip
    why = Classification(topics=("labour-rights",), primary="labour-rights", confidence=0.8)
    topic = Topic("labour-rights", "Workers and trade unions", "d")
    text = EditionText(
        "Weekly digest", "Press Office", "Hello,", "First paragraph.\nSecond paragraph.",
        "Talk to us.", "Dara\nPress officer",
    )  # fmt: skip
    return Edition(
        slug="2026-11-25-weekly", created=NOW, window_start=None, text=text,
        sections=(Section(topic, (EditionItem(item, why),)),),
    )  # fmt: skip


def test_feed_text_cannot_inject_markup() -> None:
    rendered = render_edition(edition(HOSTILE, HOSTILE), TEMPLATES, sender=SENDER, zone=ZONE)
    assert "<script" not in rendered.html
    assert "<img" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


def test_nothing_loads_from_outside() -> None:
    html = render_edition(edition(), TEMPLATES, sender=SENDER, zone=ZONE).html
    assert not re.search(r"<(img|script|link|iframe)\b", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert "fonts.googleapis" not in html
    links = re.findall(r'href="([^"]+)"', html)
    assert links == ["https://n.example/a?id=1&amp;x=2"], "only the story link, untouched"


def test_language_direction_and_dark_mode_are_declared() -> None:
    html = render_edition(edition(), TEMPLATES, sender=SENDER, zone=ZONE).html
    assert re.search(r'<html[^>]* lang="en"[^>]* dir="ltr"', html)
    assert 'name="color-scheme"' in html and "prefers-color-scheme: dark" in html


def test_subject_preheader_and_dates_use_the_edition_zone() -> None:
    rendered = render_edition(edition(), TEMPLATES, sender=SENDER, zone=ZONE)
    assert rendered.subject == "Weekly digest"
    assert "1 story" in rendered.preheader and "workers and trade unions (1)" in rendered.preheader
    # 00:30 UTC is 07:30 in Phnom Penh, the same day; the date shown is local.
    assert "25 Nov 2026" in rendered.text


def test_text_part_reads_as_text() -> None:
    text = render_edition(edition(summary="word " * 60), TEMPLATES, sender=SENDER, zone=ZONE).text
    assert "<" not in text and "&amp;" not in text
    assert "https://n.example/a?id=1&x=2" in text
    assert all(len(line) <= 78 for line in text.splitlines() if "://" not in line)
    assert "WORKERS AND TRADE UNIONS" in text
    assert "Dara\nPress officer" in text


def test_editor_paragraphs_and_signature_lines_survive_in_html() -> None:
    html = render_edition(edition(), TEMPLATES, sender=SENDER, zone=ZONE).html
    assert "<p>First paragraph.</p><p>Second paragraph.</p>" in html
    assert re.search(r"Dara<br\s*/?>Press officer", html)


def test_a_template_error_names_the_template() -> None:
    broken = {**TEMPLATES, "email.mjml": "{{ no_such_variable }}"}
    with pytest.raises(RenderError, match="email.mjml"):
        render_edition(edition(), broken, sender=SENDER, zone=ZONE)


def test_wrap_keeps_long_urls_whole() -> None:
    url = "https://example.org/" + "x" * 100
    assert wrap_text(f"see {url} now", width=40).splitlines() == ["see", url, "now"]
