"""Load the TOML configuration once into one frozen, validated `Config`.

Each setting is declared once, as a dataclass field with its type, default and
help; that declaration drives validation and defaults, and a test holds
`digest.example.toml` to it. Errors name the file, the line and the key.

Secrets never live here: the config names the environment variables that
hold them, and only the sending edge reads those variables.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import checks
from .errors import ConfigError
from .settings import (
    EDITION_WORDS,
    DatabaseSettings,
    DigestSettings,
    EditionSettings,
    EditionsSettings,
    FetchSettings,
    ListSettings,
    PathSettings,
    ScheduleSettings,
    SenderSettings,
    SendSettings,
    SmtpSettings,
    ThemeSettings,
)
from .tomlfile import KeyLocator, load_toml

ENV_VAR = "DIGEST_CONFIG"
DATABASE_ENV_VAR = "DIGEST_DATABASE_URL"
DEFAULT_NAMES = ("digest.toml", "digest.example.toml")


@dataclass(frozen=True)
class Config:
    """Everything press-digest is told, validated. Built by `load_config`."""

    path: Path
    digest: DigestSettings
    sender: SenderSettings
    paths: PathSettings
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    send: SendSettings = field(default_factory=SendSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    theme: ThemeSettings = field(default_factory=ThemeSettings)
    list: ListSettings = field(default_factory=ListSettings)
    editions: EditionsSettings = field(default_factory=EditionsSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)

    @property
    def languages(self) -> tuple[str, ...]:
        """The editions' languages, the default ([digest] language) first."""
        return self.editions.languages or (self.digest.language,)


SECTIONS: dict[str, type[Any]] = {
    "digest": DigestSettings,
    "sender": SenderSettings,
    "paths": PathSettings,
    "schedule": ScheduleSettings,
    "smtp": SmtpSettings,
    "send": SendSettings,
    "fetch": FetchSettings,
    "theme": ThemeSettings,
    "list": ListSettings,
    "database": DatabaseSettings,
}


def config_error(config: Config, key: str, message: str) -> ConfigError:
    """An error about a setting whose value is only checkable later (for example
    against the taxonomy), naming the file and, if it can be found, the line."""
    section, _, name = key.partition(".")
    try:
        locate = KeyLocator(config.path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        return ConfigError(str(config.path), message, key=key)
    line = locate(section, name) or locate(None, key)
    return ConfigError(str(config.path), message, line=line, key=key)


def find_config_path(
    explicit: str | Path | None, environ: Mapping[str, str], cwd: Path
) -> tuple[Path, str]:
    """Pick the config file and say why: --config, $DIGEST_CONFIG, then the defaults."""
    if explicit:
        return Path(explicit), "--config"
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR]), f"${ENV_VAR}"
    for name in DEFAULT_NAMES:
        candidate = cwd / name
        if candidate.is_file():
            return candidate, f"./{name}"
    raise ConfigError(
        str(cwd),
        f"no config file: pass --config FILE, set ${ENV_VAR}, "
        f"or create {' or '.join(DEFAULT_NAMES)} here",
    )


def database_target(config: Config, environ: Mapping[str, str]) -> str | Path:
    """Where the store lives: $DIGEST_DATABASE_URL, else [database] url (both
    PostgreSQL), else the SQLite file of [paths] database."""
    from_environment = environ.get(DATABASE_ENV_VAR, "")
    if from_environment:
        if problem := checks.postgres_url(from_environment):
            raise ConfigError(f"${DATABASE_ENV_VAR}", problem)
        return from_environment
    return config.database.url or config.paths.database


def load_config(path: str | Path) -> Config:
    """Read, validate and freeze the config at `path`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read config file: {exc}") from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    raw = load_toml(text, str(path))
    locate = KeyLocator(text)
    for name, value in raw.items():
        if name not in SECTIONS and name != "editions":
            raise ConfigError(
                str(path),
                f"unknown section (known: {', '.join(SECTIONS)}, editions)",
                line=locate(None, name),
                key=name,
            )
        if not isinstance(value, dict):
            raise ConfigError(str(path), "must be a [table]", line=locate(None, name), key=name)
    base = path.resolve().parent
    sections = {
        name: _build_section(name, cls, raw.get(name), path, base, locate)
        for name, cls in SECTIONS.items()
    }
    editions = _build_editions(raw.get("editions"), sections["digest"], path, base, locate)
    return Config(path=path, editions=editions, **sections)


_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def _build_editions(
    raw: dict[str, Any] | None,
    digest: DigestSettings,
    path: Path,
    base: Path,
    locate: KeyLocator,
) -> EditionsSettings:
    """[editions] languages and one [editions.<lang>] table per language. The
    default language ([digest] language) comes first and may lean on [digest]'s
    words; every other language must give its own."""
    if not raw:
        return EditionsSettings()
    languages = raw.get("languages", [digest.language])

    def fail(message: str, table: str, key: str | None) -> ConfigError:
        line = locate(table, key) or locate(None, f"{table}.{key}" if key else table)
        dotted = f"{table}.{key}" if key else table
        return ConfigError(str(path), message, line=line or locate(None, "editions"), key=dotted)

    if not isinstance(languages, list) or not all(
        isinstance(lang, str) and _LANGUAGE_CODE.fullmatch(lang) for lang in languages
    ):
        raise fail(
            'expected a list of language codes such as ["en", "fr", "km"]', "editions", "languages"
        )
    if digest.language not in languages:
        raise fail(
            f"must include the default language {digest.language!r} ([digest] language), "
            "which readers of other languages get",
            "editions",
            "languages",
        )
    by_language: dict[str, EditionSettings] = {}
    for lang, table in raw.items():
        if lang == "languages":
            continue
        if lang not in languages:
            raise fail(
                f"[editions.{lang}] is not in [editions] languages ({', '.join(languages)})",
                "editions",
                lang,
            )
        if not isinstance(table, dict):
            raise fail("must be a [table]", "editions", lang)
        by_language[lang] = _build_section(
            f"editions.{lang}", EditionSettings, table, path, base, locate
        )
    for lang in languages:
        if lang == digest.language:
            continue
        settings = by_language.get(lang, EditionSettings())
        missing = [word for word in EDITION_WORDS if not getattr(settings, word).strip()]
        if missing:
            raise fail(
                f"the {lang} edition needs its own {', '.join(missing)} "
                "(only the default language takes [digest]'s)",
                f"editions.{lang}",
                missing[0] if lang in by_language else None,
            )
    ordered = (digest.language, *(lang for lang in languages if lang != digest.language))
    return EditionsSettings(languages=ordered, by_language=by_language)


def _build_section(
    name: str,
    cls: type[Any],
    raw: dict[str, Any] | None,
    path: Path,
    base: Path,
    locate: KeyLocator,
) -> Any:
    raw = raw or {}
    hints = typing.get_type_hints(cls)
    declared = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in declared:
            raise ConfigError(
                str(path),
                f"unknown key (known in [{name}]: {', '.join(declared)})",
                line=locate(name, key),
                key=f"{name}.{key}",
            )
    values: dict[str, Any] = {}
    for key, spec in declared.items():
        dotted = f"{name}.{key}"
        if key not in raw:
            if spec.default is spec.default_factory is dataclasses.MISSING:
                raise ConfigError(
                    str(path),
                    f"missing required setting ({spec.metadata['help']})",
                    line=locate(name, None),
                    key=dotted,
                )
            continue
        problem, value = _coerce(raw[key], hints[key], base)
        if problem is None and spec.metadata["check"] is not None:
            problem = spec.metadata["check"](value)
        if problem is not None:
            # A table setting may be written as its own [section.key] header.
            line = locate(name, key) or locate(None, dotted)
            raise ConfigError(str(path), problem, line=line, key=dotted)
        values[key] = value
    return cls(**values)


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _coerce(value: Any, hint: Any, base: Path) -> tuple[str | None, Any]:
    """Check `value` against the declared type; return (problem, converted value)."""
    optional = typing.get_origin(hint) in (typing.Union, types.UnionType)
    if optional:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"expected a list of strings, got {_describe(value)}", None
        return None, tuple(value)
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return f"expected a table of strings, got {_describe(value)}", None
        return None, dict(value)
    if hint is Path:
        if not isinstance(value, str) or not value:
            return f"expected a path string, got {_describe(value)}", None
        return None, (base / value).resolve()
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return None, float(value)
    # bool is an int in Python; a TOML `true` must not pass for a number.
    if isinstance(value, hint) and not (hint is not bool and isinstance(value, bool)):
        return None, value
    return f"expected {_TYPE_NAMES.get(hint, hint.__name__)}, got {_describe(value)}", None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    kinds = {
        str: "a string",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "a table",
    }
    return f"{value!r} ({kinds.get(type(value), type(value).__name__)})"
