"""Every table family behind `Store`, on SQLite and on PostgreSQL alike.

test_store.py holds the items; here the feeds' health, editions, the editor's
edits and their log, recipients, frozen editions, the delivery ledger and the
schedule. Then what only PostgreSQL has to prove: that it refuses a database
that is not ours, or is newer, and that workers opening a new database at
once create its schema once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from digest.errors import StoreError
from digest.store import APPLICATION_ID, MIGRATIONS, Store, open_store
from digest.types import (
    FeedSource,
    FrozenEdition,
    Logo,
    ParsedItem,
    Recipient,
    RenderedEdition,
    Story,
)

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
FEED = FeedSource(url="https://a.example/feed", name="Outlet A", lang="en")


@pytest.fixture
def store(database_target: str | Path):  # type: ignore[no-untyped-def]
    with open_store(database_target) as opened:
        opened.sources.sync_sources([FEED])
        yield opened


def add_items(store: Store, count: int) -> list[int]:
    entries = [
        (ParsedItem(guid=f"g{n}", url=f"https://a.example/{n}", title=f"Story {n}", summary=""),
         f"https://a.example/{n}")
        for n in range(count)
    ]  # fmt: skip
    store.items.upsert_items(FEED, entries, now=NOW)
    return sorted(item.id for item in store.items.all())


def test_an_update_commits_without_flushing_each_time_and_then_flushes_again(
    store: Store,
) -> None:
    sqlite = store.backend == "sqlite"

    def level() -> str:
        asked = "PRAGMA synchronous" if sqlite else "SHOW synchronous_commit"
        return str(store._db.execute(asked).fetchone()[0])

    # Every commit flushed, as they are by default (the test cluster is not).
    store._db.execute("PRAGMA synchronous = FULL" if sqlite else "SET synchronous_commit = on")
    before = level()
    with pytest.raises(RuntimeError), store.relaxed_durability():
        assert level() != before
        add_items(store, 2)
        raise RuntimeError("the update failed")
    assert level() == before, "sending, after, flushes every commit again"
    assert len(store.items.all()) == 2


def test_another_process_writing_moves_the_revision_not_this_one(tmp_path: Path) -> None:
    with open_store(tmp_path / "d.sqlite3") as store, open_store(tmp_path / "d.sqlite3") as other:
        store.sources.sync_sources([FEED])
        revision = store.revision()
        add_items(store, 1)
        assert store.revision() == revision
        add_items(other, 2)
        assert store.revision() != revision


def test_postgres_cannot_tell_who_wrote(postgres_url: str) -> None:
    with open_store(postgres_url) as store:
        assert store.revision() is None


def test_the_stored_feeds_follow_the_list_and_an_unlisted_one_keeps_its_items(
    store: Store,
) -> None:
    other = FeedSource(url="https://b.example/feed", name="Outlet B")
    store.sources.sync_sources([FEED, other])
    add_items(store, 2)
    renamed = FeedSource(url=FEED.url, name="Outlet A, renamed", lang="fr", user_agent="x/1")
    store.sources.sync_sources([other, renamed])
    assert [health.source for health in store.sources.feed_health()] == [renamed, other]
    store.sources.sync_sources([other])
    assert [health.source for health in store.sources.feed_health()] == [other]
    assert len(store.items.all()) == 2, "an unlisted feed's items are kept"
    store.sources.sync_sources([renamed, other])
    [back, _] = store.sources.feed_health()
    assert (back.source, back.items_stored) == (renamed, 2), "listed again, with its history"


def test_an_unchanged_feed_list_writes_nothing_so_workers_do_not_queue(
    postgres_url: str,
) -> None:
    with open_store(postgres_url) as first:
        first.sources.sync_sources([FEED])
    with psycopg.connect(postgres_url) as other_worker, open_store(postgres_url) as store:
        # Another worker holds the feed's row (a claim being written).
        other_worker.execute("SELECT * FROM sources FOR UPDATE")
        synced = threading.Thread(target=store.sources.sync_sources, args=([FEED],))
        synced.start()
        synced.join(timeout=10)
        blocked = synced.is_alive()
        other_worker.rollback()
        synced.join()
    assert not blocked, "the unchanged list waited for another worker's row lock"


def test_a_fetch_is_remembered_with_its_validators_and_parser(store: Store) -> None:
    store.sources.record_fetch(
        FEED, now=NOW, status="ok", feed_title="A", validators=('"e1"', "Tue", "h1"),
        items_seen=3, new_items=3, parser="fast",
    )  # fmt: skip
    store.sources.record_fetch(
        FEED, now=NOW + timedelta(hours=1), status="failed", error="timeout"
    )
    [health] = store.sources.feed_health()
    assert (health.status, health.last_error, health.consecutive_failures) == (
        "failed",
        "timeout",
        1,
    )
    assert (health.parser, health.items_seen, health.last_ok) == ("fast", 3, NOW)
    state = store.sources.feed_states()[FEED.url]
    # A failed fetch sets no validators: the stored ones stay.
    assert (state.etag, state.last_modified, state.content_hash) == ('"e1"', "Tue", "h1")
    store.sources.record_fetch(FEED, now=NOW, status="gone")
    assert store.sources.feed_states()[FEED.url].disabled
    assert (
        store.sources.enable_source(FEED.url)
        and not store.sources.feed_states()[FEED.url].disabled
    )


def test_an_edition_keeps_its_items_and_its_words_in_each_language(store: Store) -> None:
    first, second, third = add_items(store, 3)
    store.editions.save_edition(
        slug="2026-11-25", title="Digest", subject="This week", created=NOW, folder="f",
        placed=[(first, "political-prisoners"), (second, "land")], also=[(third, first)],
        texts=[("fr", "Revue", "Cette semaine", "Résumé")],
    )  # fmt: skip
    [english] = store.editions.all()
    [french] = store.editions.all("fr")
    assert (english.subject, english.item_count) == ("This week", 2)
    assert (french.title, french.subject, french.preheader) == ("Revue", "Cette semaine", "Résumé")
    assert sorted(
        title for _, title, _ in store.editions.placed_texts(NOW + timedelta(days=1))
    ) == [
        "Story 0",
        "Story 1",
    ]


def test_stories_are_replaced_for_the_items_in_scope(store: Store) -> None:
    first, second, third = add_items(store, 3)
    store.items.replace_stories(
        [first, second, third], [Story(first, (first, second), (1.0, 0.8))]
    )
    store.items.replace_stories([first, second], [Story(second, (second, first), (1.0, 0.75))])
    [story] = store.items.stories()
    assert (story.lead, story.members, story.scores) == (second, (second, first), (1.0, 0.75))


def test_edits_are_kept_logged_and_a_pinned_lead_unpins_the_other(store: Store) -> None:
    first, second = add_items(store, 2)
    assert store.edits.edit_item(first, "lead", True, NOW)
    assert store.edits.edit_item(second, "lead", True, NOW)
    assert not store.edits.edit_item(second, "lead", True, NOW)  # unchanged: nothing logged
    assert store.edits.edit_item(first, "position", 2.5, NOW)
    edits = store.edits.item_edits()
    assert (edits[first].lead, edits[second].lead, edits[first].position) == (False, True, 2.5)
    assert store.edits.edit_text("intro@fr", "Bonjour", NOW)
    assert store.edits.edit_text("intro@fr", "Bonjour à tous", NOW)
    assert store.edits.text_edits() == {"intro@fr": "Bonjour à tous"}
    log = [(entry.subject, entry.field, entry.new) for entry in store.edits.audit_log()]
    assert log[:3] == [
        ("edition", "intro@fr", "Bonjour à tous"),
        ("edition", "intro@fr", "Bonjour"),
        (f"item {first}", "position", "2.5"),
    ]
    assert (f"item {first}", "lead", "0") in log and (f"item {second}", "lead", "True") in log


def test_recipients_count_only_new_addresses_and_unsubscribing_sticks(store: Store) -> None:
    people = [Recipient("a@example.org", lang="fr"), Recipient("b@example.org", lang="km")]
    assert store.recipients.add_recipients(people, NOW) == 2
    assert store.recipients.add_recipients([*people, Recipient("c@example.org")], NOW) == 1
    assert store.recipients.unsubscribe("b@example.org", NOW)
    assert store.recipients.add_recipients(people, NOW) == 0
    assert [r.address for r in store.recipients.all()] == ["a@example.org", "c@example.org"]
    assert store.recipients.recipient_language("b@example.org") == "km"


def frozen_edition(slug: str) -> FrozenEdition:
    logo = Logo(b"\x89PNG\r\n\x1a\n\x00\xff", "image/png", "Logo", 120, "logo.png")
    english = RenderedEdition("Subject", "Preheader", "<p>Hi</p>", "Hi", logo=logo)
    translations = tuple(
        (lang, RenderedEdition(f"Subject {lang}", "P", f"<p>{lang}</p>", lang))
        for lang in ("km", "fr")  # the config's order, not the alphabet's
    )
    return FrozenEdition(slug, english, "hash", NOW, lang="en", translations=translations)


def test_a_frozen_edition_comes_back_byte_for_byte_in_its_languages_order(store: Store) -> None:
    store.deliveries.freeze(frozen_edition("2026-11-25"))
    frozen = store.deliveries.frozen("2026-11-25")
    assert frozen is not None and frozen.rendered.logo is not None
    assert frozen.rendered.logo.data == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert [lang for lang, _ in frozen.translations] == ["km", "fr"]
    assert (
        store.deliveries.approve("2026-11-25", NOW)
        and store.deliveries.approved_unsent() == "2026-11-25"
    )


def test_the_ledger_resumes_and_a_sent_edition_never_changes(store: Store) -> None:
    store.deliveries.freeze(frozen_edition("e1"))
    owed = [("a@example.org", "<1@x>", "en"), ("b@example.org", "<2@x>", "fr")]
    store.deliveries.enqueue("e1", owed, NOW)
    store.deliveries.enqueue("e1", [("a@example.org", "<other@x>", "km")], NOW)  # known: unchanged
    store.deliveries.mark("e1", "a@example.org", "sending", NOW)
    store.deliveries.mark("e1", "a@example.org", "sent", NOW, reply="250 ok")
    assert store.deliveries.unfinished_edition() == "e1"
    pending = store.deliveries.of("e1", ("pending", "sending", "failed-temporary"))
    assert [(d.address, d.lang) for d in pending] == [("b@example.org", "fr")]
    [sent] = store.deliveries.of("e1", ("sent",))
    assert (sent.message_id, sent.attempts, sent.reply, sent.lang) == ("<1@x>", 1, "250 ok", "en")
    changed = FrozenEdition("e1", RenderedEdition("Other", "", "", ""), "other", NOW)
    store.deliveries.freeze(changed)
    frozen = store.deliveries.frozen("e1")
    assert frozen is not None and frozen.content_hash == "hash"
    assert store.deliveries.sent_editions() == ["e1"]
    store.deliveries.decide_slot(NOW, "skipped", None, NOW)
    store.deliveries.decide_slot(NOW, "sent", "e1", NOW)
    assert store.deliveries.slot_decided(NOW) == "sent"


# -- PostgreSQL's own bookkeeping --------------------------------------------


def test_a_new_postgres_database_is_marked_and_migrated(postgres_url: str) -> None:
    open_store(postgres_url).close()
    with psycopg.connect(postgres_url) as db:
        row = db.execute("SELECT application_id, version FROM press_digest_schema").fetchone()
        assert row == (APPLICATION_ID, len(MIGRATIONS))
        assert db.execute("SELECT to_regclass('items') IS NOT NULL").fetchone() == (True,)


def test_a_foreign_postgres_database_is_refused_untouched(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("CREATE TABLE accounts (id INTEGER)")
    with pytest.raises(StoreError, match="not a press-digest database"):
        open_store(postgres_url)
    with psycopg.connect(postgres_url) as db:
        tables = db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    assert tables == [("accounts",)]


def test_a_newer_postgres_schema_is_refused(postgres_url: str) -> None:
    open_store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("UPDATE press_digest_schema SET version = version + 1")
    with pytest.raises(StoreError, match="newer than this press-digest"):
        open_store(postgres_url)


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot connect") as raised:
        open_store("postgresql://editor:s3cret@127.0.0.1:9/digest")
    assert "s3cret" not in str(raised.value) and "editor@127.0.0.1:9" in str(raised.value)


def test_workers_opening_a_new_database_at_once_create_it_once(postgres_url: str) -> None:
    errors: list[BaseException] = []

    def open_and_close() -> None:
        try:
            open_store(postgres_url).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=open_and_close) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with open_store(postgres_url) as store:
        assert store.backend == "postgresql" and store.items.count_items() == 0


def test_a_connection_lost_during_an_update_is_reported_once(postgres_url: str) -> None:
    store = open_store(postgres_url)
    with pytest.raises(StoreError, match="lost the database") as raised:
        with store.relaxed_durability():
            terminate_other_sessions(postgres_url)
            store.items.count_items()
    # Not a second error, from setting back what the lost connection took with it.
    earlier = raised.value.__context__
    while earlier is not None:
        assert not isinstance(earlier, StoreError), "the loss was reported twice"
        earlier = earlier.__context__
    store.close()


def terminate_other_sessions(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )


def test_a_connection_lost_inside_a_transaction_is_one_clear_error(postgres_url: str) -> None:
    store = open_store(postgres_url)
    with pytest.raises(StoreError, match="lost the database"):
        with store.transaction() as db:
            db.execute("SELECT count(*) FROM items")
            terminate_other_sessions(postgres_url)
            db.execute("SELECT count(*) FROM items")
    store.close()
