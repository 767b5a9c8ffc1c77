"""The edition as data (edition.json: items, topics and the evidence for each)
and the Atom feed of past editions (RFC 4287), so partners can republish them.

Pure: the feed is built from the store's edition records with ElementTree,
which escapes every string. Entry ids are tag URIs (RFC 4151) made from the sender's domain
and the edition's slug: stable across rebuilds and moves of the archive.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from .types import Alternate, Edition, EditionItem, EditionRecord, FeedHealth, RenderedEdition

ATOM = "http://www.w3.org/2005/Atom"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def atom_feed(
    records: Sequence[EditionRecord],
    *,
    title: str,
    author: str,
    domain: str,
    archive_url: str = "",
    lang: str = "",
    alternates: Sequence[Alternate] = (),
) -> bytes:
    """An Atom document with one entry per edition, newest first, in `lang`;
    each entry links the same edition in the `alternates` languages (their
    href is that language's archive folder, ending in /).

    With no `archive_url`, links are relative to the feed's own address,
    which RFC 4287 allows (the feed sits beside the edition folders).
    """
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    if lang:
        feed.set(_XML_LANG, lang)
    # A tag URI needs a date the domain was held; any fixed one keeps it stable.
    _add(feed, "id", f"tag:{domain},2026:press-digest")
    _add(feed, "title", title)
    newest = max((record.created for record in records), default=_EPOCH)
    _add(feed, "updated", _timestamp(newest))
    author_element = _add(feed, "author")
    _add(author_element, "name", author)
    _link(feed, f"{archive_url}feed.xml", "self", "application/atom+xml")
    _link(feed, f"{archive_url}index.html", "alternate", "text/html")
    _add(feed, "generator", "press-digest")
    for record in sorted(records, key=lambda r: (r.created, r.id), reverse=True):
        entry = _add(feed, "entry")
        _add(entry, "id", f"tag:{domain},{record.created:%Y-%m-%d}:{record.slug}")
        _add(entry, "title", record.subject)
        _add(entry, "updated", _timestamp(record.created))
        _add(entry, "published", _timestamp(record.created))
        _link(entry, f"{archive_url}{record.folder}/index.html", "alternate", "text/html", lang)
        for other in alternates:
            href = f"{other.href}{record.slug}/index.html"
            _link(entry, href, "alternate", "text/html", other.lang)
        if record.preheader:
            _add(entry, "summary", record.preheader)
    ElementTree.indent(feed)
    document: bytes = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _add(parent: ElementTree.Element, tag: str, text: str | None = None) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _link(parent: ElementTree.Element, href: str, rel: str, kind: str, lang: str = "") -> None:
    attributes = {"href": href, "rel": rel, "type": kind}
    if lang:
        attributes["hreflang"] = lang
    ElementTree.SubElement(parent, f"{{{ATOM}}}link", attributes)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def edition_json(
    edition: Edition, rendered: RenderedEdition, feeds: Sequence[FeedHealth] = ()
) -> str:
    """The edition as data: items, topics and the evidence behind each, and
    the feeds that need the editor's eye."""

    def entry(e: EditionItem) -> dict[str, Any]:
        item, why = e.item, e.classification
        return {
            "id": item.id,
            "title": item.title,
            "url": item.url,
            "outlet": item.outlet,
            "date": item.date.isoformat(),
            "lang": item.lang,
            "summary": item.summary,
            "primary": why.primary,
            "primary_set_by_editor": why.set_by_editor,
            "topics": list(why.topics),
            "confidence": why.confidence,
            "relevance": why.relevance,
            "why": why.why,
            "evidence": [
                {"topic": ev.topic, "term": ev.term, "field": ev.field, "weight": ev.weight}
                for ev in why.evidence
            ],
            "also_reported_by": [
                {"outlet": other.outlet, "title": other.title, "url": other.url}
                for other in e.also
            ],
            "previously_reported": e.previously.isoformat() if e.previously else None,
            "watched": list(e.watched),
        }

    data = {
        "slug": edition.slug,
        "created": edition.created.isoformat(),
        "window_start": edition.window_start.isoformat() if edition.window_start else None,
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        "lead": entry(edition.lead) if edition.lead else None,
        "sections": [
            {
                "topic": section.topic.id,
                "label": section.topic.label,
                "items": [entry(e) for e in section.items],
            }
            for section in edition.sections
        ],
        "off_topic": [entry(e) for e in edition.off_topic],
        "warnings": list(rendered.warnings),
        "feed_warnings": [
            {
                "feed": feed.source.url,
                "name": feed.source.name,
                "flags": list(feed.flags),
                "notes": list(feed.notes),
            }
            for feed in feeds
            if feed.flags
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
