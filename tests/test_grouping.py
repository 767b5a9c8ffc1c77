"""Stories gathered while an update stores its feeds are the stories the
store's items give when read back afterwards; and when another process
writes meanwhile, what it wrote is grouped as it now stands."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from digest.config import load_config
from digest.core import Digest, open_digest
from digest.grouping import Gathering
from digest.parsing import PROCESS_POOL_MIN_FEEDS
from digest.store import open_store
from digest.types import FeedSource, Item, ParsedItem, Story, StoryItem
from digest.urls import canonical_url

from .conftest import ROOT, FeedServer, Route, write_config
from .stories import NOW, on_sample_clock, sample_digest
from .test_update import FAST_FETCH, opml_for

SAMPLES = sorted((ROOT / "feeds/sample").iterdir())


def counting_reads(digest: Digest) -> list[datetime]:
    """Each time the month's items are read from the store, when from."""
    reads: list[datetime] = []
    read = digest.store.items.story_items

    def counted(*, since: datetime) -> Iterator[tuple[StoryItem, str | None]]:
        reads.append(since)
        return read(since=since)

    digest.store.items.story_items = counted  # type: ignore[method-assign]
    return reads


def as_outlet(body: bytes, outlet: int) -> bytes:
    """A sample feed as another outlet carries it: its own links and GUIDs."""
    body = body.replace(b"https://", f"https://o{outlet}.".encode())
    return re.sub(rb"(<guid[^>]*>|<id>)", rb"\1o%d-" % outlet, body)


def versions(path: Path, outlet: int) -> tuple[bytes, bytes]:
    """A sample feed as an outlet carries it, then the same feed later: the
    first outlet rewords every headline (its items change in place) and, in
    RSS, adds an entry; the second rewrites every entry in words no other
    report uses, so that its reports leave their stories."""
    body = path.read_bytes()
    later = reworded(body) if outlet == 0 else scrambled(body, random.Random(path.name))
    return as_outlet(body, outlet), as_outlet(later, outlet)


def reworded(body: bytes) -> bytes:
    body = re.sub(rb"<title>(?!<)", b"<title>Update: ", body)
    extra = (
        b"<item><title>Unionist freed on bail after month in pre-trial detention</title>"
        b"<link>https://late.example/bail</link><guid>late-bail</guid>"
        b"<pubDate>Tue, 24 Nov 2026 18:00:00 +0000</pubDate>"
        b"<description>The casino workers' union leader walked out of prison.</description></item>"
    )
    return body.replace(b"</channel>", extra + b"</channel>") if b"<item>" in body else body


def scrambled(body: bytes, rng: random.Random) -> bytes:
    def nonsense(match: re.Match[bytes]) -> bytes:
        words = ("".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(8))
        return match[1] + " ".join(words).encode() + match[3]

    # Not the feed's own title: the entries' (each after an <item> or <entry>).
    entries = body.split(b"<item>") if b"<item>" in body else body.split(b"<entry>")
    parts = [
        re.sub(
            rb"(<(?:title|description|summary|content)[^>]*>)(.*?)(</)",
            nonsense,
            entry,
            flags=re.S,
        )
        for entry in entries[1:]
    ]
    marker = b"<item>" if b"<item>" in body else b"<entry>"
    return marker.join([entries[0], *parts])


def test_stories_gathered_during_updates_are_those_read_back(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # Enough feeds for the parse workers; every sample feed carried by two
    # outlets, so that their reports make stories across outlets.
    urls = {}
    for outlet in range(2):
        for path in SAMPLES:
            first, later = versions(path, outlet)
            name = f"{path.stem}-{outlet}"
            urls[name] = feed_server.add_sequence(f"/{name}", Route(body=first), Route(body=later))
    assert len(urls) >= PROCESS_POOL_MIN_FEEDS
    config = write_config(tmp_path, opml_for(tmp_path, urls), FAST_FETCH)
    with on_sample_clock(open_digest(load_config(config))) as digest:
        reads = counting_reads(digest)
        found = []
        for run, hour in (("fresh", 0), ("edited", 1)):
            on_sample_clock(digest, NOW + timedelta(hours=hour))  # each run its own stamp
            results = digest.update()
            gathered = digest.stories()
            # Read once, by the gathering, when the run's first news was stored.
            assert len(reads) == 1, run
            read_back = digest.group_stories()
            assert len(reads) == 2, run
            assert gathered == read_back, run
            found.append(len(gathered))
            reads.clear()
        fresh, edited = found
        assert fresh >= 20, "both outlets carry every story"
        assert edited < fresh, "the second outlet's reports left their stories"
        # The second run changed items in place and added some.
        assert sum(result.updated for result in results) > 0
        assert sum(result.new for result in results) > 0


def test_an_item_an_editor_takes_in_hand_during_an_update_leads_its_story(
    tmp_path: Path,
) -> None:
    with sample_digest(tmp_path) as digest:
        story = max(digest.stories(), key=lambda story: len(story.members))
        follower = digest.store.items.item(story.others[0])
        assert follower is not None
        grouping = digest.updates.grouping
        gathering = news_gathered(digest)
        # Meanwhile an editor, in another process, takes a report of the story in hand.
        with open_store(digest.context.config.paths.database) as other:
            take_in_hand(other.items.add_editor_item, follower)
        stories = grouping.group(gathering)
    assert lead_of(stories, follower.id) == follower.id, "the editor's item leads"


def test_without_outside_writes_the_gathered_items_are_grouped_as_they_are(
    tmp_path: Path,
) -> None:
    with sample_digest(tmp_path) as digest:
        reads = counting_reads(digest)
        gathering = news_gathered(digest)
        assert digest.updates.grouping.group(gathering) == digest.group_stories()
    assert len(reads) == 2, "once gathering, once reading back: not again to group"


def news_gathered(digest: Digest) -> Gathering:
    """A later update's gathering, once it stored a feed's news."""
    gathering = digest.updates.grouping.gathering()
    assert gathering is not None
    feed = FeedSource(url="https://late.example/feed")
    news = ParsedItem(guid="late-1", url="https://late.example/1", title="Rain", summary="")
    digest.store.items.upsert_items(feed, [(news, canonical_url(news.url))], now=NOW)
    gathering.stored(feed, NOW)
    return gathering


def test_news_first_seen_now_is_grouped_whatever_date_its_feed_gives_it(
    tmp_path: Path,
) -> None:
    # The sample read a year after its news was written: new to this store.
    later = NOW + timedelta(days=365)
    with sample_digest(tmp_path, at=later) as digest:
        assert len(digest.stories()) == 3
        # Two months on, nothing of it is recent any more, by date or by sight.
        on_sample_clock(digest, later + timedelta(days=60))
        assert digest.group_stories() == []


def take_in_hand(add: Callable[..., tuple[int, bool]], item: Item) -> None:
    """What `digest add` stores for a link already stored: the editor's item."""
    parsed = ParsedItem(guid=item.url, url=item.url, title=item.title, summary=item.summary)
    editor = FeedSource(url="editor:", name="Added by hand")
    add(editor, parsed, item.canonical_url, outlet=item.outlet, topic=None, note="", now=NOW)


def lead_of(stories: tuple[Story, ...] | list[Story], member: int) -> int:
    [story] = [story for story in stories if member in story.members]
    return story.lead
