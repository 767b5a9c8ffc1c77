"""`digest recipients`: who gets the digest."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..core import Digest
from .base import cli, group_options, pass_digest


@cli.group(invoke_without_command=True)
@group_options
@click.pass_context
def recipients(context: click.Context, config_path: Path | None, verbose: int) -> None:
    """Who the digest goes to (`digest recipients` = `digest recipients list`)."""
    if context.invoked_subcommand is None:
        context.invoke(recipients_list)


@recipients.command("list")
@click.option("--all", "include_unsubscribed", is_flag=True, help="Include unsubscribed people.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_digest
def recipients_list(
    digest: Digest, include_unsubscribed: bool = False, as_json: bool = False
) -> None:
    """List recipients: address, name, language, list."""
    people = digest.recipients(include_unsubscribed=include_unsubscribed)
    if as_json:
        rows = [
            {
                "address": r.address,
                "name": r.name,
                "language": r.lang,
                "list": r.list,
                "unsubscribed": r.unsubscribed.isoformat() if r.unsubscribed else None,
            }
            for r in people
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in people:
        gone = "  (unsubscribed)" if r.unsubscribed else ""
        click.echo(f"{r.address}\t{r.name}\t{r.lang}\t{r.list}{gone}")
    click.echo(f"{len(people)} recipients", err=True)


@recipients.command("add")
@click.argument("address")
@click.option("--name", default="", help="Name shown in To.")
@click.option("--lang", default="", help="Language (en, fr, km...).")
@click.option("--list", "group", default="main", help="Which list (default: main).")
@pass_digest
def recipients_add(digest: Digest, address: str, name: str, lang: str, group: str) -> None:
    """Add one address (checked for shape; no mail is sent to it)."""
    try:
        added = digest.add_recipient(address, name, lang, group)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"added {address}" if added else f"{address} was already on the list")


@recipients.command("remove")
@click.argument("address")
@pass_digest
def recipients_remove(digest: Digest, address: str) -> None:
    """Unsubscribe an address: it gets nothing more, and no import brings it back."""
    try:
        removed = digest.remove_recipient(address)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not removed:
        raise click.UsageError(f"{address} is not on the list")
    click.echo(f"unsubscribed {address}")


@recipients.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@pass_digest
def recipients_import(digest: Digest, file: Path) -> None:
    """Add the new addresses of a CSV file (columns: address,name,language,list)."""
    added = digest.import_recipients(file)
    click.echo(f"{added} new recipients from {file}")
