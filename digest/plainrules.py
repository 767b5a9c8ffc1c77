"""feedparser's ways, as the fast path (plainfeed.py) must follow them: the
names it gives elements and which of them it has handlers for, the two date
shapes the fast path reads and how feedparser stores them, and the repairs
it makes to every text and link.

Pure: feedparser's parser class is read as data (its namespaces and handler
names), never run.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree


class NotPlain(Exception):
    """What makes a feed one for feedparser to read: the message says why."""


RFC822 = re.compile(
    r"(?:[A-Z][a-z]{2},\s*)?(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4})\s+"
    r"(\d{2}):(\d{2})(?::(\d{2}))?\s+([+-]\d{4}|GMT|UTC?|Z)"
)
RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})"
)
_MONTHS = {name: n for n, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
)}  # fmt: skip
# feedparser writes the C1 controls a Windows-1252 text used for its
# punctuation as those characters ("\x93" is a left quotation mark).
_CP1252 = {
    code: bytes([code]).decode("cp1252")
    for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def repaired(value: str, utf8: bool) -> str:
    """Text as feedparser repairs it: UTF-8 once misread as Latin-1 is read
    again (in a UTF-8 document), and Windows-1252 punctuation stands for itself."""
    if value.isascii():
        return value  # nothing to repair, nothing to map
    if utf8:
        try:
            value = value.encode("iso-8859-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return value.translate(_CP1252)


@functools.cache
def _known_prefixes() -> dict[str, str]:
    import feedparser.api

    namespaces: dict[str, str] = feedparser.api.StrictFeedParser.namespaces
    return {uri.lower().rstrip("/"): prefix for uri, prefix in namespaces.items()}


@functools.cache
def handled(name: str) -> bool:
    """Whether feedparser has a handler of its own for the element `name`."""
    import feedparser.api

    parser = feedparser.api.StrictFeedParser
    return hasattr(parser, f"_start_{name}") or hasattr(parser, f"_end_{name}")


def feedparser_name(element: etree._Element) -> str | None:
    """The name feedparser gives an element: "pubdate", "dc_creator",
    "media_title"; None for a comment or processing instruction."""
    tag = element.tag
    if not isinstance(tag, str):
        return None
    if tag[0] != "{":
        return tag.lower()  # no namespace: most elements, named without a lookup
    return _name_of(tag, element.prefix)


@functools.lru_cache(maxsize=1024)
def _name_of(tag: str, prefix: str | None) -> str:
    uri, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    if not uri:
        return local.lower()
    known = _known_prefixes().get(uri.lower().rstrip("/"), prefix or "")
    return f"{known}_{local.lower()}" if known else local.lower()


def repaired_link(value: str) -> str:
    """feedparser's repair of links whose "&amp;" was escaped twice."""
    if "&" not in value:
        return value
    return re.sub(r"&([A-Za-z0-9_]+);", r"&\1", value.replace("&amp;", "&"))


def parse_date(
    value: str, shape: re.Pattern[str], parts: Callable[[re.Match[str]], datetime]
) -> datetime:
    """A date in the one shape this reader takes, in UTC; any other shape
    goes to feedparser. The moment feedparser's *_parsed give as UTC
    fields: handed on as fields, it cost a sixteenth of a feed's parse to
    take apart here and put together again in parse.py."""
    found = shape.fullmatch(value)
    if found is None:
        raise NotPlain(f"a date written {value[:40]!r}")
    try:
        moment = parts(found)
    except ValueError as exc:
        raise NotPlain(f"an impossible date {value[:40]!r}") from exc
    if moment.tzinfo is not UTC:  # most dates are written in UTC already
        moment = moment.astimezone(UTC)
    return moment


def rfc822_parts(found: re.Match[str]) -> datetime:
    day, month, year, hour, minute, second, zone = found.groups()
    if month not in _MONTHS:
        raise ValueError(month)
    return datetime(
        int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second or 0),
        tzinfo=_zone(zone),
    )  # fmt: skip


def rfc3339_parts(found: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second, zone = found.groups()
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second),
        tzinfo=_zone(zone.replace(":", "")),
    )  # fmt: skip


@functools.cache
def _zone(name: str) -> timezone:
    if name in ("GMT", "UT", "UTC", "Z"):
        return UTC
    sign = -1 if name[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(name[1:3]), minutes=int(name[3:5])))
