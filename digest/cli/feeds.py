"""`digest feeds`: the feed list and its health."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..core import Digest
from .base import cli, group_options, pass_digest
from .reports import (
    _health_json,
    _print_health_table,
)


@cli.group(invoke_without_command=True)
@group_options
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
@click.option(
    "--no-check",
    is_flag=True,
    help="List it without fetching it first (a feed that is down today, or offline).",
)
@pass_digest
def feeds_add(
    digest: Digest,
    location: str,
    name: str | None,
    lang: str | None,
    user_agent: str | None,
    no_check: bool,
) -> None:
    """Add a feed (URL or file path) to the feed list.

    The feed is fetched and read first: its title and language fill in
    --name and --lang when not given, and the address of a web page that
    names its feed lists that feed. A feed that cannot be read is not listed.
    """
    added = digest.add_feed(
        location, name=name, lang=lang, user_agent=user_agent, check=not no_check
    )
    for note in added.notes:
        click.echo(click.style(f"note: {note}", fg="yellow"), err=True)
    source = added.source
    found = ""
    if added.checked:
        newest = f", the newest from {added.newest:%Y-%m-%d}" if added.newest else ""
        found = f": {added.items} items{newest}"
    label = f"{source.name} ({source.lang})" if source.lang else source.name
    click.echo(f"added {label or source.url} <{source.url}> to {digest.config.paths.feeds}{found}")


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
