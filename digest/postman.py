"""Messages and the mail that carries them: one reader's message from the
frozen edition, the SMTP connection with credentials from the environment,
the ledger's report, and that report mailed to the editor.

Part of sending (see outbox.py). Secrets are read here, from the variables
the config names, and nowhere else.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from .config import config_error
from .context import Context
from .delivery import display_name, personal_mailing
from .errors import ConfigError
from .mime import MessageBody, compose_message
from .send import SmtpMailer, SmtpUnavailable
from .types import FrozenEdition, Recipient, SendOutcome, SendReport

log = logging.getLogger(__name__)


class Postman:
    """Compose each reader's message, connect to SMTP, report to the editor."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def mailer(self) -> SmtpMailer:
        return SmtpMailer(
            self.context.config.smtp, self.credentials(), rate=self.context.config.send.rate
        )

    def credentials(self) -> tuple[str, str] | None:
        """The SMTP login, read from the variables the config names (never the
        config itself); none when neither is set (a local relay)."""
        smtp = self.context.config.smtp
        user, password = os.environ.get(smtp.username_env), os.environ.get(smtp.password_env)
        if user and password:
            return user, password
        if user or password:
            missing = smtp.password_env if user else smtp.username_env
            raise config_error(
                self.context.config,
                "smtp.password_env",
                f"${missing} is not set (both are needed)",
            )
        return None

    def secret_variable(self) -> str:
        variable = self.context.config.list.unsubscribe_secret_env
        if self.context.config.list.unsubscribe_url and not os.environ.get(variable):
            raise config_error(
                self.context.config,
                "list.unsubscribe_url",
                f"personal unsubscribe links need a secret: set ${variable}",
            )
        return variable

    def message_for(
        self,
        frozen: FrozenEdition,
        body: MessageBody,
        recipient: Recipient,
        address: str,
        msgid: str,
        lang: str = "",
    ) -> bytes:
        """The message for one recipient, To `address` (their address as the
        wire carries it), in `lang` (the body's language); their unsubscribe
        link names the address we keep."""
        mailing = personal_mailing(
            self.context.mailing_list(lang),
            recipient.address,
            os.environ.get(self.secret_variable()),
        )
        organisation = self.context.config.digest.organisation
        if lang:
            organisation = self.context.config.editions.settings(lang).organisation or organisation
        return compose_message(
            body,
            sender=self.context.sender(),
            # Cleaned again: a name stored by an older version may hold anything.
            to=formataddr((display_name(recipient.name), address)),
            date=frozen.frozen,
            message_id=msgid,
            mailing=mailing,
            list_name=organisation,
            lang=lang,
        )

    def mail_report(self, report: SendReport) -> None:
        """Tell the editor by mail what went wrong or why nothing went out.
        Best effort: when the server is the problem, the printed report is all."""
        editor = self.context.config.send.editor or self.context.sender().address
        message = EmailMessage()
        message["From"] = self.context.sender().address
        message["To"] = editor
        message["Subject"] = f"press-digest: {report.outcome}: {report.message}"[:180]
        message["Date"] = format_datetime(self.context.now())
        message["Message-ID"] = make_msgid("report", self.context.sender().domain)
        message.set_content(_report_text(report))
        try:
            with self.mailer() as mailer:
                mailer.send(self.context.sender().address, editor, message)
        except (SmtpUnavailable, ConfigError) as exc:
            log.warning("could not mail the report to %s: %s", editor, exc)

    def ledger_report(
        self, slug: str, *, left: int, stopped: str, shared: bool = False
    ) -> SendReport:
        """Where the ledger of `slug` stands. With senders at once (`shared`),
        a line another sender is sending now is neither failed nor to retry:
        only the "sending" lines no sender is at work on are in doubt (read
        after the ledger, so that a line finished meanwhile is not one)."""
        store = self.context.store
        lines = store.deliveries.of(slug)
        in_doubt = store.deliveries.in_doubt(slug, store.clock()) if shared else None
        permanent = tuple(d for d in lines if d.status == "failed-permanent")
        temporary = tuple(
            d
            for d in lines
            if d.status == "failed-temporary"
            or (d.status == "sending" and (in_doubt is None or d.address in in_doubt))
        )
        elsewhere = [d for d in lines if d.status == "sending" and d not in temporary]
        sent = sum(1 for d in lines if d.status == "sent")
        languages = Counter(d.lang for d in lines if d.status == "sent" and d.lang)
        outcome: SendOutcome = "partial" if permanent or temporary or stopped else "sent"
        parts = [f"{slug}: {sent} of {len(lines)} recipients have it"]
        if permanent:
            parts.append(f"{len(permanent)} refused for good (not retried)")
        if temporary:
            parts.append(f"{len(temporary)} to retry on the next run")
        if len(languages) > 1:
            parts.append(
                "by language: " + ", ".join(f"{n} {lang}" for lang, n in sorted(languages.items()))
            )
        if left:
            parts.append(f"{left} left for the next run (send.max_recipients)")
        if elsewhere:
            parts.append(f"{len(elsewhere)} being sent by another sender")
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
            languages=tuple(sorted(languages.items())),
        )


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
