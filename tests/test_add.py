"""`digest add URL`: links an editor pastes, read from real pages on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.config import load_config
from digest.core import Digest, open_digest
from digest.errors import DigestError

from .conftest import FeedServer, write_config

ARTICLE = """<!DOCTYPE html>
<html lang="en"><head>
<title>Land defenders detained | The Border Post</title>
<meta property="og:title" content="Three land defenders detained after Koh Kong protest">
<meta property="og:site_name" content="The Border Post">
<meta name="description" content="Police detained three villagers who had blocked a
  sand-dredging barge on the Andoung Teuk river, their lawyer said.">
<meta property="article:published_time" content="2026-11-23T09:30:00+07:00">
</head><body><article><h1>Three land defenders detained</h1>
<p>Police detained three villagers on Monday who had blocked a sand-dredging barge for a week,
their lawyer said, adding that they were charged with incitement.</p>
<p>The villagers say dredging has destroyed their fishing grounds.</p></article>
<script>alert("never")</script></body></html>"""

KHMER_ARTICLE = """<html><head><meta property="og:title"
content="អ្នកការពារដីធ្លីបីនាក់ត្រូវបានឃុំខ្លួន"></head><body><article>
<p>ប៉ូលិសបានឃុំខ្លួនអ្នកភូមិបីនាក់ដែលបានតវ៉ាប្រឆាំងនឹងការបូមខ្សាច់នៅខេត្តកោះកុង។</p>
</article></body></html>"""


@pytest.fixture
def digest(tmp_path: Path) -> Digest:
    opml = tmp_path / "feeds.opml"
    opml.write_text('<opml version="2.0"><head/><body/></opml>', "utf-8")
    extra = "\n[fetch]\ntimeout = 2\nretries = 0\n"
    with open_digest(load_config(write_config(tmp_path, opml, extra))) as opened:
        yield opened  # type: ignore[misc]


def test_a_page_fills_in_title_summary_outlet_date_and_language(
    digest: Digest, feed_server: FeedServer
) -> None:
    url = feed_server.add("/land.html", ARTICLE.encode(), headers={"Content-Type": "text/html"})
    added = digest.add_link(url)
    assert added.new and not added.warnings
    item = digest.store.items.all()[0]
    assert item.title == "Three land defenders detained after Koh Kong protest"
    assert item.summary.startswith("Police detained three villagers who had blocked a sand-")
    assert item.outlet == "The Border Post" and item.lang == "en" and item.editor_added
    assert item.published is not None and item.published.date().isoformat() == "2026-11-23"
    assert "alert" not in item.summary


def test_what_the_editor_types_wins(digest: Digest, feed_server: FeedServer) -> None:
    url = feed_server.add("/land.html", ARTICLE.encode(), headers={"Content-Type": "text/html"})
    digest.add_link(
        url, title="Koh Kong villagers held", summary="Our own words.", note="call their lawyer"
    )
    item = digest.store.items.all()[0]
    assert (item.title, item.summary, item.note) == (
        "Koh Kong villagers held",
        "Our own words.",
        "call their lawyer",
    )


def test_the_topic_the_editor_gives_decides_the_section(
    digest: Digest, feed_server: FeedServer
) -> None:
    url = feed_server.add("/land.html", ARTICLE.encode(), headers={"Content-Type": "text/html"})
    digest.add_link(url, topic="political-prisoners")
    edition = digest.plan()
    assert [(s.topic.id, len(s.items)) for s in edition.sections] == [("political-prisoners", 1)]
    assert edition.items[0].classification.set_by_editor


def test_a_gone_page_keeps_the_editors_text_with_a_warning(
    digest: Digest, feed_server: FeedServer
) -> None:
    url = feed_server.add("/removed.html", status=404)
    added = digest.add_link(url, title="Article removed by the outlet", summary="Seen on Monday.")
    assert added.warnings == ("could not read the page (HTTP 404 Not Found); kept your text only",)
    item = digest.store.items.all()[0]
    assert (item.title, item.summary, item.outlet) == (
        "Article removed by the outlet",
        "Seen on Monday.",
        "127.0.0.1",
    )


def test_a_gone_page_without_a_title_stores_nothing(
    digest: Digest, feed_server: FeedServer
) -> None:
    with pytest.raises(DigestError, match="give one with --title"):
        digest.add_link(feed_server.url("/missing.html"))
    assert digest.store.items.count_items() == 0


def test_khmer_pages_are_recognised(digest: Digest, feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/km.html", KHMER_ARTICLE.encode(), headers={"Content-Type": "text/html"}
    )
    digest.add_link(url)
    item = digest.store.items.all()[0]
    assert item.title == "អ្នកការពារដីធ្លីបីនាក់ត្រូវបានឃុំខ្លួន" and item.lang == "km"


def test_adding_the_same_link_twice_updates_one_item(
    digest: Digest, feed_server: FeedServer
) -> None:
    url = feed_server.add("/land.html", ARTICLE.encode(), headers={"Content-Type": "text/html"})
    assert digest.add_link(url).new
    assert not digest.add_link(url + "?utm_source=mail", title="Better headline").new
    assert [item.title for item in digest.store.items.all()] == ["Better headline"]


def test_a_feed_does_not_overwrite_an_item_the_editor_took_in_hand(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    link = "https://news.example/story"
    feed = (
        '<rss version="2.0"><channel><title>News</title><item><guid>s1</guid>'
        f"<title>Original headline</title><link>{link}</link></item></channel></rss>"
    )
    feed_url = feed_server.add("/feed.xml", feed.encode())
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<opml version="2.0"><head/><body>'
        f'<outline text="News" xmlUrl="{feed_url}"/></body></opml>',
        "utf-8",
    )
    config = load_config(write_config(tmp_path, opml, "\n[fetch]\ntimeout = 1\nretries = 0\n"))
    with open_digest(config) as digest:
        digest.update()
        digest.add_link(link, title="Editor's headline")
        feed_server.add("/feed.xml", feed.replace("Original", "Changed").encode())
        digest.update()
        assert [item.title for item in digest.store.items.all()] == ["Editor's headline"]


def test_unknown_topics_and_non_links_are_refused(digest: Digest) -> None:
    with pytest.raises(DigestError, match="unknown topic 'arrests' \\(known: political-prisoners"):
        digest.add_link("https://news.example/a", topic="arrests")
    with pytest.raises(DigestError, match="not an http"):
        digest.add_link("javascript:alert(1)")


def test_the_add_command_reports_what_it_stored(tmp_path: Path, feed_server: FeedServer) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text('<opml version="2.0"><head/><body/></opml>', "utf-8")
    config = write_config(tmp_path, opml, "\n[fetch]\ntimeout = 2\nretries = 0\n")
    url = feed_server.add("/land.html", ARTICLE.encode(), headers={"Content-Type": "text/html"})
    result = CliRunner().invoke(
        cli, ["add", url, "--topic", "land-environment", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "added #1: Three land defenders detained after Koh Kong protest (The Border Post) "
        "under land-environment\n"
    )
