"""Turn the bytes of a feed into a `ParsedFeed`: plainfeed.py's fast reader
where it reads the feed as feedparser would, feedparser everywhere else.

Pure: it is given the bytes and the response headers and never fetches
anything (feedparser would fetch a URL if handed a string, so it only ever
gets bytes). Every title and summary leaves here as sanitized plain text.
"""

from __future__ import annotations

import hashlib
import html
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from .errors import FeedError
from .plainfeed import Declined, PlainFeed, read_plain_feed
from .sanitize import html_to_line, html_to_text
from .text import detect_language
from .types import FeedSource, FetchResult, ParsedFeed, ParsedItem

_ALTERNATE = re.compile(
    rb"<link[^>]+type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.IGNORECASE
)
_HREF = re.compile(rb"href=[\"']([^\"']+)[\"']", re.IGNORECASE)
# An internal DTD subset that declares entities: the shape of "billion laughs"
# (nested expansion) and of external-entity reads. No real feed needs one.
_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE)


def parse_feed(source: FeedSource, fetched: FetchResult, *, fast: bool = True) -> ParsedFeed:
    """Parse one fetched feed. Raises FeedError when nothing usable is in it.
    `fast=False` has feedparser read it whatever it is (the reference the
    fast path is held to)."""
    if _ENTITY_DECLARATION.search(fetched.content[:65536]):
        raise FeedError(
            source.url,
            "the feed declares XML entities (<!ENTITY>), refused: they can expand without "
            "limit or read local files",
        )
    headers = {key.lower(): value for key, value in fetched.headers}
    # feedparser's HTML sanitizer and its resolving of every relative URI in
    # every element are 40% of its time. We need neither: titles and summaries
    # leave as plain text cleaned by nh3, and each entry's link is resolved
    # below against where the feed came from. Only a feed that sets xml:base
    # needs feedparser's help, to scope those bases element by element.
    if b"xml:base" in fetched.content:
        headers.setdefault("content-location", fetched.url)
    else:
        headers.pop("content-location", None)
    # Most feeds are plain RSS 2.0 or Atom in UTF-8, which lxml reads forty
    # times faster; plainfeed declines the rest, and feedparser reads those.
    plain = read_plain_feed(fetched.content, headers) if fast else Declined("asked for")
    if isinstance(plain, PlainFeed):
        feed, entries, problem, parser = plain.feed, plain.entries, None, "lxml"
    else:
        result: Any = feedparser.parse(
            fetched.content,
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        problem = _bozo_message(result)
        if not result.entries and (problem or not result.get("version")):
            raise FeedError(source.url, _explain_unusable(fetched.content, problem, fetched.url))
        feed, entries, parser = result.feed, result.entries, f"feedparser ({plain.reason})"
    feed_lang = _lang(feed.get("language")) or source.lang
    base = _link_base(fetched.url, str(feed.get("link") or ""))
    items = tuple(
        item for entry in entries if (item := _parse_entry(entry, feed_lang, base)) is not None
    )
    warnings = []
    if problem:
        warnings.append(f"feed is not well-formed, recovered what could be read: {problem}")
    if len(items) < len(entries):
        # Said, not silent: a feed that lists twenty stories and yields none
        # would otherwise look healthy and merely quiet.
        warnings.append(
            f"{len(entries) - len(items)} of {len(entries)} entries left out: "
            "no title, or no http(s) link to read them at"
        )
    return ParsedFeed(
        url=source.url,
        title=html_to_line(feed.get("title", "")) or source.name,
        lang=feed_lang,
        items=items,
        warning="; ".join(warnings) or None,
        parser=parser,
    )


def _link_base(fetched_url: str, site: str) -> str:
    """What an entry's relative link is relative to: where the feed came from
    when that is the web; for a copy kept on disk (a mirror an editor syncs),
    the site the feed names as its own, since a file path is no place to read
    a story at."""
    if urlsplit(fetched_url).scheme.lower() in ("http", "https"):
        return fetched_url
    if urlsplit(site).scheme.lower() in ("http", "https"):
        return site
    return fetched_url


def _parse_entry(entry: dict[str, Any], feed_lang: str | None, base: str) -> ParsedItem | None:
    link = str(entry.get("link") or "").strip()
    url = _joined(base, link)
    title = html_to_line(str(entry.get("title") or ""))
    if not title or url.partition(":")[0].lower() not in ("http", "https"):
        # An entry with no title cannot be shown; one with no web link cannot
        # be read, and a javascript: or data: "link" is an attack on whoever
        # clicks it. None of them belongs in a digest.
        return None
    summary = without_boilerplate(html_to_text(_summary_html(entry)))
    # dict.get reads the entry's own keys: feedparser's mapping would answer a
    # missing "updated_parsed" with the published date, and warn about it.
    updated = _datetime(dict.get(entry, "updated_parsed"))
    published = _datetime(dict.get(entry, "published_parsed")) or updated
    title_detail = entry.get("title_detail") or {}
    # Declared by the entry or the feed (or set in our feed list), else told
    # from the text itself.
    lang = (
        _lang(title_detail.get("language")) or feed_lang or detect_language(f"{title} {summary}")
    )
    return ParsedItem(
        guid=str(entry.get("id") or "").strip() or _fallback_guid(url, title, published),
        url=url,
        title=title,
        summary=summary,
        published=published,
        updated=updated,
        author=html_to_line(str(entry.get("author") or "")),
        lang=lang,
    )


# An absolute web link that urljoin would give back as it is: a scheme in
# lower case, a host, no parameters, no empty query or fragment, nothing
# it would strip or take out (spaces, tabs, newlines, controls).
_PLAIN_LINK = re.compile(
    r"https?://[A-Za-z0-9.:@_~%!$&'()*+,=\[\]-]+(?:/[^\x00-\x20\x7f;?#]*)?"
    r"(?:\?[^\x00-\x20\x7f#]+)?(?:#[^\x00-\x20\x7f]+)?"
)


def _joined(base: str, link: str) -> str:
    """`link` made absolute against `base`; most links already are, and
    are checked for that in a tenth of the time urljoin takes."""
    if not link:
        return ""
    if _PLAIN_LINK.fullmatch(link):
        return link
    return urljoin(base, link)


# Lines publishers and platforms end every summary with, which say nothing
# about the story: "Continue reading...", "Read full article >>", WordPress's
# "The post ... appeared first on ...", Medium's "... was originally
# published in ...", and their French and Khmer kin.
_BOILERPLATE = re.compile(
    r"""(?:continue|keep)\ reading\W*
      | read\ (?:more|the\ (?:full\ )?(?:story|article)|full\ (?:story|article))\W*
      | (?:lire\ la\ suite|la\ suite\ de\ l'article|en\ savoir\ plus)\W*
      | អានបន្ត\W*
      | the\ post\ .+\ appeared\ first\ on\ .+
      | .+\ was\ originally\ published\ in\ .+\ on\ medium,\ .+
      | \[(?:…|\.\.\.)\]""",
    re.IGNORECASE | re.VERBOSE,
)
_TRAILING_ELLIPSIS = re.compile(r"\s*\[(?:…|\.\.\.)\]$")


# A word every closing line above holds, in lower case: a last line without
# one is left alone without trying each of them.
_BOILERPLATE_HINTS = (
    "read", "lire", "savoir", "suite", "អានបន្ត", "appeared first", "originally published",
    "[…]", "[...]",
)  # fmt: skip
# The letters a regular expression that ignores case takes for i, s and k.
_CASE_TWINS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def without_boilerplate(summary: str) -> str:
    """The summary without the closing lines a platform adds to every entry;
    a cut-off excerpt's "[…]" becomes a plain "…"."""
    last = summary.rpartition("\n")[2]
    if not last.isascii():
        last = last.translate(_CASE_TWINS)
    last = last.lower()
    for hint in _BOILERPLATE_HINTS:
        if hint in last:
            break
    else:
        return summary  # the last line is no closing line, nor ends in "[…]"
    lines = summary.split("\n")
    while lines and _BOILERPLATE.fullmatch(lines[-1].strip()):
        lines.pop()
    if lines:
        lines[-1] = _TRAILING_ELLIPSIS.sub("…", lines[-1])
    return "\n".join(lines)


def _summary_html(entry: Mapping[str, Any]) -> str:
    summary = str(entry.get("summary") or "")
    if summary:
        return summary
    for content in entry.get("content") or ():
        if content.get("value"):
            return str(content["value"])
    return ""


def _datetime(parsed: time.struct_time | datetime | None) -> datetime | None:
    """An entry's date: feedparser's UTC fields, or the fast path's moment."""
    if isinstance(parsed, datetime):
        return parsed
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _lang(value: object) -> str | None:
    """A language tag reduced to its primary subtag: 'en-US' and 'en_us' are 'en'."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().replace("_", "-").split("-")[0].lower()


def _fallback_guid(url: str, title: str, published: datetime | None) -> str:
    stamp = published.isoformat() if published else ""
    digest = hashlib.sha256(f"{url}\n{title}\n{stamp}".encode()).hexdigest()[:32]
    return f"press-digest:{digest}"


# feedparser flags these as "bozo" though the XML itself parsed cleanly.
_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _bozo_message(result: Any) -> str | None:
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    if isinstance(exc, _HARMLESS) and result.get("version"):
        return None
    return str(exc) if exc else "malformed feed"


def feed_links(content: bytes, page_url: str) -> list[str]:
    """The RSS and Atom feeds a web page names in its <link rel="alternate">
    tags, as absolute URLs, in page order."""
    links: list[str] = []
    for tag in _ALTERNATE.finditer(content[:65536]):
        href = _HREF.search(tag.group(0))
        if href:
            link = urljoin(page_url, html.unescape(href.group(1).decode("utf-8", "replace")))
            if link not in links:
                links.append(link)
    return links


def _explain_unusable(content: bytes, problem: str | None, url: str) -> str:
    head = content[:4096].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        links = feed_links(content, url)
        if links:
            return f"got an HTML page, not a feed; the page names a feed at {links[0]}"
        return "got an HTML page, not a feed"
    if not content.strip():
        return "empty response"
    return f"not a feed: {problem}" if problem else "not a feed"
