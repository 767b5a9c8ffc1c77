"""The people the digest goes to: added, imported from CSV, unsubscribed (by
the editor, or by a reader's one-click link, checked against the secret the
config names); nobody unsubscribed comes back.

A service of the `Digest` façade; the records live in the store.
"""

from __future__ import annotations

import os
from pathlib import Path

from .context import Context
from .delivery import (
    display_name,
    normalise_address,
    parse_recipients_csv,
    token_matches,
    wire_address,
)
from .errors import DigestError
from .types import Recipient


class Recipients:
    """Add, import, list and unsubscribe recipients."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def list(self, *, include_unsubscribed: bool = False) -> list[Recipient]:
        return self.context.store.recipients.all(include_unsubscribed=include_unsubscribed)

    def add_recipient(self, address: str, name: str = "", lang: str = "", group: str = "") -> bool:
        """Add one address (checked for shape); False if it was already known."""
        address = normalise_address(address)
        wire_address(address)  # refused now rather than at every send
        recipient = Recipient(address, display_name(name), lang, group or "main")
        return self.context.store.recipients.add_recipients([recipient], self.context.now()) == 1

    def import_recipients(self, path: Path) -> int:
        """Add every new address in a CSV file; unsubscribed people stay off."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise DigestError(f"cannot read {path}: {exc}") from exc
        return self.context.store.recipients.add_recipients(
            parse_recipients_csv(text, str(path)), self.context.now()
        )

    def remove_recipient(self, address: str) -> bool:
        """Unsubscribe: no further message goes to `address`, even from an
        edition being sent now. The record stays, so no import brings it back."""
        return self.context.store.recipients.unsubscribe(
            normalise_address(address), self.context.now()
        )

    def unsubscribe_with_token(self, address: str, token: str) -> bool:
        """A reader's one-click unsubscribe (RFC 8058): honoured only with the
        token their own message carried. False for a bad token."""
        secret = os.environ.get(self.context.config.list.unsubscribe_secret_env)
        try:
            address = normalise_address(address)
        except ValueError:
            return False
        if not secret or not token_matches(
            secret, self.context.mailing_list().list_id, address, token
        ):
            return False
        self.context.store.recipients.unsubscribe(address, self.context.now())
        self.context.store.edits.log_event(
            f"recipient {address}", "unsubscribed", "one-click link", self.context.now()
        )
        return True
