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

from .errors import ConfigError
from .text import is_khmer, normalise
from .tomlfile import KeyLocator, load_toml
from .types import Evidence, Field, Mention, Watched, Watchlist

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
    """A watchlist compiled for matching; build once, look through many items.

    Latin-script aliases are indexed by their words (exact matches) and by
    their words' initials (fuzzy candidates), so an item costs one lookup per
    run of words instead of one comparison per alias.
    """

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        self._exact: dict[tuple[str, ...], list[_Alias]] = {}
        self._by_initials: dict[tuple[str, ...], list[_Alias]] = {}
        self._khmer: list[_Alias] = []
        for entry in watchlist.entries:
            for text in (entry.name, *entry.aliases):
                normal = normalise(text)
                alias = _Alias(entry, text, tuple(normal.split()), normal.replace(" ", ""))
                if is_khmer(text):
                    self._khmer.append(alias)
                elif alias.tokens:
                    self._exact.setdefault(alias.tokens, []).append(alias)
                    if len(" ".join(alias.tokens)) >= FUZZY_MIN_LENGTH:
                        initials = tuple(token[0] for token in alias.tokens)
                        self._by_initials.setdefault(initials, []).append(alias)
        self._sizes = sorted({len(tokens) for tokens in self._exact})

    def mentions(self, title: str, summary: str) -> tuple[Mention, ...]:
        """Each watched entry named in the item, once, exact matches preferred."""
        found: dict[str, Mention] = {}
        for field, text in (("title", title), ("summary", summary)):
            normal = normalise(text)
            for mention in self._in_text(normal, _field(field)):
                known = found.get(mention.watched.id)
                if known is None or (mention.exact and not known.exact):
                    found[mention.watched.id] = mention
        return tuple(found.values())

    def _in_text(self, normal: str, field: Field) -> list[Mention]:
        # Imported here, not at the top: commands with no watchlist work to
        # do (update, feeds, recipients) start without its 11 ms.
        from rapidfuzz import fuzz

        mentions: list[Mention] = []
        if self._khmer and is_khmer(normal):
            squeezed = normal.replace(" ", "")
            mentions += [
                Mention(a.watched, a.text, field, exact=True)
                for a in self._khmer
                if a.squeezed in squeezed
            ]
        words = normal.split()
        for size in self._sizes:
            for start in range(len(words) - size + 1):
                window = tuple(words[start : start + size])
                for alias in self._exact.get(window, ()):
                    mentions.append(Mention(alias.watched, alias.text, field, exact=True))
                candidate = " ".join(window)
                for alias in self._by_initials.get(tuple(w[0] for w in window), ()):
                    target = " ".join(alias.tokens)
                    if candidate != target and fuzz.ratio(candidate, target) >= (
                        self.watchlist.fuzzy
                    ):
                        mentions.append(Mention(alias.watched, candidate, field, exact=False))
        return mentions

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


def _field(name: str) -> Field:
    return "title" if name == "title" else "summary"


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
