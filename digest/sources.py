"""Read the editor's feed list (OPML) into `FeedSource` values.

Pure: the caller reads the file and passes its text. Local feed files may be
named by a path relative to the list, by an absolute path or by a `file:` URL;
they are returned as `file:` URLs so the rest of the program sees one form.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePath
from urllib.parse import urlsplit

from .errors import ConfigError
from .types import FeedSource

REMOTE_SCHEMES = ("http", "https")


def parse_opml(text: str, path: str) -> tuple[FeedSource, ...]:
    """Every outline with an `xmlUrl`, in document order, without repeats."""
    if "<!ENTITY" in text or "<!DOCTYPE" in text:
        # A feed list has no use for a DTD; refusing it closes the door on
        # entity-expansion tricks before the XML parser sees them.
        raise ConfigError(path, "OPML with a DOCTYPE or entities is not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ConfigError(path, f"not valid OPML: {exc}", line=exc.position[0]) from exc
    if root.tag != "opml":
        raise ConfigError(path, f"not an OPML file (root element is <{root.tag}>)")
    base = PurePath(path).parent
    sources: dict[str, FeedSource] = {}
    for outline in root.iter("outline"):
        location = (outline.get("xmlUrl") or "").strip()
        if not location:
            continue
        url = resolve_location(location, base)
        name = outline.get("title") or outline.get("text") or url
        lang = outline.get("language") or None
        sources.setdefault(url, FeedSource(url=url, name=name.strip(), lang=lang))
    return tuple(sources.values())


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
