"""What every service of the façade shares, read once: the config, the store,
the clock, and the files the config names (feed list, taxonomy, focus,
watchlist, templates, theme).

An edge (it reads the editor's files). The clock is the façade's own `_now`,
passed in, so that a test replacing it moves every service's time at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
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
from .types import EditionText, FeedSource, Logo, MailingList, Sender, Taxonomy, Theme, Watchlist
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
        self._messages: dict[str, Messages] = {}

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
        """The taxonomy in the section order and under the titles of [theme]
        (and of the default language's [editions] table)."""
        theme = self.config.theme
        titles = {**theme.section_titles, **self._own_titles(self.config.digest.language)}
        self._check_topics("theme.section_order", theme.section_order)
        self._check_topics("theme.section_titles", tuple(theme.section_titles))
        return arrange_topics(self.taxonomy, theme.section_order, titles)

    def section_titles(self, lang: str) -> dict[str, str]:
        """Topic id → the section heading of the `lang` edition: its own
        [editions.<lang>] titles, else the taxonomy's label (which the
        language's catalogue translates)."""
        own = self._own_titles(lang)
        return {topic.id: own.get(topic.id, topic.label) for topic in self.taxonomy.topics}

    def _own_titles(self, lang: str) -> dict[str, str]:
        titles = self.config.editions.settings(lang).section_titles
        self._check_topics(f"editions.{lang}.section_titles", tuple(titles))
        return titles

    def _check_topics(self, key: str, named: tuple[str, ...]) -> None:
        known = {topic.id for topic in self.taxonomy.topics}
        unknown = [topic_id for topic_id in named if topic_id not in known]
        if unknown:
            raise config_error(
                self.config,
                key,
                f"unknown topic {unknown[0]!r} (the taxonomy has: {', '.join(sorted(known))})",
            )

    def configured_words(self, lang: str) -> EditionText:
        """The `lang` edition's words as the config gives them: its [editions]
        table, then, for the default language only, [digest]'s."""
        settings = self.config.digest
        own = self.config.editions.settings(lang)
        default = lang == settings.language

        def word(name: str) -> str:
            mine: str = getattr(own, name)
            return mine if mine or not default else getattr(settings, name)

        return EditionText(
            title=word("title"),
            organisation=own.organisation or settings.organisation,
            greeting=word("greeting"),
            intro=word("intro"),
            closing=word("closing"),
            signature=word("signature"),
            lang=lang,
            direction="rtl" if default and settings.direction == "rtl" else "ltr",
            subject=own.subject,
        )

    def text_edit_key(self, field: str, lang: str) -> str:
        """Where the editor's `field` for `lang` is kept: "intro" for the
        default language, "intro@fr" for another."""
        return field if lang == self.config.digest.language else f"{field}@{lang}"

    def theme_for(self, lang: str) -> Theme:
        """The theme of the `lang` edition: the lead's heading is that language's."""
        theme = self.theme()
        own = self.config.editions.settings(lang).lead_title
        if lang == self.config.digest.language:
            return replace(theme, lead_title=own) if own else theme
        return replace(theme, lead_title=own or Theme.lead_title)

    def mailing_list(self, lang: str = "") -> MailingList:
        """[list] and the archived-copy settings, with defaults from the sender;
        with several languages, each has its own folder of the archive."""
        settings = self.config.list
        domain = self.sender().domain
        lang = lang or self.config.digest.language
        archive_url = settings.archive_url
        if archive_url and len(self.config.languages) > 1:
            archive_url += f"{lang}/"
        # [list] reason is in the default language; another has its own, or the catalogue's.
        reason = self.config.editions.settings(lang).reason
        if lang == self.config.digest.language:
            reason = reason or settings.reason
        return MailingList(
            list_id=settings.id or f"digest.{domain}",
            unsubscribe_mailto=settings.unsubscribe_mailto or self.config.sender.address,
            unsubscribe_url=settings.unsubscribe_url,
            archive_url=archive_url,
            reason=reason,
            archived_copy=self.config.digest.archived_copy,
            archived_copy_hosts=self.config.digest.archived_copy_hosts,
            html_budget=self.config.digest.html_budget_kb * 1000,
        )

    def messages(self, lang: str = "") -> Messages:
        """The words of the email's frame in `lang` (default: the edition's
        default language), with its digits; each catalogue is read once."""
        lang = lang or self.config.digest.language
        if lang not in self._messages:
            digits = self.config.editions.settings(lang).digits
            self._messages[lang] = load_messages(lang, self.config.paths.templates, digits)
        return self._messages[lang]

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
