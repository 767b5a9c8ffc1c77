"""The fast feed reader against feedparser, its reference: on every fixture
feed (real publishers' snapshots and feedparser's own well-formed corpus),
wherever the fast path reads a feed, the items stored are the ones
feedparser's reading gives (title, link, guid, dates, summary after our
sanitising, language, author); everywhere else it declines and says why."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.errors import FeedError
from digest.parse import parse_feed
from digest.plainfeed import Declined, PlainFeed, read_plain_feed
from digest.types import FeedSource, FetchResult, ParsedFeed

from .conftest import ROOT, FeedServer, shared_fixture, write_config
from .test_update import FAST_FETCH, opml_for

URL = "https://news.example/feed"
_HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.+?)\s*$", re.MULTILINE)


def fixture_files() -> list[Path]:
    base = shared_fixture()
    real = sorted(p for p in (base / "real-feeds").rglob("*") if p.is_file() and p.suffix != ".md")
    corpus = sorted((base / "feedparser-corpus" / "tests" / "wellformed").rglob("*.xml"))
    return [p for p in real + corpus if p.name != "LICENSE"]


def fetched_as_served(path: Path) -> FetchResult:
    """The file as a server would send it: the headers a corpus file names
    in its opening comment ("Header: Content-type: ..."), else plain XML."""
    content = path.read_bytes()
    headers = [
        (name.decode().lower(), value.decode()) for name, value in _HEADER.findall(content[:2000])
    ]
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/xml"))
    return FetchResult(url=URL, content=content, headers=tuple(headers))


def both_ways(fetched: FetchResult) -> tuple[ParsedFeed | str, ParsedFeed | str]:
    source = FeedSource(url=URL, name="Fixture")
    results: list[ParsedFeed | str] = []
    for fast in (True, False):
        try:
            results.append(parse_feed(source, fetched, fast=fast))
        except FeedError as exc:
            results.append(f"error: {exc}")
    return results[0], results[1]


def test_where_the_fast_path_reads_a_feed_it_stores_what_feedparser_would() -> None:
    files = fixture_files()
    fast_read, differ = 0, []
    for path in files:
        fast, reference = both_ways(fetched_as_served(path))
        if isinstance(fast, str) or not fast.parser == "lxml":
            continue
        fast_read += 1
        assert not isinstance(reference, str), f"{path}: feedparser could not read it: {reference}"
        mine = [asdict(item) for item in fast.items]
        theirs = [asdict(item) for item in reference.items]
        if (mine, fast.title, fast.lang) != (theirs, reference.title, reference.lang):
            differ.append(str(path.relative_to(path.parents[2])))
    assert differ == [], f"the fast path and feedparser disagree on {len(differ)} feeds: {differ}"
    # Most real-world feeds are plain; a reader that declines them all is no fast path.
    assert fast_read >= len(files) // 4, f"only {fast_read} of {len(files)} took the fast path"


def test_the_sample_feeds_take_the_fast_path() -> None:
    for path in sorted((ROOT / "feeds" / "sample").iterdir()):
        fetched = FetchResult(url=path.as_uri(), content=path.read_bytes(), headers=())
        fast, reference = both_ways(fetched)
        assert not isinstance(fast, str) and not isinstance(reference, str)
        assert fast.parser == "lxml", f"{path.name}: {fast.parser}"
        assert fast.items == reference.items


@pytest.mark.parametrize(
    ("content", "headers", "reason"),
    [
        (b'<?xml version="1.0" encoding="shift_jis"?><rss version="2.0"/>', {}, "encoding"),
        (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"/>',
         {"content-type": "application/xml; charset=iso-8859-1"}, "served as"),
        (b'<rss version="2.0" xml:base="https://x.example/"><channel/></rss>', {}, "xml:base"),
        (b"\x1f\x8b\x08\x00gzip", {}, "does not start with XML"),
        (b"<html><body>not a feed</body></html>", {}, "not RSS 0.91 to 2.0 or Atom"),
        (b'<rss version="2.0"><channel><item><title>a &nbsp; b</title></item></channel></rss>',
         {}, "not well-formed"),
        (b'<rss version="2.0"><channel><item><title>t</title><dc:date '
         b'xmlns:dc="http://purl.org/dc/elements/1.1/">2026-01-01</dc:date></item></channel></rss>',
         {}, "a date written '2026-01-01'"),
        (b'<rss version="2.0"><channel><item><title>t</title><media:title '
         b'xmlns:media="http://search.yahoo.com/mrss/">m</media:title></item></channel></rss>',
         {}, "mrss/}title"),
        (b'<rss version="2.0"><channel><item><title>t</title><x:extra xmlns:x="urn:x">'
         b"<title>inside</title></x:extra></item></channel></rss>", {}, "inside"),
        (b'<rss version="2.0"><channel><item><pubDate>Mon, 3 Nov 2026 10:00 EST</pubDate>'
         b"</item></channel></rss>", {}, "a date written"),
        ('<rss version="2.0"><channel><item><title>é</title></item></channel></rss>'.encode(),
         {"content-type": "text/xml"}, "text/* without a charset"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="xhtml">t</title>'
         b"</entry></feed>", {}, "XHTML text construct without its one <div>"),
    ],
)  # fmt: skip
def test_what_the_fast_path_does_not_read_as_feedparser_does_it_declines(
    content: bytes, headers: dict[str, str], reason: str
) -> None:
    found = read_plain_feed(content, headers)
    assert isinstance(found, Declined) and reason in found.reason, found


def test_a_plain_feed_is_read() -> None:
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
        b"<language>fr</language><item><title>Un titre</title><link>https://x.example/1</link>"
        b"<guid isPermaLink='false'>id-1</guid><pubDate>Tue, 24 Nov 2026 08:30:00 +0700</pubDate>"
        b"<description>&lt;p&gt;Texte&lt;/p&gt;</description></item></channel></rss>"
    )
    found = read_plain_feed(content, {})
    assert isinstance(found, PlainFeed)
    [entry] = found.entries
    assert entry["published_parsed"] == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    assert entry["summary"] == "<p>Texte</p>" and entry["id"] == "id-1"
    assert found.feed["language"] == "fr"


def test_digest_feeds_says_which_parser_read_each_feed(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    plain = (ROOT / "feeds/sample/mekong-dispatch.rss").read_bytes()
    based = plain.replace(
        b'<rss version="2.0"', b'<rss version="2.0" xml:base="https://x.example/"', 1
    )
    assert based != plain
    urls = {
        "plain": feed_server.add("/plain.xml", plain),
        "based": feed_server.add("/based.xml", based),
    }
    config = str(write_config(tmp_path, opml_for(tmp_path, urls), FAST_FETCH))
    runner = CliRunner()
    assert runner.invoke(cli, ["update", "--config", config]).exit_code == 0
    listed = json.loads(runner.invoke(cli, ["feeds", "list", "--json", "--config", config]).stdout)
    parsers = {feed["name"]: feed["parser"] for feed in listed}
    assert parsers == {"plain": "lxml", "based": "feedparser (uses xml:base)"}
    # The same stories either way: the second feed's are the first's, stored once.
    assert sum(feed["items_seen"] for feed in listed) == 2 * listed[0]["items_seen"] > 0
