"""The email as readers get it: safe, self-contained, readable as text, small."""

from __future__ import annotations

import email
import email.policy
import html
import re
import unicodedata
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from digest.bundled import bundled_templates_dir
from digest.errors import RenderError
from digest.mime import compose_message, message_body
from digest.render import render_edition, wrap_text
from digest.select import arrange_topics, plan_edition
from digest.theme import contrast_ratio
from digest.types import Edition, Logo, MailingList, RenderedEdition, Sender, Theme

from .editions import (
    LOGO_PNG,
    MAILING,
    NOW,
    TAXONOMY,
    TEXT,
    big_edition,
    classification,
    make_item,
    one_item_edition,
)

ZONE = ZoneInfo("Asia/Phnom_Penh")
SENDER = Sender("Press Office", "press@press-office.example")
TEMPLATES = {p.name: p.read_text("utf-8") for p in bundled_templates_dir().iterdir()}
HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)> & "quotes"'
LOGO = Logo(data=LOGO_PNG, mime="image/png", alt="Press Office", width=120, filename="logo.png")


def render(
    edition: Edition,
    *,
    theme: Theme | None = None,
    mailing: MailingList = MAILING,
    web: bool = False,
    templates: dict[str, str] = TEMPLATES,
) -> RenderedEdition:
    return render_edition(
        edition,
        templates,
        sender=SENDER,
        zone=ZONE,
        theme=theme or Theme(),
        mailing=mailing,
        web=web,
    )


class Page(HTMLParser):
    """What a reader's mail client sees: tags, links, headings, text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.links: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.styles: list[str] = []
        self._heading: tuple[str, list[str]] | None = None
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "a" and attributes.get("href"):
            self.links.append(str(attributes["href"]))
        if tag in ("h1", "h2", "h3"):
            self._heading = (tag, [])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag == self._heading[0]:
            self.headings.append((tag, "".join(self._heading[1]).strip()))
            self._heading = None
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._heading[1].append(data)
        if self._in_style:
            self.styles.append(data)

    def story_links(self) -> list[str]:
        return [link for link in self.links if "/2026/11/" in link]


# -- safety and privacy --------------------------------------------------------


def test_feed_text_cannot_inject_markup() -> None:
    item = make_item(1, title=HOSTILE, summary=HOSTILE)
    item = replace(item, outlet=HOSTILE)
    for web in (False, True):
        rendered = render(one_item_edition(item), web=web)
        page = Page(rendered.html)
        assert not [tag for tag, _ in page.tags if tag in ("script", "img", "iframe")]
        handlers = [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
        assert handlers == []
        assert "&lt;script&gt;" in rendered.html
        assert HOSTILE in rendered.text, "the text part shows the characters as they are"


def test_a_summary_in_two_paragraphs_keeps_its_break_in_html() -> None:
    """A standfirst and its first paragraph often have no full stop between
    them: joined on one line they would read "after the rally A senior..."."""
    summary = f"Shots fired after the rally\nA senior leader {HOSTILE} said"
    rendered = render(one_item_edition(make_item(1, summary=summary)))
    assert re.search(
        r"Shots fired after the rally<br\s*/?>A senior leader &lt;script&gt;", rendered.html
    )
    assert "<script>" not in rendered.html


def test_nothing_loads_from_outside_and_every_image_has_alt() -> None:
    theme = Theme(logo=LOGO)
    page = Page(render(big_edition(), theme=theme).html)
    loads = [
        (tag, attrs.get(name))
        for tag, attrs in page.tags
        for name in ("src", "srcset", "background", "poster", "data")
        if attrs.get(name)
    ]
    assert loads == [("img", "cid:logo@press-digest")], "only the logo, carried in the message"
    assert not [tag for tag, attrs in page.tags if tag in ("script", "link", "iframe", "object")]
    css = " ".join(page.styles) + " ".join(str(a.get("style")) for _, a in page.tags)
    assert "@import" not in css and "url(" not in css
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert images and all(attrs.get("alt") for attrs in images)


def test_links_are_kept_as_published_with_nothing_added() -> None:
    edition = big_edition(6, reported_twice=1)
    page = Page(render(edition).html)
    published = {entry.item.url for entry in edition.items} | {
        other.url for entry in edition.items for other in entry.also
    }
    assert set(page.story_links()) == published
    assert not [link for link in page.links if "utm_" in link or "redirect" in link]


def test_every_story_link_appears_once_and_sections_follow_the_configured_order() -> None:
    taxonomy = arrange_topics(
        TAXONOMY, ["press-freedom", "labour-rights"], {"press-freedom": "Newspapers closed"}
    )
    items = [make_item(n) for n in range(1, 25)]
    topics = [t.id for t in TAXONOMY.topics]
    edition = plan_edition(
        items,
        {item.id: classification(topics[item.id % len(topics)]) for item in items},
        taxonomy=taxonomy, text=TEXT, now=NOW, max_age=None, max_items=40,
    )  # fmt: skip
    page = Page(render(edition).html)
    links = page.story_links()
    assert sorted(links) == sorted({item.url for item in items})
    assert len(links) == len(set(links)) == 24
    sections = [text for tag, text in page.headings if tag == "h2"]
    assert sections[0] == "Top story"
    assert sections[1:3] == ["Newspapers closed", "Workers and trade unions"]
    others = [t.label for t in TAXONOMY.topics if t.id not in ("press-freedom", "labour-rights")]
    assert sections[3:] == others, "topics not named keep the taxonomy's order"


def test_the_lead_is_the_story_most_outlets_reported_and_is_not_repeated() -> None:
    edition = big_edition(12, reported_twice=1)
    assert edition.lead is not None and len(edition.lead.also) == 2
    page = Page(render(edition).html)
    assert page.story_links().count(edition.lead.item.url) == 1
    h3 = [text for tag, text in page.headings if tag == "h3"]
    assert h3[0] == edition.lead.item.title


def test_a_short_edition_has_no_lead() -> None:
    assert big_edition(3, reported_twice=1).lead is None


def test_language_direction_and_dark_mode_are_declared() -> None:
    edition = big_edition(8)
    html = render(edition).html
    assert re.search(r'<html[^>]* lang="en"[^>]* dir="ltr"', html)
    assert 'name="color-scheme"' in html and "prefers-color-scheme: dark" in html
    khmer = [e for e in edition.items if e.item.lang == "km"]
    assert khmer and 'lang="km"' in html
    khmer_edition = replace(edition, text=replace(edition.text, lang="km"))
    assert re.search(r'<html[^>]* lang="km"', render(khmer_edition).html)


def test_headings_are_semantic() -> None:
    page = Page(render(big_edition(10)).html)
    levels = [tag for tag, _ in page.headings]
    assert levels[0] == "h1" and levels.count("h1") == 1
    assert "h2" in levels and "h3" in levels


# -- theme -----------------------------------------------------------------------


def test_theme_colours_and_labels_come_from_the_caller() -> None:
    theme = Theme(accent="#0b4f6c", ink="#101010", lead_title="This week's main story")
    html = render(big_edition(8), theme=theme).html
    assert "#0b4f6c" in html and "#101010" in html
    assert "#8a1c1c" not in html, "no bundled colour left behind"
    assert "This week&#39;s main story" in html or "This week's main story" in html


def test_the_bundled_theme_meets_wcag_aa_in_light_and_dark_mode() -> None:
    rendered = render(big_edition(8))
    assert rendered.warnings == ()


def test_a_low_contrast_theme_is_reported() -> None:
    rendered = render(big_edition(8), theme=Theme(muted="#bbbbbb"))
    assert any("dates and outlets in light mode" in w for w in rendered.warnings)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)


def test_numbers_line_can_be_turned_off() -> None:
    assert "This edition in numbers" in render(big_edition(8)).html
    assert (
        "This edition in numbers"
        not in render(big_edition(8), theme=Theme(show_numbers=False)).html
    )


def test_the_web_version_refers_to_the_logo_file_and_has_no_unsubscribe() -> None:
    mailing = replace(MAILING, archive_url="https://press-office.example/digest/")
    email_part = render(big_edition(8), theme=Theme(logo=LOGO), mailing=mailing)
    web = render(big_edition(8), theme=Theme(logo=LOGO), mailing=mailing, web=True)
    assert 'src="logo.png"' in web.html and "cid:" not in web.html
    assert "Unsubscribe" in email_part.html and "Unsubscribe" not in web.html
    web_address = f"https://press-office.example/digest/{big_edition(8).slug}/"
    assert web_address in Page(email_part.html).links
    assert web_address not in Page(web.html).links


# -- per-item extras -------------------------------------------------------------


def test_archived_copies_are_offered_only_for_the_named_outlets() -> None:
    mailing = replace(
        MAILING,
        archived_copy="https://archive.example/web/{url}",
        archived_copy_hosts=("sangkum-voice.example",),
    )
    edition = big_edition(9, reported_twice=0)
    rendered = render(edition, mailing=mailing)
    copies = [link for link in Page(rendered.html).links if link.startswith("https://archive")]
    blocked = [e.item.url for e in edition.items if "sangkum-voice" in e.item.url]
    assert blocked and copies == [f"https://archive.example/web/{url}" for url in blocked]
    assert all(copy in rendered.text for copy in copies)


def test_a_watched_case_says_when_it_was_last_reported() -> None:
    earlier = NOW - timedelta(days=14)
    rendered = render(one_item_edition(make_item(1), previously=earlier))
    assert "Previously reported on 11 Nov 2026" in rendered.html
    assert "Previously reported on 11 Nov 2026" in rendered.text


# -- text part -------------------------------------------------------------------


def test_text_part_reads_as_text_with_numbered_links() -> None:
    edition = big_edition(10, reported_twice=2)
    rendered = render(edition)
    text = rendered.text
    assert "<" not in text and "&amp;" not in text and "&#" not in text
    assert all(len(line) <= 78 for line in text.splitlines() if "://" not in line)
    references = dict(re.findall(r"^  \[(\d+)\] (\S+)$", text, re.M))
    cited = re.findall(r"\[(\d+)\]", re.sub(r"^  \[\d+\] \S+$", "", text, flags=re.M))
    assert set(cited) == set(references), "every number cited is listed, and only those"
    assert sorted(references.values()) == sorted(Page(rendered.html).story_links())
    assert "Dara\nPress officer" in text


def test_text_part_keeps_the_order_of_the_html() -> None:
    edition = big_edition(12)
    rendered = render(edition)
    titles = [text for tag, text in Page(rendered.html).headings if tag == "h3"]
    positions = [rendered.text.index(title[:40]) for title in titles]
    assert positions == sorted(positions)


def test_editor_paragraphs_and_signature_lines_survive_in_html() -> None:
    html = render(big_edition(4)).html
    assert "<p>A summary of the week&#39;s news.</p><p>Spokespeople are available.</p>" in html
    assert re.search(r"Dara<br\s*/?>Press officer", html)


def test_wrap_keeps_long_urls_whole() -> None:
    url = "https://example.org/" + "x" * 100
    assert wrap_text(f"see {url} now", width=40).splitlines() == ["see", url, "now"]


# -- size ------------------------------------------------------------------------


def test_a_forty_item_edition_stays_under_the_clipping_budget() -> None:
    rendered = render(big_edition(40))
    size = len(rendered.html.encode("utf-8"))
    assert size < 60_000, f"{size} bytes"
    assert len(Page(rendered.html).story_links()) >= 40
    assert not [w for w in rendered.warnings if "budget" in w]


def test_an_edition_over_budget_is_reported() -> None:
    rendered = render(big_edition(40), mailing=replace(MAILING, html_budget=20_000))
    assert any("over the 20 KB budget" in w for w in rendered.warnings)


# -- the message -----------------------------------------------------------------


def message_for(mailing: MailingList, theme: Theme | None = None) -> EmailMessage:
    rendered = render(big_edition(8), theme=theme, mailing=mailing)
    message = compose_message(
        message_body(rendered),
        sender=SENDER,
        to="reader@example.org",
        date=NOW,
        message_id="<edition-1@press-office.example>",
        mailing=mailing,
        list_name="Press Office",
    )
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_message_carries_list_headers_and_both_parts_with_the_same_links() -> None:
    parsed = message_for(MAILING)
    assert parsed["List-Id"] == "Press Office <digest.press-office.example>"
    assert parsed["List-Unsubscribe"].strip() == (
        "<mailto:unsubscribe@press-office.example?subject=unsubscribe>"
    )
    assert parsed["List-Unsubscribe-Post"] is None, "one-click needs an https address"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    html_links = set(Page(html.get_content()).story_links())
    assert html_links and html_links == set(
        re.findall(r"https://\S+/2026/11/\S+", text.get_content())
    )


def test_one_click_unsubscribe_is_offered_with_an_https_address() -> None:
    mailing = replace(MAILING, unsubscribe_url="https://press-office.example/unsubscribe")
    parsed = message_for(mailing)
    assert parsed["List-Unsubscribe"].strip() == (
        "<mailto:unsubscribe@press-office.example?subject=unsubscribe>, "
        "<https://press-office.example/unsubscribe>"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_logo_travels_inside_the_message() -> None:
    parsed = message_for(MAILING, Theme(logo=LOGO))
    related = [part for part in parsed.walk() if part.get_content_type() == "multipart/related"]
    assert len(related) == 1
    [image] = [part for part in parsed.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<logo@press-digest>"
    assert image.get_payload(decode=True) == LOGO_PNG


def test_recipients_differ_in_their_headers_and_share_the_frozen_body() -> None:
    """The body is written once per edition, the same bytes for everyone and
    for a send resumed later; only each reader's headers are their own."""
    rendered = render(big_edition(8), theme=Theme(logo=LOGO), mailing=MAILING)

    def message(to: str, body_from: RenderedEdition) -> bytes:
        return compose_message(
            message_body(body_from),
            sender=SENDER,
            to=to,
            date=NOW,
            message_id=f"<edition-1.{to}>",
            mailing=MAILING,
            list_name="Press Office",
        )

    first = message("ana@example.org", rendered)
    second = message("ben@example.org", replace(rendered))  # built afresh, as a resumed run does
    head_a, _, body_a = first.partition(b"\r\n\r\n")
    head_b, _, body_b = second.partition(b"\r\n\r\n")
    assert body_a == body_b
    assert b"To: ana@example.org" in head_a and b"To: ben@example.org" in head_b
    assert b"\n" not in first.replace(b"\r\n", b""), "CRLF line ends only, as SMTP wants"
    # A well-formed message: the email package reads it and writes it back unchanged.
    parsed = email.message_from_bytes(first)
    assert parsed.as_bytes(policy=parsed.policy.clone(linesep="\r\n")) == first
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]


# -- templates -------------------------------------------------------------------


def test_a_template_error_names_the_template() -> None:
    broken = {**TEMPLATES, "email.mjml": "{{ no_such_variable }}"}
    with pytest.raises(RenderError, match="email.mjml"):
        render(big_edition(4), templates=broken)


def test_subject_preheader_and_dates_use_the_edition_zone() -> None:
    rendered = render(one_item_edition(make_item(1)))
    assert rendered.subject == "Weekly rights digest"
    assert "1 story" in rendered.preheader
    # The item is dated 20:30 UTC on the 24th: the 25th in Phnom Penh.
    assert make_item(1).date.day == 24
    assert "Le Courrier du Mékong, 25 Nov 2026." in rendered.text


BRIEFING = Theme(layout="briefing")


def test_the_briefing_layout_is_bullet_paragraphs_with_the_headline_as_the_link() -> None:
    edition = big_edition(12, reported_twice=2)
    rendered = render(edition, theme=BRIEFING)
    assert "<h2" not in rendered.html, "no section headings unless asked for"
    assert rendered.html.count('<li class="item"') == len(edition.items)
    for entry in edition.items:
        link = f'<a href="{entry.item.url}">{html.escape(entry.item.title, quote=False)}</a>'
        assert link in rendered.html, "the headline words carry the link"
    twice = [entry for entry in edition.items if entry.also]
    assert twice and all(
        f'also reported by <a href="{entry.also[0].url}"' in rendered.html for entry in twice
    ), "other outlets are folded into the sentence"
    assert rendered.html.index(rendered.subject) < rendered.html.index(TEXT.greeting)
    assert rendered.text.count("\n* ") == len(edition.items)
    assert "also reported by" in rendered.text and not rendered.warnings


def test_the_briefing_layout_shows_section_headings_when_asked() -> None:
    edition = big_edition(12, reported_twice=0)
    headed = render(edition, theme=Theme(layout="briefing", briefing_headings=True))
    assert headed.html.count("<h2") == len(edition.sections) + (1 if edition.lead else 0)
    assert render(edition).html.count("<h2") == headed.html.count("<h2")


def test_the_briefing_layout_escapes_hostile_feed_text() -> None:
    item = replace(make_item(1, title=HOSTILE, summary=HOSTILE), outlet=HOSTILE)
    rendered = render(one_item_edition(item), theme=BRIEFING)
    page = Page(rendered.html)
    assert not [tag for tag, _ in page.tags if tag in ("script", "img", "iframe")]
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    assert HOSTILE in rendered.text


KHMER_CLAUSE = (
    "ការិយាល័យឧត្តមស្នងការសិទ្ធិមនុស្សនៃអង្គការសហប្រជាជាតិបានអំពាវនាវឱ្យដោះលែង"
    "អ្នកការពារសិទ្ធិមនុស្សដែលត្រូវបានឃុំខ្លួនតាំងពីខែមុនដោយគ្មានការចោទប្រកាន់។"
)


@pytest.mark.parametrize("use_icu", [False, True])
def test_khmer_without_spaces_wraps_between_clusters_never_inside(
    use_icu: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest import linebreak

    if use_icu and linebreak._icu_breaker() is None:
        pytest.skip("PyICU is not installed (the khmer extra): the cluster fallback is tested")
    if not use_icu:
        monkeypatch.setattr(linebreak, "_icu_breaker", lambda: None)
    # Wrapped lines are kept between calls; this test wants them made its way.
    wrap_text.cache_clear()
    linebreak.khmer_pieces.cache_clear()
    wrapped = wrap_text(KHMER_CLAUSE, 40, indent="  ", first="* ")
    lines = wrapped.splitlines()
    assert len(lines) > 2
    assert "".join(line[2:] for line in lines) == KHMER_CLAUSE, "nothing added or lost"
    for line in lines:
        assert linebreak.display_width(line) <= 40, line
        start = line[2]
        assert unicodedata.category(start) == "Lo", f"a line starts inside a cluster: {line}"
    assert not [line for line in lines if line.endswith("\u17d2")], "never after a subscript sign"
