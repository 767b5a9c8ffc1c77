"""The schema as numbered migrations, one list for both databases.

Each migration is written in SQLite's words; `_postgres.postgres_script`
writes it in PostgreSQL's types, and `POSTGRES_MIGRATIONS` holds the few
that must say something else there. SQLite counts the migrations applied in
`PRAGMA user_version` (`_sqlite.py`), PostgreSQL in a table of its own
(`_postgres.py`); both mark the database as ours with APPLICATION_ID.
"""

from __future__ import annotations

APPLICATION_ID = 0x50524447  # "PRDG"

MIGRATIONS: tuple[str, ...] = (
    # 1: sources, items, editions
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        lang TEXT,
        feed_title TEXT,
        last_fetched_at TEXT,
        last_error TEXT,
        last_warning TEXT
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources (id),
        guid TEXT NOT NULL,
        url TEXT NOT NULL,
        canonical_url TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        author TEXT NOT NULL DEFAULT '',
        lang TEXT,
        published_at TEXT,
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (source_id, guid)
    );
    CREATE UNIQUE INDEX items_by_canonical_url ON items (canonical_url);
    CREATE INDEX items_by_date ON items (coalesce(published_at, first_seen_at));
    CREATE TABLE editions (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        subject TEXT NOT NULL,
        created_at TEXT NOT NULL,
        folder TEXT NOT NULL
    );
    CREATE TABLE edition_items (
        edition_id INTEGER NOT NULL REFERENCES editions (id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL REFERENCES items (id),
        position INTEGER NOT NULL,
        topic TEXT NOT NULL,
        PRIMARY KEY (edition_id, item_id)
    );
    """,
    # 2: per-feed fetch state (conditional GET, moves) and health
    """
    ALTER TABLE sources ADD COLUMN user_agent TEXT;
    ALTER TABLE sources ADD COLUMN listed INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE sources ADD COLUMN fetch_url TEXT;
    ALTER TABLE sources ADD COLUMN etag TEXT;
    ALTER TABLE sources ADD COLUMN last_modified TEXT;
    ALTER TABLE sources ADD COLUMN content_hash TEXT;
    ALTER TABLE sources ADD COLUMN last_status TEXT;
    ALTER TABLE sources ADD COLUMN last_ok_at TEXT;
    ALTER TABLE sources ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN items_seen INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN last_new_item_at TEXT;
    ALTER TABLE sources ADD COLUMN disabled_at TEXT;
    CREATE INDEX items_by_source_title ON items (source_id, title);
    """,
    # 3: hand-added items and stories (one event, several outlets)
    """
    ALTER TABLE items ADD COLUMN outlet TEXT;
    ALTER TABLE items ADD COLUMN editor_added INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE items ADD COLUMN editor_topic TEXT;
    ALTER TABLE items ADD COLUMN note TEXT NOT NULL DEFAULT '';
    CREATE TABLE story_members (
        item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
        lead_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        score REAL NOT NULL
    );
    CREATE INDEX story_members_by_lead ON story_members (lead_id);
    """,
    # 4: the preheader, which the Atom feed of editions uses as its summary
    """
    ALTER TABLE editions ADD COLUMN preheader TEXT NOT NULL DEFAULT '';
    """,
    # 5: sending: recipients, frozen editions, the delivery ledger, schedule
    # slots; and the "also reported by" items an edition carried (also_of: the
    # item they were shown under), so they are not sent again as new
    """
    ALTER TABLE edition_items ADD COLUMN also_of INTEGER;
    CREATE TABLE recipients (
        address TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        lang TEXT NOT NULL DEFAULT '',
        list TEXT NOT NULL DEFAULT 'main',
        added_at TEXT NOT NULL,
        unsubscribed_at TEXT
    );
    CREATE TABLE frozen_editions (
        slug TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        preheader TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        logo BLOB,
        logo_mime TEXT,
        logo_alt TEXT,
        logo_width INTEGER,
        logo_filename TEXT,
        content_hash TEXT NOT NULL,
        frozen_at TEXT NOT NULL,
        approved_at TEXT
    );
    CREATE TABLE deliveries (
        slug TEXT NOT NULL REFERENCES frozen_editions (slug),
        address TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        reply TEXT NOT NULL DEFAULT '',
        message_id TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (slug, address)
    );
    CREATE TABLE schedule_slots (
        slot TEXT PRIMARY KEY,
        outcome TEXT NOT NULL,
        slug TEXT,
        decided_at TEXT NOT NULL
    );
    """,
    # 6: the editor's decisions on the next edition, and what changed when
    """
    CREATE TABLE item_edits (
        item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
        excluded INTEGER NOT NULL DEFAULT 0,
        held INTEGER NOT NULL DEFAULT 0,
        topic TEXT,
        title TEXT,
        summary TEXT,
        position REAL,
        lead INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE text_edits (
        field TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        subject TEXT NOT NULL,
        field TEXT NOT NULL,
        old TEXT,
        new TEXT
    );
    """,
    # 7: editions in several languages: each language's words for the archive,
    # each language's frozen bytes beside the default's, and the language each
    # recipient of an edition was sent
    """
    CREATE TABLE edition_texts (
        edition_id INTEGER NOT NULL REFERENCES editions (id) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        title TEXT NOT NULL,
        subject TEXT NOT NULL,
        preheader TEXT NOT NULL,
        PRIMARY KEY (edition_id, lang)
    );
    ALTER TABLE frozen_editions ADD COLUMN lang TEXT NOT NULL DEFAULT '';
    CREATE TABLE frozen_translations (
        slug TEXT NOT NULL REFERENCES frozen_editions (slug) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        subject TEXT NOT NULL,
        preheader TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (slug, lang)
    );
    ALTER TABLE deliveries ADD COLUMN lang TEXT NOT NULL DEFAULT '';
    """,
    # 8: which parser read each feed last (the fast path, or feedparser and why)
    """
    ALTER TABLE sources ADD COLUMN last_parser TEXT;
    """,
    # 9: the order of a frozen edition's languages, said rather than left to
    # SQLite's rowid, which PostgreSQL has not
    """
    ALTER TABLE frozen_translations ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
    UPDATE frozen_translations SET position = rowid;
    """,
    # 10: several runs of `digest update` at once split the feeds: each claims
    # some (who, when, until when: a dead run's claim lapses) and the others
    # skip them
    """
    ALTER TABLE sources ADD COLUMN claimed_by TEXT;
    ALTER TABLE sources ADD COLUMN claimed_at TEXT;
    ALTER TABLE sources ADD COLUMN claimed_until TEXT;
    """,
    # 11: several `digest send` runs at once share out the readers the same way
    """
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    ALTER TABLE deliveries ADD COLUMN claimed_until TEXT;
    """,
    # 12: the words story grouping compares, counted once, beside the parsing,
    # and kept: regrouping a month of news need not read every item again
    """
    ALTER TABLE items ADD COLUMN story_terms TEXT;
    """,
    # 13: story grouping looks among the items dated or first seen lately
    """
    CREATE INDEX items_by_first_seen ON items (first_seen_at);
    """,
)

# Where PostgreSQL needs other words than the translated SQLite migration.
POSTGRES_MIGRATIONS: dict[int, str] = {
    # A new PostgreSQL database holds no translation yet to number.
    9: "ALTER TABLE frozen_translations ADD COLUMN position INTEGER NOT NULL DEFAULT 0;",
}
