"""Commands that send: send, approve, schedule."""

from __future__ import annotations

import sys

import click

from ..core import Digest
from .base import cli, pass_digest


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
    if report.outcome == "dry-run" and len(report.languages) > 1:
        counts = ", ".join(f"{count} in {lang}" for lang, count in report.languages)
        click.echo(f"  by language: {counts}", err=True)
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
    for lang, rendered in frozen.translations:
        click.echo(f"  and in {lang}: {rendered.subject}")


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
