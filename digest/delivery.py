"""The pure side of sending: identities, unsubscribe tokens, SMTP replies,
and the recipients file.

Nothing here touches the network or the disk: send.py talks SMTP, the store
keeps the ledger, core decides the order of things.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .errors import ConfigError
from .sanitize import tidy_text
from .types import BuildResult, FrozenEdition, MailingList, Recipient, RenderedEdition

if TYPE_CHECKING:
    from email_validator import ValidatedEmail


def message_id(slug: str, address: str, domain: str) -> str:
    """One Message-ID per edition and recipient, the same on every retry, so a
    mail client that already has the message can recognise a second copy."""
    digest = hashlib.sha256(f"{slug}\n{address}".encode()).hexdigest()[:20]
    return f"<{slug}.{digest}@{domain}>"


def content_hash(
    rendered: RenderedEdition, translations: Sequence[tuple[str, RenderedEdition]] = ()
) -> str:
    """What approval vouches for: subject, preheader, both parts and the
    logo, in every language the edition is written in."""
    hasher = hashlib.sha256()
    for lang, version in (("", rendered), *translations):
        hasher.update(lang.encode("utf-8"))
        for part in (version.subject, version.preheader, version.html, version.text):
            hasher.update(part.encode("utf-8") + b"\0")
    if rendered.logo is not None:
        hasher.update(rendered.logo.data)
    return hasher.hexdigest()


def frozen_edition(result: BuildResult, now: datetime) -> FrozenEdition:
    """A built edition fixed as it is, in every language: what a send delivers."""
    return FrozenEdition(
        result.edition.slug,
        result.rendered,
        content_hash(result.rendered, result.translations),
        now,
        lang=result.edition.text.lang,
        translations=result.translations,
    )


def unsubscribe_token(secret: str, list_id: str, address: str) -> str:
    """Proof that an unsubscribe link was made for `address` (HMAC-SHA256)."""
    message = f"{list_id}\n{address}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def token_matches(secret: str, list_id: str, address: str, token: str) -> bool:
    return hmac.compare_digest(unsubscribe_token(secret, list_id, address), token)


def personal_mailing(mailing: MailingList, address: str, secret: str | None) -> MailingList:
    """The list headers for one recipient: their own one-click unsubscribe link."""
    if not mailing.unsubscribe_url or not secret:
        return mailing
    token = unsubscribe_token(secret, mailing.list_id, address)
    separator = "&" if "?" in mailing.unsubscribe_url else "?"
    query = urlencode({"address": address, "token": token})
    return replace(mailing, unsubscribe_url=f"{mailing.unsubscribe_url}{separator}{query}")


def is_permanent(code: int) -> bool:
    """5xx: the server will never take it (bad address, policy). 4xx: try later."""
    return 500 <= code < 600


def normalise_address(address: str) -> str:
    """The address in its canonical form, or ValueError saying what is wrong.

    No DNS lookups: an address is checked for shape, not deliverability."""
    return str(_validated(address.strip()).normalized).lower()


def wire_address(address: str) -> str:
    """The address as SMTP commands and the To header carry it: a domain in
    another script in its ASCII (IDNA) form, which every server takes. A part
    before the @ outside ASCII would need SMTPUTF8, which we do not send with:
    ValueError, so that such an address is refused when it is added, and one
    already stored fails alone instead of stopping the list."""
    if address.isascii():
        return address
    ascii_form = _validated(address).ascii_email
    if ascii_form is None:
        raise ValueError(
            f"{address!r} has letters outside ASCII before the @, which needs SMTPUTF8; "
            "press-digest sends without it, so it cannot write to this address"
        )
    return str(ascii_form)


def _validated(address: str) -> ValidatedEmail:
    # Imported here: its tables take 13 ms to load, which every `digest update`
    # from cron would pay without ever checking an address.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{address!r} is not a valid email address: {exc}") from exc


def display_name(name: str) -> str:
    """A recipient's name as the To header may carry it: on one line, with no
    control characters. A line break in a name from a spreadsheet would
    break the header, or smuggle in one of its own ("Bcc: ...")."""
    return " ".join(tidy_text(name).split())


def parse_recipients_csv(text: str, path: str) -> list[Recipient]:
    """Rows of address,name,language,list (a header row names the columns;
    only `address` is required). Errors name the file and line."""
    reader = csv.DictReader(io.StringIO(text))
    fields = [name.strip().lower() for name in reader.fieldnames or []]
    if "address" not in fields:
        raise ConfigError(path, "the first row must name the columns, including 'address'", line=1)
    reader.fieldnames = fields
    recipients: dict[str, Recipient] = {}
    for row in reader:
        line = reader.line_num
        raw = (row.get("address") or "").strip()
        if not raw or raw.startswith("#"):
            continue
        try:
            address = normalise_address(raw)
            wire_address(address)
        except ValueError as exc:
            raise ConfigError(path, str(exc), line=line, key="address") from None
        recipients.setdefault(
            address,
            Recipient(
                address=address,
                name=display_name(row.get("name") or ""),
                lang=(row.get("language") or row.get("lang") or "").strip(),
                list=(row.get("list") or "").strip() or "main",
            ),
        )
    return list(recipients.values())
