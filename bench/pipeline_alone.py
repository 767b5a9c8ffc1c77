"""The least time an update of its own kind could take here, run by
bench/ingest.py: every feed fetched as bench/httpx_alone.py fetches it, each
body parsed by press-digest's parser (`digest.parse.parse_feed`) and its items
inserted into one SQLite table, in one thread beside the downloads.

Nothing else an update does: no config or feed list to read, no items already
stored to match, no words counted for stories, no stories grouped, no feed
health kept or reported. A process of its own, as `digest update` is. What
`digest update` takes beyond it is the cost of those.

Parsing is in a thread, not in a worker process as `digest update` parses 500
feeds: with no other work in the process, a worker's start (an interpreter,
feedparser and lxml imported) cost more than it saved (2.93 s against 2.86 s,
medians of five runs of bench-ingest's 500 feeds).

Usage: python bench/pipeline_alone.py URLS-FILE CONCURRENCY PER-HOST DATABASE
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from httpx_alone import fetch_all

from digest.parse import parse_feed
from digest.types import FeedSource, FetchResult

_SCHEMA = """CREATE TABLE items (
    feed TEXT, guid TEXT, url TEXT, title TEXT, summary TEXT, published TEXT, lang TEXT,
    UNIQUE (feed, guid)
)"""


def store(db: sqlite3.Connection, url: str, body: bytes) -> None:
    """Parse one feed and insert its items, in one transaction."""
    feed = parse_feed(FeedSource(url=url), FetchResult(url=url, content=body, status=200))
    rows = [
        (url, item.guid, item.url, item.title, item.summary, str(item.published), item.lang)
        for item in feed.items
    ]
    with db:
        db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


async def fetch_parse_store(
    urls: list[str], concurrency: int, per_host: int, database: Path
) -> int:
    """Every feed fetched, parsed and stored; the items stored."""
    db = sqlite3.connect(database, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")  # as `digest update` stores a run's feeds
    db.execute(_SCHEMA)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1) as worker:

        async def take(url: str, body: bytes) -> None:
            await loop.run_in_executor(worker, store, db, url, body)

        await fetch_all(urls, concurrency, per_host, take)
    return int(db.execute("SELECT count(*) FROM items").fetchone()[0])


def main() -> None:
    urls_file, concurrency, per_host, database = sys.argv[1:5]
    urls = Path(urls_file).read_text("utf-8").split()
    Path(database).unlink(missing_ok=True)
    print(asyncio.run(fetch_parse_store(urls, int(concurrency), int(per_host), Path(database))))


if __name__ == "__main__":
    main()
