"""`Digest.update` against a real HTTP server: what the editor sees per feed.

Every test runs good feeds beside the broken ones and checks that the good
ones were stored all the same.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest import parsing
from digest.cli import cli
from digest.config import load_config
from digest.core import Digest, open_digest
from digest.errors import DigestError
from digest.parsing import PROCESS_POOL_MIN_FEEDS
from digest.types import FeedUpdate

from . import dns
from .conftest import ROOT, FeedServer, Route, write_config
from .dying_workers import DyingWorkers, killing

SAMPLE_RSS = (ROOT / "feeds/sample/mekong-dispatch.rss").read_bytes()
SAMPLE_ATOM = (ROOT / "feeds/sample/phnom-penh-observer.atom").read_bytes()
RSS_ITEMS = SAMPLE_RSS.count(b"<item>")
ATOM_ITEMS = SAMPLE_ATOM.count(b"<entry>")
FAST_FETCH = """
[fetch]
timeout = 1
feed_timeout = 5
max_bytes = 2000000
backoff = 0.01
max_retry_after = 1
failing_after = 2
silent_after_days = 10
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><title>t</title>
<item><title>&lol3;</title><link>https://laughs.example/a</link></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title>
<item><title>Leak &secret;</title><link>https://xxe.example/a</link></item></channel></rss>"""

# Declared UTF-8, written in Latin-1: the "é" is the single byte 0xE9.
WRONG_ENCODING = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Le Courrier</title>'
    "<item><title>Un syndicaliste libéré</title><link>https://courrier.example/a</link>"
    "<guid>c-1</guid></item></channel></rss>"
).encode("latin-1")

HTML_PAGE = b"""<!DOCTYPE html><html><head><title>News</title>
<link rel="alternate" type="application/rss+xml" href="https://news.example/rss.xml">
</head><body><p>Welcome</p></body></html>"""


# Why a DNS server of the tests' own cannot run here, if it cannot.
NO_DNS_SERVER = dns.available()


def opml_for(folder: Path, urls: dict[str, str]) -> Path:
    outlines = "".join(f'<outline text="{name}" xmlUrl="{url}"/>' for name, url in urls.items())
    path = folder / "feeds.opml"
    path.write_text(f'<opml version="2.0"><head/><body>{outlines}</body></opml>', "utf-8")
    return path


def open_with(tmp_path: Path, urls: dict[str, str]) -> Digest:
    config = write_config(tmp_path, opml_for(tmp_path, urls), FAST_FETCH)
    return open_digest(load_config(config))


def by_name(updates: list[FeedUpdate]) -> dict[str, FeedUpdate]:
    return {update.source.name: update for update in updates}


def own_copy(n: int) -> bytes:
    """The sample RSS feed as outlet `n` of many would serve it: links of its own."""
    return SAMPLE_RSS.replace(b"https://", f"https://o{n}.".encode())


def sample_feeds(
    feed_server: FeedServer, count: int, name: str = "outlet", **route: float
) -> dict[str, str]:
    """`count` outlets serving their own copy of the sample feed, by name."""
    return {
        f"{name}-{n}": feed_server.add(f"/{name}{n}.xml", own_copy(n), **route)
        for n in range(count)
    }


def test_one_run_through_every_kind_of_broken_feed(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = {
        "good-rss": feed_server.add("/good.rss", SAMPLE_RSS),
        "good-atom": feed_server.add("/good.atom", SAMPLE_ATOM),
        "missing": feed_server.url("/missing.xml"),
        "gone": feed_server.add("/gone.xml", status=410),
        "html": feed_server.add("/page.html", HTML_PAGE, headers={"Content-Type": "text/html"}),
        "empty": feed_server.add("/empty.xml", b""),
        "laughs": feed_server.add("/laughs.xml", BILLION_LAUGHS),
        "xxe": feed_server.add("/xxe.xml", EXTERNAL_ENTITY),
        "latin1": feed_server.add("/latin1.xml", WRONG_ENCODING),
        # Its own links: feeds finish in any order, and a shared link is new only once.
        "truncated": feed_server.add(
            "/cut.xml", SAMPLE_RSS.replace(b"mekong", b"cut")[: len(SAMPLE_RSS) // 2]
        ),
        "slow": feed_server.add("/slow.xml", SAMPLE_RSS, delay=3),
        "huge": feed_server.add("/huge.xml", b"<rss>" + b" " * 3_000_000),
        "flaky": feed_server.add_sequence(
            "/flaky.xml", Route(status=500), Route(SAMPLE_RSS.replace(b"mekong", b"flaky"))
        ),
        "busy": feed_server.add_sequence(
            "/busy.xml",
            Route(status=429, headers={"Retry-After": "1"}),
            Route(SAMPLE_ATOM.replace(b"observer-pp", b"busy")),
        ),
    }
    with open_with(tmp_path, urls) as digest:
        results = by_name(digest.update())
        stored = digest.store.items.all()

    assert list(results) == list(urls), "one result per feed, in list order"
    assert results["good-rss"].new == RSS_ITEMS and results["good-atom"].new == ATOM_ITEMS
    assert results["flaky"].status == "ok" and results["flaky"].new == RSS_ITEMS
    # Stored after the wait the 429 asked for.
    assert results["busy"].status == "ok" and results["busy"].new == ATOM_ITEMS
    assert results["latin1"].status == "ok"
    assert results["truncated"].status == "ok" and results["truncated"].warning
    assert 0 < results["truncated"].new < RSS_ITEMS
    assert "Un syndicaliste libéré" in {item.title for item in stored}
    errors = {name: result.error for name, result in results.items() if result.error}
    assert errors == {
        "missing": "HTTP 404 Not Found",
        "gone": "HTTP 410 Gone: the publisher has removed this feed",
        "html": "got an HTML page, not a feed; the page names a feed at https://news.example/rss.xml",
        "empty": "empty response",
        "laughs": errors["laughs"],
        "xxe": errors["xxe"],
        "slow": "timed out (ReadTimeout)",
        "huge": "response is 3,000,005 bytes, "
        "larger than the 2,000,000-byte limit (fetch.max_bytes)",
    }
    for hostile in ("laughs", "xxe"):
        assert "declares XML entities" in errors[hostile]
    assert results["gone"].status == "gone"
    assert not any("passwd" in item.title or "lol" in item.title for item in stored)
    assert len(stored) == (RSS_ITEMS + ATOM_ITEMS) * 2 + 1 + results["truncated"].new


def test_a_truncated_feed_keeps_what_could_be_read_or_says_why(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    cut = SAMPLE_RSS[: SAMPLE_RSS.index(b"</item>", len(SAMPLE_RSS) // 2) + 7]
    urls = {"cut": feed_server.add("/cut.xml", cut)}
    with open_with(tmp_path, urls) as digest:
        result = digest.update()[0]
    assert result.status == "ok" and 0 < result.new < RSS_ITEMS
    assert result.warning and result.warning.startswith("feed is not well-formed")


def test_a_second_run_asks_with_validators_and_parses_nothing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    local = ROOT / "feeds/sample/rights-bulletin.atom"
    urls = {
        "etag": feed_server.add("/etag.xml", SAMPLE_RSS, etag='"abc"'),
        "no-validators": feed_server.add("/plain.atom", SAMPLE_ATOM),
        "file": local.as_uri(),
    }
    with open_with(tmp_path, urls) as digest:
        first = by_name(digest.update())
        count = digest.store.items.count_items()
        second = by_name(digest.update())
        assert digest.store.items.count_items() == count
    assert {r.status for r in first.values()} == {"ok"}
    assert {name: r.status for name, r in second.items()} == {
        "etag": "not-modified",
        "no-validators": "not-modified",
        "file": "not-modified",
    }
    assert feed_server.hits("/etag.xml")[1].headers["If-None-Match"] == '"abc"'


def test_a_feed_that_changes_is_parsed_again(feed_server: FeedServer, tmp_path: Path) -> None:
    urls = {"feed": feed_server.add("/feed.xml", SAMPLE_RSS)}
    with open_with(tmp_path, urls) as digest:
        digest.update()
        changed = SAMPLE_RSS.replace(b"Union leader jailed", b"Union leader sentenced", 1)
        feed_server.add("/feed.xml", changed)
        result = digest.update()[0]
    assert result.status == "ok" and result.updated == 1 and result.new == 0


def test_a_gone_feed_is_disabled_until_enabled(feed_server: FeedServer, tmp_path: Path) -> None:
    urls = {
        "gone": feed_server.add("/gone.xml", status=410),
        "ok": feed_server.add("/ok", SAMPLE_RSS),
    }
    with open_with(tmp_path, urls) as digest:
        assert by_name(digest.update())["gone"].status == "gone"
        again = by_name(digest.update())
        assert again["gone"].status == "disabled" and again["gone"].ok
        assert len(feed_server.hits("/gone.xml")) == 1
        health = {feed.source.name: feed for feed in digest.feed_health()}
        assert health["gone"].flags == ("disabled",)
        assert "digest feeds enable" in health["gone"].notes[0]
        feed_server.add("/gone.xml", SAMPLE_ATOM)
        digest.enable_feed(urls["gone"])
        assert by_name(digest.update())["gone"].new == ATOM_ITEMS


def test_a_permanent_move_is_followed_from_then_on(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    target = feed_server.add("/new-home.xml", SAMPLE_RSS)
    urls = {"moved": feed_server.add("/old-home.xml", status=301, headers={"Location": target})}
    with open_with(tmp_path, urls) as digest:
        assert digest.update()[0].moved_to == target
        digest.update()
        health = digest.feed_health()[0]
    assert len(feed_server.hits("/old-home.xml")) == 1
    assert len(feed_server.hits("/new-home.xml")) == 2
    assert health.fetch_url == target and "moved" in health.flags


def test_failing_and_silent_feeds_are_flagged(feed_server: FeedServer, tmp_path: Path) -> None:
    urls = {
        "down": feed_server.add("/down.xml", status=404),
        "ok": feed_server.add("/ok", SAMPLE_RSS),
    }
    with open_with(tmp_path, urls) as digest:
        digest.update()
        first = {feed.source.name: feed for feed in digest.feed_health()}
        digest.update()
        later = datetime.now(UTC) + timedelta(days=11)
        digest._now = lambda: later  # type: ignore[method-assign]
        second = {feed.source.name: feed for feed in digest.feed_health()}
    assert first["down"].flags == () and first["down"].consecutive_failures == 1
    assert second["down"].flags == ("failing",)
    assert second["down"].notes == ("failed 2 runs in a row: HTTP 404 Not Found",)
    assert second["ok"].flags == ("silent",) and second["ok"].notes == ("no new item for 11 days",)
    assert second["ok"].items_seen == RSS_ITEMS and second["ok"].items_stored == RSS_ITEMS


def test_many_feeds_are_parsed_in_worker_processes(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    count = PROCESS_POOL_MIN_FEEDS + 2
    urls = sample_feeds(feed_server, count)
    thresholds = gc.get_threshold()
    with open_with(tmp_path, urls) as digest:
        results = digest.update()
        assert digest.store.items.count_items() == count * RSS_ITEMS
    assert all(result.new == RSS_ITEMS for result in results)
    # It collects cycles less often while it runs, and leaves a program
    # using the library as it found it.
    assert gc.get_threshold() == thresholds


def test_a_feed_that_kills_the_parsing_worker_fails_alone_and_the_others_are_stored(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real worker processes, killed as the out-of-memory killer would kill
    # one, by the feed that carries the mark.
    monkeypatch.setattr(parsing, "_worker_processes", DyingWorkers)
    count = PROCESS_POOL_MIN_FEEDS + 2
    bodies = {n: own_copy(n) for n in range(count)}
    bodies[5] = killing(bodies[5])
    urls = {f"outlet-{n}": feed_server.add(f"/f{n}.xml", body) for n, body in bodies.items()}
    with open_with(tmp_path, urls) as digest:
        results = by_name(digest.update())
        assert digest.store.items.count_items() == (count - 1) * RSS_ITEMS
        health = {feed.source.name: feed for feed in digest.feed_health()}
    killer = results.pop("outlet-5")
    assert killer.status == "failed"
    assert "the process parsing this feed died" in (killer.error or "")
    assert all(result.new == RSS_ITEMS for result in results.values())
    assert health["outlet-5"].status == "failed"
    assert "died" in (health["outlet-5"].last_error or "")


def test_where_no_worker_process_can_start_many_feeds_are_parsed_here_all_the_same(
    feed_server: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def no_shared_memory(workers: int) -> Executor:
        raise OSError(38, "Function not implemented")  # the pool's locks, without /dev/shm

    monkeypatch.setattr(parsing, "_worker_processes", no_shared_memory)
    count = PROCESS_POOL_MIN_FEEDS + 2
    urls = sample_feeds(feed_server, count)
    with caplog.at_level("WARNING"), open_with(tmp_path, urls) as digest:
        results = digest.update()
        assert digest.store.items.count_items() == count * RSS_ITEMS
    assert all(result.new == RSS_ITEMS for result in results)
    assert "parsing them in this process instead" in caplog.text


@pytest.mark.skipif(NO_DNS_SERVER is not None, reason=str(NO_DNS_SERVER))
def test_hosts_whose_dns_hangs_hold_up_no_other_feed(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Fourteen feeds on hosts whose name servers never answer, listed first,
    beside two whose names resolve: the two are stored well within their
    time, and the fourteen fail naming the lookup. (The loop's six default
    threads made the two wait behind the others' lookups, past their time.)"""
    urls = {f"dead-{n}": f"http://d{n}.dead.test/feed.xml" for n in range(14)}
    for name, url in sample_feeds(feed_server, 2, "live").items():
        urls[name] = url.replace("127.0.0.1", f"{name}.live.test")
    fetch = "[fetch]\ntimeout = 5\nfeed_timeout = 3\nretries = 0\n"
    config = write_config(tmp_path, opml_for(tmp_path, urls), fetch)
    with dns.dns_server():
        update = dns.run_resolving_here(
            tmp_path, [sys.executable, "-m", "digest", "update", "--config", str(config)]
        )
    assert f"16 feeds: 2 ok, 14 failed; {2 * RSS_ITEMS} new items" in update.stderr, update.stderr
    failures = [line for line in update.stderr.splitlines() if line.startswith("✗")]
    assert len(failures) == 14
    assert all("dead-" in line and "name resolution" in line for line in failures), failures


def test_a_run_that_outlasts_its_lease_keeps_its_feeds_from_a_run_started_meanwhile(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Alone on SQLite, a run claims every feed at once for fetch.lease. Eight
    feeds of 0.6 s, one at a time, outlast a lease of 1 s: a run started
    meanwhile finds them still held, and fetches none of them again."""
    urls = sample_feeds(feed_server, 8, "slow", delay=0.6)
    fetch = "[fetch]\nconcurrency = 1\nper_host = 1\nlease = 1\n"
    config = write_config(tmp_path, opml_for(tmp_path, urls), fetch)
    command = [sys.executable, "-m", "digest", "update", "--config", str(config)]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    feed_server.wait_for_requests(1)
    time.sleep(1.5)  # its claims are older than a lease
    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    _, first_report = first.communicate(timeout=60)
    assert "0 feeds: none" in second.stderr, second.stderr
    assert "8 feeds: 8 ok" in first_report, first_report
    assert [len(feed_server.hits(f"/slow{n}.xml")) for n in range(8)] == [1] * 8


def test_feeds_cli_lists_health_as_json_and_edits_the_list(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = {"ok": feed_server.add("/ok.xml", SAMPLE_RSS), "down": feed_server.url("/down.xml")}
    config = str(write_config(tmp_path, opml_for(tmp_path, urls), FAST_FETCH))
    runner = CliRunner()
    update = runner.invoke(cli, ["update", "--config", config])
    assert update.exit_code == 1
    assert "2 feeds: 1 ok, 1 failed; " in update.stderr

    listed = json.loads(runner.invoke(cli, ["feeds", "--config", config, "list", "--json"]).stdout)
    assert [(f["name"], f["status"], f["items_stored"]) for f in listed] == [
        ("ok", "ok", RSS_ITEMS),
        ("down", "failed", 0),
    ]
    assert listed[1]["last_error"] == "HTTP 404 Not Found"

    table = runner.invoke(cli, ["feeds", "--config", config])
    assert table.exit_code == 0 and "down: last error: HTTP 404 Not Found" in table.stdout

    extra = feed_server.add("/extra.xml", SAMPLE_ATOM)
    added = runner.invoke(
        cli, ["feeds", "add", extra, "--name", "Extra", "--lang", "en", "--config", config]
    )
    assert added.exit_code == 0, added.output
    duplicate = runner.invoke(cli, ["feeds", "add", extra, "--config", config])
    assert duplicate.exit_code == 1 and "already in the feed list" in duplicate.stderr
    removed = runner.invoke(cli, ["feeds", "remove", urls["down"], "--config", config])
    assert removed.exit_code == 0, removed.output

    after = json.loads(runner.invoke(cli, ["feeds", "list", "--json", "--config", config]).stdout)
    assert [f["name"] for f in after] == ["ok", "Extra"]
    exported = runner.invoke(cli, ["feeds", "export-opml", "--config", config]).stdout
    assert urls["ok"] in exported and extra in exported and urls["down"] not in exported


def test_import_opml_adds_only_what_is_new(tmp_path: Path) -> None:
    other = tmp_path / "other.opml"
    other.write_text(
        '<opml version="2.0"><head/><body>'
        '<outline text="New" xmlUrl="https://new.example/rss"/>'
        '<outline text="Same" xmlUrl="https://same.example/rss"/></body></opml>',
        "utf-8",
    )
    with open_with(tmp_path, {"Same": "https://same.example/rss"}) as digest:
        added, already = digest.import_opml(other)
        assert [s.name for s in added] == ["New"] and [s.name for s in already] == ["Same"]
        assert [s.name for s in digest.sources()] == ["Same", "New"]


def test_adding_a_feed_reads_it_first_and_fills_in_its_name_and_language(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # This feed names no language: its Khmer items say it.
    khmer = (ROOT / "feeds/sample/sangkum-voice.rss").read_bytes()
    url = feed_server.add("/sangkum.rss", khmer.replace(b"<language>km</language>", b""))
    with open_with(tmp_path, {}) as digest:
        added = digest.add_feed(url)
        assert added.checked and added.items == khmer.count(b"<item>") and added.newest
        name = "Sangkum Voice (សំឡេងសង្គម)"
        assert (added.source.name, added.source.lang) == (name, "km")
        assert [(s.url, s.name, s.lang) for s in digest.sources()] == [(url, name, "km")]
        # What the editor types wins over what the feed says.
        other = feed_server.add("/observer.atom", SAMPLE_ATOM)
        added = digest.add_feed(other, name="PP Observer", lang="fr")
        assert (added.source.name, added.source.lang) == ("PP Observer", "fr")


def test_adding_a_web_page_lists_the_feed_it_names(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed = feed_server.add("/feeds/main.rss", SAMPLE_RSS)
    page = feed_server.add(
        "/news/",
        b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" '
        b'title="All news" href="../feeds/main.rss"></head><body>News</body></html>',
        headers={"Content-Type": "text/html"},
    )
    config = str(write_config(tmp_path, opml_for(tmp_path, {}), FAST_FETCH))
    result = CliRunner().invoke(cli, ["feeds", "add", page, "--config", config])
    assert result.exit_code == 0, result.output
    assert f"note: {page} is a web page; listed the feed it names, {feed}" in result.stderr
    assert f"added Mekong Dispatch (en) <{feed}>" in result.stdout
    assert f": {RSS_ITEMS} items, the newest from 2026-11-" in result.stdout
    with open_digest(load_config(Path(config))) as digest:
        assert [s.url for s in digest.sources()] == [feed]
        with pytest.raises(DigestError, match="already in the feed list"):
            digest.add_feed(page)


def test_a_permanent_redirect_lists_the_new_address(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    new = feed_server.add("/new.rss", SAMPLE_RSS)
    old = feed_server.add("/old.rss", status=301, headers={"Location": new})
    with open_with(tmp_path, {}) as digest:
        added = digest.add_feed(old)
        assert added.source.url == new
        assert added.notes == (f"{old} has moved permanently; listed {new}",)


def test_a_feed_that_cannot_be_read_is_not_listed_unless_asked(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    missing = feed_server.url("/missing.rss")
    page = feed_server.add("/about", HTML_PAGE.replace(b"application/rss+xml", b"text/css"))
    with open_with(tmp_path, {}) as digest:
        with pytest.raises(DigestError, match=r"missing.rss: HTTP 404 Not Found; not added"):
            digest.add_feed(missing)
        with pytest.raises(DigestError, match="got an HTML page, not a feed; not added"):
            digest.add_feed(page)
        assert digest.sources() == ()
        added = digest.add_feed(missing, name="Down today", check=False)
        assert not added.checked
        assert [(s.url, s.name) for s in digest.sources()] == [(missing, "Down today")]


@pytest.mark.parametrize("bad", ["ftp://x.example/feed", "mailto:press@example.org"])
def test_adding_something_that_is_not_a_feed_location_is_refused(tmp_path: Path, bad: str) -> None:
    with open_with(tmp_path, {}) as digest, pytest.raises(Exception, match="not an http"):
        digest.add_feed(bad)


def test_the_edition_report_names_feeds_that_need_attention(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = {
        "down": feed_server.add("/down.xml", status=404),
        "ok": feed_server.add("/ok", SAMPLE_RSS),
    }
    with open_with(tmp_path, urls) as digest:
        digest.update()
        digest.update()
        built = digest.build()
    data = json.loads((Path(built.folder) / "edition.json").read_text("utf-8"))
    assert data["feed_warnings"] == [
        {
            "feed": urls["down"],
            "name": "down",
            "flags": ["failing"],
            "notes": ["failed 2 runs in a row: HTTP 404 Not Found"],
        }
    ]


def on_a_terminal(command: list[str], cwd: Path) -> str:
    """Run `command` with a pseudo-terminal of 100 columns as its stdout and
    stderr, as an editor would at a shell; everything it drew, escapes and all."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI", "TERM")}
    process = subprocess.Popen(
        command, stdout=terminal, stderr=terminal, cwd=cwd, env={**env, "TERM": "xterm-256color"}
    )
    os.close(terminal)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the program has exited and closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    assert process.wait(timeout=60) in (0, 1)
    return drawn.decode("utf-8", "replace")


def test_update_draws_a_progress_bar_on_a_terminal_and_prints_lines_for_cron(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = {f"outlet-{n}": feed_server.add(f"/f{n}.xml", SAMPLE_RSS, delay=0.4) for n in range(4)}
    urls["missing"] = feed_server.url("/missing.xml")
    config = write_config(tmp_path, opml_for(tmp_path, urls), FAST_FETCH)
    update = [sys.executable, "-m", "digest", "update", "--config", str(config)]

    drawn = on_a_terminal(update, tmp_path)
    assert "━" in drawn and "/5" in drawn, "a bar with feeds done out of five"
    assert "new items" in drawn and "1 error" in drawn and "1 errors" not in drawn
    assert "✗ missing: HTTP 404" in drawn, "failures are still named, after the bar"
    assert "✓ outlet-0" not in drawn, "no line per good feed on a terminal"
    assert "5 feeds: 4 ok, 1 failed;" in drawn

    # From cron (no terminal): one plain line per feed, no escapes to garble the log.
    logged = subprocess.run(update, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "= outlet-0: not modified" in logged.stderr
    assert "✗ missing: HTTP 404" in logged.stderr
    assert "\x1b[" not in logged.stderr and "━" not in logged.stderr
    assert "5 feeds: 4 not modified, 1 failed;" in logged.stderr
