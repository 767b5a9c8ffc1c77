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
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .tomlfile import KeyLocator, load_toml
from .types import Theme

ENV_VAR = "DIGEST_CONFIG"
DEFAULT_NAMES = ("digest.toml", "digest.example.toml")

Check = Callable[[Any], str | None]


def setting(default: Any = dataclasses.MISSING, *, help: str, check: Check | None = None) -> Any:
    """Declare one setting: its default (none means required), help and extra check."""
    metadata = {"help": help, "check": check}
    if isinstance(default, dict):  # a table setting: each Config gets its own
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def _one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _not_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _fraction(value: Any) -> str | None:
    return None if 0 < value <= 1 else "must be more than 0 and at most 1"


def _port(value: Any) -> str | None:
    return None if 0 < value < 65536 else "must be a port number between 1 and 65535"


_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _address(value: Any) -> str | None:
    if not _ADDRESS.match(value):
        return f"{value!r} is not an email address"
    if not value.isascii():
        # smtplib would fail on every message with a traceback.
        return (
            f"{value!r} has letters outside ASCII, which SMTP carries only with SMTPUTF8; "
            "press-digest does not use it (write a domain in another script as xn--...)"
        )
    return None


def _timezone(value: Any) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use a name such as Asia/Phnom_Penh)"
    return None


def _cron(value: Any) -> str | None:
    if len(value.split()) != 5:
        return "must be a cron expression of five fields"
    from croniter import croniter  # 28 ms to load: only configs with a schedule pay it

    if not croniter.is_valid(value):
        return f"{value!r} is not a valid cron expression (minute hour day month weekday)"
    return None


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _colour(value: Any) -> str | None:
    return None if _COLOUR.match(value) else f"{value!r} is not a colour like #1f2933"


# Font names only: the value is written into CSS, so nothing that could end it.
_FONTS = re.compile(r"^[A-Za-z0-9 ,'\-]+$")


def _fonts(value: Any) -> str | None:
    ok = value == "" or _FONTS.match(value)
    return None if ok else "must be font names separated by commas (letters, digits, quotes)"


def _https_url(value: Any) -> str | None:
    if value == "" or re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", value):
        return None
    return f"{value!r} must be an https:// address (or empty)"


def _folder_url(value: Any) -> str | None:
    problem = _https_url(value)
    if problem is None and value and not value.endswith("/"):
        return f"{value!r} must end with / (the editions are folders under it)"
    return problem


def _url_pattern(value: Any) -> str | None:
    if value == "":
        return None
    if "{url}" not in value:
        return "must contain {url}, where the item's address goes"
    return _https_url(value.replace("{url}", "x"))


def _optional_address(value: Any) -> str | None:
    return None if value == "" else _address(value)


def _list_id(value: Any) -> str | None:
    if value == "" or re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z0-9-]+", value):
        return None
    return f"{value!r} must look like digest.example.org (letters, digits, dots)"


def _env_name(value: Any) -> str | None:
    ok = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value)
    return None if ok else "must be the name of an environment variable, not its value"


@dataclass(frozen=True)
class DigestSettings:
    """[digest]: what the edition says around the items."""

    title: str = setting(help="Headline used in the subject and at the top of the email")
    organisation: str = setting(help="Who sends the digest, shown in the header and footer")
    intro: str = setting(help="Paragraph after the greeting: who this is from, what it covers")
    closing: str = setting(help="Closing offer, e.g. to talk to spokespeople")
    signature: str = setting(help="Name (and role) that signs the email")
    greeting: str = setting("Hello,", help="First line of the email")
    language: str = setting("en", help="Language of the edition's own text (en, fr, km...)")
    direction: str = setting(
        "ltr", help="Text direction of the edition", check=_one_of("ltr", "rtl")
    )
    max_age_days: int = setting(
        7,
        help="Only items published in the last N days; 0 takes every stored item",
        check=_not_negative,
    )
    max_items: int = setting(40, help="Most items in one edition", check=_positive)
    summary_chars: int = setting(
        400,
        help="Longest summary shown for a story, cut at a sentence or word; 0 shows it whole",
        check=_not_negative,
    )
    story_similarity: float = setting(
        0.22,
        help="How alike two reports must be (0-1) to be shown as one story",
        check=_fraction,
    )
    html_budget_kb: int = setting(
        60,
        help="Warn when the email's HTML passes this size (Gmail clips at 102)",
        check=_positive,
    )
    archived_copy: str = setting(
        "",
        help="Address of an archived copy of a page, with {url} for the page (empty: none)",
        check=_url_pattern,
    )
    focus: tuple[str, ...] = setting(
        (),
        help=(
            "Countries or regions the digest covers (bundled: cambodia); a general outlet's "
            "story that names none of their places is left out (empty: no focus)"
        ),
    )
    archived_copy_hosts: tuple[str, ...] = setting(
        (), help='Outlets (host names) whose items get an archived-copy link; "*" for all'
    )


@dataclass(frozen=True)
class SenderSettings:
    """[sender]: the From of the email."""

    name: str = setting(help="Display name in From")
    address: str = setting(help="Address in From", check=_address)


@dataclass(frozen=True)
class PathSettings:
    """[paths]: files, relative to the config file's folder."""

    feeds: Path = setting(help="Feed list (OPML)")
    database: Path = setting(help="SQLite database file")
    output: Path = setting(help="Folder the editions are written to")
    templates: Path | None = setting(None, help="Your templates; override bundled ones by name")
    taxonomy: Path | None = setting(None, help="Your topic taxonomy instead of the bundled one")
    focus: Path | None = setting(
        None, help="Your own focus regions (places in en, fr, km) instead of the bundled ones"
    )
    watchlist: Path | None = setting(
        None, help="People, cases and organisations to follow (watchlist.toml)"
    )
    recipients: Path | None = setting(
        None, help="CSV of recipients (address,name,language,list) added before each send"
    )


_THEME = Theme()  # the bundled look; every colour setting defaults to it


@dataclass(frozen=True)
class ThemeSettings:
    """[theme]: how the email looks, without editing templates."""

    ink: str = setting(_THEME.ink, help="Text colour", check=_colour)
    muted: str = setting(
        _THEME.muted, help="Colour of dates, outlets and the footer", check=_colour
    )
    accent: str = setting(
        _THEME.accent, help="Colour of links and section headings", check=_colour
    )
    paper: str = setting(_THEME.paper, help="Background behind the text", check=_colour)
    page: str = setting(_THEME.page, help="Background around the text", check=_colour)
    dark_ink: str = setting(_THEME.dark_ink, help="Text colour in dark mode", check=_colour)
    dark_muted: str = setting(_THEME.dark_muted, help="Muted colour in dark mode", check=_colour)
    dark_accent: str = setting(
        _THEME.dark_accent, help="Accent colour in dark mode", check=_colour
    )
    dark_paper: str = setting(
        _THEME.dark_paper, help="Text background in dark mode", check=_colour
    )
    dark_page: str = setting(_THEME.dark_page, help="Page background in dark mode", check=_colour)
    font_family: str = setting(
        "",
        help="Font stack (empty: system fonts with Khmer fallbacks); no web fonts",
        check=_fonts,
    )
    logo: Path | None = setting(
        None, help="PNG, JPEG or GIF sent inside the email (never loaded from a server)"
    )
    logo_alt: str = setting("", help="Text shown instead of the logo (empty: the organisation)")
    logo_width: int = setting(160, help="Width of the logo in pixels", check=_positive)
    lead_title: str = setting(_THEME.lead_title, help="Heading over the lead story")
    show_numbers: bool = setting(True, help='Show the "this edition in numbers" line')
    section_order: tuple[str, ...] = setting(
        (), help="Topic ids in the order their sections appear; others follow"
    )
    section_titles: dict[str, str] = setting(
        {}, help="Section heading per topic id, instead of the taxonomy's label"
    )


@dataclass(frozen=True)
class ListSettings:
    """[list]: what the list says about itself in mail headers and the footer."""

    id: str = setting(
        "", help="List-Id, e.g. digest.example.org (empty: digest.<sender domain>)", check=_list_id
    )
    unsubscribe_mailto: str = setting(
        "",
        help="Address that takes unsubscribe requests (empty: the sender)",
        check=_optional_address,
    )
    unsubscribe_url: str = setting(
        "", help="https page that unsubscribes in one click (empty: mail only)", check=_https_url
    )
    archive_url: str = setting(
        "",
        help="https folder where the web versions are published, ending in /",
        check=_folder_url,
    )
    reason: str = setting(
        "", help="Why the reader gets this email, shown in the footer (empty: a default)"
    )
    unsubscribe_secret_env: str = setting(
        "DIGEST_UNSUBSCRIBE_SECRET",
        help="Variable holding the secret that signs personal unsubscribe links",
        check=_env_name,
    )


@dataclass(frozen=True)
class ScheduleSettings:
    """[schedule]: when cron should send."""

    cron: str = setting("0 7 * * 1", help="Cron expression for sending", check=_cron)
    timezone: str = setting("UTC", help="Time zone the schedule and dates use", check=_timezone)


@dataclass(frozen=True)
class SmtpSettings:
    """[smtp]: the mail server. Credentials come from the named variables only."""

    host: str = setting("localhost", help="SMTP server host")
    port: int = setting(587, help="SMTP server port", check=_port)
    security: str = setting(
        "starttls",
        help="starttls, tls (implicit) or none",
        check=_one_of("starttls", "tls", "none"),
    )
    username_env: str = setting(
        "DIGEST_SMTP_USERNAME", help="Variable holding the SMTP user name", check=_env_name
    )
    password_env: str = setting(
        "DIGEST_SMTP_PASSWORD", help="Variable holding the SMTP password", check=_env_name
    )
    timeout: float = setting(30.0, help="Seconds to wait for the SMTP server", check=_positive)
    ca_file: Path | None = setting(
        None, help="PEM file of the CA to trust for this server (an internal relay's)"
    )


@dataclass(frozen=True)
class SendSettings:
    """[send]: how and when the digest goes out."""

    require_approval: bool = setting(
        False, help="Send only an edition the editor approved (digest approve)"
    )
    editor: str = setting(
        "",
        help="Address that gets reports of failures and skipped sends (empty: the sender)",
        check=_optional_address,
    )
    rate: float = setting(
        5.0,
        help="Most messages per second (0: as fast as the server takes them)",
        check=_not_negative,
    )
    max_recipients: int = setting(
        1000, help="Most messages in one run; the rest go in the next run", check=_positive
    )
    retries: int = setting(
        3,
        help="Retries of a temporary failure (4xx, dropped connection) in one run",
        check=_not_negative,
    )
    backoff: float = setting(
        2.0, help="Seconds before the first retry; doubles each time", check=_not_negative
    )
    grace_hours: float = setting(
        24.0, help="How late a scheduled edition may still go out", check=_positive
    )


@dataclass(frozen=True)
class FetchSettings:
    """[fetch]: how feeds are downloaded, and when a feed needs the editor's eye."""

    timeout: float = setting(20.0, help="Seconds allowed for one request", check=_positive)
    feed_timeout: float = setting(
        90.0, help="Seconds allowed for one feed in all, retries included", check=_positive
    )
    max_bytes: int = setting(10_000_000, help="Largest feed accepted, in bytes", check=_positive)
    user_agent: str = setting("press-digest/0.1", help="User-Agent header sent to publishers")
    concurrency: int = setting(20, help="Feeds fetched at the same time", check=_positive)
    per_host: int = setting(
        4, help="Requests at the same time to one host (be polite)", check=_positive
    )
    retries: int = setting(
        2, help="Retries after a 5xx, a 429 or a dropped connection", check=_not_negative
    )
    backoff: float = setting(
        1.0, help="Seconds before the first retry; doubles each time", check=_not_negative
    )
    max_retry_after: float = setting(
        120.0,
        help="Longest Retry-After honoured; a longer one fails the feed for this run",
        check=_not_negative,
    )
    failing_after: int = setting(
        3, help="Flag a feed after this many failed runs in a row", check=_positive
    )
    silent_after_days: int = setting(
        14, help="Flag a feed with no new item for this many days", check=_positive
    )


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
        if name not in SECTIONS:
            raise ConfigError(
                str(path),
                f"unknown section (known: {', '.join(SECTIONS)})",
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
    return Config(path=path, **sections)


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
