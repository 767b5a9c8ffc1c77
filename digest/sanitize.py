"""Turn untrusted feed HTML into allow-listed HTML or into plain text.

Everything a feed says is hostile until it has passed through here: the email
goes to people at risk and the preview runs in an editor's browser. Pure: no
I/O, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = frozenset(
    {"a", "b", "blockquote", "br", "em", "i", "li", "ol", "p", "strong", "ul"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Elements whose text is never shown to a reader.
_INVISIBLE = frozenset({"script", "style", "template", "noscript", "head", "title", "iframe"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr"}
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
# Control characters no text needs (all but tab, newline and carriage return),
# for str.translate to drop.
_CONTROL_CHARACTERS = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def clean_html(fragment: str) -> str:
    """Keep only harmless markup: no scripts, styles, event handlers or odd URLs."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._hidden_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags gone, entities decoded, spaces tidied.

    Paragraphs become single newlines; the result holds no markup at all, so it
    is safe anywhere once the template escapes it as text.
    """
    if not fragment:
        return ""  # an entry without an author, say
    if "<" not in fragment and "&" not in fragment:
        return tidy_text(fragment)  # no markup, no entities: already text
    # nh3 first, so that the text extractor only ever sees well-formed markup.
    extractor = _TextExtractor()
    extractor.feed(nh3.clean(fragment, tags=set(ALLOWED_TAGS | _BLOCKS)))
    extractor.close()
    return tidy_text("".join(extractor.parts))


def tidy_text(text: str) -> str:
    """Normalise Unicode, drop control characters and collapse runs of spaces.

    It does not decode entities: text reaching it is already text, and decoding
    twice would turn an escaped "&lt;" into a real "<".
    """
    if not text.isascii():  # ASCII is in NFC already
        text = unicodedata.normalize("NFC", text)
    if "\n" in text:
        text = text.translate(_CONTROL_CHARACTERS)
        lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        return "\n".join(line for line in lines if line)
    # A title, a one-paragraph summary: seldom with a control character or
    # spaces to collapse (neither is printable, but for single spaces), and
    # checking costs a fraction of translating and substituting.
    if not text.isprintable() or "  " in text:
        text = _SPACES.sub(" ", text.translate(_CONTROL_CHARACTERS))
    return text.strip()


def html_to_line(fragment: str) -> str:
    """Plain text of an HTML fragment on a single line, for titles and names."""
    text = html_to_text(fragment)
    if text.isascii() and "\n" not in text:
        return text  # tidy ASCII on one line has single spaces only
    return " ".join(text.split())
