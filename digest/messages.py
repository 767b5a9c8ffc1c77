"""The words of the email's frame in the edition's language: gettext over a
message catalogue, with plurals, falling back to English.

Pure: the catalogue's text (a gettext .po file, read by the caller) is parsed
with Babel into `Messages`, a hashable value the renderer installs into its
Jinja2 environment (`_`, `gettext`, `ngettext`, Jinja2's i18n extension).
A message a catalogue lacks, leaves empty or marks fuzzy is written in
English: a reader never sees an empty space where a word should be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

ENGLISH = "en"


@dataclass(frozen=True)
class Messages:
    """One language's translations: msgid → the forms of its translation."""

    lang: str = ENGLISH
    forms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Which plural form a count takes, as the catalogue's Plural-Forms say.
    plural_rule: str = "(n != 1)"
    # How the language writes numbers in dates and counts: "latin" or "khmer".
    digits: str = "latin"
    _table: dict[str, tuple[str, ...]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        self._table.update(self.forms)

    def gettext(self, message: str) -> str:
        found = self._table.get(message)
        return found[0] if found else message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        found = self._table.get(singular)
        if not found:
            return singular if count == 1 else plural
        index = _plural_index(self.plural_rule, count)
        return found[min(index, len(found) - 1)]

    def number(self, value: object) -> str:
        """`value` (a count, a date) written in this language's digits."""
        text = str(value)
        return text.translate(_KHMER_DIGITS) if self.digits == "khmer" else text


_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def parse_messages(po_text: bytes, lang: str) -> Messages:
    """A .po file's translations; untranslated and fuzzy entries are left out."""
    # Imported here: Babel's catalogue reader is a tenth of start-up, and
    # commands that write no email (update, feeds) never need it.
    from babel.messages.pofile import read_po

    catalogue = read_po(BytesIO(po_text), locale=lang)
    forms: list[tuple[str, tuple[str, ...]]] = []
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        key = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
        raw = message.string if isinstance(message.string, tuple | list) else (message.string,)
        strings = tuple(str(string) for string in raw if string)
        if strings and len(strings) == len(raw):
            forms.append((key, strings))
    return Messages(lang=lang, forms=tuple(forms), plural_rule=catalogue.plural_expr)


def _plural_index(rule: str, count: int) -> int:
    """Evaluate a gettext plural expression for `count`, for the few shapes our
    three languages use ("0" for Khmer, "(n != 1)" for English, "(n > 1)" for
    French); anything else takes the plural form."""
    compact = rule.replace(" ", "")
    if compact in ("0", "(0)"):
        return 0
    if compact == "(n!=1)":
        return int(count != 1)
    if compact == "(n>1)":
        return int(count > 1)
    return 1
