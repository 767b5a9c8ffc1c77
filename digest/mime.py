"""The message as it travels: multipart/alternative (text and HTML), with the
logo inline by Content-ID, list headers (List-Id, List-Unsubscribe and its
one-click POST) and headers safe for any name or subject.

Pure: the rendered edition, sender, recipient, date and Message-ID are passed
in. The edition's MIME body is built once per send (`message_body`), with
boundaries derived from its content so a resumed send offers the same bytes;
each reader's message adds only its own headers (`compose_message`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr

from .types import Logo, MailingList, RenderedEdition, Sender


@dataclass(frozen=True)
class MessageBody:
    """An edition's MIME body, written once: each recipient's message is
    their own header block followed by these same bytes (CRLF line ends)."""

    subject: str
    content_type: str  # the top-level Content-Type, boundary included
    data: bytes


def message_body(rendered: RenderedEdition) -> MessageBody:
    """A multipart/alternative body, the text part first as readers expect; a
    logo travels inside, in multipart/related.

    Built with the email package's classic MIME classes: they write the same
    standard message as `EmailMessage` in half the time. Both parts are
    base64: safe for any line length and any script. Boundaries come from
    the content, so a send resumed tomorrow offers the very same bytes.
    """
    alternative = MIMEMultipart("alternative")
    alternative.attach(_text_part(rendered.text, "plain"))
    html = _text_part(rendered.html, "html")
    if rendered.logo is None:
        alternative.attach(html)
    else:
        related = MIMEMultipart("related")
        related.attach(html)
        related.attach(_logo_part(rendered.logo))
        related.set_boundary(_boundary("related", rendered))
        alternative.attach(related)
    alternative.set_boundary(_boundary("alternative", rendered))
    whole = alternative.as_bytes(policy=alternative.policy.clone(linesep="\r\n"))
    _, _, data = whole.partition(b"\r\n\r\n")
    return MessageBody(rendered.subject, str(alternative["Content-Type"]), data)


def compose_message(
    body: MessageBody,
    *,
    sender: Sender,
    to: str,
    date: datetime,
    message_id: str,
    mailing: MailingList,
    list_name: str,
    lang: str = "",
) -> bytes:
    """One recipient's message as SMTP carries it: their headers (with
    Content-Language, RFC 3282, when the edition's language is known), with the
    list headers mail clients use for their unsubscribe button (RFC 2369,
    RFC 8058), then the shared body. Writing a dozen headers is all the
    email package does per recipient."""
    headers = Message()
    headers["Content-Type"] = body.content_type
    headers["MIME-Version"] = "1.0"
    headers["From"] = formataddr((sender.name, sender.address), charset="utf-8")
    headers["To"] = to
    headers["Subject"] = _header_text(body.subject)
    headers["Date"] = format_datetime(date)
    headers["Message-ID"] = message_id
    if lang:
        headers["Content-Language"] = lang
    headers["List-Id"] = f"{_header_text(list_name)} <{mailing.list_id}>"
    unsubscribe = [f"<{unsubscribe_mailto(mailing)}>"]
    if mailing.unsubscribe_url:
        unsubscribe.append(f"<{mailing.unsubscribe_url}>")
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    headers["List-Unsubscribe"] = ", ".join(unsubscribe)
    if mailing.archive_url:
        headers["List-Archive"] = f"<{mailing.archive_url}>"
    # Folded as the email package folds them when it writes a whole message.
    policy = headers.policy.clone(linesep="\r\n")
    head = b"".join(policy.fold_binary(name, value) for name, value in headers.items())
    return head + b"\r\n" + body.data


def _boundary(kind: str, rendered: RenderedEdition) -> str:
    """A boundary that cannot occur in the parts: their bodies are base64,
    which has no "_", and their headers are our own few lines."""
    digest = hashlib.sha256(f"{kind}\0{rendered.text}\0{rendered.html}".encode()).hexdigest()
    return f"=_press-digest_{kind}_{digest[:32]}"


def _text_part(content: str, subtype: str) -> MIMENonMultipart:
    """A UTF-8 text part in base64, encoded in one C call (MIMEText encodes
    line by line in Python, which took as long as rendering the edition)."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(content.encode("utf-8")).decode("ascii"))
    return part


def _header_text(value: str) -> str:
    """ASCII as it is; anything else as an RFC 2047 encoded word."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _logo_part(logo: Logo) -> MIMEImage:
    part = MIMEImage(logo.data, logo.mime.split("/")[1])
    part["Content-ID"] = f"<{logo.content_id}>"
    part.add_header("Content-Disposition", "inline", filename=logo.filename)
    return part


def unsubscribe_mailto(mailing: MailingList) -> str:
    return f"mailto:{mailing.unsubscribe_mailto}?subject=unsubscribe"
