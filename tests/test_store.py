"""Storage on both backends: migrations, identity of items, refusing foreign
databases. Tests taking `database_target` run on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from digest.errors import StoreError
from digest.store import APPLICATION_ID, MIGRATIONS, Store, open_store
from digest.types import FeedSource, ParsedItem
from digest.urls import canonical_url

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
FEED_A = FeedSource(url="https://a.example/feed", name="Outlet A")
FEED_B = FeedSource(url="https://b.example/feed", name="Outlet B")


def parsed(guid: str, url: str, title: str = "Union leader jailed", **extra: object) -> ParsedItem:
    return ParsedItem(guid=guid, url=url, title=title, summary="A summary.", **extra)  # type: ignore[arg-type]


def upsert(store: Store, source: FeedSource, *items: ParsedItem):  # type: ignore[no-untyped-def]
    return store.items.upsert_items(source, [(i, canonical_url(i.url)) for i in items], now=NOW)


@pytest.fixture
def fresh_store(database_target: str | Path):  # type: ignore[no-untyped-def]
    with open_store(database_target) as store:
        store.sources.sync_sources([FEED_A, FEED_B])
        yield store


def test_new_database_is_marked_and_migrated(tmp_path: Path) -> None:
    open_store(tmp_path / "d.sqlite3").close()
    db = sqlite3.connect(tmp_path / "d.sqlite3")
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_foreign_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE accounts (id INTEGER)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a press-digest database"):
        open_store(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not a press-digest database"):
        open_store(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    open_store(tmp_path / "d.sqlite3").close()
    db = sqlite3.connect(tmp_path / "d.sqlite3")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this press-digest"):
        open_store(tmp_path / "d.sqlite3")


def test_same_guid_in_a_feed_is_one_item(fresh_store: Store) -> None:
    first = upsert(fresh_store, FEED_A, parsed("g1", "https://a.example/1"))
    again = upsert(fresh_store, FEED_A, parsed("g1", "https://a.example/1"))
    assert (first.new, again.new, again.unchanged) == (1, 0, 1)
    assert fresh_store.items.count_items() == 1


def test_an_entry_listed_twice_in_one_fetch_is_one_item(fresh_store: Store) -> None:
    counts = upsert(
        fresh_store,
        FEED_A,
        parsed("g1", "https://a.example/1", title="First wording"),
        parsed("g2", "https://a.example/2"),
        parsed("g1", "https://a.example/1", title="Second wording"),
        parsed("g3", "https://a.example/2?utm_source=x"),  # same link, another GUID
    )
    # The repeated link takes the later GUID: the GUID follows the feed.
    assert (counts.new, counts.updated, counts.unchanged) == (2, 2, 0)
    assert {item.title for item in fresh_store.items.all()} == {
        "Second wording",
        "Union leader jailed",
    }


def test_one_title_on_one_date_twice_in_a_feed_is_one_item(fresh_store: Store) -> None:
    when = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    counts = upsert(
        fresh_store,
        FEED_A,
        parsed("g1", "https://a.example/1", published=when),
        parsed("g2", "https://a.example/2", published=when),  # moved, with a new GUID
    )
    assert (counts.new, counts.updated) == (1, 1)
    assert [item.url for item in fresh_store.items.all()] == ["https://a.example/2"]


def test_a_long_feed_stores_what_is_new_and_knows_what_is_not(fresh_store: Store) -> None:
    # Past the 500 entries looked up at once, in both runs.
    entries = [parsed(f"g{n}", f"https://a.example/{n}", title=f"Story {n}") for n in range(1200)]
    first = upsert(fresh_store, FEED_A, *entries[:700])
    again = upsert(fresh_store, FEED_A, *entries)
    assert (first.new, again.new, again.unchanged) == (700, 500, 700)
    assert {item.title for item in fresh_store.items.all()} == {f"Story {n}" for n in range(1200)}


def test_same_link_across_feeds_is_one_item(fresh_store: Store) -> None:
    upsert(fresh_store, FEED_A, parsed("a-1", "https://a.example/story"))
    counts = upsert(
        fresh_store, FEED_B, parsed("b-9", "https://A.example/story?utm_source=b&fbclid=x#top")
    )
    assert counts.new == 0 and counts.unchanged == 1
    [item] = fresh_store.items.all()
    assert item.outlet == "Outlet A"


def test_a_changed_item_is_updated_in_place(fresh_store: Store) -> None:
    upsert(fresh_store, FEED_A, parsed("g1", "https://a.example/1", title="Draft headline"))
    [before] = fresh_store.items.all()
    counts = upsert(
        fresh_store, FEED_A, parsed("g1", "https://a.example/1", title="Final headline")
    )
    [after] = fresh_store.items.all()
    assert counts.updated == 1
    assert (after.id, after.title, after.first_seen) == (
        before.id,
        "Final headline",
        before.first_seen,
    )


def test_story_terms_are_kept_with_an_item_and_follow_its_words(fresh_store: Store) -> None:
    def store(title: str, terms: str | None) -> None:
        item = parsed("g1", "https://a.example/1", title=title)
        known = {(item.title, item.summary): terms} if terms else None
        fresh_store.items.upsert_items(
            FEED_A, [(item, canonical_url(item.url))], now=NOW, story_terms=known
        )

    def stored_terms() -> dict[int, str | None]:
        return {item.id: terms for item, terms in fresh_store.items.story_items(since=since)}

    since = NOW - timedelta(days=1)
    store("Draft headline", "draft draft headlin headlin summary")
    [item] = fresh_store.items.all()
    assert stored_terms() == {item.id: "draft draft headlin headlin summary"}
    store("Final headline", "final final headlin headlin summary")
    assert stored_terms() == {item.id: "final final headlin headlin summary"}
    # New words without their terms: none kept, so grouping counts them afresh.
    store("Final headline, corrected", None)
    assert stored_terms() == {item.id: None}


def test_a_failed_update_leaves_nothing_half_written(fresh_store: Store) -> None:
    good = parsed("g1", "https://a.example/1")
    bad = ParsedItem(guid="g2", url="https://a.example/2", title=None, summary="")  # type: ignore[arg-type]
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        upsert(fresh_store, FEED_A, good, bad)
    assert fresh_store.items.count_items() == 0


def test_items_are_windowed_by_date(fresh_store: Store) -> None:
    upsert(
        fresh_store,
        FEED_A,
        parsed("old", "https://a.example/old", published=datetime(2026, 10, 1, tzinfo=UTC)),
        parsed("new", "https://a.example/new", published=datetime(2026, 11, 24, tzinfo=UTC)),
    )
    assert [i.guid for i in fresh_store.items.all(since=datetime(2026, 11, 18, tzinfo=UTC))] == [
        "new"
    ]
    assert [i.guid for i in fresh_store.items.all()] == ["new", "old"]


def test_saving_an_edition_again_replaces_it(fresh_store: Store) -> None:
    upsert(fresh_store, FEED_A, parsed("g1", "https://a.example/1"))
    [item] = fresh_store.items.all()
    for subject in ("First", "Second"):
        fresh_store.editions.save_edition(
            slug="2026-11-25-x",
            title="T",
            subject=subject,
            created=NOW,
            folder="2026-11-25-x",
            placed=[(item.id, "political-prisoners")],
        )
    [record] = fresh_store.editions.all()
    assert (record.subject, record.item_count) == ("Second", 1)


def test_an_item_moved_onto_another_items_link_does_not_merge_them(fresh_store: Store) -> None:
    upsert(fresh_store, FEED_A, parsed("g1", "https://a.example/1", title="One"))
    upsert(fresh_store, FEED_A, parsed("g2", "https://a.example/2", title="Two"))
    upsert(
        fresh_store, FEED_A, parsed("g2", "https://a.example/1?utm_medium=x", title="Two, edited")
    )
    by_guid = {item.guid: item for item in fresh_store.items.all()}
    assert by_guid["g2"].title == "Two, edited"
    assert by_guid["g2"].canonical_url == "https://a.example/2"
    assert by_guid["g1"].canonical_url == "https://a.example/1"


def test_a_feed_that_rewrites_its_guids_does_not_deliver_old_items_again(
    fresh_store: Store,
) -> None:
    when = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    first = [
        parsed("old-1", "https://a.example/1", "Union leader jailed", published=when),
        parsed("old-2", "https://a.example/2?id=2", "Land activists evicted", published=when),
    ]
    assert upsert(fresh_store, FEED_A, *first).new == 2
    # New GUIDs everywhere; one link changed too, but its title and date did not.
    rewritten = [
        parsed("tag:a,2026:1", "https://a.example/1", "Union leader jailed", published=when),
        parsed(
            "tag:a,2026:2",
            "https://a.example/2?id=2&v=2",
            "Land activists evicted",
            published=when,
        ),
    ]
    counts = upsert(fresh_store, FEED_A, *rewritten)
    assert (counts.new, counts.updated) == (0, 2)
    assert {item.guid for item in fresh_store.items.all()} == {"tag:a,2026:1", "tag:a,2026:2"}
    # From now on the new GUIDs match directly.
    assert upsert(fresh_store, FEED_A, *rewritten).unchanged == 2


def test_a_meaningful_query_string_keeps_two_items_apart(fresh_store: Store) -> None:
    counts = upsert(
        fresh_store,
        FEED_A,
        parsed("1", "https://a.example/article?id=1&utm_source=x", "One"),
        parsed("2", "https://a.example/article?id=2&utm_source=x", "Two"),
    )
    assert counts.new == 2


def test_a_run_extends_the_claims_it_holds_and_not_those_it_let_go(fresh_store: Store) -> None:
    now = fresh_store.clock()
    minute = timedelta(minutes=1)
    _, claimed = fresh_store.sources.claim_feeds("here:1", None, now=now, lease=minute, limit=9)
    assert sorted(claimed) == [FEED_A.url, FEED_B.url]
    fresh_store.sources.release_feed(FEED_A.url, "here:1")  # fetched, and let go of
    fresh_store.claims.extend_claims("sources", "here:1", now + timedelta(hours=1))
    # Half an hour on, FEED_B is still held, and FEED_A was done this round.
    later = now + timedelta(minutes=30)
    assert fresh_store.claims.claimants("sources", later) == {"here:1"}
    assert (
        fresh_store.sources.claim_feeds("there:2", None, now=later, lease=minute, limit=9)[1] == []
    )
    # Once the run lets FEED_B go too, nothing is held: the next run takes both.
    fresh_store.sources.release_feed(FEED_B.url, "here:1")
    _, next_run = fresh_store.sources.claim_feeds(
        "there:3", None, now=later, lease=minute, limit=9
    )
    assert sorted(next_run) == [FEED_A.url, FEED_B.url]
