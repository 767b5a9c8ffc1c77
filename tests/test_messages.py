"""The email's frame in the edition's language: complete bundled catalogues,
no English left in a French or Khmer edition, local dates, an editor's own
catalogue, and English when a language has none."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from digest.bundled import load_messages, load_taxonomy
from digest.messages import Messages
from digest.render import render_edition
from digest.types import Edition, Theme

from .conftest import ROOT
from .editions import MAILING, TEXT, big_edition
from .test_render import SENDER, TEMPLATES, ZONE

LANGUAGES = ("fr", "km")


def template_messages() -> set[str]:
    """Every message the templates and the unsubscribe page write, as pybabel
    extracts them with babel.cfg (`make messages`), and the words they take
    from the taxonomy and [theme] (topic labels, the lead's heading)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    found = {
        message[0] if isinstance(message, tuple) else message
        for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map)
    }
    return found | {topic.label for topic in load_taxonomy(None).topics} | {Theme().lead_title}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_bundled_catalogue_translates_every_message_the_templates_use(lang: str) -> None:
    messages = load_messages(lang)
    translated = dict(messages.forms)
    missing = sorted(message for message in template_messages() if message not in translated)
    assert not missing, f"digest/locale/{lang} lacks {missing}"


def render_in(lang: str, edition: Edition, *, theme: Theme | None = None) -> tuple[str, str]:
    text = replace(TEXT, lang=lang)
    rendered = render_edition(
        replace(edition, text=text),
        TEMPLATES,
        sender=SENDER,
        zone=ZONE,
        theme=theme or Theme(),
        mailing=MAILING,
        messages=load_messages(lang),
    )
    return rendered.html, rendered.text


def english_fragments() -> set[str]:
    """The frame's English words as they would show: each message cut at its
    placeholders, keeping the pieces long enough not to occur by chance."""
    pieces = set()
    for message in template_messages():
        for piece in re.split(r"%\(\w+\)[sd]", message):
            if len(piece.strip(" .:,")) >= 8:
                pieces.add(piece.strip(" .:,"))
    return pieces


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("layout", ["sectioned", "briefing"])
def test_a_french_or_khmer_edition_shows_no_english_frame_words(lang: str, layout: str) -> None:
    edition = big_edition(8, reported_twice=2)
    # Items keep their own language; only the frame must change, so the
    # stories are taken out of the scan.
    html, text = render_in(lang, edition, theme=Theme(layout=layout))
    for entry in (*edition.items, *(o for e in edition.items for o in ([e] + list(e.also)))):
        item = getattr(entry, "item", entry)
        for story_text in (item.title, item.summary):
            html = html.replace(story_text, "")
            text = text.replace(story_text, "")
    english = sorted(piece for piece in english_fragments() if piece in html or piece in text)
    assert not english, f"{lang}/{layout} still says {english}"
    in_english, _ = render_in("en", edition, theme=Theme(layout=layout))
    assert any(piece in in_english for piece in english_fragments()), "the scan finds English"


def test_dates_are_written_in_the_editions_language() -> None:
    edition = big_edition(4, reported_twice=0)
    french, _ = render_in("fr", edition)
    khmer, _ = render_in("km", edition)
    english, _ = render_in("en", edition)
    assert re.search(r"\b\d{1,2} novembre 2026\b", french)
    assert "វិច្ឆិកា" in khmer  # November
    assert re.search(r"\b\d{1,2} Nov 2026\b", english)


def test_an_editors_own_catalogue_wins_over_the_bundled_one(tmp_path: Path) -> None:
    folder = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "digest.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: fr\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        'msgid "Unsubscribe"\nmsgstr "Désinscription"\n',
        "utf-8",
    )
    mine = load_messages("fr", tmp_path)
    assert mine.gettext("Unsubscribe") == "Désinscription"
    assert mine.gettext("Past editions") == "Éditions précédentes", "the rest stays bundled"


def test_a_language_without_a_catalogue_speaks_english_with_its_own_dates() -> None:
    german = load_messages("de")
    assert german.gettext("Unsubscribe") == "Unsubscribe"
    html, _ = render_in("de", big_edition(3, reported_twice=0))
    assert "November 2026" in html and "Unsubscribe" in html


def test_plurals_follow_the_catalogue() -> None:
    french = load_messages("fr")
    assert french.ngettext("%(num)d story", "%(num)d stories", 1) == "%(num)d article"
    assert french.ngettext("%(num)d story", "%(num)d stories", 2) == "%(num)d articles"
    khmer = load_messages("km")
    assert khmer.ngettext("%(num)d story", "%(num)d stories", 5) == "ព័ត៌មាន %(num)d"
    assert Messages().ngettext("%(num)d story", "%(num)d stories", 1) == "%(num)d story"


@pytest.mark.parametrize("lang", ["fr", "km"])
def test_dates_are_written_as_babel_writes_them(lang: str) -> None:
    from datetime import datetime

    from babel.dates import format_date

    from digest.layout import date_formatter

    write = date_formatter(ZONE, lang)
    for month in range(1, 13):
        moment = datetime(2026, month, 9, 12, tzinfo=ZONE)
        assert write(moment) == format_date(moment.date(), "d MMMM y", locale=lang)


def test_french_puts_a_no_break_space_before_a_colon_and_lines_keep_it() -> None:
    html, text = render_in("fr", big_edition(40))
    assert "\u00a0: " in text and "\u00a0: " in html
    lines = text.splitlines()
    assert not [line for line in lines if line.lstrip().startswith(":")], "a colon alone"
