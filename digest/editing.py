"""The editor's changes to the next edition, as the preview and the CLI make
them: an item left out, held, moved, rewritten or made the lead; the
edition's subject, intro and closing. Each is stored at once, logged, and
withdraws an approval given before it.

A service of the `Digest` façade.
"""

from __future__ import annotations

from .context import Context
from .editions import Editions
from .errors import DigestError
from .select import excerpt
from .types import AuditEntry


class Edits:
    """Change items and the edition's own words; every change is kept."""

    def __init__(self, context: Context, editions: Editions) -> None:
        self.context = context
        self.editions = editions

    def edit_item(self, item_id: int, **changes: object) -> bool:
        """Change how one item appears in the next edition (excluded, held,
        topic, title, summary, lead). Saved at once and logged; any change
        withdraws an approval given before it."""
        if "topic" in changes and changes["topic"] is not None:
            known = {topic.id for topic in self.context.taxonomy.topics}
            if changes["topic"] not in known:
                raise DigestError(f"unknown topic {changes['topic']!r}")
        unedited = self._unedited_texts(item_id) if {"title", "summary"} & changes.keys() else {}
        changed = False
        for field, value in changes.items():
            if isinstance(value, str):
                value = value.strip() or None  # an emptied field goes back to the original
                if value == unedited.get(field):
                    # The preview's form sends headline and summary together:
                    # the one left as the email already shows it is no edit,
                    # and must not withdraw an approval.
                    value = None
            if isinstance(value, bool):
                value = int(value)
            changed |= self.context.store.edits.edit_item(
                item_id, field, value, self.context.now()
            )
        if changed:
            self.context.store.edits.withdraw_approval(self.context.now())
        return changed

    def _unedited_texts(self, item_id: int) -> dict[str, str]:
        """The headline and summary the email shows for an item nobody edited."""
        item = self.context.store.items.item(item_id)
        if item is None:
            return {}
        return {
            "title": item.title,
            "summary": excerpt(item.summary, self.context.config.digest.summary_chars),
        }

    def move_item(self, item_id: int, step: int) -> bool:
        """Move an item up (-1) or down (+1) within its section."""
        for section in self.editions.plan().sections:
            ids = [entry.item.id for entry in section.items]
            if item_id in ids:
                here = ids.index(item_id)
                there = min(max(here + step, 0), len(ids) - 1)
                if here == there:
                    return False
                ids.insert(there, ids.pop(here))
                changed = False
                for position, moved in enumerate(ids):
                    changed |= self.context.store.edits.edit_item(
                        moved, "position", float(position), self.context.now()
                    )
                if changed:
                    self.context.store.edits.withdraw_approval(self.context.now())
                return changed
        return False

    def edit_text(self, field: str, value: str, lang: str = "") -> bool:
        """The subject, intro or closing of this edition in `lang` (default:
        the default language's); empty: the config's. The words of one
        language are its own; any change withdraws the approval of all."""
        default_lang = self.context.config.digest.language
        lang = lang or default_lang
        languages = self.context.config.languages
        if lang not in languages:
            raise DigestError(f"no {lang!r} edition (the config writes: {', '.join(languages)})")
        configured = getattr(self.context.configured_words(lang), field, None)
        value = value.strip()
        # The config's own words are no edit: saving the form unchanged stores nothing.
        changed = self.context.store.edits.edit_text(
            self.context.text_edit_key(field, lang),
            None if value in ("", configured) else value,
            self.context.now(),
        )
        if changed:
            self.context.store.edits.withdraw_approval(self.context.now())
        return changed

    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        """The latest changes, newest first: when, what changed, and from what to what."""
        return self.context.store.edits.audit_log(limit)
