"""What every service of the façade shares, read once: the config, the store,
the clock, and the files the config names (feed list, taxonomy, focus,
watchlist, templates, theme).

An edge (it reads the editor's files). The clock is the façade's own `_now`,
passed in, so that a test replacing it moves every service's time at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .bundled import bundled_templates_dir, load_focus, load_messages, load_taxonomy
from .config import Config, config_error
from .errors import ConfigError
from .focus import FocusMatcher, parse_focus
from .messages import Messages
from .select import arrange_topics
from .sources import parse_opml
from .store import Store
from .taxonomy import parse_taxonomy
from .theme import THEME_COLOURS
from .types import FeedSource, Logo, MailingList, Sender, Taxonomy, Theme, Watchlist
from .watch import parse_watchlist

Clock = Callable[[], datetime]


class Context:
    """The config, the store and the clock, and what the config names."""

    def __init__(self, config: Config, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.now = clock
        self.zone = ZoneInfo(config.schedule.timezone)
        self._taxonomy: Taxonomy | None = None
        self._watchlist: Watchlist | None = None
        self._templates: dict[str, str] | None = None
        self._theme: Theme | None = None
        self._messages: Messages | None = None

    def sources(self) -> tuple[FeedSource, ...]:
        path = self.config.paths.feeds
        return parse_opml(self.read_named_file(path, "paths.feeds", "feed list"), str(path))

    @property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            custom = self.config.paths.taxonomy
            if custom is None:
                self._taxonomy = load_taxonomy(None)
            else:
                text = self.read_named_file(custom, "paths.taxonomy", "taxonomy")
                self._taxonomy = parse_taxonomy(text, str(custom))
        return self._taxonomy

    @property
    def watchlist(self) -> Watchlist:
        if self._watchlist is None:
            path = self.config.paths.watchlist
            if path is None:
                self._watchlist = Watchlist()
            else:
                text = self.read_named_file(path, "paths.watchlist", "watchlist")
                topics = [topic.id for topic in self.taxonomy.topics]
                self._watchlist = parse_watchlist(text, str(path), topics)
        return self._watchlist

    def read_named_file(self, path: Path, key: str, what: str) -> str:
        """Read a file the config names; if it cannot be read, blame that setting."""
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise ConfigError(
                str(self.config.path), f"{what} {path} cannot be read: {reason}", key=key
            ) from exc

    def templates(self) -> dict[str, str]:
        """Template sources by name: the user's folder wins over the bundled one.

        Read once per `Digest`, like the config: a build renders the email, its
        web version and the archive from the same sources."""
        if self._templates is None:
            self._templates = self._read_templates()
        return self._templates

    def _read_templates(self) -> dict[str, str]:
        found: dict[str, str] = {}
        folders = [bundled_templates_dir()]
        if self.config.paths.templates is not None:
            folders.append(self.config.paths.templates)
        for folder in folders:
            if not folder.is_dir():
                raise ConfigError(
                    str(self.config.path),
                    f"template folder {folder} not found",
                    key="paths.templates",
                )
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    found[path.name] = path.read_text(encoding="utf-8")
        return found

    def theme(self) -> Theme:
        """[theme] as the renderer takes it, with the logo read in (once)."""
        if self._theme is None:
            self._theme = self._read_theme()
        return self._theme

    def _read_theme(self) -> Theme:
        settings = self.config.theme
        logo = None
        if settings.logo is not None:
            logo = self._read_logo(settings.logo, settings.logo_alt, settings.logo_width)
        return Theme(
            **{name: getattr(settings, name) for name in THEME_COLOURS},
            font_family=settings.font_family or Theme.font_family,
            lead_title=settings.lead_title,
            show_numbers=settings.show_numbers,
            layout=settings.layout,
            briefing_headings=settings.briefing_headings,
            logo=logo,
        )

    def _read_logo(self, path: Path, alt: str, width: int) -> Logo:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise config_error(
                self.config, "theme.logo", f"logo {path} cannot be read: {exc.strerror}"
            ) from exc
        mime = image_type(data)
        if mime is None:
            raise config_error(
                self.config, "theme.logo", f"logo {path} is not a PNG, JPEG or GIF image"
            )
        extension = mime.split("/")[1].replace("jpeg", "jpg")
        return Logo(
            data=data,
            mime=mime,
            alt=alt or self.config.digest.organisation,
            width=width,
            filename=f"logo.{extension}",
        )

    def sections_taxonomy(self) -> Taxonomy:
        """The taxonomy in the section order and under the titles of [theme]."""
        theme = self.config.theme
        known = {topic.id for topic in self.taxonomy.topics}
        for key, named in (
            ("theme.section_order", theme.section_order),
            ("theme.section_titles", tuple(theme.section_titles)),
        ):
            unknown = [topic_id for topic_id in named if topic_id not in known]
            if unknown:
                raise config_error(
                    self.config,
                    key,
                    f"unknown topic {unknown[0]!r} (the taxonomy has: {', '.join(sorted(known))})",
                )
        return arrange_topics(self.taxonomy, theme.section_order, theme.section_titles)

    def mailing_list(self) -> MailingList:
        """[list] and the archived-copy settings, with defaults from the sender."""
        settings = self.config.list
        domain = self.sender().domain
        return MailingList(
            list_id=settings.id or f"digest.{domain}",
            unsubscribe_mailto=settings.unsubscribe_mailto or self.config.sender.address,
            unsubscribe_url=settings.unsubscribe_url,
            archive_url=settings.archive_url,
            reason=settings.reason,
            archived_copy=self.config.digest.archived_copy,
            archived_copy_hosts=self.config.digest.archived_copy_hosts,
            html_budget=self.config.digest.html_budget_kb * 1000,
        )

    def messages(self) -> Messages:
        """The words of the email's frame in the edition's language (read once)."""
        if self._messages is None:
            self._messages = load_messages(
                self.config.digest.language, self.config.paths.templates
            )
        return self._messages

    def sender(self) -> Sender:
        return Sender(name=self.config.sender.name, address=self.config.sender.address)

    @functools.cached_property
    def focus(self) -> FocusMatcher | None:
        """The places of `[digest] focus`, compiled once; None when there is no focus."""
        names = self.config.digest.focus
        if not names:
            return None
        path = self.config.paths.focus
        if path is None:
            regions = load_focus(None)
        else:
            regions = parse_focus(self.read_named_file(path, "paths.focus", "focus"), str(path))
        unknown = [name for name in names if name not in regions]
        if unknown:
            raise config_error(
                self.config,
                "digest.focus",
                f"unknown region {unknown[0]!r} (known: {', '.join(sorted(regions))})",
            )
        return FocusMatcher(tuple(regions[name] for name in names))


_IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def image_type(data: bytes) -> str | None:
    """The MIME type of a PNG, JPEG or GIF from its first bytes, else None.

    Mail clients show these three; SVG and WebP often break, so they are refused."""
    for signature, mime in _IMAGE_SIGNATURES.items():
        if data.startswith(signature):
            return mime
    return None
