"""The feed list: OPML in, FeedSource values out, every kind of location."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import ConfigError
from digest.sources import parse_opml
from digest.urls import canonical_url

from .conftest import SAMPLE_OPML


def opml(*outlines: str) -> str:
    return f'<opml version="2.0"><head/><body>{"".join(outlines)}</body></opml>'


def test_sample_list_names_six_local_feeds_with_languages() -> None:
    sources = parse_opml(SAMPLE_OPML.read_text("utf-8"), str(SAMPLE_OPML))
    assert len(sources) == 6
    # Five Cambodian outlets and rights groups are curated; the general wire is not.
    assert [s.name for s in sources if not s.curated] == ["World Wire"]
    assert {s.lang for s in sources} == {"en", "fr", "km"}
    for source in sources:
        assert source.url.startswith("file:///") and Path(source.url[7:]).is_file()


def test_urls_paths_and_file_urls_are_all_accepted(tmp_path: Path) -> None:
    text = opml(
        '<outline text="Web" xmlUrl="https://news.example/rss"/>',
        '<outline text="Relative" xmlUrl="feeds/local.xml"/>',
        f'<outline text="Absolute" xmlUrl="{tmp_path}/abs.xml"/>',
        '<outline text="File URL" xmlUrl="file:///srv/feeds/x.xml"/>',
        '<outline text="A folder, not a feed"/>',
    )
    urls = [s.url for s in parse_opml(text, str(tmp_path / "list.opml"))]
    assert urls == [
        "https://news.example/rss",
        (tmp_path / "feeds/local.xml").as_uri(),
        (tmp_path / "abs.xml").as_uri(),
        "file:///srv/feeds/x.xml",
    ]


def test_a_feed_listed_twice_is_fetched_once() -> None:
    text = opml(*['<outline text="Web" xmlUrl="https://news.example/rss"/>'] * 2)
    assert len(parse_opml(text, "/x/list.opml")) == 1


def test_broken_opml_names_the_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"^list.opml:3: not valid OPML"):
        parse_opml("<opml>\n<body>\n<outline></body>", "list.opml")


def test_entity_tricks_are_refused() -> None:
    bomb = '<!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>'
    with pytest.raises(ConfigError, match="DOCTYPE"):
        parse_opml(bomb, "list.opml")


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://News.Example:443/a?utm_source=x&id=7#top", "https://news.example/a?id=7"),
        ("https://news.example/a?fbclid=1&gclid=2", "https://news.example/a"),
        ("http://news.example:8080", "http://news.example:8080/"),
        (
            "https://news.example/search?q=kem+sokha&page=2",
            "https://news.example/search?q=kem+sokha&page=2",
        ),
    ],
)
def test_canonical_urls_drop_tracking_and_keep_meaning(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
