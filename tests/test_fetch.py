"""Fetching from a real HTTP server on 127.0.0.1: good, slow, failing, huge feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest import fetch
from digest.errors import FeedError
from digest.types import FeedSource

from .conftest import ROOT, FeedServer

SAMPLE = (ROOT / "feeds/sample/mekong-dispatch.rss").read_bytes()


def get(url: str, *, timeout: float = 5, max_bytes: int = 1_000_000):  # type: ignore[no-untyped-def]
    with fetch.open_client(timeout=timeout, user_agent="press-digest-test/1") as client:
        return fetch.fetch_source(FeedSource(url=url), client, max_bytes=max_bytes)


def test_a_feed_is_downloaded_with_our_user_agent(feed_server: FeedServer) -> None:
    result = get(feed_server.add("/feed.xml", SAMPLE))
    assert result.content == SAMPLE
    assert result.header("content-type") == "application/xml"
    assert feed_server.requests[0][1]["User-Agent"] == "press-digest-test/1"


def test_a_server_error_names_the_feed_and_status(feed_server: FeedServer) -> None:
    url = feed_server.add("/down.xml", b"oops", status=503)
    with pytest.raises(FeedError) as caught:
        get(url)
    assert str(caught.value) == f"{url}: HTTP 503 Service Unavailable"


def test_a_missing_feed_is_a_404_error(feed_server: FeedServer) -> None:
    with pytest.raises(FeedError, match="HTTP 404"):
        get(feed_server.url("/nothing-here.xml"))


def test_a_slow_feed_times_out(feed_server: FeedServer) -> None:
    url = feed_server.add("/slow.xml", SAMPLE, delay=2.0)
    with pytest.raises(FeedError, match="timed out"):
        get(url, timeout=0.3)


def test_a_huge_feed_is_cut_off_at_the_limit(feed_server: FeedServer) -> None:
    url = feed_server.add("/huge.xml", b"<rss>" + b" " * 3_000_000, chunks=30)
    with pytest.raises(FeedError, match="larger than the 1,000,000-byte limit"):
        get(url)


def test_a_gzip_bomb_is_measured_after_decompression(feed_server: FeedServer) -> None:
    url = feed_server.add_gzip("/bomb.xml", b"<rss>" + b"A" * 50_000_000)
    with pytest.raises(FeedError, match="larger than"):
        get(url)


def test_a_compressed_feed_is_decompressed(feed_server: FeedServer) -> None:
    assert get(feed_server.add_gzip("/small.xml", SAMPLE)).content == SAMPLE


def test_redirects_are_followed(feed_server: FeedServer) -> None:
    target = feed_server.add("/new.xml", SAMPLE)
    moved = feed_server.add("/old.xml", b"", status=301, headers={"Location": target})
    result = get(moved)
    assert result.url == target and result.content == SAMPLE


def test_local_files_and_their_absence(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(SAMPLE)
    assert get(path.as_uri()).content == SAMPLE
    with pytest.raises(FeedError, match="feed file not found"):
        get((tmp_path / "gone.xml").as_uri())


def test_unknown_schemes_are_refused() -> None:
    with pytest.raises(FeedError, match="unsupported URL scheme 'ftp'"):
        get("ftp://example.org/feed.xml")
