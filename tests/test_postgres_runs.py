"""press-digest on PostgreSQL, driven as cron drives it: `digest` in processes
of its own, against the throwaway server of tests/postgres.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from .conftest import SAMPLE_OPML, write_config


def digest(config: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=config.parent,
        env={**os.environ, "DIGEST_DATABASE_URL": url},
    )


def edition_titles(folder: Path) -> list[str]:
    [edition] = folder.glob("output/**/edition.json")
    data = json.loads(edition.read_text("utf-8"))
    return [item["title"] for section in data["sections"] for item in section["items"]]


def test_the_sample_edition_is_stored_in_postgres_and_no_sqlite_file_is_written(
    tmp_path: Path, postgres_url: str
) -> None:
    on_postgres = tmp_path / "pg"
    on_postgres.mkdir()
    config = write_config(on_postgres, SAMPLE_OPML)
    built = digest(config, postgres_url, "run")
    assert built.returncode == 0, built.stderr
    sent = digest(config, postgres_url, "send", "--dry-run")
    assert sent.returncode == 0, sent.stderr
    leftovers = [p.name for p in on_postgres.iterdir() if p.name.startswith("digest.sqlite3")]
    assert leftovers == []
    with psycopg.connect(postgres_url) as db:
        items = db.execute("SELECT count(*) FROM items").fetchone()
        editions = db.execute("SELECT count(*) FROM editions").fetchone()
    assert items is not None and items[0] > 20
    assert editions == (1,)
    # The same edition as SQLite builds from the same feeds.
    on_sqlite = tmp_path / "sqlite"
    on_sqlite.mkdir()
    reference = write_config(on_sqlite, SAMPLE_OPML)
    result = subprocess.run(
        [sys.executable, "-m", "digest", "run", "--config", str(reference)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=on_sqlite,
        env={k: v for k, v in os.environ.items() if k != "DIGEST_DATABASE_URL"},
    )
    assert result.returncode == 0, result.stderr
    assert edition_titles(on_postgres) == edition_titles(on_sqlite) != []
