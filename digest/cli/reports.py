"""What the commands print: progress, feed results and health, the build."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from ..core import Digest
from ..types import BuildResult, FeedHealth, FeedUpdate, UpdateStatus

STATUS_ORDER: tuple[UpdateStatus, ...] = ("ok", "not-modified", "failed", "gone", "disabled")


def _update_with_progress(digest: Digest) -> list[FeedUpdate]:
    """Update with a progress bar on a terminal, one line per feed otherwise."""
    if sys.stderr.isatty():
        with _ProgressBar() as bar:
            updates = digest.update(progress=bar.advance)
        for result in updates:
            if not result.ok or result.warning or result.moved_to:
                _report_one(result)
    else:
        updates = digest.update(progress=lambda result, done, total: _report_one(result))
    counts = Counter(update.status for update in updates)
    parts = [f"{counts[s]} {s.replace('-', ' ')}" for s in STATUS_ORDER if counts[s]]
    new = sum(update.new for update in updates)
    stories = len(digest.stories())
    click.echo(
        f"{len(updates)} feeds: {', '.join(parts) or 'none'}; {new} new items; "
        f"{stories} stories reported by several outlets",
        err=True,
    )
    return updates


class _ProgressBar:
    """feeds ━━━━━━━━━╸━━━ 41/60 35 new items, 1 error"""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("feeds"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("", total=None)
        self._new = self._failed = 0

    def __enter__(self) -> _ProgressBar:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def advance(self, result: FeedUpdate, done: int, total: int) -> None:
        self._new += result.new
        self._failed += not result.ok
        self._progress.update(
            self._task,
            completed=done,
            total=total,
            description=f"{_count(self._new, 'new item')}, {_count(self._failed, 'error')}",
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _report_one(result: FeedUpdate) -> None:
    name = result.source.name or result.source.url
    if result.error:
        click.echo(click.style(f"✗ {name}: {result.error}", fg="red"), err=True)
        return
    if result.status == "ok":
        click.echo(f"✓ {name}: {result.new} new, {result.updated} updated", err=True)
    elif result.status == "not-modified":
        click.echo(f"= {name}: not modified", err=True)
    if result.warning:
        click.echo(click.style(f"  warning: {result.warning}", fg="yellow"), err=True)
    if result.moved_to:
        click.echo(f"  moved permanently to {result.moved_to}", err=True)


def _report_feed_health(feeds: Sequence[FeedHealth]) -> None:
    """After every run, name the feeds that need the editor's eye."""
    for feed in feeds:
        for note in feed.notes:
            name = feed.source.name or feed.source.url
            click.echo(click.style(f"! {name}: {note}", fg="yellow"), err=True)


def _report_build(result: BuildResult) -> None:
    edition = result.edition
    click.echo(
        f"Edition {edition.slug}: {len(edition.items)} stories in {len(edition.sections)} "
        f"sections, {len(edition.off_topic)} off-topic left out",
        err=True,
    )
    versions = (("", result.rendered), *result.translations)
    for lang, rendered in versions:
        where = f"email ({lang})" if lang else "email"
        for warning in rendered.warnings:
            click.echo(click.style(f"! {where}: {warning}", fg="yellow"), err=True)
    _report_feed_health(result.feeds)
    for path in result.files:
        if path.endswith("/email.html") and path != result.html_path:
            click.echo(f"In another language: {path}", err=True)
    click.echo(result.html_path)


def _health_json(feed: FeedHealth) -> dict[str, Any]:
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "url": feed.source.url,
        "name": feed.source.name,
        "lang": feed.source.lang,
        "fetch_url": feed.fetch_url,
        "status": feed.status,
        "last_fetched": when(feed.last_fetched),
        "last_ok": when(feed.last_ok),
        "last_error": feed.last_error,
        "last_warning": feed.last_warning,
        "consecutive_failures": feed.consecutive_failures,
        "items_seen": feed.items_seen,
        "items_stored": feed.items_stored,
        "last_new_item": when(feed.last_new_item),
        "disabled": feed.disabled,
        "parser": feed.parser,
        "flags": list(feed.flags),
        "notes": list(feed.notes),
    }


def _print_health_table(health: Sequence[FeedHealth], digest: Digest) -> None:
    from rich.console import Console
    from rich.table import Table

    def short(moment: datetime | None) -> str:
        return moment.astimezone(digest.zone).strftime("%Y-%m-%d %H:%M") if moment else "-"

    table = Table(title=f"{len(health)} feeds in {digest.config.paths.feeds}")
    for column in ("feed", "status", "last fetched", "items", "last new item", "flags"):
        table.add_column(column)
    for feed in health:
        table.add_row(
            feed.source.name or feed.source.url,
            feed.status or "never fetched",
            short(feed.last_fetched),
            str(feed.items_stored),
            short(feed.last_new_item),
            ", ".join(feed.flags),
        )
    console = Console(soft_wrap=True, highlight=False)
    console.print(table)
    for feed in health:
        name = feed.source.name or feed.source.url
        if feed.last_error and "failing" not in feed.flags:
            console.print(f"{name}: last error: {feed.last_error}", markup=False)
        for note in feed.notes:
            console.print(f"{name}: {note}", markup=False)
