"""Copies that are not the send: `digest send --dry-run` writes each
recipient's message, in their language, to a folder; `--to` mails one copy.
Neither touches the ledger.

A service of the `Digest` façade, used by the outbox.
"""

from __future__ import annotations

from collections import Counter
from email.utils import make_msgid

from .context import Context
from .delivery import frozen_edition, message_id, normalise_address, wire_address
from .editions import Editions
from .files import write_atomically
from .mime import message_body
from .postman import Postman
from .recipients import Recipients
from .types import Recipient, SendOutcome, SendReport


class Copies:
    """Dry runs and test copies of the next (or the approved) edition."""

    def __init__(
        self, context: Context, editions: Editions, recipients: Recipients, postman: Postman
    ) -> None:
        self.context = context
        self.editions = editions
        self.recipients = recipients
        self.postman = postman

    def send(self, test_to: str | None) -> SendReport:
        """--dry-run: one .eml per recipient in the edition's outbox folder.
        --to: one copy to one address. Neither touches the ledger."""
        approved = (
            self.context.store.deliveries.approved_unsent()
            if self.context.config.send.require_approval
            else None
        )
        if approved is not None:
            frozen = self.context.store.deliveries.frozen(approved)
            assert frozen is not None
        else:
            frozen = frozen_edition(self.editions.build(), self.context.now())
        domain = self.context.sender().domain
        if test_to is not None:
            recipient = Recipient(normalise_address(test_to))
            address = wire_address(recipient.address)
            body = message_body(frozen.rendered)
            msgid = make_msgid("test", domain)
            message = self.postman.message_for(frozen, body, recipient, address, msgid)
            with self.postman.mailer() as mailer:
                answer = mailer.send(self.context.sender().address, address, message)
            outcome: SendOutcome = "test" if answer.accepted else "partial"
            return SendReport(
                outcome,
                slug=frozen.slug,
                sent=int(answer.accepted),
                message=f"test copy to {recipient.address}: {answer.code} {answer.reply}",
            )
        if self.context.config.paths.recipients is not None:
            self.recipients.import_recipients(self.context.config.paths.recipients)
        outbox = self.editions.folder(frozen.lang, frozen.slug) / "outbox"
        files = []
        unusable: list[str] = []
        bodies = {lang: message_body(frozen.in_language(lang)) for lang in frozen.languages}
        written: Counter[str] = Counter()
        for recipient in self.context.store.recipients.all()[
            : self.context.config.send.max_recipients
        ]:
            try:
                address = wire_address(recipient.address)
            except ValueError as exc:
                unusable.append(str(exc))
                continue
            path = outbox / f"{recipient.address}.eml"
            msgid = message_id(frozen.slug, recipient.address, domain)
            lang = frozen.language_for(recipient.lang)
            message = self.postman.message_for(
                frozen, bodies[lang], recipient, address, msgid, lang
            )
            # Byte for byte what would go out, CRLF line ends included.
            write_atomically(path, message)
            files.append(str(path))
            written[lang] += 1
        return SendReport(
            "dry-run",
            slug=frozen.slug,
            files=tuple(files),
            message=f"{len(files)} messages written to {outbox}; nothing was sent",
            notes=tuple(unusable),
            languages=tuple(sorted(written.items())),
        )
