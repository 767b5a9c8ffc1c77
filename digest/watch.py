"""The watchlist: people, cases and organisations the editors follow.

Pure. Names are found however the outlet spelt them: case, accents and
spacing do not matter; a Latin-script name also matches when slightly
misspelt ("Kern Sokha" for "Kem Sokha", as a newswire once printed it),
with rapidfuzz, guarded so short or unrelated words do not pass; a Khmer
name matches anywhere in the text, since Khmer does not separate words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from .classify import is_khmer, normalise
from .errors import ConfigError
from .tomlfile import KeyLocator, load_toml
from .types import Evidence, Mention, Watched, Watchlist

KINDS = ("person", "case", "organisation")
# Below this length a fuzzy match is a coincidence, not a misspelling.
FUZZY_MIN_LENGTH = 8


@dataclass(frozen=True)
class _Alias:
    watched: Watched
    text: str  # as written in the watchlist
    tokens: tuple[str, ...]  # normalised words (Latin script)
    squeezed: str  # normalised, spaces removed (Khmer)


class WatchlistMatcher:
    """A watchlist compiled for matching; build once, look through many items."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        self._aliases = [
            _Alias(
                entry, alias, tuple(normalise(alias).split()), normalise(alias).replace(" ", "")
            )
            for entry in watchlist.entries
            for alias in (entry.name, *entry.aliases)
        ]

    def mentions(self, title: str, summary: str) -> tuple[Mention, ...]:
        """Each watched entry named in the item, once, exact matches preferred."""
        found: dict[str, Mention] = {}
        for field, text in (("title", title), ("summary", summary)):
            normal = normalise(text)
            words = normal.split()
            squeezed = normal.replace(" ", "")
            for alias in self._aliases:
                known = found.get(alias.watched.id)
                if known is not None and known.exact:
                    continue
                mention = _match(alias, words, squeezed, field, self.watchlist.fuzzy)
                if mention is not None and (known is None or mention.exact):
                    found[alias.watched.id] = mention
        return tuple(found.values())

    def evidence(self, mentions: Iterable[Mention]) -> tuple[Evidence, ...]:
        """What the mentions add to the classification: one boost per entry."""
        return tuple(
            Evidence(
                topic=m.watched.topic,
                term=f"{m.watched.name} (watchlist)",
                field=m.field,
                weight=self.watchlist.boost,
            )
            for m in mentions
            if m.watched.topic
        )


def _match(
    alias: _Alias, words: list[str], squeezed: str, field: Any, threshold: int
) -> Mention | None:
    if is_khmer(alias.text):
        if alias.squeezed and alias.squeezed in squeezed:
            return Mention(alias.watched, alias.text, field, exact=True)
        return None
    size = len(alias.tokens)
    if not size:
        return None
    target = " ".join(alias.tokens)
    for start in range(len(words) - size + 1):
        window = words[start : start + size]
        if tuple(window) == alias.tokens:
            return Mention(alias.watched, alias.text, field, exact=True)
        candidate = " ".join(window)
        if (
            len(target) >= FUZZY_MIN_LENGTH
            and all(w[:1] == t[:1] for w, t in zip(window, alias.tokens, strict=True))
            and fuzz.ratio(candidate, target) >= threshold
        ):
            return Mention(alias.watched, candidate, field, exact=False)
    return None


def parse_watchlist(text: str, path: str, topics: Iterable[str]) -> Watchlist:
    """Read `watchlist.toml`; errors name the file, line and key."""
    raw = load_toml(text, path)
    locate = KeyLocator(text)
    known = set(topics)
    entries = []
    ids: set[str] = set()
    for index, entry in enumerate(raw.get("watched", [])):
        watched = _entry(entry, index, path, locate, known)
        if watched.id in ids:
            raise ConfigError(
                path,
                f"id {watched.id!r} is used twice",
                line=locate("watched", "id", index),
                key="watched.id",
            )
        ids.add(watched.id)
        entries.append(watched)
    boost = raw.get("boost", Watchlist.boost)
    fuzzy = raw.get("fuzzy", Watchlist.fuzzy)
    if not isinstance(boost, int | float) or isinstance(boost, bool) or boost < 0:
        raise ConfigError(
            path, "must be a number, 0 or more", line=locate(None, "boost"), key="boost"
        )
    if not isinstance(fuzzy, int) or isinstance(fuzzy, bool) or not 50 <= fuzzy <= 100:
        raise ConfigError(
            path, "must be a whole number from 50 to 100", line=locate(None, "fuzzy"), key="fuzzy"
        )
    return Watchlist(entries=tuple(entries), boost=float(boost), fuzzy=fuzzy)


def _entry(entry: Any, index: int, path: str, locate: KeyLocator, known: set[str]) -> Watched:
    def fail(message: str, key: str) -> ConfigError:
        return ConfigError(
            path,
            message,
            line=locate("watched", key, index) or locate(None, "watched", index),
            key=f"watched.{key}",
        )

    if not isinstance(entry, dict):
        raise fail("each [[watched]] must be a table", "id")
    for key in ("id", "name"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise fail("missing (a non-empty string)", key)
    kind = entry.get("kind", "person")
    if kind not in KINDS:
        raise fail(f"must be one of {', '.join(KINDS)}", "kind")
    topic = entry.get("topic")
    if topic is not None and topic not in known:
        raise fail(
            f"unknown topic {topic!r} (the taxonomy has: {', '.join(sorted(known))})", "topic"
        )
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise fail("must be a list of names", "aliases")
    return Watched(
        id=entry["id"],
        name=entry["name"],
        kind=kind,
        topic=topic,
        aliases=tuple(aliases),
        note=str(entry.get("note", "")),
    )
