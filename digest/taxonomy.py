"""Read and validate a taxonomy file: topics, the scope, and the sections' precedence.

Pure: callers read the file. Every error names file, line and key. The
bundled digest/taxonomy.toml documents the format at its top.
"""

from __future__ import annotations

import re
from typing import Any, cast

from .errors import ConfigError
from .text import LANGUAGES
from .tomlfile import KeyLocator, load_toml
from .types import Phrase, Scope, ScopeKind, ScopePhrase, SectionRule, Taxonomy, Topic

_TOPIC_KEYS = {"id", "label", "definition", *LANGUAGES, "negative"}
_GROUPED: tuple[ScopeKind, ...] = (
    "core", "acts", "targets", "actors", "agents", "responses", "dampers"
)  # fmt: skip
_SCOPE_KEYS = {"threshold", "damping", "responses_alone", "senses", *_GROUPED}
_RULE_KINDS = ("acts", "actors", "targets", "responses", "core")
_SECTION_KEYS = {"topic", "rule", *_RULE_KINDS}


def parse_taxonomy(text: str, path: str) -> Taxonomy:
    """Read and validate a taxonomy TOML file; errors name file, line and key."""
    raw = load_toml(text, path)
    locate = KeyLocator(text)
    for key in raw:
        if key not in {"threshold", "topics", "scope", "sections"}:
            raise ConfigError(path, "unknown key", line=locate(None, key), key=key)
    threshold = _number(raw, "threshold", 1.0, path, locate, table=None)
    entries = raw.get("topics")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(path, "needs at least one [[topics]] table", key="topics")
    topics = tuple(_parse_topic(entry, index, path, locate) for index, entry in enumerate(entries))
    seen: set[str] = set()
    for index, topic in enumerate(topics):
        if topic.id in seen:
            line = locate("topics", "id", index)
            raise ConfigError(path, f"duplicate topic id {topic.id!r}", line=line, key="topics.id")
        seen.add(topic.id)
    scope = None
    if "scope" in raw:
        scope = _parse_scope(raw, seen, path, locate)
    elif "sections" in raw:
        raise ConfigError(path, "[[sections]] needs a [scope] to draw on", key="sections")
    return Taxonomy(topics=topics, threshold=threshold, scope=scope)


def _number(
    values: dict[str, Any],
    key: str,
    default: float,
    path: str,
    locate: KeyLocator,
    table: str | None,
) -> float:
    value = values.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        name = f"{table}.{key}" if table else key
        raise ConfigError(path, "must be a number above 0", line=locate(table, key), key=name)
    return float(value)


def _parse_topic(entry: Any, index: int, path: str, locate: KeyLocator) -> Topic:
    def fail(message: str, key: str, table: str = "topics") -> ConfigError:
        line = locate(table, key, index) or locate("topics", None, index)
        return ConfigError(path, message, line=line, key=f"topics[{index}].{key}")

    for key in entry:
        if key not in _TOPIC_KEYS:
            raise fail(f"unknown key (known: {', '.join(sorted(_TOPIC_KEYS))})", key)
    for key in ("id", "label", "definition"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise fail("missing or not a string", key)
    if not re.fullmatch(r"[a-z][a-z0-9-]*", entry["id"]):
        raise fail("topic ids are lower-case words joined by hyphens", "id")
    phrases: list[Phrase] = []
    for lang in (*LANGUAGES, "negative"):
        table = entry.get(lang, {})
        if not isinstance(table, dict):
            raise fail('must be a table of "phrase" = weight', lang)
        for text, weight in table.items():
            sub = f"topics.{lang}"
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise fail(f"weight of {text!r} must be a number", text, sub)
            if (lang == "negative") != (weight < 0):
                rule = "below 0" if lang == "negative" else "above 0 (use [negative])"
                raise fail(f"weight of {text!r} must be {rule}", text, sub)
            phrases.append(Phrase(text=text, weight=float(weight), lang=lang))
    return Topic(
        id=entry["id"],
        label=entry["label"].strip(),
        definition=entry["definition"].strip(),
        phrases=tuple(phrases),
    )


def _parse_scope(raw: dict[str, Any], topics: set[str], path: str, locate: KeyLocator) -> Scope:
    scope = raw["scope"]
    if not isinstance(scope, dict):
        raise ConfigError(path, "must be a table", line=locate(None, "scope"), key="scope")
    for key in scope:
        if key not in _SCOPE_KEYS:
            known = ", ".join(sorted(_SCOPE_KEYS))
            raise ConfigError(
                path,
                f"unknown key (known: {known})",
                line=locate("scope", key),
                key=f"scope.{key}",
            )
    phrases: list[ScopePhrase] = []
    for kind in _GROUPED:
        groups = scope.get(kind, {})
        _require_table(groups, f"scope.{kind}", path, locate)
        for group, languages in groups.items():
            _require_table(languages, f"scope.{kind}.{group}", path, locate)
            for lang, table in languages.items():
                phrases += _scope_phrases(kind, group, lang, table, path, locate)
    senses = scope.get("senses", {})
    _require_table(senses, "scope.senses", path, locate)
    for lang, table in senses.items():
        phrases += _scope_phrases("senses", "senses", lang, table, path, locate)
    found_groups: set[tuple[str, str]] = {(p.kind, p.group) for p in phrases}
    sections = raw.get("sections", [])
    if not isinstance(sections, list):
        raise ConfigError(path, "must be [[sections]] tables", key="sections")
    rules = tuple(
        _parse_section(entry, index, topics, found_groups, path, locate)
        for index, entry in enumerate(sections)
    )
    alone = scope.get("responses_alone", [])
    if not isinstance(alone, list) or any(("responses", g) not in found_groups for g in alone):
        line = locate("scope", "responses_alone")
        raise ConfigError(
            path, "must list [scope.responses] groups", line=line, key="scope.responses_alone"
        )
    return Scope(
        phrases=tuple(phrases),
        sections=rules,
        responses_alone=tuple(alone),
        threshold=_number(scope, "threshold", 0.5, path, locate, table="scope"),
        damping=_number(scope, "damping", 0.5, path, locate, table="scope"),
    )


def _require_table(value: Any, key: str, path: str, locate: KeyLocator) -> None:
    if not isinstance(value, dict):
        table, _, name = key.rpartition(".")
        raise ConfigError(path, "must be a table", line=locate(table, name), key=key)


def _scope_phrases(
    kind: ScopeKind, group: str, lang: str, table: Any, path: str, locate: KeyLocator
) -> list[ScopePhrase]:
    where = f"scope.{kind}.{group}" if kind != "senses" else "scope.senses"
    if lang not in LANGUAGES:
        raise ConfigError(
            path,
            f"unknown language (known: {', '.join(LANGUAGES)})",
            line=locate(where, lang) or locate(f"{where}.{lang}", None),
            key=f"{where}.{lang}",
        )
    _require_table(table, f"{where}.{lang}", path, locate)
    phrases = []
    for text, weight in cast(dict[str, Any], table).items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1:
            raise ConfigError(
                path,
                f"weight of {text!r} must be a number above 0 and at most 1",
                line=locate(f"{where}.{lang}", text),
                key=f"{where}.{lang}.{text}",
            )
        phrases.append(ScopePhrase(kind, group, Phrase(text, float(weight), lang)))
    return phrases


def _parse_section(
    entry: Any,
    index: int,
    topics: set[str],
    groups: set[tuple[str, str]],
    path: str,
    locate: KeyLocator,
) -> SectionRule:
    def fail(message: str, key: str) -> ConfigError:
        line = locate("sections", key, index) or locate("sections", None, index)
        return ConfigError(path, message, line=line, key=f"sections[{index}].{key}")

    for key in entry:
        if key not in _SECTION_KEYS:
            raise fail(f"unknown key (known: {', '.join(sorted(_SECTION_KEYS))})", key)
    if entry.get("topic") not in topics:
        raise fail(f"not a topic of this taxonomy: {entry.get('topic')!r}", "topic")
    if not isinstance(entry.get("rule"), str) or not entry["rule"].strip():
        raise fail("missing or not a string: say the rule in words", "rule")
    named: dict[str, tuple[str, ...]] = {}
    for kind in _RULE_KINDS:
        value = entry.get(kind, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("must be a list of group names", kind)
        for group in value:
            if (kind, group) not in groups:
                raise fail(f"no [scope.{kind}.{group}] group to draw on", kind)
        named[kind] = tuple(value)
    if not any(named.values()):
        raise fail("names no acts, actors, targets, responses or core", "topic")
    return SectionRule(topic=entry["topic"], rule=entry["rule"].strip(), **named)
