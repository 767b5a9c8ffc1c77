"""Recipients, approval and sending: the part of the `Digest` façade that
mails the edition out.

A mixin of `Digest` (core.py), kept apart so that each file holds one
concern: core plans and builds the edition, this sends it. The ledger lives
in the store, SMTP in send.py, the schedule's arithmetic in schedule.py.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .config import Config, config_error
from .delivery import (
    content_hash,
    display_name,
    message_id,
    normalise_address,
    parse_recipients_csv,
    personal_mailing,
    token_matches,
    wire_address,
)
from .errors import ConfigError, DigestError
from .files import write_atomically
from .render import MessageBody, compose_message, message_body
from .schedule import crontab_line, due_slot, next_runs, systemd_units
from .send import SmtpMailer, SmtpUnavailable
from .store import OWED, Store
from .types import (
    BuildResult,
    Delivery,
    DeliveryStatus,
    FeedUpdate,
    FrozenEdition,
    MailingList,
    Recipient,
    SchedulePlan,
    Sender,
    SendOutcome,
    SendReport,
)

log = logging.getLogger(__name__)


class SendingMixin:
    """Recipients, approval and sending, for `Digest`."""

    if TYPE_CHECKING:  # provided by Digest
        config: Config
        store: Store
        zone: ZoneInfo

        def _now(self) -> datetime: ...
        def _sender(self) -> Sender: ...
        def mailing_list(self) -> MailingList: ...
        def build(self) -> BuildResult: ...
        def update(self) -> list[FeedUpdate]: ...

    # -- recipients ------------------------------------------------------------

    def recipients(self, *, include_unsubscribed: bool = False) -> list[Recipient]:
        return self.store.recipients(include_unsubscribed=include_unsubscribed)

    def add_recipient(self, address: str, name: str = "", lang: str = "", group: str = "") -> bool:
        """Add one address (checked for shape); False if it was already known."""
        address = normalise_address(address)
        wire_address(address)  # refused now rather than at every send
        recipient = Recipient(address, display_name(name), lang, group or "main")
        return self.store.add_recipients([recipient], self._now()) == 1

    def import_recipients(self, path: Path) -> int:
        """Add every new address in a CSV file; unsubscribed people stay off."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise DigestError(f"cannot read {path}: {exc}") from exc
        return self.store.add_recipients(parse_recipients_csv(text, str(path)), self._now())

    def remove_recipient(self, address: str) -> bool:
        """Unsubscribe: no further message goes to `address`, even from an
        edition being sent now. The record stays, so no import brings it back."""
        return self.store.unsubscribe(normalise_address(address), self._now())

    def unsubscribe_with_token(self, address: str, token: str) -> bool:
        """A reader's one-click unsubscribe (RFC 8058): honoured only with the
        token their own message carried. False for a bad token."""
        secret = os.environ.get(self.config.list.unsubscribe_secret_env)
        try:
            address = normalise_address(address)
        except ValueError:
            return False
        if not secret or not token_matches(secret, self.mailing_list().list_id, address, token):
            return False
        self.store.unsubscribe(address, self._now())
        self.store.log_event(f"recipient {address}", "unsubscribed", "one-click link", self._now())
        return True

    # -- approving and sending ---------------------------------------------------

    def approve(self) -> FrozenEdition:
        """Build the next edition and approve it as it is now: this snapshot,
        and no later one, is what a send with `require_approval` delivers."""
        result = self.build()
        slug = result.edition.slug
        now = self._now()
        self.store.freeze(slug, result.rendered, content_hash(result.rendered), now)
        self.store.approve(slug, now)
        frozen = self.store.frozen(slug)
        assert frozen is not None
        self.store.log_event("edition", "approval", f"approved {frozen.content_hash[:12]}", now)
        return frozen

    def send(
        self,
        *,
        if_due: bool = False,
        update: bool = False,
        dry_run: bool = False,
        test_to: str | None = None,
    ) -> SendReport:
        """Send the edition: resume one left unfinished, else the next one.

        `if_due` sends only when the schedule says so and that slot has not
        been dealt with; `update` fetches the feeds first. `dry_run` writes
        the messages to files and connects nowhere; `test_to` mails one copy
        and leaves the ledger alone. Only one send runs at a time.
        """
        with self._send_lock() as locked:
            if not locked:
                return SendReport("busy", message="another `digest send` is running; leaving it")
            self._secret_variable()  # a missing secret stops the run before any message
            if dry_run or test_to:
                return self._send_copies(test_to)
            unfinished = self.store.unfinished_edition()
            if unfinished is not None:
                return self._deliver(unfinished)
            slot = None
            if if_due:
                slot = self._due_slot()
                if slot is None:
                    return SendReport("nothing-due", message=self._next_run_text())
            report = self._prepare_next(update)
            if slot is not None and report.outcome != "blocked":
                # Blocked stays undecided: approving within the grace period sends it.
                self.store.decide_slot(slot, report.outcome, report.slug or None, self._now())
            if report.outcome != "sent":
                self._mail_report(report)
                return report
            # The editor's words were for this edition; the next starts afresh.
            self.store.clear_text_edits(self._now())
            return self._deliver(report.slug, notes=report.notes)

    def schedule_plan(self) -> SchedulePlan:
        """When the next editions are due and how to make cron send them."""
        program = shutil.which("digest") or "digest"
        config = self.config.path.resolve()
        settings = self.config.schedule
        return SchedulePlan(
            cron=settings.cron,
            timezone=settings.timezone,
            next_runs=tuple(next_runs(settings.cron, self.zone, self._now())),
            crontab=crontab_line(program, config, config.parent / "digest-send.log"),
            systemd=systemd_units(program, config),
        )

    def _due_slot(self) -> datetime | None:
        grace = timedelta(hours=self.config.send.grace_hours)
        slot = due_slot(self.config.schedule.cron, self.zone, self._now(), grace)
        if slot is None or self.store.slot_decided(slot) is not None:
            return None
        return slot

    def _next_run_text(self) -> str:
        [upcoming] = next_runs(self.config.schedule.cron, self.zone, self._now(), 1)
        return f"nothing due; the next edition is due {upcoming:%Y-%m-%d %H:%M %Z}"

    def _prepare_next(self, update: bool) -> SendReport:
        """Freeze the edition to send and name it (outcome "sent" means: go
        ahead), or say why nothing goes out."""
        if self.config.send.require_approval:
            slug = self.store.approved_unsent()
            if slug is None:
                return SendReport(
                    "blocked",
                    message="no approved edition: review it and run `digest approve` "
                    "(the config sets require_approval)",
                )
            return SendReport("sent", slug=slug)
        notes: list[str] = []
        if update:
            notes += [
                f"feed {u.source.name or u.source.url} failed: {u.error}"
                for u in self.update()
                if not u.ok
            ]
        result = self.build()
        notes += list(result.rendered.warnings)
        notes += [
            f"{f.source.name or f.source.url}: {note}" for f in result.feeds for note in f.notes
        ]
        if not result.edition.items:
            return SendReport(
                "nothing-new",
                slug=result.edition.slug,
                message="nothing new since the last edition: no email was sent",
                notes=tuple(notes),
            )
        slug = result.edition.slug
        self.store.freeze(slug, result.rendered, content_hash(result.rendered), self._now())
        return SendReport("sent", slug=slug, notes=tuple(notes))

    def _deliver(self, slug: str, notes: Sequence[str] = ()) -> SendReport:
        """Send `slug` to every recipient still owed it, as the ledger says."""
        frozen = self.store.frozen(slug)
        assert frozen is not None, f"edition {slug} has deliveries but no frozen content"
        if self.config.paths.recipients is not None:
            self.import_recipients(self.config.paths.recipients)
        domain = self._sender().domain
        active = {r.address: r for r in self.store.recipients()}
        self.store.enqueue(
            slug, [(address, message_id(slug, address, domain)) for address in active], self._now()
        )
        owed = [d for d in self.store.deliveries(slug, OWED) if d.address in active]
        batch = owed[: self.config.send.max_recipients]
        stopped = ""
        body = message_body(frozen.rendered)
        with self._mailer() as mailer:
            try:
                for delivery in batch:
                    self._deliver_one(mailer, frozen, body, active[delivery.address], delivery)
            except SmtpUnavailable as exc:
                stopped = str(exc)
        report = replace(
            self._ledger_report(slug, left=len(owed) - len(batch), stopped=stopped),
            notes=tuple(notes),
        )
        if report.exit_code or stopped or notes:
            self._mail_report(report)
        return report

    def _deliver_one(
        self,
        mailer: SmtpMailer,
        frozen: FrozenEdition,
        body: MessageBody,
        recipient: Recipient,
        delivery: Delivery,
    ) -> None:
        """Mark sending, offer the message, record the answer; retry what is
        temporary. A run killed between the server's "250" and our record
        leaves "sending": the next run sends again, with the same Message-ID."""
        try:
            address = wire_address(recipient.address)
        except ValueError as exc:
            # Stored before such addresses were refused: it fails on its own.
            reply = f"not sent: {exc}"
            self.store.mark(frozen.slug, recipient.address, "failed-permanent", self._now(), reply)
            return
        message = self._message_for(frozen, body, recipient, address, delivery.message_id)
        settings = self.config.send
        for attempt in range(settings.retries + 1):
            self.store.mark(frozen.slug, recipient.address, "sending", self._now())
            try:
                result = mailer.send(self._sender().address, address, message)
            except SmtpUnavailable as exc:
                # No connection, so certainly not sent: owed, and the run stops.
                reply = f"not sent: {exc}"
                self.store.mark(
                    frozen.slug, recipient.address, "failed-temporary", self._now(), reply
                )
                raise
            if result.accepted:
                status: DeliveryStatus = "sent"
            elif result.permanent:
                status = "failed-permanent"
            else:
                status = "failed-temporary"
            reply = f"{result.code} {result.reply}".strip()
            self.store.mark(frozen.slug, recipient.address, status, self._now(), reply)
            if status != "failed-temporary":
                return
            if attempt < settings.retries:
                self._sleep(settings.backoff * 2**attempt)

    def _message_for(
        self,
        frozen: FrozenEdition,
        body: MessageBody,
        recipient: Recipient,
        address: str,
        msgid: str,
    ) -> bytes:
        """The message for one recipient, To `address` (their address as the
        wire carries it); their unsubscribe link names the address we keep."""
        mailing = personal_mailing(
            self.mailing_list(), recipient.address, os.environ.get(self._secret_variable())
        )
        return compose_message(
            body,
            sender=self._sender(),
            # Cleaned again: a name stored by an older version may hold anything.
            to=formataddr((display_name(recipient.name), address)),
            date=frozen.frozen,
            message_id=msgid,
            mailing=mailing,
            list_name=self.config.digest.organisation,
        )

    def _secret_variable(self) -> str:
        variable = self.config.list.unsubscribe_secret_env
        if self.config.list.unsubscribe_url and not os.environ.get(variable):
            raise config_error(
                self.config,
                "list.unsubscribe_url",
                f"personal unsubscribe links need a secret: set ${variable}",
            )
        return variable

    def _ledger_report(self, slug: str, *, left: int, stopped: str) -> SendReport:
        lines = self.store.deliveries(slug)
        permanent = tuple(d for d in lines if d.status == "failed-permanent")
        temporary = tuple(d for d in lines if d.status in ("failed-temporary", "sending"))
        sent = sum(1 for d in lines if d.status == "sent")
        outcome: SendOutcome = "partial" if permanent or temporary or stopped else "sent"
        parts = [f"{slug}: {sent} of {len(lines)} recipients have it"]
        if permanent:
            parts.append(f"{len(permanent)} refused for good (not retried)")
        if temporary:
            parts.append(f"{len(temporary)} to retry on the next run")
        if left:
            parts.append(f"{left} left for the next run (send.max_recipients)")
        if stopped:
            parts.append(f"stopped: {stopped}")
        return SendReport(
            outcome,
            slug=slug,
            sent=sent,
            failed_permanent=permanent,
            failed_temporary=temporary,
            left_for_next_run=left,
            message="; ".join(parts),
        )

    def _send_copies(self, test_to: str | None) -> SendReport:
        """--dry-run: one .eml per recipient in the edition's outbox folder.
        --to: one copy to one address. Neither touches the ledger."""
        approved = self.store.approved_unsent() if self.config.send.require_approval else None
        if approved is not None:
            frozen = self.store.frozen(approved)
            assert frozen is not None
        else:
            result = self.build()
            frozen = FrozenEdition(
                result.edition.slug, result.rendered, content_hash(result.rendered), self._now()
            )
        domain = self._sender().domain
        if test_to is not None:
            recipient = Recipient(normalise_address(test_to))
            address = wire_address(recipient.address)
            body = message_body(frozen.rendered)
            msgid = make_msgid("test", domain)
            message = self._message_for(frozen, body, recipient, address, msgid)
            with self._mailer() as mailer:
                answer = mailer.send(self._sender().address, address, message)
            outcome: SendOutcome = "test" if answer.accepted else "partial"
            return SendReport(
                outcome,
                slug=frozen.slug,
                sent=int(answer.accepted),
                message=f"test copy to {recipient.address}: {answer.code} {answer.reply}",
            )
        if self.config.paths.recipients is not None:
            self.import_recipients(self.config.paths.recipients)
        outbox = self.config.paths.output / frozen.slug / "outbox"
        files = []
        unusable: list[str] = []
        body = message_body(frozen.rendered)
        for recipient in self.store.recipients()[: self.config.send.max_recipients]:
            try:
                address = wire_address(recipient.address)
            except ValueError as exc:
                unusable.append(str(exc))
                continue
            path = outbox / f"{recipient.address}.eml"
            msgid = message_id(frozen.slug, recipient.address, domain)
            # Byte for byte what would go out, CRLF line ends included.
            write_atomically(path, self._message_for(frozen, body, recipient, address, msgid))
            files.append(str(path))
        return SendReport(
            "dry-run",
            slug=frozen.slug,
            files=tuple(files),
            message=f"{len(files)} messages written to {outbox}; nothing was sent",
            notes=tuple(unusable),
        )

    def _mailer(self) -> SmtpMailer:
        return SmtpMailer(self.config.smtp, self._credentials(), rate=self.config.send.rate)

    def _credentials(self) -> tuple[str, str] | None:
        """The SMTP login, read from the variables the config names (never the
        config itself); none when neither is set (a local relay)."""
        smtp = self.config.smtp
        user, password = os.environ.get(smtp.username_env), os.environ.get(smtp.password_env)
        if user and password:
            return user, password
        if user or password:
            missing = smtp.password_env if user else smtp.username_env
            raise config_error(
                self.config, "smtp.password_env", f"${missing} is not set (both are needed)"
            )
        return None

    def _mail_report(self, report: SendReport) -> None:
        """Tell the editor by mail what went wrong or why nothing went out.
        Best effort: when the server is the problem, the printed report is all."""
        editor = self.config.send.editor or self._sender().address
        message = EmailMessage()
        message["From"] = self._sender().address
        message["To"] = editor
        message["Subject"] = f"press-digest: {report.outcome}: {report.message}"[:180]
        message["Date"] = format_datetime(self._now())
        message["Message-ID"] = make_msgid("report", self._sender().domain)
        message.set_content(_report_text(report))
        try:
            with self._mailer() as mailer:
                mailer.send(self._sender().address, editor, message)
        except (SmtpUnavailable, ConfigError) as exc:
            log.warning("could not mail the report to %s: %s", editor, exc)

    @contextmanager
    def _send_lock(self) -> Iterator[bool]:
        """An exclusive lock beside the database: overlapping cron runs take turns."""
        path = Path(f"{self.config.paths.database}.send-lock")
        with open(path, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _report_text(report: SendReport) -> str:
    lines = [f"Outcome: {report.outcome}", "", report.message, ""]
    if report.notes:
        lines += ["Needs a look:", *(f"  {note}" for note in report.notes), ""]
    for title, deliveries in (
        ("Refused for good (not retried)", report.failed_permanent),
        ("To retry on the next run", report.failed_temporary),
    ):
        if deliveries:
            lines.append(f"{title}:")
            lines += [f"  {d.address}: {d.reply or d.status}" for d in deliveries]
            lines.append("")
    return "\n".join(lines)
