"""Fetching from a real HTTP server on 127.0.0.1: what publishers really do.

Waits between retries go through an injected `sleep` that records them, so
the tests see how long press-digest would wait without waiting that long.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.errors import FeedError, FeedGone
from digest.fetch import Fetcher, FetchRequest, parse_retry_after
from digest.settings import FetchSettings
from digest.types import FeedSource, FetchResult

from .conftest import ROOT, FeedServer, Route

SAMPLE = (ROOT / "feeds/sample/mekong-dispatch.rss").read_bytes()
FAST = FetchSettings(
    timeout=3, feed_timeout=10, max_bytes=1_000_000, user_agent="press-digest-test/1", backoff=0.5
)


class Waits(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetch_all(
    urls: list[str],
    settings: FetchSettings = FAST,
    waits: Waits | None = None,
    *,
    told: bool = False,
    **request: str,
) -> list[FetchResult | FeedError]:
    """Fetch every URL in one run; each result or the error it raised. `told`:
    the fetcher is told the URLs as it is made, as `digest update` does."""
    sleep = waits if waits is not None else Waits()

    async def run() -> list[FetchResult | FeedError]:
        async with Fetcher(settings, sleep=sleep, expecting=urls if told else ()) as fetcher:
            jobs = [
                fetcher.fetch(FetchRequest(FeedSource(url=url), url, **request)) for url in urls
            ]
            return list(await asyncio.gather(*jobs, return_exceptions=True))  # type: ignore[arg-type]

    results = asyncio.run(run())
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, FeedError):
            raise result
    return results


def get(
    url: str,
    settings: FetchSettings = FAST,
    waits: Waits | None = None,
    *,
    told: bool = False,
    **request: str,
) -> FetchResult:
    result = fetch_all([url], settings, waits, told=told, **request)[0]
    if isinstance(result, FeedError):
        raise result
    return result


def test_a_feed_is_downloaded_with_our_user_agent(feed_server: FeedServer) -> None:
    result = get(feed_server.add("/feed.xml", SAMPLE))
    assert result.content == SAMPLE and result.status == 200
    assert result.header("content-type") == "application/xml"
    assert feed_server.seen[0].headers["User-Agent"] == "press-digest-test/1"


@pytest.mark.parametrize("told", [False, True], ids=["loaded-when-needed", "loaded-ahead"])
def test_https_feeds_are_fetched_only_from_a_certificate_we_trust(
    https_feed_server: tuple[FeedServer, Path], monkeypatch: pytest.MonkeyPatch, told: bool
) -> None:
    """Someone between the press office and a publisher must not be able to
    pass off a feed of their own: an unknown CA is refused, and a CA the
    machine is told to trust (SSL_CERT_FILE, as for a newsroom's own) works,
    whether the CAs are loaded at the first download or ahead, in a thread."""
    server, ca_file = https_feed_server
    url = server.add("/feed.xml", SAMPLE)
    waits = Waits()
    with pytest.raises(FeedError, match="certificate is not trusted.*CERTIFICATE_VERIFY_FAILED"):
        get(url, waits=waits, told=told)
    assert waits == [], "a certificate refused is not a passing fault: no retry"
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    assert get(url, told=told).content == SAMPLE


@pytest.mark.parametrize("told", [False, True], ids=["loaded-when-needed", "loaded-ahead"])
def test_cas_that_cannot_be_loaded_fail_each_feed_saying_where_they_were_looked_for(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, told: bool
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing))
    urls = [feed_server.add(f"/{n}.xml", SAMPLE) for n in range(3)]
    results = fetch_all(urls, told=told)
    assert len(results) == 3
    for result in results:
        assert isinstance(result, FeedError)
        assert f"SSL_CERT_FILE={missing}" in result.message
        assert "No such file" in result.message
    assert feed_server.seen == [], "nothing is fetched without the CAs"


def test_a_feed_can_have_its_own_user_agent(feed_server: FeedServer) -> None:
    url = feed_server.add("/picky.xml", SAMPLE)

    async def run() -> FetchResult:
        async with Fetcher(FAST) as fetcher:
            source = FeedSource(url=url, user_agent="Mozilla/5.0 (press office)")
            return await fetcher.fetch(FetchRequest(source, url))

    asyncio.run(run())
    assert feed_server.seen[0].headers["User-Agent"] == "Mozilla/5.0 (press office)"


def test_etag_and_last_modified_make_a_second_fetch_a_304(feed_server: FeedServer) -> None:
    stamp = "Tue, 24 Nov 2026 06:00:00 GMT"
    url = feed_server.add("/cond.xml", SAMPLE, etag='"v1"', last_modified=stamp)
    first = get(url)
    assert first.header("etag") == '"v1"' and first.header("last-modified") == stamp
    second = get(url, etag='"v1"', last_modified=stamp)
    assert second.not_modified and second.content == b""
    assert feed_server.seen[1].headers["If-None-Match"] == '"v1"'
    assert feed_server.seen[1].headers["If-Modified-Since"] == stamp


def test_last_modified_alone_is_enough_for_a_304(feed_server: FeedServer) -> None:
    stamp = "Tue, 24 Nov 2026 06:00:00 GMT"
    url = feed_server.add("/lm.xml", SAMPLE, last_modified=stamp)
    assert get(url, last_modified=stamp).not_modified


def test_a_permanent_redirect_reports_the_new_address(feed_server: FeedServer) -> None:
    target = feed_server.add("/new.xml", SAMPLE)
    for status in (301, 308):
        moved = feed_server.add(f"/old-{status}.xml", status=status, headers={"Location": target})
        result = get(moved)
        assert result.content == SAMPLE and result.url == target and result.moved_to == target


def test_a_temporary_redirect_keeps_the_listed_address(feed_server: FeedServer) -> None:
    target = feed_server.add("/today.xml", SAMPLE)
    for status in (302, 307):
        hop = feed_server.add(f"/tmp-{status}.xml", status=status, headers={"Location": target})
        result = get(hop)
        assert result.content == SAMPLE and result.moved_to is None


def test_only_the_permanent_part_of_a_chain_counts(feed_server: FeedServer) -> None:
    final = feed_server.add("/final.xml", SAMPLE)
    middle = feed_server.add("/middle.xml", status=302, headers={"Location": final})
    first = feed_server.add("/first.xml", status=301, headers={"Location": "/middle.xml"})
    result = get(first)
    assert result.moved_to == middle and result.url == final


def test_a_redirect_loop_is_named(feed_server: FeedServer) -> None:
    feed_server.add("/a.xml", status=302, headers={"Location": "/b.xml"})
    url_b = feed_server.add("/b.xml", status=302, headers={"Location": "/a.xml"})
    with pytest.raises(FeedError, match="redirect loop at .*/a.xml"):
        get(feed_server.url("/a.xml"))
    assert url_b


def test_a_missing_feed_is_a_404_error_without_retries(feed_server: FeedServer) -> None:
    with pytest.raises(FeedError, match="HTTP 404"):
        get(feed_server.url("/nothing-here.xml"))
    assert len(feed_server.seen) == 1


def test_410_gone_is_its_own_error(feed_server: FeedServer) -> None:
    url = feed_server.add("/closed.xml", b"gone", status=410)
    with pytest.raises(FeedGone, match="410 Gone"):
        get(url)


def test_a_server_error_then_success_is_retried_with_backoff(feed_server: FeedServer) -> None:
    url = feed_server.add_sequence(
        "/flaky.xml", Route(b"oops", status=500), Route(b"oops", status=502), Route(SAMPLE)
    )
    waits = Waits()
    assert get(url, waits=waits).content == SAMPLE
    assert waits == [0.5, 1.0]
    assert len(feed_server.hits("/flaky.xml")) == 3


def test_a_server_that_keeps_failing_gives_up_after_the_retries(feed_server: FeedServer) -> None:
    url = feed_server.add("/down.xml", b"oops", status=503)
    with pytest.raises(FeedError) as caught:
        get(url)
    assert str(caught.value) == f"{url}: HTTP 503 Service Unavailable (3 tries)"
    assert len(feed_server.hits("/down.xml")) == 3


def test_429_waits_as_long_as_retry_after_says(feed_server: FeedServer) -> None:
    url = feed_server.add_sequence(
        "/busy.xml", Route(status=429, headers={"Retry-After": "7"}), Route(SAMPLE)
    )
    waits = Waits()
    assert get(url, waits=waits).content == SAMPLE
    assert waits == [7.0]


def test_a_retry_after_past_the_limit_fails_without_waiting(feed_server: FeedServer) -> None:
    url = feed_server.add("/later.xml", status=503, headers={"Retry-After": "86400"})
    waits = Waits()
    with pytest.raises(FeedError, match=r"wait 86400 s, more than fetch.max_retry_after"):
        get(url, waits=waits)
    assert waits == [] and len(feed_server.hits("/later.xml")) == 1


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 25, 6, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 06:00:30 GMT", now) == 30.0
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("soon", now) is None


def test_a_dropped_connection_is_retried(feed_server: FeedServer) -> None:
    url = feed_server.add_sequence("/drop.xml", Route(drop=True), Route(SAMPLE))
    assert get(url).content == SAMPLE
    assert len(feed_server.hits("/drop.xml")) == 2


def test_a_slow_response_times_out(feed_server: FeedServer) -> None:
    url = feed_server.add("/slow.xml", SAMPLE, delay=2.0)
    with pytest.raises(FeedError, match="timed out"):
        get(url, dataclasses.replace(FAST, timeout=0.3))


def test_a_body_that_trickles_in_hits_the_total_time_for_the_feed(
    feed_server: FeedServer,
) -> None:
    # Each chunk arrives before the read timeout, so only the total can stop it.
    url = feed_server.add("/drip.xml", SAMPLE, chunks=40, chunk_delay=0.1)
    with pytest.raises(FeedError, match=r"gave up after 0.8 s in all \(fetch.feed_timeout\)"):
        get(url, dataclasses.replace(FAST, timeout=1, feed_timeout=0.8))


def test_a_feed_waiting_its_turn_behind_slow_servers_has_its_whole_time_once_asked_for(
    feed_server: FeedServer,
) -> None:
    # One at a time, four feeds of 0.5 s each: the last is asked for after
    # 1.5 s, beyond the 1.2 s each feed is allowed, and needs only 0.5 of it.
    urls = [feed_server.add(f"/slow{n}.xml", SAMPLE, delay=0.5) for n in range(4)]
    settings = dataclasses.replace(FAST, concurrency=1, per_host=1, feed_timeout=1.2)
    results = fetch_all(urls, settings)
    assert [getattr(result, "status", result) for result in results] == [200] * 4
    # Its time still runs from its first request: a feed that trickles in
    # behind the slow ones gives up 1.2 s after it was asked for.
    drip = feed_server.add("/drip.xml", SAMPLE, chunks=40, chunk_delay=0.1)
    *fetched, given_up = fetch_all([*urls, drip], settings)
    assert all(result.status == 200 for result in fetched)  # type: ignore[union-attr]
    assert isinstance(given_up, FeedError)
    assert "gave up after 1.2 s in all" in given_up.message


def test_a_huge_declared_body_is_refused_before_reading(feed_server: FeedServer) -> None:
    url = feed_server.add("/huge.xml", b"<rss>" + b" " * 3_000_000, chunks=30)
    with pytest.raises(FeedError, match="3,000,005 bytes, larger than the 1,000,000-byte limit"):
        get(url)


def test_a_huge_streamed_body_is_cut_off_at_the_limit(feed_server: FeedServer) -> None:
    url = feed_server.add("/stream.xml", b"<rss>" + b" " * 3_000_000, chunks=30, stream=True)
    with pytest.raises(FeedError, match="feed is larger than the 1,000,000-byte limit"):
        get(url)


def test_a_gzip_bomb_is_measured_after_decompression(feed_server: FeedServer) -> None:
    url = feed_server.add_gzip("/bomb.xml", b"<rss>" + b"A" * 50_000_000)
    with pytest.raises(FeedError, match="feed is larger than"):
        get(url)


def test_a_compressed_feed_is_decompressed(feed_server: FeedServer) -> None:
    assert get(feed_server.add_gzip("/small.xml", SAMPLE)).content == SAMPLE


def test_an_encoding_we_did_not_ask_for_is_an_error(feed_server: FeedServer) -> None:
    url = feed_server.add("/br.xml", b"xx", headers={"Content-Encoding": "br"})
    with pytest.raises(FeedError, match="unsupported Content-Encoding 'br'"):
        get(url)


def test_no_more_than_per_host_requests_at_once(feed_server: FeedServer) -> None:
    urls = [feed_server.add(f"/f{n}.xml", SAMPLE, delay=0.2) for n in range(6)]
    results = fetch_all(urls, dataclasses.replace(FAST, per_host=2))
    assert all(isinstance(result, FetchResult) for result in results)
    assert feed_server.busy["most"] == 2


@pytest.mark.parametrize("answer", ["200", "304", "redirect"])
def test_feeds_on_one_host_share_its_connections(feed_server: FeedServer, answer: str) -> None:
    """A publisher's twelve section feeds cost two connections, not twelve
    handshakes, whether they answer with the feed, a 304 or a redirect."""
    urls = []
    for n in range(12):
        url = feed_server.add(f"/section{n}.xml", SAMPLE, etag='"v1"')
        if answer == "redirect":
            url = feed_server.add(f"/old{n}.xml", b"moved", status=301, headers={"Location": url})
        urls.append(url)
    etag = {"etag": '"v1"'} if answer == "304" else {}
    results = fetch_all(urls, dataclasses.replace(FAST, per_host=2), **etag)
    assert all(isinstance(result, FetchResult) for result in results)
    assert {result.status for result in results if isinstance(result, FetchResult)} == {
        304 if answer == "304" else 200
    }
    assert feed_server.busy["connections"] == 2


def test_the_same_feed_is_fetched_once_per_run(feed_server: FeedServer) -> None:
    url = feed_server.add("/twice.xml", SAMPLE, delay=0.1)
    results = fetch_all([url, url])
    assert [r.content for r in results if isinstance(r, FetchResult)] == [SAMPLE, SAMPLE]
    assert len(feed_server.hits("/twice.xml")) == 1


def test_feeds_wait_their_turn_while_more_are_asked_for_than_fetched_at_once(
    feed_server: FeedServer,
) -> None:
    """What `digest update` asks before a feed waits for others to be parsed
    with it: whether more answers are coming after this round."""
    urls = [feed_server.add(f"/turn{n}.xml", SAMPLE, delay=0.2) for n in range(3)]

    async def run() -> list[bool]:
        queued = []
        async with Fetcher(dataclasses.replace(FAST, concurrency=2)) as fetcher:
            queued.append(fetcher.queued)
            jobs = [fetcher.fetch(FetchRequest(FeedSource(url=url), url)) for url in urls]
            fetching = [asyncio.ensure_future(job) for job in jobs]
            await asyncio.sleep(0.05)
            queued.append(fetcher.queued)  # two downloading, one waiting
            await asyncio.wait(fetching, return_when=asyncio.FIRST_COMPLETED)
            queued.append(fetcher.queued)  # the last one's turn came
            await asyncio.gather(*fetching)
        return queued

    assert asyncio.run(run()) == [False, True, False]


def test_local_files_and_their_absence(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(SAMPLE)
    assert get(path.as_uri()).content == SAMPLE
    with pytest.raises(FeedError, match="feed file not found"):
        get((tmp_path / "gone.xml").as_uri())


def test_unknown_schemes_are_refused() -> None:
    with pytest.raises(FeedError, match="unsupported URL scheme 'ftp'"):
        get("ftp://example.org/feed.xml")


def test_a_fetcher_that_fetched_nothing_leaves_no_thread_loading_the_cas() -> None:
    """A run whose feeds other runs all held fetches nothing: the CAs it began
    loading must be done with when it ends, or the interpreter, ending under
    a thread still inside OpenSSL, crashes the process."""

    async def run() -> None:
        async with Fetcher(FAST, expecting=["https://feeds.example.org/news.xml"]):
            pass

    asyncio.run(run())
    assert [thread for thread in threading.enumerate() if thread.name == "load-cas"] == []
