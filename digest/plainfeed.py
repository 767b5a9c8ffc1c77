"""A fast reader for the feeds most publishers serve: RSS 0.91 to 2.0 and
Atom 1.0, well-formed, in UTF-8 or an encoding lxml and feedparser decode
alike, without xml:base, read with lxml in a tenth of feedparser's time.
feedparser stays the reference.

Pure: bytes and the response headers in; out comes the feed as feedparser
gives it (only the fields parse.py reads: the feed's title, link and
language; each entry's title, link, id, summary, content, dates, author and
language; the dates as moments in UTC, where feedparser gives their fields),
or `Declined` with the reason. Whatever this reader would not
read exactly as feedparser does is declined, before parsing (cheap checks on
the bytes and headers) or while reading (an element it does not know, markup
where text belongs, a date in another shape, fewer entries than the bytes
hold), and parse.py hands it to feedparser. The agreement test holds the two
to the same stored items on every fixture feed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from .plainrules import (
    RFC822,
    RFC3339,
    NotPlain,
    feedparser_name,
    handled,
    parse_date,
    repaired,
    repaired_link,
    rfc822_parts,
    rfc3339_parts,
)

if TYPE_CHECKING:
    from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
_XHTML = "{http://www.w3.org/1999/xhtml}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Elements are named here as feedparser names them ("dc_creator", "pubdate";
# Atom's elements have no prefix). The modelled ones are read as feedparser
# reads them; the harmless ones have a feedparser handler that fills none of
# the fields we read; any other element feedparser handles (media:title,
# itunes:summary, dc:date, atom:link...) could, so the feed is declined; an
# element feedparser has no handler for is kept under its own name there,
# and ignored here.
_RSS_MODELLED = {"title", "link", "description", "guid", "pubdate", "author", "dc_creator",
                 "content_encoded", "updated", "dc_date"}  # fmt: skip
_ATOM_MODELLED = {"title", "link", "id", "updated", "published", "summary", "content", "author"}
_HARMLESS = {"category", "comments", "enclosure", "rights", "subtitle", "media_content",
             "media_thumbnail", "media_credit", "itunes_image", "itunes_subtitle", "georss_point",
             "georss_box", "georss_line", "georss_polygon", "georss_where"}  # fmt: skip
_WHOLE = {"contributor"}  # harmless with whatever is inside it
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# The encodings feedparser decodes as their name says (it tries the
# declared one first), which lxml decodes the same way.
_ENCODINGS = {"utf-8", "utf8", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252",
              "windows-1251", "cp1251", "us-ascii", "ascii"}  # fmt: skip

_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.IGNORECASE)
_ITEM_TAG = re.compile(rb"<item[\s/>]")
_ENTRY_TAG = re.compile(rb"<entry[\s/>]")


@dataclass(frozen=True)
class PlainFeed:
    """A feed read by the fast path, in feedparser's shape."""

    feed: dict[str, str]
    entries: list[dict[str, Any]]


@dataclass(frozen=True)
class Declined:
    """Why the fast path left a feed to feedparser."""

    reason: str


def read_plain_feed(content: bytes, headers: Mapping[str, str]) -> PlainFeed | Declined:
    """The feed in `content`, or why feedparser should read it instead.
    `headers` are the response's, with lower-case names."""
    problem = _check_bytes(content, headers)
    if problem:
        return Declined(problem)
    from lxml import etree  # imported on first use, like feedparser's own parsers

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    try:
        root = etree.fromstring(content, parser)
    except (etree.XMLSyntaxError, ValueError, LookupError) as exc:
        return Declined(f"not well-formed XML ({str(exc)[:80]})")
    reader = _Reader(
        lang=headers.get("content-language", "").split(",")[0].strip() or None,
        utf8=(root.getroottree().docinfo.encoding or "utf-8").lower() in ("utf-8", "utf8"),
    )
    try:
        if root.tag == "rss" and root.get("version") in ("2.0", "0.92", "0.91"):
            found = reader.rss(root)
            expected = len(_ITEM_TAG.findall(content))
        elif root.tag == ATOM + "feed" and root.prefix is None:
            found = reader.atom(root)
            expected = len(_ENTRY_TAG.findall(content))
        else:
            return Declined(f"not RSS 0.91 to 2.0 or Atom 1.0 (<{etree.QName(root).localname}>)")
    except NotPlain as exc:
        return Declined(str(exc))
    if len(found.entries) != expected:
        return Declined(f"{expected} entries in the bytes, {len(found.entries)} read")
    return found


def _check_bytes(content: bytes, headers: Mapping[str, str]) -> str | None:
    """What, before parsing, says this reader would not read it as feedparser does."""
    if b"xml:base" in content:
        return "uses xml:base"
    body = content.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not body.startswith(b"<"):
        return "does not start with XML"
    declared = _DECLARATION.match(body[:200])
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding not in _ENCODINGS:
        return f"declares encoding {encoding}"
    content_type = headers.get("content-type", "")
    charset = _CHARSET.search(content_type)
    if charset and charset.group(1).lower() != encoding:
        return f"served as {charset.group(1)}, declares {encoding}"
    if not charset and content_type.lower().startswith("text/") and not content.isascii():
        # RFC 3023: text/* without a charset is US-ASCII, and feedparser says so.
        return "served as text/* without a charset"
    if b"<!DOCTYPE" in body[:1024] or b"<!doctype" in body[:1024]:
        return "has a DOCTYPE"
    return None


@dataclass(frozen=True)
class _Reader:
    """One document's reading: its Content-Language and whether it is UTF-8."""

    lang: str | None
    utf8: bool

    def rss(self, root: etree._Element) -> PlainFeed:
        channels = [child for child in root if child.tag == "channel"]
        if len(channels) != 1:
            raise NotPlain(f"{len(channels)} <channel> elements")
        [channel] = channels
        feed: dict[str, str] = {}
        root_lang = _own_lang(root, self.lang)
        if root_lang:
            feed["language"] = root_lang
        for child in channel:
            if child.tag == "item":
                continue  # read below
            name = feedparser_name(child)
            if name in ("title", "link", "language") and child.tag == name:
                feed[name] = self.text(child)
            elif name == "link" and child.tag == ATOM + "link":
                if _alternate(child):
                    raise NotPlain("an atom:link names the channel's page")
            elif name == "dc_language":
                # feedparser reads it as <language>; the later of the two wins.
                feed["language"] = self.text(child)
            elif name and name.rpartition("_")[2] in ("title", "language", "link"):
                # dc:title, dc:language and their kin set the feed's own fields in feedparser.
                raise NotPlain(f"the channel has <{child.tag}>")
        # The language in force at the channel, worked out once: an item's
        # title has its own, its item's, or this.
        channel_lang = _own_lang(channel, root_lang)
        entries = [self.rss_entry(item, channel_lang) for item in channel if item.tag == "item"]
        return PlainFeed(feed, entries)

    def rss_entry(self, item: etree._Element, channel_lang: str | None) -> dict[str, Any]:
        element = _children(item, _RSS_MODELLED)
        if "content_encoded" in element and "description" in element:
            if item.index(element["content_encoded"]) < item.index(element["description"]):
                raise NotPlain("content:encoded before description")  # feedparser swaps them
        entry: dict[str, Any] = {}
        if "title" in element:
            entry["title"] = self.text(element["title"])
            item_lang = _own_lang(item, channel_lang)
            entry["title_detail"] = {"language": _own_lang(element["title"], item_lang)}
        if "guid" in element:
            guid = element["guid"]
            entry["id"] = self.text(guid)
            permalink = "true"
            for key, value in guid.items():
                if key.lower() == "ispermalink":
                    permalink = str(value)
                    break
            if permalink == "true" and "link" not in element:
                entry["link"] = entry["id"]
        if "link" in element:
            entry["link"] = repaired_link(self.text(element["link"]))
        if "description" in element:
            entry["summary"] = self.text(element["description"])
        if "content_encoded" in element:
            encoded = self.text(element["content_encoded"])
            entry["content"] = [{"value": encoded}]
            entry.setdefault("summary", encoded)
        if "pubdate" in element:
            published = self.text(element["pubdate"])
            entry["published_parsed"] = parse_date(published, RFC822, rfc822_parts)
        updated = self.either(element, "updated", "dc_date")
        if updated is not None:
            entry["updated_parsed"] = parse_date(updated, RFC3339, rfc3339_parts)
        author = self.either(element, "author", "dc_creator")
        if author is not None:
            if "@" in author:
                raise NotPlain("an author with an address")  # feedparser takes it apart
            entry["author"] = author
        return entry

    def either(self, element: Mapping[str, etree._Element], first: str, second: str) -> str | None:
        """The text of the one of two elements an item has; feedparser keeps
        whichever comes last, so an item with both goes to feedparser."""
        one, other = element.get(first), element.get(second)
        if one is not None and other is not None:
            raise NotPlain(f"an item has both {first} and {second}")
        chosen = one if one is not None else other
        return None if chosen is None else self.text(chosen)

    def atom(self, root: etree._Element) -> PlainFeed:
        feed: dict[str, str] = {}
        root_lang = _own_lang(root, self.lang)
        if root_lang:
            feed["language"] = root_lang
        for child in root:
            if child.tag == ATOM + "title":
                feed["title"] = self.construct(child)
            elif child.tag == ATOM + "link" and _alternate(child):
                feed["link"] = child.get("href", "")
        entries = [self.atom_entry(entry) for entry in root if entry.tag == ATOM + "entry"]
        return PlainFeed(feed, entries)

    def atom_entry(self, element: etree._Element) -> dict[str, Any]:
        links = [
            child.get("href", "")
            for child in element
            if child.tag == ATOM + "link" and _alternate(child)
        ]
        found = _children(element, _ATOM_MODELLED, atom=True)
        if "content" in found and "summary" in found:
            if element.index(found["content"]) < element.index(found["summary"]):
                raise NotPlain("content before summary")  # feedparser swaps them
        entry: dict[str, Any] = {}
        for name, child in found.items():
            if name == "author":
                entry["author"] = self.atom_author(child)
            elif name in ("updated", "published"):
                entry[f"{name}_parsed"] = parse_date(self.text(child), RFC3339, rfc3339_parts)
            elif name == "id":
                entry["id"] = self.text(child)
            elif name == "content" and child.get("src") is not None:
                raise NotPlain("content by reference (src)")
            else:
                entry[name] = self.construct(child)
        if "title" in found:
            entry["title_detail"] = {"language": _lang_of(found["title"], self.lang)}
        if "content" in entry:
            entry["content"] = [{"value": entry["content"]}]
            entry.setdefault("summary", entry["content"][0]["value"])
        if links:
            entry["link"] = links[-1]  # feedparser keeps the last
        elif "id" in entry:
            entry["link"] = entry["id"]  # as feedparser does, an id stands in for the link
        return entry

    def atom_author(self, author: etree._Element) -> str:
        parts: dict[str, str] = {}
        for child in author:
            if isinstance(child.tag, str) and child.tag in (ATOM + "name", ATOM + "email"):
                parts[child.tag[len(ATOM) :]] = self.text(child)
        name, email = parts.get("name", ""), parts.get("email", "")
        if name and email:
            return f"{name} ({email})"
        return name or email

    def construct(self, element: etree._Element) -> str:
        """An Atom text construct as feedparser gives it: text and HTML as
        they are, XHTML as the markup inside its one <div>."""
        kind = element.get("type", "text")
        if kind in ("text", "html"):
            return self.text(element)
        if kind != "xhtml":
            raise NotPlain(f"a {kind} text construct")
        divs = [child for child in element if isinstance(child.tag, str)]
        if len(divs) != 1 or divs[0].tag != _XHTML + "div" or (element.text or "").strip():
            raise NotPlain("an XHTML text construct without its one <div>")
        from lxml import etree

        div = divs[0]
        markup = escape(div.text or "", quote=False) + "".join(
            etree.tostring(child, encoding="unicode", with_tail=True) for child in div
        )
        return self.repaired(markup.strip())

    def text(self, element: etree._Element) -> str:
        """An element's text as feedparser leaves it."""
        if len(element):
            raise NotPlain(f"markup inside <{_local(element)}>")
        value = (element.text or "").strip()
        return value if value.isascii() else self.repaired(value)  # ASCII needs no repair

    def repaired(self, value: str) -> str:
        return repaired(value, self.utf8)


def _children(
    parent: etree._Element, modelled: set[str], *, atom: bool = False
) -> dict[str, etree._Element]:
    """The modelled children by feedparser's name, in document order; a
    child feedparser would read into a field we read declines the feed. An
    Atom entry's links are read apart, as there may be several."""
    found: dict[str, etree._Element] = {}
    for child in parent:
        name = feedparser_name(child)
        if name is None or name in _WHOLE or (atom and child.tag == ATOM + "link"):
            continue
        if name in modelled:
            if name in found:
                raise NotPlain(f"an entry has two <{_local(child)}>")
            found[name] = child
        elif name == "link" and child.tag == ATOM + "link":
            if "href" not in child.attrib or _alternate(child):
                raise NotPlain("an atom:link gives the item's page")
        elif name in _HARMLESS or not handled(name):
            _check_inside(child)
        else:
            raise NotPlain(f"an entry has <{child.tag}>")
    return found


def _check_inside(element: etree._Element) -> None:
    """An element kept aside must hold nothing feedparser would read into our fields."""
    for inner in element.iterdescendants():
        name = feedparser_name(inner)
        if name is not None and name not in _HARMLESS and handled(name):
            raise NotPlain(f"<{inner.tag}> inside <{element.tag}>")


def _alternate(link: etree._Element) -> bool:
    """A link feedparser takes as the page: rel alternate, an HTML type, an href."""
    rel = link.get("rel", "alternate")
    kind = link.get("type", "application/atom+xml" if rel == "self" else "text/html")
    return rel == "alternate" and kind in _HTML_TYPES and "href" in link.attrib


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else "?"


def _own_lang(element: etree._Element, inherited: str | None) -> str | None:
    value = element.get(_XML_LANG, element.get("lang"))
    if value is None:
        return inherited
    return value or None


def _lang_of(element: etree._Element, fallback: str | None) -> str | None:
    """The xml:lang in force at `element` (feedparser reads a plain lang too)."""
    node: etree._Element | None = element
    while node is not None:
        value = node.get(_XML_LANG, node.get("lang"))
        if value is not None:
            return value or None
        node = node.getparent()
    return fallback
