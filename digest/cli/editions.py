"""Commands that build the edition: run, update, build, add, preview, classify,
corrections."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..bundled import load_taxonomy
from ..classify import classify_lines, explain_text
from ..config import find_config_path, load_config
from ..core import Digest
from ..errors import ConfigError, DigestError
from .base import CONFIG_HELP, cli, pass_digest
from .reports import (
    _report_build,
    _report_feed_health,
    _update_with_progress,
)


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


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, type=int, help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a browser.")
@click.option(
    "--get", "get_path", metavar="PATH", help="Print one page to stdout; no port opened."
)
@click.option(
    "--watch", is_flag=True, help="Reload open pages when a template or the config changes."
)
@pass_digest
def preview(
    digest: Digest,
    host: str,
    port: int,
    open_browser: bool,
    get_path: str | None,
    watch: bool,
) -> None:
    """See the next edition exactly as it will be sent, adjust it and approve it.

    A local web app: leave items out, hold sensitive ones, move them between
    sections, reorder, rewrite headlines and summaries, pick the lead, edit
    the subject, intro and closing. Every change is saved at once and logged.
    """
    from ..preview import PreviewSettings, create_app, get_page, is_loopback

    config = digest.config
    digest.close()  # the app opens the store for each request
    if get_path is not None:
        status, body = get_page(config, get_path)
        click.echo(body, nl=False)
        sys.exit(0 if status < 400 else 1)
    token = os.environ.get(PREVIEW_TOKEN_VARIABLE) or None
    if not is_loopback(host):
        click.echo(
            click.style(
                f"WARNING: the preview will listen on {host}, reachable by others. "
                "Anyone who can reach it can change what goes out.",
                fg="red",
                bold=True,
            ),
            err=True,
        )
        if not token:
            raise click.UsageError(f"set ${PREVIEW_TOKEN_VARIABLE} to listen beyond 127.0.0.1")
    import uvicorn

    app = create_app(config, PreviewSettings(host=host, port=port, token=token, watch=watch))
    url = f"http://{host}:{port}/"
    click.echo(f"Preview at {url} (Ctrl-C to stop)", err=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    # Open live-reload streams would hold a graceful shutdown; one second is plenty.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1)


PREVIEW_TOKEN_VARIABLE = "DIGEST_PREVIEW_TOKEN"


@cli.command()
@click.argument("source", required=False, type=click.File("r", encoding="utf-8"))
@click.option("--explain", "text", metavar="TEXT", help="Explain how TEXT would be filed.")
@click.option(
    "--taxonomy",
    "taxonomy_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Taxonomy file to use instead of the configured one.",
)
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help=CONFIG_HELP
)
def classify(
    source: Any, text: str | None, taxonomy_path: Path | None, config_path: Path | None
) -> None:
    """File items under topics, with the evidence; never touches the database.

    `digest classify -` reads JSON Lines on stdin, each {"id", "title",
    "summary", "lang"}, and writes one JSON line per input, in order:
    {"id", "topics", "primary" (null: off-topic), "confidence", "evidence":
    [{"topic", "term", "field", "weight"}], "relevance" (0 to 1: how surely
    it is in scope), "why" (a sentence naming the act, the target and the
    rule that chose the section, or why it was left out)}. `--explain "some
    text"` prints a readable breakdown instead.
    """
    try:
        taxonomy = load_taxonomy(taxonomy_path or _configured_taxonomy(config_path))
    except DigestError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    if text is not None:
        click.echo(explain_text(text, taxonomy))
        return
    if source is None:
        raise click.UsageError("give - to read JSON Lines on stdin, or --explain TEXT")
    failed = False
    for line, understood in classify_lines(source, taxonomy):
        click.echo(line)
        failed |= not understood
    sys.exit(1 if failed else 0)


@cli.command()
@pass_digest
def corrections(digest: Digest) -> None:
    """Print the editors' topic corrections as JSON Lines, labelled for an
    evaluation set: {"id", "title", "summary", "lang", "primary",
    "machine_primary", "url"}."""
    for record in digest.corrections():
        click.echo(json.dumps(record, ensure_ascii=False))


def _configured_taxonomy(config_path: Path | None) -> Path | None:
    """The config's taxonomy when there is a config; the bundled one otherwise."""
    try:
        path, _ = find_config_path(config_path, os.environ, Path.cwd())
    except ConfigError:
        return None
    return load_config(path).paths.taxonomy
