"""Every setting press-digest reads, declared once: its table, type, default,
help and check. The declarations drive validation and defaults (see
`config.parse_config`), and a test holds digest.example.toml to them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import checks
from .types import Theme


def setting(
    default: Any = dataclasses.MISSING, *, help: str, check: checks.Check | None = None
) -> Any:
    """Declare one setting: its default (none means required), help and extra check."""
    metadata = {"help": help, "check": check}
    if isinstance(default, dict):  # a table setting: each Config gets its own
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


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
        "ltr", help="Text direction of the edition", check=checks.one_of("ltr", "rtl")
    )
    max_age_days: int = setting(
        7,
        help="Only items published in the last N days; 0 takes every stored item",
        check=checks.not_negative,
    )
    max_items: int = setting(40, help="Most items in one edition", check=checks.positive)
    summary_chars: int = setting(
        400,
        help="Longest summary shown for a story, cut at a sentence or word; 0 shows it whole",
        check=checks.not_negative,
    )
    story_similarity: float = setting(
        0.22,
        help="How alike two reports must be (0-1) to be shown as one story",
        check=checks.fraction,
    )
    html_budget_kb: int = setting(
        60,
        help="Warn when the email's HTML passes this size (Gmail clips at 102)",
        check=checks.positive,
    )
    archived_copy: str = setting(
        "",
        help="Address of an archived copy of a page, with {url} for the page (empty: none)",
        check=checks.url_pattern,
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
class EditionSettings:
    """[editions.<lang>]: one language's edition. Empty words are [digest]'s,
    which only the default language ([digest] language) may lean on."""

    title: str = setting("", help="Headline in this language")
    subject: str = setting("", help="Subject line in this language (empty: the template's)")
    organisation: str = setting("", help="The organisation's name in this language")
    greeting: str = setting("", help="First line of the email in this language")
    intro: str = setting("", help="Paragraph after the greeting, in this language")
    closing: str = setting("", help="Closing offer, in this language")
    signature: str = setting("", help="Name (and role) that signs, in this language")
    reason: str = setting(
        "", help="Why the reader gets this email, in this language (empty: the catalogue's)"
    )
    lead_title: str = setting("", help="Heading over the lead story (empty: the catalogue's)")
    section_titles: dict[str, str] = setting(
        {}, help="Section heading per topic id (empty: the taxonomy's label, translated)"
    )
    digits: str = setting(
        "latin",
        help='"latin" (0-9) or "khmer" (០-៩) in dates and counts',
        check=checks.one_of("latin", "khmer"),
    )


# Words a second language must give: otherwise its readers would get English prose.
EDITION_WORDS = ("title", "greeting", "intro", "closing", "signature")


@dataclass(frozen=True)
class EditionsSettings:
    """[editions]: the languages the edition is written in, each with its own
    words in [editions.<lang>]. Without it: one edition in [digest] language."""

    languages: tuple[str, ...] = ()
    by_language: dict[str, EditionSettings] = field(default_factory=dict)

    def settings(self, lang: str) -> EditionSettings:
        return self.by_language.get(lang) or EditionSettings()


@dataclass(frozen=True)
class DatabaseSettings:
    """[database]: PostgreSQL, shared by several workers, instead of [paths] database."""

    url: str = setting(
        "",
        help="postgresql://user@host:port/db (no password: $PGPASSWORD or ~/.pgpass); "
        "$DIGEST_DATABASE_URL overrides it",
        check=checks.database_url,
    )


@dataclass(frozen=True)
class SenderSettings:
    """[sender]: the From of the email."""

    name: str = setting(help="Display name in From")
    address: str = setting(help="Address in From", check=checks.address)


@dataclass(frozen=True)
class PathSettings:
    """[paths]: files, relative to the config file's folder."""

    feeds: Path = setting(help="Feed list (OPML)")
    database: Path = setting(help="SQLite database file (unless [database] url is set)")
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

    ink: str = setting(_THEME.ink, help="Text colour", check=checks.colour)
    muted: str = setting(
        _THEME.muted, help="Colour of dates, outlets and the footer", check=checks.colour
    )
    accent: str = setting(
        _THEME.accent, help="Colour of links and section headings", check=checks.colour
    )
    paper: str = setting(_THEME.paper, help="Background behind the text", check=checks.colour)
    page: str = setting(_THEME.page, help="Background around the text", check=checks.colour)
    dark_ink: str = setting(_THEME.dark_ink, help="Text colour in dark mode", check=checks.colour)
    dark_muted: str = setting(
        _THEME.dark_muted, help="Muted colour in dark mode", check=checks.colour
    )
    dark_accent: str = setting(
        _THEME.dark_accent, help="Accent colour in dark mode", check=checks.colour
    )
    dark_paper: str = setting(
        _THEME.dark_paper, help="Text background in dark mode", check=checks.colour
    )
    dark_page: str = setting(
        _THEME.dark_page, help="Page background in dark mode", check=checks.colour
    )
    font_family: str = setting(
        "",
        help="Font stack (empty: system fonts with Khmer fallbacks); no web fonts",
        check=checks.fonts,
    )
    logo: Path | None = setting(
        None, help="PNG, JPEG or GIF sent inside the email (never loaded from a server)"
    )
    logo_alt: str = setting("", help="Text shown instead of the logo (empty: the organisation)")
    logo_width: int = setting(160, help="Width of the logo in pixels", check=checks.positive)
    lead_title: str = setting(_THEME.lead_title, help="Heading over the lead story")
    show_numbers: bool = setting(True, help='Show the "this edition in numbers" line')
    layout: str = setting(
        "sectioned",
        help='"sectioned" (headed sections) or "briefing" (bullets, like a media summary)',
        check=checks.one_of("sectioned", "briefing"),
    )
    briefing_headings: bool = setting(False, help="Section headings in the briefing layout too")
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
        "",
        help="List-Id, e.g. digest.example.org (empty: digest.<sender domain>)",
        check=checks.list_id,
    )
    unsubscribe_mailto: str = setting(
        "",
        help="Address that takes unsubscribe requests (empty: the sender)",
        check=checks.optional_address,
    )
    unsubscribe_url: str = setting(
        "",
        help="https page that unsubscribes in one click (empty: mail only)",
        check=checks.https_url,
    )
    archive_url: str = setting(
        "",
        help="https folder where the web versions are published, ending in /",
        check=checks.folder_url,
    )
    reason: str = setting(
        "", help="Why the reader gets this email, shown in the footer (empty: a default)"
    )
    unsubscribe_secret_env: str = setting(
        "DIGEST_UNSUBSCRIBE_SECRET",
        help="Variable holding the secret that signs personal unsubscribe links",
        check=checks.env_name,
    )


@dataclass(frozen=True)
class ScheduleSettings:
    """[schedule]: when cron should send."""

    cron: str = setting("0 7 * * 1", help="Cron expression for sending", check=checks.cron)
    timezone: str = setting(
        "UTC", help="Time zone the schedule and dates use", check=checks.timezone
    )


@dataclass(frozen=True)
class SmtpSettings:
    """[smtp]: the mail server. Credentials come from the named variables only."""

    host: str = setting("localhost", help="SMTP server host")
    port: int = setting(587, help="SMTP server port", check=checks.port)
    security: str = setting(
        "starttls",
        help="starttls, tls (implicit) or none",
        check=checks.one_of("starttls", "tls", "none"),
    )
    username_env: str = setting(
        "DIGEST_SMTP_USERNAME", help="Variable holding the SMTP user name", check=checks.env_name
    )
    password_env: str = setting(
        "DIGEST_SMTP_PASSWORD", help="Variable holding the SMTP password", check=checks.env_name
    )
    timeout: float = setting(
        30.0, help="Seconds to wait for the SMTP server", check=checks.positive
    )
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
        check=checks.optional_address,
    )
    rate: float = setting(
        5.0,
        help="Most messages per second (0: as fast as the server takes them)",
        check=checks.not_negative,
    )
    max_recipients: int = setting(
        1000, help="Most messages in one run; the rest go in the next run", check=checks.positive
    )
    lease: float = setting(
        600.0,
        help="Seconds a sender's claim on readers holds: senders at once share them out, "
        "and a killed sender's readers go to another after this",
        check=checks.positive,
    )
    retries: int = setting(
        3,
        help="Retries of a temporary failure (4xx, dropped connection) in one run",
        check=checks.not_negative,
    )
    backoff: float = setting(
        2.0, help="Seconds before the first retry; doubles each time", check=checks.not_negative
    )
    grace_hours: float = setting(
        24.0, help="How late a scheduled edition may still go out", check=checks.positive
    )


@dataclass(frozen=True)
class FetchSettings:
    """[fetch]: how feeds are downloaded, and when a feed needs the editor's eye."""

    timeout: float = setting(20.0, help="Seconds allowed for one request", check=checks.positive)
    feed_timeout: float = setting(
        90.0,
        help="Seconds allowed for one feed in all, from its first request, retries included",
        check=checks.positive,
    )
    max_bytes: int = setting(
        10_000_000, help="Largest feed accepted, in bytes", check=checks.positive
    )
    user_agent: str = setting("press-digest/0.1", help="User-Agent header sent to publishers")
    concurrency: int = setting(20, help="Feeds fetched at the same time", check=checks.positive)
    per_host: int = setting(
        4, help="Requests at the same time to one host (be polite)", check=checks.positive
    )
    retries: int = setting(
        2, help="Retries after a 5xx, a 429 or a dropped connection", check=checks.not_negative
    )
    backoff: float = setting(
        1.0, help="Seconds before the first retry; doubles each time", check=checks.not_negative
    )
    max_retry_after: float = setting(
        120.0,
        help="Longest Retry-After honoured; a longer one fails the feed for this run",
        check=checks.not_negative,
    )
    lease: float = setting(
        600.0,
        help="Seconds a run's claim on a feed holds, renewed while the run goes on: runs "
        "at once split the feeds, and a killed run's feeds go to the next run after this",
        check=checks.positive,
    )
    failing_after: int = setting(
        3, help="Flag a feed after this many failed runs in a row", check=checks.positive
    )
    silent_after_days: int = setting(
        14, help="Flag a feed with no new item for this many days", check=checks.positive
    )
