"""Sending: the edition approved, frozen and delivered to every recipient once,
driven by the ledger, resumed after a crash; the schedule; copies for a
dry run or a test.

A service of the `Digest` façade. The ledger lives in the store, SMTP in
send.py, each message in postman.py, the schedule's arithmetic in schedule.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from .context import Context
from .copies import Copies
from .delivery import frozen_edition, message_id, wire_address
from .editions import Editions
from .mime import MessageBody, message_body
from .postman import Postman
from .recipients import Recipients
from .schedule import crontab_line, due_slot, next_runs, systemd_units
from .send import SmtpMailer, SmtpUnavailable
from .store import OWED
from .types import (
    BuildResult,
    Delivery,
    DeliveryStatus,
    FrozenEdition,
    Recipient,
    SchedulePlan,
    SendReport,
)
from .updates import Updates
from .workers import lapse_dead_claims, worker_name

# Readers a sender claims at a time on a shared database: small enough that
# senders started together share the list out, large enough to cost little.
CLAIM_BATCH = 50


class Outbox:
    """Approve, send (once to each reader), schedule, write or mail copies."""

    def __init__(
        self,
        context: Context,
        editions: Editions,
        updates: Updates,
        recipients: Recipients,
        sleep: Callable[[float], None],
    ) -> None:
        self.context = context
        self.editions = editions
        self.updates = updates
        self.recipients = recipients
        self.postman = Postman(context)
        self.copies = Copies(context, editions, recipients, self.postman)
        self._sleep = sleep

    def approve(self) -> FrozenEdition:
        """Build the next edition and approve it as it is now: this snapshot,
        and no later one, is what a send with `require_approval` delivers."""
        result = self.editions.build()
        slug = result.edition.slug
        now = self.context.now()
        self._freeze(result)
        self.context.store.deliveries.approve(slug, now)
        frozen = self.context.store.deliveries.frozen(slug)
        assert frozen is not None
        self.context.store.edits.log_event(
            "edition", "approval", f"approved {frozen.content_hash[:12]}", now
        )
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
        and leaves the ledger alone.

        One send at a time decides what goes out and fills the ledger. On
        SQLite a second one leaves at once; on a shared database (PostgreSQL)
        it waits its turn, then delivers beside the first, each sender
        claiming a share of the readers.
        """
        store = self.context.store
        with store.exclusive("send", wait=store.shared) as locked:
            if not locked:
                return SendReport("busy", message="another `digest send` is running; leaving it")
            self.postman.secret_variable()  # a missing secret stops the run before any message
            if dry_run or test_to:
                return self.copies.send(test_to)
            decided = self._decide(if_due=if_due, update=update)
            if isinstance(decided, SendReport):
                return decided
            if not store.shared:
                return self._deliver(*decided)  # alone: delivered under the lock
        return self._deliver(*decided)  # beside the others, once the next may decide

    def _decide(self, *, if_due: bool, update: bool) -> SendReport | tuple[str, tuple[str, ...]]:
        """The edition to deliver (with notes for the report), its ledger
        filled; or the report of why none goes out."""
        unfinished = self.context.store.deliveries.unfinished_edition()
        if unfinished is not None:
            self._fill_ledger(unfinished)
            return unfinished, ()
        slot = None
        if if_due:
            slot = self._due_slot()
            if slot is None:
                return SendReport("nothing-due", message=self._next_run_text())
        report = self._prepare_next(update)
        if slot is not None and report.outcome != "blocked":
            # Blocked stays undecided: approving within the grace period sends it.
            self.context.store.deliveries.decide_slot(
                slot, report.outcome, report.slug or None, self.context.now()
            )
        if report.outcome != "sent":
            self.postman.mail_report(report)
            return report
        # The editor's words were for this edition; the next starts afresh.
        self.context.store.edits.clear_text_edits(self.context.now())
        self._fill_ledger(report.slug)
        return report.slug, report.notes

    def schedule_plan(self) -> SchedulePlan:
        """When the next editions are due and how to make cron send them."""
        program = shutil.which("digest") or "digest"
        config = self.context.config.path.resolve()
        settings = self.context.config.schedule
        return SchedulePlan(
            cron=settings.cron,
            timezone=settings.timezone,
            next_runs=tuple(next_runs(settings.cron, self.context.zone, self.context.now())),
            crontab=crontab_line(program, config, config.parent / "digest-send.log"),
            systemd=systemd_units(program, config),
        )

    def _due_slot(self) -> datetime | None:
        grace = timedelta(hours=self.context.config.send.grace_hours)
        slot = due_slot(
            self.context.config.schedule.cron, self.context.zone, self.context.now(), grace
        )
        if slot is None or self.context.store.deliveries.slot_decided(slot) is not None:
            return None
        return slot

    def _next_run_text(self) -> str:
        [upcoming] = next_runs(
            self.context.config.schedule.cron, self.context.zone, self.context.now(), 1
        )
        return f"nothing due; the next edition is due {upcoming:%Y-%m-%d %H:%M %Z}"

    def _prepare_next(self, update: bool) -> SendReport:
        """Freeze the edition to send and name it (outcome "sent" means: go
        ahead), or say why nothing goes out."""
        if self.context.config.send.require_approval:
            slug = self.context.store.deliveries.approved_unsent()
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
                for u in self.updates.update()
                if not u.ok
            ]
        result = self.editions.build()
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
        self._freeze(result)
        return SendReport("sent", slug=result.edition.slug, notes=tuple(notes))

    def _freeze(self, result: BuildResult) -> None:
        """Fix every language's bytes of the built edition in one transaction."""
        self.context.store.deliveries.freeze(frozen_edition(result, self.context.now()))

    def _fill_ledger(self, slug: str) -> None:
        """Put every active reader in the ledger of `slug` (once: a line
        already there stays as it is, language included)."""
        frozen = self.context.store.deliveries.frozen(slug)
        assert frozen is not None, f"edition {slug} has deliveries but no frozen content"
        if self.context.config.paths.recipients is not None:
            self.recipients.import_recipients(self.context.config.paths.recipients)
        domain = self.context.sender().domain
        self.context.store.deliveries.enqueue(
            slug,
            [
                (r.address, message_id(slug, r.address, domain), frozen.language_for(r.lang))
                for r in self.context.store.recipients.all()
            ],
            self.context.now(),
        )

    def _deliver(self, slug: str, notes: Sequence[str] = ()) -> SendReport:
        """Send `slug` to the readers still owed it, as the ledger says,
        claiming them a batch at a time (other senders take the rest)."""
        store, settings = self.context.store, self.context.config.send
        frozen = store.deliveries.frozen(slug)
        assert frozen is not None, f"edition {slug} has deliveries but no frozen content"
        active = {r.address: r for r in store.recipients.all()}
        bodies = {lang: message_body(frozen.in_language(lang)) for lang in frozen.languages}
        lapse_dead_claims(store, "deliveries")
        worker, cap = worker_name(), settings.max_recipients
        batch = min(cap, CLAIM_BATCH) if store.shared else cap
        stopped, attempted = "", set[str]()
        with self.postman.mailer() as mailer:
            try:
                while len(attempted) < cap:
                    claimed = store.deliveries.claim_deliveries(
                        slug, worker, now=store.clock(), lease=self._lease(),
                        limit=min(batch, cap - len(attempted)),
                    )  # fmt: skip
                    owed = [line for line in claimed if line.address in active]
                    if not claimed:
                        break
                    for delivery in owed:
                        body = bodies.get(delivery.lang, bodies[frozen.lang])
                        attempted.add(delivery.address)
                        self._deliver_one(mailer, frozen, body, active[delivery.address], delivery)
            except SmtpUnavailable as exc:
                stopped = str(exc)
            finally:
                store.deliveries.release_deliveries(slug, worker)
        # Owed, but past the cap on messages a run sends (send.max_recipients).
        left = sum(
            1
            for line in store.deliveries.of(slug, OWED)
            if line.address in active and line.address not in attempted
        )
        left = left if len(attempted) >= cap else 0
        report = replace(
            self.postman.ledger_report(
                slug,
                left=left,
                stopped=stopped,
                shared=store.shared,
            ),
            notes=tuple(notes),
        )
        if report.exit_code or stopped or notes:
            self.postman.mail_report(report)
        return report

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.context.config.send.lease)

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
            self.context.store.deliveries.mark(
                frozen.slug, recipient.address, "failed-permanent", self.context.now(), reply
            )
            return
        message = self.postman.message_for(
            frozen, body, recipient, address, delivery.message_id, delivery.lang
        )
        settings = self.context.config.send
        for attempt in range(settings.retries + 1):
            if not self.context.store.deliveries.start_sending(
                frozen.slug, recipient.address, worker_name(), self.context.now(), self._lease()
            ):
                return  # held too long: another sender took this reader over
            try:
                result = mailer.send(self.context.sender().address, address, message)
            except SmtpUnavailable as exc:
                # No connection, so certainly not sent: owed, and the run stops.
                reply = f"not sent: {exc}"
                self.context.store.deliveries.mark(
                    frozen.slug, recipient.address, "failed-temporary", self.context.now(), reply
                )
                raise
            if result.accepted:
                status: DeliveryStatus = "sent"
            elif result.permanent:
                status = "failed-permanent"
            else:
                status = "failed-temporary"
            reply = f"{result.code} {result.reply}".strip()
            self.context.store.deliveries.mark(
                frozen.slug, recipient.address, status, self.context.now(), reply
            )
            if status != "failed-temporary":
                return
            if attempt < settings.retries:
                self._sleep(settings.backoff * 2**attempt)
