"""The `digest` command: a thin layer of click commands over the `Digest` façade.

Each command is a few lines around one façade call. A `DigestError` becomes
one line on stderr and the error's exit code, never a traceback (`-vv` shows
it, for bug reports).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .config import find_config_path, load_config
from .core import Digest, open_digest
from .errors import DigestError
from .types import BuildResult, FeedHealth, FeedUpdate, UpdateStatus

F = TypeVar("F", bound=Callable[..., Any])


def _configure_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)


def pass_digest(command: F) -> F:
    """Give a command `--config` and `-v`, open the façade for it and close it after."""

    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help=CONFIG_HELP,
    )
    @click.option("-v", "--verbose", count=True, help="Say more (-vv: tracebacks too).")
    @functools.wraps(command)
    def wrapper(config_path: Path | None, verbose: int, **kwargs: Any) -> Any:
        # `digest feeds --config X list` works as well as `digest feeds list --config X`.
        config_path = config_path or _from_parent("config_path")
        verbose = verbose or _from_parent("verbose") or 0
        _configure_logging(verbose)
        try:
            path, reason = find_config_path(config_path, os.environ, Path.cwd())
            if verbose:
                click.echo(f"using config {path} (from {reason})", err=True)
            config = load_config(path)
            with open_digest(config) as digest:
                return command(digest, **kwargs)
        except DigestError as exc:
            if verbose > 1:
                logging.exception("details")
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def _from_parent(name: str) -> Any:
    context = click.get_current_context().parent
    while context is not None:
        if context.params.get(name):
            return context.params[name]
        context = context.parent
    return None


CONFIG_HELP = "Config file. Default: $DIGEST_CONFIG, ./digest.toml, then ./digest.example.toml."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digest")
def cli() -> None:
    """press-digest: pull news feeds, file stories under repression topics,
    and build an email digest for journalists, diplomats and supporters."""


@cli.command()
@pass_digest
def run(digest: Digest) -> None:
    """Update every feed, then build the next edition.

    Exits 1 if a feed failed (the edition is still built from the others).
    """
    updates = _update_with_progress(digest)
    _report_build(digest.build())
    if any(not update.ok for update in updates):
        sys.exit(1)


@cli.command()
@pass_digest
def update(digest: Digest) -> None:
    """Fetch every feed in the feed list and store new items.

    Shows a progress bar on a terminal and one line per feed otherwise (cron).
    Exits 1 if a feed failed; the others are stored all the same.
    """
    updates = _update_with_progress(digest)
    _report_feed_health(digest.feed_health())
    if any(not update.ok for update in updates):
        sys.exit(1)


@cli.command()
@pass_digest
def build(digest: Digest) -> None:
    """Build the next edition from stored items, without fetching.

    Writes email.html, email.txt, email.eml and edition.json into
    OUTPUT/<date>-<slug>/ and refreshes OUTPUT/index.html.
    """
    _report_build(digest.build())


@cli.command()
@click.argument("url")
@click.option("--title", help="Headline to show (instead of the page's own).")
@click.option("--summary", help="Summary to show (instead of the page's description).")
@click.option("--topic", help="Section to file it under (a topic id of the taxonomy).")
@click.option("--note", default="", help="A note for the other editors; never sent.")
@pass_digest
def add(
    digest: Digest,
    url: str,
    title: str | None,
    summary: str | None,
    topic: str | None,
    note: str,
) -> None:
    """Add a link by hand: title, summary, outlet, date and language come from
    the page; what you type with the options wins. A page that cannot be
    fetched is kept with your text alone (give at least --title)."""
    added = digest.add_link(url, title=title, summary=summary, topic=topic, note=note)
    for warning in added.warnings:
        click.echo(click.style(f"warning: {warning}", fg="yellow"), err=True)
    state = "added" if added.new else "updated"
    where = f" under {added.topic}" if added.topic else ""
    click.echo(f"{state} #{added.item_id}: {added.title} ({added.outlet}){where}")


@cli.group(invoke_without_command=True)
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help=CONFIG_HELP
)
@click.option("-v", "--verbose", count=True, help="Say more (-vv: tracebacks too).")
@click.pass_context
def feeds(context: click.Context, config_path: Path | None, verbose: int) -> None:
    """The feed list and each feed's health (`digest feeds` = `digest feeds list`).

    Flags: failing (failed fetch.failing_after runs in a row), silent (no new
    item for fetch.silent_after_days), disabled (410 Gone), moved (301/308).
    """
    if context.invoked_subcommand is None:
        context.invoke(feeds_list)


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_digest
def feeds_list(digest: Digest, as_json: bool = False) -> None:
    """List the feeds with their last fetch, errors and flags."""
    health = digest.feed_health()
    if as_json:
        click.echo(json.dumps([_health_json(f) for f in health], indent=2, ensure_ascii=False))
    else:
        _print_health_table(health, digest)


@feeds.command("add")
@click.argument("location")
@click.option("--name", help="Outlet name shown in the digest.")
@click.option("--lang", help="Language of the feed (en, fr, km...), if it does not say.")
@click.option("--user-agent", help="User-Agent for this feed only.")
@pass_digest
def feeds_add(
    digest: Digest, location: str, name: str | None, lang: str | None, user_agent: str | None
) -> None:
    """Add a feed (URL or file path) to the feed list."""
    source = digest.add_feed(location, name=name, lang=lang, user_agent=user_agent)
    click.echo(f"added {source.url} to {digest.config.paths.feeds}")


@feeds.command("remove")
@click.argument("location")
@pass_digest
def feeds_remove(digest: Digest, location: str) -> None:
    """Take a feed off the feed list (its stored items are kept)."""
    source = digest.remove_feed(location)
    click.echo(f"removed {source.name or source.url} from {digest.config.paths.feeds}")


@feeds.command("enable")
@click.argument("location")
@pass_digest
def feeds_enable(digest: Digest, location: str) -> None:
    """Fetch a feed again that was disabled after 410 Gone."""
    digest.enable_feed(location)
    click.echo(f"enabled {location}; the next update fetches it")


@feeds.command("import-opml")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@pass_digest
def feeds_import_opml(digest: Digest, file: Path) -> None:
    """Add every feed of another OPML file to the feed list."""
    added, already = digest.import_opml(file)
    click.echo(f"added {len(added)} feeds; {len(already)} were already listed")


@feeds.command("export-opml")
@pass_digest
def feeds_export_opml(digest: Digest) -> None:
    """Print the feed list as OPML 2.0 (local paths as file: URLs)."""
    click.echo(digest.export_opml(), nl=False)


# -- reporting -------------------------------------------------------------

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
    """feeds ━━━━━━━━━╸━━━ 41/60 35 new items, 2 errors"""

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
            description=f"{self._new} new items, {self._failed} errors",
        )


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
    for warning in result.rendered.warnings:
        click.echo(click.style(f"! email: {warning}", fg="yellow"), err=True)
    _report_feed_health(result.feeds)
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


def main() -> None:
    cli(prog_name="digest")
