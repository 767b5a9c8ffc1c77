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

from .config import find_config_path, load_config
from .core import Digest, classify_lines, explain_text, load_taxonomy, open_digest
from .errors import ConfigError, DigestError
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


def group_options(group: F) -> F:
    """`--config` and `-v` on a command group, so they may come before its
    subcommand (`digest feeds --config X list`); `pass_digest` reads them."""
    config = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help=CONFIG_HELP,
    )
    verbose = click.option("-v", "--verbose", count=True, help="Say more (-vv: tracebacks too).")
    return config(verbose(group))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="press-digest", prog_name="digest")
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


@cli.command()
@click.option("--if-due", is_flag=True, help="Send only if the schedule says an edition is due.")
@click.option("--update", "update_first", is_flag=True, help="Fetch the feeds first.")
@click.option(
    "--dry-run", is_flag=True, help="Write the .eml files it would send; connect nowhere."
)
@click.option(
    "--to", "test_to", metavar="ADDRESS", help="Send one test copy; the ledger is untouched."
)
@pass_digest
def send(
    digest: Digest, if_due: bool, update_first: bool, dry_run: bool, test_to: str | None
) -> None:
    """Send the next edition to every recipient, once.

    Resumes an edition left half-sent before starting a new one; a recipient
    the ledger marks as sent never gets that edition again. Run it from cron
    with --if-due (see `digest schedule`).

    Exit codes: 0 sent, or nothing due or new; 1 some deliveries failed (the
    next run retries the temporary ones); 2 configuration or usage error;
    3 blocked: the config requires approval and no edition is approved.
    """
    try:
        report = digest.send(if_due=if_due, update=update_first, dry_run=dry_run, test_to=test_to)
    except ValueError as exc:  # a --to address that is not one
        raise click.UsageError(str(exc)) from None
    colour = "yellow" if report.exit_code else None
    click.echo(click.style(report.message or report.outcome, fg=colour), err=True)
    for delivery in (*report.failed_permanent, *report.failed_temporary):
        click.echo(f"  {delivery.address}: {delivery.reply or delivery.status}", err=True)
    for note in report.notes:
        click.echo(click.style(f"! {note}", fg="yellow"), err=True)
    sys.exit(report.exit_code)


@cli.command()
@pass_digest
def approve(digest: Digest) -> None:
    """Build the next edition and approve it exactly as it is now.

    With [send] require_approval, only an approved edition is sent, and only
    the approved bytes.
    """
    frozen = digest.approve()
    click.echo(f"approved {frozen.slug} ({frozen.content_hash[:12]}): {frozen.rendered.subject}")


@cli.command()
@pass_digest
def schedule(digest: Digest) -> None:
    """Print the next send times and the crontab line (or systemd units) to install."""
    plan = digest.schedule_plan()
    click.echo(f"Schedule: {plan.cron} ({plan.timezone})")
    for moment in plan.next_runs:
        click.echo(f"  {moment:%a %Y-%m-%d %H:%M %Z}")
    click.echo("\nAdd this line with `crontab -e` (it checks every 5 minutes):\n")
    click.echo(plan.crontab)
    click.echo("\nOr, with systemd, these two units in /etc/systemd/system/:")
    for name, unit in plan.systemd.items():
        click.echo(f"\n# {name}\n{unit}", nl=False)


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
    from .preview import PreviewSettings, create_app, get_page, is_loopback

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
