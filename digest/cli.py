"""The `digest` command: a thin layer of click commands over the `Digest` façade.

Each command is a few lines around one façade call. A `DigestError` becomes
one line on stderr and the error's exit code, never a traceback (`-vv` shows
it, for bug reports).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .config import find_config_path, load_config
from .core import Digest, open_digest
from .errors import DigestError
from .types import BuildResult, FeedUpdate

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
        help="Config file. Default: $DIGEST_CONFIG, ./digest.toml, then ./digest.example.toml.",
    )
    @click.option("-v", "--verbose", count=True, help="Say more (-vv: tracebacks too).")
    @functools.wraps(command)
    def wrapper(config_path: Path | None, verbose: int, **kwargs: Any) -> Any:
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
    updates = digest.update()
    _report_updates(updates)
    _report_build(digest.build())
    if any(not update.ok for update in updates):
        sys.exit(1)


@cli.command()
@pass_digest
def update(digest: Digest) -> None:
    """Fetch every feed in the feed list and store new items.

    Exits 1 if a feed failed; the others are stored all the same.
    """
    updates = digest.update()
    _report_updates(updates)
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


def _report_updates(updates: Sequence[FeedUpdate]) -> None:
    for result in updates:
        name = result.source.name or result.source.url
        if result.error:
            click.echo(click.style(f"✗ {name}: {result.error}", fg="red"), err=True)
            continue
        click.echo(f"✓ {name}: {result.new} new, {result.updated} updated", err=True)
        if result.warning:
            click.echo(click.style(f"  warning: {result.warning}", fg="yellow"), err=True)


def _report_build(result: BuildResult) -> None:
    edition = result.edition
    click.echo(
        f"Edition {edition.slug}: {len(edition.items)} stories in {len(edition.sections)} "
        f"sections, {len(edition.off_topic)} off-topic left out",
        err=True,
    )
    click.echo(result.html_path)


def main() -> None:
    cli(prog_name="digest")
