"""The countries or regions a digest covers, and whether a story names them.

Pure. A focus file (the bundled digest/focus.toml, or the one `[paths] focus`
names) lists, for each region, its places and demonyms in English, French
and Khmer. A story in scope from a general outlet that names none of the
places of the digest's `[digest] focus` is "outside focus": left out of the
edition, shown to the editor with the reason, and put back by choosing its
topic. Hand-added items, items from feeds marked `curated` in the feed list
(a rights group's own feed) and items that name a watched person are in focus
whatever they name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .errors import ConfigError
from .phrases import PhraseIndex
from .text import LANGUAGES, normalise
from .tomlfile import KeyLocator, load_toml
from .types import Classification, Phrase


@dataclass(frozen=True)
class Region:
    """One country or region: its name in the config, its label, its places."""

    name: str
    label: str
    places: tuple[Phrase, ...]


def parse_focus(text: str, path: str) -> dict[str, Region]:
    """Read a focus file: one table per region, with `label` and en/fr/km lists."""
    raw = load_toml(text, path)
    locate = KeyLocator(text)
    regions: dict[str, Region] = {}
    for name, table in raw.items():
        if not isinstance(table, dict):
            raise ConfigError(path, "must be a table", line=locate(None, name), key=name)
        label = table.get("label", name)
        places: list[Phrase] = []
        for key, value in table.items():
            if key == "label":
                continue
            if key not in LANGUAGES or not _strings(value):
                raise ConfigError(
                    path,
                    f"must be a list of places in {', '.join(LANGUAGES)}, or the label",
                    line=locate(name, key),
                    key=f"{name}.{key}",
                )
            places += [Phrase(place, 1.0, key) for place in value]
        if not places:
            raise ConfigError(path, "names no places", line=locate(None, name), key=name)
        regions[name] = Region(name=name, label=str(label), places=tuple(places))
    return regions


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


class FocusMatcher:
    """The places of the chosen regions, compiled; `place` finds one in a story."""

    def __init__(self, regions: tuple[Region, ...]) -> None:
        self.label = " and ".join(region.label for region in regions)
        self._index = PhraseIndex(
            (region.name, phrase) for region in regions for phrase in region.places
        )

    def place(self, title: str, summary: str) -> str | None:
        """The first place of the focus the story names, or None."""
        for text in (title, summary):
            found = self._index.find(normalise(text))
            if found:
                return min(found, key=lambda match: match.start).phrase.text
        return None


def outside_focus(classification: Classification, label: str, section: str) -> Classification:
    """A story in scope that names none of the focus's places: left out, saying why."""
    return replace(
        classification,
        topics=(),
        primary=None,
        why=(
            f"Outside focus: a story for {section} that names no place of {label}, "
            "from a feed not marked curated; choose its topic to put it back."
        ),
    )
