"""Parsing feeds: our samples, hostile input, and real publishers' feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import FeedError
from digest.parse import parse_feed, without_boilerplate
from digest.types import FeedSource, FetchResult

from .conftest import ROOT, shared_fixture

SAMPLES = sorted((ROOT / "feeds" / "sample").iterdir())


def parse_bytes(content: bytes, url: str = "https://news.example/feed", **headers: str):  # type: ignore[no-untyped-def]
    fetched = FetchResult(url=url, content=content, headers=tuple(headers.items()))
    return parse_feed(FeedSource(url=url, name="Test outlet"), fetched)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_feeds_parse_cleanly(path: Path) -> None:
    feed = parse_bytes(path.read_bytes(), url=path.as_uri())
    assert feed.warning is None
    assert len(feed.items) >= 6
    for item in feed.items:
        assert item.title and item.url.startswith("https://") and item.published
        assert "<" not in item.summary, "summaries must be plain text"
    assert feed.lang in {"en", "fr", "km"}


def test_feed_html_never_reaches_the_item() -> None:
    feed = parse_bytes((ROOT / "feeds/sample/mekong-dispatch.rss").read_bytes())
    [item] = [i for i in feed.items if "sugar plantation" in i.summary]
    assert "alert" not in item.summary and "pixel" not in item.summary
    assert "sugar plantation." in item.summary


def test_an_html_page_is_a_clear_error_naming_its_feed() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>News</title>"
        b'<link rel="alternate" type="application/rss+xml" href="https://news.example/rss.xml">'
        b"</head><body><p>Latest news</p></body></html>"
    )
    with pytest.raises(FeedError) as caught:
        parse_bytes(page, **{"Content-Type": "text/html"})
    assert "HTML page, not a feed" in str(caught.value)
    assert "https://news.example/rss.xml" in str(caught.value)
    assert str(caught.value).startswith("https://news.example/feed: ")


def test_garbage_is_an_error_not_a_crash() -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse_bytes(b"\x00\x01\x02 definitely not xml")
    with pytest.raises(FeedError, match="empty response"):
        parse_bytes(b"")


def test_broken_xml_keeps_what_can_be_read_and_says_so() -> None:
    broken = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>Activist arrested</title><link>https://n.example/1</link></item>"
        b"<item><title>Second & broken</title><link>https://n.example/2</link></item>"
        b"</channel></rss>"
    )
    feed = parse_bytes(broken)
    assert [i.title for i in feed.items][:1] == ["Activist arrested"]
    assert feed.warning and "not well-formed" in feed.warning


def test_entries_without_guid_get_a_stable_one() -> None:
    rss = (
        b'<rss version="2.0"><channel><title>T</title><item><title>A</title>'
        b"<link>https://n.example/a</link></item></channel></rss>"
    )
    first, second = parse_bytes(rss), parse_bytes(rss)
    assert first.items[0].guid == second.items[0].guid
    assert first.items[0].guid.startswith("press-digest:")


def test_relative_links_resolve_against_the_feed_url() -> None:
    rss = (
        b'<rss version="2.0"><channel><title>T</title><item><title>A</title>'
        b"<link>/2026/11/a.html</link></item></channel></rss>"
    )
    assert parse_bytes(rss, url="https://n.example/feeds/main").items[0].url == (
        "https://n.example/2026/11/a.html"
    )


def test_an_entry_without_a_link_or_title_is_dropped_and_counted() -> None:
    """Dropped, not given the feed's own address; and said in the feed's
    warning, so that a feed yielding nothing does not look merely quiet."""
    rss = (
        b'<rss version="2.0"><channel><title>T</title>'
        b"<item><title>No link</title></item>"
        b"<item><link>https://n.example/untitled</link></item>"
        b"<item><title>Linked</title><link>/a</link></item></channel></rss>"
    )
    feed = parse_bytes(rss, url="https://n.example/feed")
    assert [item.title for item in feed.items] == ["Linked"]
    assert feed.warning == "2 of 3 entries left out: no title, or no http(s) link to read them at"


def test_a_copy_on_disk_resolves_relative_links_against_the_site_it_names() -> None:
    """A mirror an editor syncs to disk: its relative links point at the
    publisher's site (the feed's own <link>), not at a file path."""
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b'<link rel="alternate" href="https://news.example/"/>'
        b'<entry><title>A</title><id>a</id><link href="/2026/a"/></entry></feed>'
    )
    feed = parse_bytes(atom, url="file:///srv/mirror/news.atom")
    assert [item.url for item in feed.items] == ["https://news.example/2026/a"]
    assert feed.warning is None
    served = parse_bytes(atom, url="https://feeds.example/news.atom")
    assert [item.url for item in served.items] == ["https://feeds.example/2026/a"]


def test_xml_base_applies_only_inside_the_element_that_sets_it() -> None:
    rss = (
        b'<rss version="2.0"><channel><title>T</title>'
        b'<item xml:base="https://mirror.example/first/"><title>A</title><link>a</link></item>'
        b"<item><title>B</title><link>b</link></item></channel></rss>"
    )
    feed = parse_bytes(rss, url="https://n.example/feeds/main")
    assert [item.url for item in feed.items] == [
        "https://mirror.example/first/a",
        "https://n.example/feeds/b",
    ]


def test_an_undeclared_language_is_told_from_the_text() -> None:
    rss = (
        '<rss version="2.0"><channel><title>T</title>'
        "<item><title>Un syndicaliste emprisonné après la grève</title><link>/a</link>"
        "<description>Il est détenu depuis lundi dans la prison de la ville.</description></item>"
        "<item><title>សកម្មជនត្រូវបានចាប់ខ្លួន</title><link>/b</link></item>"
        "</channel></rss>"
    ).encode()
    assert [item.lang for item in parse_bytes(rss).items] == ["fr", "km"]
    declared = rss.replace(b"<channel>", b"<channel><language>en-GB</language>")
    assert [item.lang for item in parse_bytes(declared).items] == ["en", "en"]


ARRESTS = "Read more about the arrests: police named six."


@pytest.mark.parametrize(
    ("summary", "kept"),
    [
        ("Police raided the office.\nContinue reading...", "Police raided the office."),
        ("The minister resigned.\nRead full article >>", "The minister resigned."),
        ("The court adjourned [\u2026]", "The court adjourned\u2026"),
        ("Raid.\nThe post Police raid NGO appeared first on Observer.", "Raid."),
        ("Texte.\nLire la suite", "Texte."),
        ("អត្ថបទ។\nអានបន្ត", "អត្ថបទ។"),  # "read more" in Khmer
        (ARRESTS, ARRESTS),  # a sentence that only starts like one stays
    ],
)
def test_a_platforms_closing_line_is_not_part_of_the_summary(summary: str, kept: str) -> None:
    assert without_boilerplate(summary) == kept


def test_real_feeds_lose_their_read_more_lines() -> None:
    for name, line in (("guardian.rss", "Continue reading"), ("wapowellness.xml", "Read full")):
        folder = "rss-parser" if name == "guardian.rss" else "node-feedparser"
        content = shared_fixture("real-feeds", folder, name).read_bytes()
        feed = parse_bytes(content, url=f"https://publisher.example/{name}")
        assert len(feed.items) > 20
        assert not [item.title for item in feed.items if line in item.summary]


REAL_FEEDS = ["rss-parser", "node-feedparser"]


@pytest.mark.parametrize("folder", REAL_FEEDS)
def test_real_publishers_feeds_parse_without_crashing(folder: str) -> None:
    base = shared_fixture("real-feeds", folder)
    parsed_items = attempted = usable = 0
    for path in sorted(base.iterdir()):
        if (
            path.suffix not in {".xml", ".rss", ".atom"}
            or "gzip" in path.name
            or path.name == "compressed.xml"
        ):
            continue
        attempted += 1
        try:
            # Served from the web as in real life: relative links resolve to https.
            feed = parse_bytes(path.read_bytes(), url=f"https://publisher.example/{path.name}")
        except FeedError:
            continue  # an unusable feed must be an error naming it, never a crash
        usable += 1
        parsed_items += len(feed.items)
        for item in feed.items:
            assert item.title and item.url
            assert "<script" not in item.summary.lower()
    # SOURCES.md: all but a handful of these files hold entries feedparser can read.
    assert usable >= 0.85 * attempted
    assert parsed_items > 100


@pytest.mark.parametrize("folder", ["wellformed", "illformed", "encoding", "entities"])
def test_a_sample_of_the_feedparser_corpus_never_crashes_the_parser(folder: str) -> None:
    base = shared_fixture("feedparser-corpus", "tests", folder)
    files = sorted(path for path in base.rglob("*") if path.is_file())
    sample = files[::7]  # every seventh file: all kinds, in a few seconds
    outcomes = {"parsed": 0, "refused": 0}
    for path in sample:
        try:
            feed = parse_bytes(path.read_bytes(), url=path.as_uri())
        except FeedError as exc:
            assert str(exc).startswith(path.as_uri())
            outcomes["refused"] += 1
            continue
        outcomes["parsed"] += 1
        for item in feed.items:
            assert item.title and item.url
    assert sum(outcomes.values()) == len(sample) > 0


def test_entries_whose_link_is_not_a_web_address_are_dropped() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>Script link</title><link>javascript:alert(document.cookie)</link></item>
    <item><title>Data link</title><link>data:text/html,&lt;script&gt;x&lt;/script&gt;</link></item>
    <item><title>Real story</title><link>https://news.example/real</link></item>
    </channel></rss>"""
    feed = parse_bytes(rss)
    assert [item.title for item in feed.items] == ["Real story"]
