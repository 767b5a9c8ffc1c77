"""The editor's feed list (OPML): read it into `FeedSource` values, edit it.

Pure: the caller reads the file and passes its text, and writes back what the
editing functions return. Local feed files may be named by a path relative to
the list, by an absolute path or by a `file:` URL; they are returned as
`file:` URLs so the rest of the program sees one form. Edits keep the rest of
the file (groups, comments, other attributes) as the editor left it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePath
from urllib.parse import urlsplit

from .errors import ConfigError
from .types import FeedSource

REMOTE_SCHEMES = ("http", "https")


# press-digest's own outline attributes: a User-Agent for publishers that block
# unknown clients, and curated="true" for a rights group's own feed (see focus).
USER_AGENT_ATTRIBUTE = "userAgent"
CURATED_ATTRIBUTE = "curated"


def parse_opml(text: str, path: str) -> tuple[FeedSource, ...]:
    """Every outline with an `xmlUrl`, in document order, without repeats."""
    root = _parse(text, path)
    base = PurePath(path).parent
    sources: dict[str, FeedSource] = {}
    for outline in root.iter("outline"):
        location = (outline.get("xmlUrl") or "").strip()
        if not location:
            continue
        url = resolve_location(location, base)
        name = outline.get("title") or outline.get("text") or url
        sources.setdefault(
            url,
            FeedSource(
                url=url,
                name=name.strip(),
                lang=outline.get("language") or None,
                user_agent=outline.get(USER_AGENT_ATTRIBUTE) or None,
                curated=(outline.get(CURATED_ATTRIBUTE) or "").strip().lower()
                in ("true", "yes", "1"),
            ),
        )
    return tuple(sources.values())


def add_outline(text: str, path: str, source: FeedSource) -> str:
    """The list with `source` appended to its body (the caller checks repeats)."""
    root = _parse(text, path)
    body = root.find("body")
    if body is None:
        body = ET.SubElement(root, "body")
    body.append(_outline(source))
    return _serialise(root)


def remove_outline(text: str, path: str, url: str) -> tuple[str, FeedSource | None]:
    """The list without the outline whose feed is `url`, and the source removed."""
    root = _parse(text, path)
    base = PurePath(path).parent
    for parent in root.iter():
        for outline in list(parent):
            location = (outline.get("xmlUrl") or "").strip()
            if outline.tag == "outline" and location and resolve_location(location, base) == url:
                removed = FeedSource(
                    url=url,
                    name=(outline.get("title") or outline.get("text") or url).strip(),
                    lang=outline.get("language") or None,
                )
                parent.remove(outline)
                return _serialise(root), removed
    return text, None


def opml_document(sources: tuple[FeedSource, ...] | list[FeedSource], title: str) -> str:
    """A fresh OPML 2.0 list of `sources`, for another reader or another newsroom."""
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    for source in sources:
        body.append(_outline(source))
    return _serialise(root)


def _outline(source: FeedSource) -> ET.Element:
    attributes = {"type": "rss", "text": source.name or source.url, "xmlUrl": source.url}
    if source.name:
        attributes["title"] = source.name
    if source.lang:
        attributes["language"] = source.lang
    if source.user_agent:
        attributes[USER_AGENT_ATTRIBUTE] = source.user_agent
    if source.curated:
        attributes[CURATED_ATTRIBUTE] = "true"
    return ET.Element("outline", attributes)


def _parse(text: str, path: str) -> ET.Element:
    if "<!ENTITY" in text or "<!DOCTYPE" in text:
        # A feed list has no use for a DTD; refusing it closes the door on
        # entity-expansion tricks before the XML parser sees them.
        raise ConfigError(path, "OPML with a DOCTYPE or entities is not accepted")
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    try:
        root = ET.fromstring(text, parser=parser)
    except ET.ParseError as exc:
        raise ConfigError(path, f"not valid OPML: {exc}", line=exc.position[0]) from exc
    if root.tag != "opml":
        raise ConfigError(path, f"not an OPML file (root element is <{root.tag}>)")
    return root


def _serialise(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def resolve_location(location: str, base: PurePath) -> str:
    """An http(s) URL as given; anything else as a `file:` URL to an absolute path."""
    scheme = urlsplit(location).scheme.lower()
    if scheme in REMOTE_SCHEMES:
        return location
    if scheme == "file":
        return location
    local = PurePath(location)
    if not local.is_absolute():
        local = base / local
    return PurePath(local).as_uri() if local.is_absolute() else f"file:{local}"
