"""The `Digest` façade: one open press-digest, composed of a few services.

The CLI and the preview call only this. It owns the shared context (config,
store, clock; the taxonomy, watchlist, templates and theme, each read once)
and hands out services with one job each, composed rather than inherited:

- `updates` (updates.py): fetch, parse and store every feed; stories; health;
- `feeds` (feedlist.py): the feed list and OPML; links added by hand;
- `editions` (editions.py): plan, render and build the next edition;
- `edits` (editing.py): the editor's changes to it;
- `recipients` (recipients.py) and `outbox` (outbox.py): who gets it, and
  sending it once to each of them.

Its methods are the services' own, named as the CLI and tests know them. The
clock (`_now`) and the pause between retries (`_sleep`) are the seams a test
replaces; every service reads them through the façade.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .config import Config, database_target
from .context import Context
from .store import Store, open_store
from .types import (
    AddedFeed,
    AddedItem,
    AuditEntry,
    BuildResult,
    Edition,
    FeedHealth,
    FeedSource,
    FeedUpdate,
    FrozenEdition,
    MailingList,
    Recipient,
    RenderedEdition,
    SchedulePlan,
    SendReport,
    Story,
    Taxonomy,
    Theme,
    Watchlist,
)

if TYPE_CHECKING:
    from .editing import Edits
    from .editions import Editions
    from .feedlist import FeedList
    from .messages import Messages
    from .outbox import Outbox
    from .recipients import Recipients
    from .updates import Progress, Updates


class Digest:
    """One open press-digest: its context and the services that share it.

    Each service is built, and its module imported, when first asked for: a
    command imports what it uses (`digest update` nothing of rendering or
    sending, 30 ms sooner at its first feed)."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.context = Context(config, store, clock=lambda: self._now())
        self.zone = self.context.zone

    @functools.cached_property
    def updates(self) -> Updates:
        from .updates import Updates

        return Updates(self.context)

    @functools.cached_property
    def feeds(self) -> FeedList:
        from .feedlist import FeedList

        return FeedList(self.context, self.updates)

    @functools.cached_property
    def editions(self) -> Editions:
        from .editions import Editions

        return Editions(self.context, self.updates)

    @functools.cached_property
    def edits(self) -> Edits:
        from .editing import Edits

        return Edits(self.context, self.editions)

    @functools.cached_property
    def recipient_list(self) -> Recipients:
        from .recipients import Recipients

        return Recipients(self.context)

    @functools.cached_property
    def outbox(self) -> Outbox:
        from .outbox import Outbox

        return Outbox(
            self.context,
            self.editions,
            self.updates,
            self.recipient_list,
            sleep=lambda seconds: self._sleep(seconds),
        )

    def __enter__(self) -> Digest:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def _now(self) -> datetime:
        return datetime.now(UTC)

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    # -- what the config names (context) -------------------------------------

    def sources(self) -> tuple[FeedSource, ...]:
        return self.context.sources()

    @property
    def taxonomy(self) -> Taxonomy:
        return self.context.taxonomy

    @property
    def watchlist(self) -> Watchlist:
        return self.context.watchlist

    def sections_taxonomy(self) -> Taxonomy:
        return self.context.sections_taxonomy()

    def theme(self) -> Theme:
        return self.context.theme()

    def mailing_list(self) -> MailingList:
        return self.context.mailing_list()

    def messages(self, address: str = "") -> Messages:
        """The frame's words in the default language, or in the language the
        recipient at `address` reads when it is one the editions are written in."""
        lang = self.context.config.digest.language
        if address:
            wanted = (
                self.context.store.recipients.recipient_language(address).split("-")[0].lower()
            )
            lang = wanted if wanted in self.context.config.languages else lang
        return self.context.messages(lang)

    # -- feeds (updates, feeds) ----------------------------------------------

    def update(self, progress: Progress | None = None) -> list[FeedUpdate]:
        return self.updates.update(progress)

    def group_stories(self) -> list[Story]:
        return self.updates.group_stories()

    def stories(self) -> list[Story]:
        return self.updates.stories()

    def feed_health(self) -> list[FeedHealth]:
        return self.updates.feed_health()

    def add_link(
        self,
        url: str,
        *,
        title: str | None = None,
        summary: str | None = None,
        topic: str | None = None,
        note: str = "",
    ) -> AddedItem:
        return self.feeds.add_link(url, title=title, summary=summary, topic=topic, note=note)

    def add_feed(
        self,
        location: str,
        *,
        name: str | None = None,
        lang: str | None = None,
        user_agent: str | None = None,
        check: bool = True,
    ) -> AddedFeed:
        return self.feeds.add_feed(
            location, name=name, lang=lang, user_agent=user_agent, check=check
        )

    def remove_feed(self, location: str) -> FeedSource:
        return self.feeds.remove_feed(location)

    def import_opml(self, path: Path) -> tuple[list[FeedSource], list[FeedSource]]:
        return self.feeds.import_opml(path)

    def export_opml(self) -> str:
        return self.feeds.export_opml()

    def enable_feed(self, location: str) -> None:
        self.feeds.enable_feed(location)

    # -- the edition (editions, edits) -----------------------------------------

    def plan(self) -> Edition:
        return self.editions.plan()

    def render(self, edition: Edition, *, web: bool = False) -> RenderedEdition:
        return self.editions.render(edition, web=web)

    @property
    def languages(self) -> tuple[str, ...]:
        """The editions' languages, the default first."""
        return self.config.languages

    def in_language(self, edition: Edition, lang: str) -> Edition:
        """The planned `edition` as readers of `lang` get it."""
        return self.editions.in_language(edition, lang)

    def build(self) -> BuildResult:
        return self.editions.build()

    def approval(self) -> FrozenEdition | None:
        return self.editions.approval()

    def sent_editions(self) -> list[FrozenEdition]:
        return self.editions.sent_editions()

    def sent_edition(self, slug: str) -> FrozenEdition | None:
        return self.editions.sent_edition(slug)

    def corrections(self) -> Iterator[dict[str, Any]]:
        return self.editions.corrections()

    def edit_item(self, item_id: int, **changes: object) -> bool:
        return self.edits.edit_item(item_id, **changes)

    def move_item(self, item_id: int, step: int) -> bool:
        return self.edits.move_item(item_id, step)

    def edit_text(self, field: str, value: str, lang: str = "") -> bool:
        return self.edits.edit_text(field, value, lang)

    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        return self.edits.audit_log(limit)

    # -- recipients and sending (recipient_list, outbox) ---------------------

    def recipients(self, *, include_unsubscribed: bool = False) -> list[Recipient]:
        return self.recipient_list.list(include_unsubscribed=include_unsubscribed)

    def add_recipient(self, address: str, name: str = "", lang: str = "", group: str = "") -> bool:
        return self.recipient_list.add_recipient(address, name, lang, group)

    def import_recipients(self, path: Path) -> int:
        return self.recipient_list.import_recipients(path)

    def remove_recipient(self, address: str) -> bool:
        return self.recipient_list.remove_recipient(address)

    def unsubscribe_with_token(self, address: str, token: str) -> bool:
        return self.recipient_list.unsubscribe_with_token(address, token)

    def approve(self) -> FrozenEdition:
        return self.outbox.approve()

    def send(
        self,
        *,
        if_due: bool = False,
        update: bool = False,
        dry_run: bool = False,
        test_to: str | None = None,
    ) -> SendReport:
        return self.outbox.send(if_due=if_due, update=update, dry_run=dry_run, test_to=test_to)

    def schedule_plan(self) -> SchedulePlan:
        return self.outbox.schedule_plan()


def open_digest(config: Config) -> Digest:
    """Open the store the config names and return the façade (a context manager)."""
    return Digest(config, open_store(database_target(config, os.environ)))
