"""The `Digest` façade: wires configuration, pure planning and the edges.

The CLI and the preview call only this. It owns the clock (`_now`, which
tests replace) and decides nothing itself: parsing, classifying, selecting
and rendering are pure functions; fetching, storing and writing files are
edges it calls.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid
from functools import partial
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from . import fetch
from .archive import atom_feed
from .classify import Classifier, classification_record, explain
from .cluster import Concepts, cluster_items, parse_concepts
from .config import Config, config_error
from .errors import ConfigError, DigestError, FeedError, FeedGone
from .files import write_atomically
from .filing import Filing, file_items
from .focus import FocusMatcher, parse_focus
from .health import flag_feeds
from .learning import EditorModel, Example
from .outbox import SendingMixin
from .parse import feed_links, parse_feed
from .render import compose_message, message_body, render_edition, render_index
from .select import arrange_topics, excerpt, plan_edition
from .sources import add_outline, opml_document, parse_opml, remove_outline, resolve_location
from .store import Store, open_store
from .taxonomy import parse_taxonomy
from .theme import THEME_COLOURS
from .types import (
    AddedFeed,
    AddedItem,
    BuildResult,
    Edition,
    EditionItem,
    EditionText,
    FeedHealth,
    FeedSource,
    FeedState,
    FeedUpdate,
    FetchResult,
    FrozenEdition,
    Item,
    Logo,
    MailingList,
    Mention,
    ParsedFeed,
    ParsedItem,
    RenderedEdition,
    Sender,
    Story,
    Taxonomy,
    Theme,
    UpdateStatus,
    Watchlist,
)
from .urls import canonical_url
from .watch import WatchlistMatcher, parse_watchlist

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent

# Told of each feed as it finishes: (its result, feeds done, feeds in all).
Progress = Callable[[FeedUpdate, int, int], None]

# feedparser is pure Python: parsing on the event loop's thread would hold up
# every download, and threads share one core. Worker processes parse in
# parallel; starting them costs more than parsing a handful of feeds inline.
PROCESS_POOL_MIN_FEEDS = 12
# Stories are looked for among items first seen or dated this recently.
STORY_HORIZON = timedelta(days=30)
# The source of links an editor adds by hand (`digest add`).
EDITOR_SOURCE = FeedSource(url="editor:hand-added", name="Added by the editor")


def load_taxonomy(path: Path | None) -> Taxonomy:
    """The taxonomy in `path`, or the bundled one; errors name file, line, key."""
    if path is None:
        bundled = resources.files("digest").joinpath("taxonomy.toml")
        return parse_taxonomy(bundled.read_text("utf-8"), "bundled taxonomy")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read the taxonomy: {exc}") from exc
    return parse_taxonomy(text, str(path))


@functools.cache
def bundled_concepts() -> Concepts:
    """The concept lexicon that lets reports in different languages be one story."""
    text = resources.files("digest").joinpath("concepts.toml").read_text("utf-8")
    return parse_concepts(text, "bundled concepts.toml")


def classify_lines(lines: Iterable[str], taxonomy: Taxonomy) -> Iterator[tuple[str, bool]]:
    """`digest classify -`: one JSON line out per JSON line in, in order, and
    whether it was understood. Nothing is stored; the database is not opened."""
    classifier = Classifier(taxonomy)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            item_id = str(record["id"])
            title, summary = str(record.get("title") or ""), str(record.get("summary") or "")
            lang = record.get("lang")
            lang = str(lang) if lang else None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problem = {"line": number, "error": f"not an item: {exc}"}
            yield json.dumps(problem, ensure_ascii=False), False
            continue
        found = classifier.classify(title, summary, lang)
        yield json.dumps(classification_record(item_id, found), ensure_ascii=False), True


def explain_text(text: str, taxonomy: Taxonomy) -> str:
    """`digest classify --explain`: how `text` would be filed, and why."""
    return explain(Classifier(taxonomy).classify(text, "", None), taxonomy)


def bundled_templates_dir() -> Path:
    """The templates shipped with press-digest.

    A wheel carries them inside the package; a source checkout (and an
    editable install) has them in the top-level `templates/` folder.
    """
    packaged = PACKAGE_DIR / "_bundled" / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


class Digest(SendingMixin):
    """One open press-digest: its config, its store and its clock."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.zone = ZoneInfo(config.schedule.timezone)
        self._taxonomy: Taxonomy | None = None
        self._watchlist: Watchlist | None = None
        self._templates: dict[str, str] | None = None
        self._theme: Theme | None = None

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

    # -- reading what the editor configured --------------------------------

    def sources(self) -> tuple[FeedSource, ...]:
        path = self.config.paths.feeds
        return parse_opml(self._read_named_file(path, "paths.feeds", "feed list"), str(path))

    @property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            custom = self.config.paths.taxonomy
            if custom is None:
                self._taxonomy = load_taxonomy(None)
            else:
                text = self._read_named_file(custom, "paths.taxonomy", "taxonomy")
                self._taxonomy = parse_taxonomy(text, str(custom))
        return self._taxonomy

    def focus(self) -> FocusMatcher | None:
        """The places of `[digest] focus`, compiled; None when there is no focus."""
        names = self.config.digest.focus
        if not names:
            return None
        path = self.config.paths.focus
        if path is None:
            bundled = resources.files("digest").joinpath("focus.toml")
            regions = parse_focus(bundled.read_text("utf-8"), "bundled focus.toml")
        else:
            regions = parse_focus(self._read_named_file(path, "paths.focus", "focus"), str(path))
        unknown = [name for name in names if name not in regions]
        if unknown:
            raise config_error(
                self.config,
                "digest.focus",
                f"unknown region {unknown[0]!r} (known: {', '.join(sorted(regions))})",
            )
        return FocusMatcher(tuple(regions[name] for name in names))

    def _filing(self, items: Sequence[Item]) -> Filing:
        """What filing needs: the classifier, the editor's examples, the focus."""
        edits = self.store.item_edits()
        examples: dict[int, Example] = {}
        for item_id, edit in edits.items():
            if edit.excluded or edit.topic:
                item = self.store.item(item_id)
                if item is not None:
                    topic = None if edit.excluded else edit.topic
                    examples[item_id] = Example(item.title, topic, item.outlet)
        for item in items:
            if item.editor_added and item.editor_topic and item.id not in examples:
                examples[item.id] = Example(item.title, item.editor_topic, item.outlet)
        return Filing(
            classifier=Classifier(self.taxonomy),
            model=EditorModel(examples.values()),
            decided=frozenset(examples),
            focus=self.focus(),
            curated=frozenset(source.url for source in self.sources() if source.curated),
        )

    @property
    def watchlist(self) -> Watchlist:
        if self._watchlist is None:
            path = self.config.paths.watchlist
            if path is None:
                self._watchlist = Watchlist()
            else:
                text = self._read_named_file(path, "paths.watchlist", "watchlist")
                topics = [topic.id for topic in self.taxonomy.topics]
                self._watchlist = parse_watchlist(text, str(path), topics)
        return self._watchlist

    def _previously_reported(
        self, matcher: WatchlistMatcher, mentions: Mapping[int, Sequence[Mention]], now: datetime
    ) -> dict[int, datetime]:
        """Item id → the date of the latest earlier edition that named one of
        the watched entries the item names (editions of earlier days only)."""
        if not any(mentions.values()):
            return {}
        today = now.astimezone(self.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        last_seen: dict[str, datetime] = {}
        for created, title, summary in self.store.placed_texts(before=today):
            for mention in matcher.mentions(title, summary):
                key = mention.watched.id
                last_seen[key] = max(created, last_seen.get(key, created))
        found: dict[int, datetime] = {}
        for item_id, named in mentions.items():
            dates = [last_seen[m.watched.id] for m in named if m.watched.id in last_seen]
            if dates:
                found[item_id] = max(dates)
        return found

    def _read_named_file(self, path: Path, key: str, what: str) -> str:
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

    # -- update: feeds → store -----------------------------------------------

    def update(self, progress: Progress | None = None) -> list[FeedUpdate]:
        """Fetch, parse and store every listed feed: one result per feed, in list
        order, never aborting. `progress` hears of each feed as it finishes."""
        sources = self.sources()
        self.store.sync_sources(sources)
        updates = asyncio.run(self._update_all(sources, progress))
        if any(update.new or update.updated for update in updates):
            self.group_stories()
        return updates

    def group_stories(self) -> list[Story]:
        """Find reports of the same event among recent items and store them."""
        recent = self.store.items(since=self._now() - STORY_HORIZON)
        stories = cluster_items(
            recent,
            threshold=self.config.digest.story_similarity,
            lang=self.config.digest.language,
            concepts=bundled_concepts(),
        )
        self.store.replace_stories([item.id for item in recent], stories)
        return list(stories)

    def stories(self) -> list[Story]:
        return self.store.stories()

    async def _update_all(
        self, sources: Sequence[FeedSource], progress: Progress | None
    ) -> list[FeedUpdate]:
        states = self.store.feed_states()
        # The store is written from one thread of its own, so that neither
        # SQLite's work nor its fsyncs hold up the event loop driving every
        # other download; one thread keeps the writes in sequence.
        with (
            _parse_pool(len(sources)) as pool,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="store") as writer,
        ):
            async with fetch.Fetcher(self.config.fetch) as fetcher:
                tasks = [
                    asyncio.ensure_future(
                        self._update_source(source, states[source.url], fetcher, pool, writer)
                    )
                    for source in sources
                ]
                for done, finished in enumerate(asyncio.as_completed(tasks), start=1):
                    update = await finished
                    if progress is not None:
                        progress(update, done, len(tasks))
                return [task.result() for task in tasks]

    async def _update_source(
        self,
        source: FeedSource,
        state: FeedState,
        fetcher: fetch.Fetcher,
        pool: Executor,
        writer: Executor,
    ) -> FeedUpdate:
        if state.disabled:
            return FeedUpdate(
                source=source,
                status="disabled",
                warning=f"disabled after 410 Gone; `digest feeds enable {source.url}` "
                "to try it again",
            )
        record = await self._fetch_and_parse(source, state, fetcher, pool)
        return await asyncio.get_running_loop().run_in_executor(writer, record)

    async def _fetch_and_parse(
        self, source: FeedSource, state: FeedState, fetcher: fetch.Fetcher, pool: Executor
    ) -> Callable[[], FeedUpdate]:
        """Fetch and parse one feed; returns how to record the outcome in the store."""
        request = fetch.FetchRequest(source, state.fetch_url, state.etag, state.last_modified)
        try:
            fetched = await fetcher.fetch(request)
            if fetched.not_modified:
                return partial(self._not_modified, source, fetched, None)
            validators = (fetched.header("etag"), fetched.header("last-modified"))
            content_hash = hashlib.sha256(fetched.content).hexdigest()
            if content_hash == state.content_hash:
                # No validators from the server, but the same bytes as last time.
                return partial(self._not_modified, source, fetched, (*validators, content_hash))
            loop = asyncio.get_running_loop()
            parsed = await loop.run_in_executor(pool, parse_feed, source, fetched)
        except FeedError as exc:
            status: UpdateStatus = "gone" if isinstance(exc, FeedGone) else "failed"
            return partial(self._failed, source, exc.message, status)
        except Exception as exc:  # a broken feed must never stop the others
            log.debug("unexpected error updating %s", source.url, exc_info=True)
            message = f"unexpected error: {type(exc).__name__}: {exc}"
            return partial(self._failed, source, message, "failed")
        return partial(self._stored, source, fetched, parsed, (*validators, content_hash))

    def _stored(
        self,
        source: FeedSource,
        fetched: FetchResult,
        parsed: ParsedFeed,
        validators: tuple[str | None, str | None, str | None],
    ) -> FeedUpdate:
        counts = self.store.upsert_items(
            source, [(item, canonical_url(item.url)) for item in parsed.items], now=self._now()
        )
        self.store.record_fetch(
            source,
            now=self._now(),
            status="ok",
            warning=parsed.warning,
            feed_title=parsed.title,
            validators=validators,
            moved_to=fetched.moved_to,
            items_seen=len(parsed.items),
            new_items=counts.new,
        )
        return FeedUpdate(
            source=source,
            new=counts.new,
            updated=counts.updated,
            unchanged=counts.unchanged,
            warning=parsed.warning,
            moved_to=fetched.moved_to,
        )

    def _not_modified(
        self,
        source: FeedSource,
        fetched: FetchResult,
        validators: tuple[str | None, str | None, str | None] | None,
    ) -> FeedUpdate:
        self.store.record_fetch(
            source,
            now=self._now(),
            status="not-modified",
            validators=validators,
            moved_to=fetched.moved_to,
        )
        return FeedUpdate(source=source, status="not-modified", moved_to=fetched.moved_to)

    def _failed(self, source: FeedSource, message: str, status: UpdateStatus) -> FeedUpdate:
        self.store.record_fetch(source, now=self._now(), status=status, error=message)
        return FeedUpdate(source=source, status=status, error=message)

    def feed_health(self) -> list[FeedHealth]:
        """Every listed feed, with flags for those that need the editor's eye."""
        self.store.sync_sources(self.sources())
        settings = self.config.fetch
        return flag_feeds(
            self.store.feed_health(),
            now=self._now(),
            failing_after=settings.failing_after,
            silent_after=timedelta(days=settings.silent_after_days),
        )

    # -- hand-added links ------------------------------------------------------

    def add_link(
        self,
        url: str,
        *,
        title: str | None = None,
        summary: str | None = None,
        topic: str | None = None,
        note: str = "",
    ) -> AddedItem:
        """Store a link an editor pasted, filled in from the page itself.

        What the editor typed wins over what the page says. A page that cannot
        be fetched (gone, blocked, offline) is stored with the editor's text
        alone, with a warning; without at least a title nothing is stored.
        """
        url = url.strip()
        if urlsplit(url).scheme not in ("http", "https"):
            raise DigestError(f"{url}: not an http(s) link")
        known = [t.id for t in self.taxonomy.topics]
        if topic is not None and topic not in known:
            raise DigestError(f"unknown topic {topic!r} (known: {', '.join(known)})")
        # Imported here: trafilatura takes a while to load and only this needs it.
        from .extract import PageMetadata, page_metadata

        warnings: list[str] = []
        try:
            page = self._fetch_once(EDITOR_SOURCE, url)
            found = page_metadata(page.content, page.url)
        except FeedError as exc:
            warnings.append(f"could not read the page ({exc.message}); kept your text only")
            found = PageMetadata()
        final_title = (title or "").strip() or found.title
        if not final_title:
            raise DigestError(f"{url}: no title found on the page; give one with --title")
        parsed = ParsedItem(
            guid=canonical_url(url),
            url=url,
            title=final_title,
            summary=(summary or "").strip() or found.summary,
            published=found.published,
            lang=found.lang,
        )
        outlet = found.publisher or urlsplit(url).hostname or url
        item_id, new = self.store.add_editor_item(
            EDITOR_SOURCE,
            parsed,
            canonical_url(url),
            outlet=outlet,
            topic=topic,
            note=note,
            now=self._now(),
        )
        self.group_stories()
        return AddedItem(item_id, new, final_title, outlet, topic, tuple(warnings))

    def _fetch_once(self, source: FeedSource, url: str) -> FetchResult:
        """One fetch outside an update run, within the same limits; raises FeedError."""

        async def fetch_once() -> FetchResult:
            async with fetch.Fetcher(self.config.fetch) as fetcher:
                return await fetcher.fetch(fetch.FetchRequest(source, url))

        return asyncio.run(fetch_once())

    # -- the feed list: the editor's file is the source of truth ------------

    def add_feed(
        self,
        location: str,
        *,
        name: str | None = None,
        lang: str | None = None,
        user_agent: str | None = None,
        check: bool = True,
    ) -> AddedFeed:
        """Append a feed (URL or local path) to the feed list file.

        With `check`, the feed is fetched and parsed first, and only a working
        feed is listed: its own title and language fill in what was not
        given, a permanent redirect lists the new address, and a web page
        that names its feed lists that feed instead.
        """
        location = location.strip()
        if urlsplit(location).scheme.lower() not in ("", "http", "https", "file"):
            raise DigestError(f"{location}: not an http(s) URL or a file path")
        url = resolve_location(location, Path.cwd())
        if url.startswith("file:") and not fetch.local_path(url).is_file():
            raise DigestError(f"{location}: no such file")
        source = FeedSource(url=url, name=name or "", lang=lang, user_agent=user_agent)
        self._refuse_listed(url)
        added = AddedFeed(source, checked=False)
        if check:
            added = self._check_feed(source)
            if added.source.url != url:
                self._refuse_listed(added.source.url)
        listed = added.source
        self._edit_feed_list(lambda text, path: add_outline(text, path, listed))
        return added

    def _refuse_listed(self, url: str) -> None:
        if any(source.url == url for source in self.sources()):
            raise DigestError(f"{url} is already in the feed list")

    def _check_feed(self, source: FeedSource) -> AddedFeed:
        """Fetch and parse a feed about to be listed (see `add_feed`)."""
        notes: list[str] = []
        fetched = self._fetch_to_check(source)
        try:
            parsed = parse_feed(source, fetched)
        except FeedError as exc:
            links = feed_links(fetched.content, fetched.url)
            if not links:
                raise _not_listed(source, exc) from None
            notes.append(f"{source.url} is a web page; listed the feed it names, {links[0]}")
            source = replace(source, url=links[0])
            fetched = self._fetch_to_check(source)
            try:
                parsed = parse_feed(source, fetched)
            except FeedError as again:
                raise _not_listed(source, again) from None
        if fetched.moved_to:
            notes.append(f"{source.url} has moved permanently; listed {fetched.moved_to}")
            source = replace(source, url=fetched.moved_to)
        if not parsed.items:
            notes.append("the feed is empty for now")
        # A feed that does not declare its language is known by its items'.
        detected = Counter(item.lang for item in parsed.items if item.lang).most_common(1)
        source = replace(
            source,
            name=source.name or parsed.title,
            lang=source.lang or parsed.lang or (detected[0][0] if detected else None),
        )
        newest = max((item.published for item in parsed.items if item.published), default=None)
        return AddedFeed(source, True, len(parsed.items), newest, tuple(notes))

    def _fetch_to_check(self, source: FeedSource) -> FetchResult:
        try:
            return self._fetch_once(source, source.url)
        except FeedError as exc:
            raise _not_listed(source, exc) from None

    def remove_feed(self, location: str) -> FeedSource:
        """Take a feed off the list; its stored items stay."""
        url = resolve_location(location.strip(), Path.cwd())
        removed: list[FeedSource] = []

        def edit(text: str, path: str) -> str:
            text, source = remove_outline(text, path, url)
            if source is None:
                raise DigestError(f"{url} is not in the feed list {path}")
            removed.append(source)
            return text

        self._edit_feed_list(edit)
        return removed[0]

    def import_opml(self, path: Path) -> tuple[list[FeedSource], list[FeedSource]]:
        """Add every feed of another OPML file: (added, already listed)."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DigestError(f"cannot read {path}: {exc}") from exc
        incoming = parse_opml(text, str(path))
        listed = {source.url for source in self.sources()}
        added = [source for source in incoming if source.url not in listed]

        def edit(current: str, list_path: str) -> str:
            for source in added:
                current = add_outline(current, list_path, source)
            return current

        if added:
            self._edit_feed_list(edit)
        return added, [source for source in incoming if source.url in listed]

    def export_opml(self) -> str:
        return opml_document(self.sources(), title=f"{self.config.digest.organisation} feeds")

    def enable_feed(self, location: str) -> None:
        """Fetch a feed disabled by a 410 again, from its listed URL."""
        url = resolve_location(location.strip(), Path.cwd())
        if not self.store.enable_source(url):
            raise DigestError(f"{url} has never been fetched; nothing to enable")

    def _edit_feed_list(self, edit: Callable[[str, str], str]) -> None:
        path = self.config.paths.feeds
        text = self._read_named_file(path, "paths.feeds", "feed list")
        write_atomically(path, edit(text, str(path)).encode("utf-8"))
        self.store.sync_sources(self.sources())

    # -- build: store → edition → files ----------------------------------------

    def plan(self) -> Edition:
        """The next edition as it stands now, from what is stored."""
        now = self._now()
        settings = self.config.digest
        max_age = timedelta(days=settings.max_age_days) if settings.max_age_days else None
        already_sent = self.store.sent_item_ids()
        items = [
            item
            for item in self.store.items(since=now - max_age if max_age else None)
            if item.id not in already_sent
        ]
        matcher = WatchlistMatcher(self.watchlist)
        mentions = {item.id: matcher.mentions(item.title, item.summary) for item in items}
        classifications = file_items(
            items,
            self._filing(items),
            {key: matcher.evidence(found) for key, found in mentions.items()},
        )
        edition = plan_edition(
            items,
            classifications,
            taxonomy=self.sections_taxonomy(),
            text=self._edition_text(),
            now=now.astimezone(self.zone),
            max_age=max_age,
            max_items=settings.max_items,
            summary_chars=settings.summary_chars,
            stories=self.store.stories(),
            edits=self.store.item_edits(),
            watched={key: tuple(m.watched.name for m in found) for key, found in mentions.items()},
            previously=self._previously_reported(matcher, mentions, now),
        )
        # A second edition on a day one already went out gets its own folder.
        sent = set(self.store.sent_editions())
        slug, number = edition.slug, 2
        while slug in sent:
            slug, number = f"{edition.slug}-{number}", number + 1
        return replace(edition, slug=slug)

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

    def mailing_list(self) -> MailingList:
        """[list] and the archived-copy settings, with defaults from the sender."""
        settings = self.config.list
        domain = self._sender().domain
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

    def render(self, edition: Edition, *, web: bool = False) -> RenderedEdition:
        """The email (or its web version) for `edition`, as it will be sent."""
        return render_edition(
            edition,
            self.templates(),
            sender=self._sender(),
            zone=self.zone,
            theme=self.theme(),
            mailing=self.mailing_list(),
            web=web,
        )

    def build(self) -> BuildResult:
        """Plan, render and write the next edition, its web version, the
        archive index and the Atom feed of editions."""
        edition = self.plan()
        rendered = self.render(edition)
        web = self.render(edition, web=True)
        sender = self._sender()
        output = self.config.paths.output
        folder = output / edition.slug
        domain = sender.domain
        message = compose_message(
            message_body(rendered),
            sender=sender,
            to=sender.address,
            date=edition.created,
            message_id=make_msgid(idstring=edition.slug, domain=domain),
            mailing=self.mailing_list(),
            list_name=self.config.digest.organisation,
        )
        feeds = self.feed_health()
        files = {
            "email.html": rendered.html.encode("utf-8"),
            "email.txt": rendered.text.encode("utf-8"),
            "email.eml": message,
            "edition.json": edition_json(edition, rendered, feeds).encode("utf-8"),
            "index.html": web.html.encode("utf-8"),
        }
        if rendered.logo is not None:
            files[rendered.logo.filename] = rendered.logo.data
        for name, content in files.items():
            write_atomically(folder / name, content)
        self.store.save_edition(
            slug=edition.slug,
            title=edition.text.title,
            subject=rendered.subject,
            preheader=rendered.preheader,
            created=edition.created,
            folder=edition.slug,
            placed=[
                (entry.item.id, entry.classification.primary or "") for entry in edition.items
            ],
            also=[(other.id, entry.item.id) for entry in edition.items for other in entry.also],
        )
        self._write_archive(edition.text.title, domain)
        return BuildResult(
            edition=edition,
            rendered=rendered,
            folder=str(folder),
            files=tuple(str(folder / name) for name in files),
            feeds=tuple(feeds),
        )

    def _write_archive(self, title: str, domain: str) -> None:
        """output/index.html and output/feed.xml: every edition, newest first."""
        records = self.store.editions()
        output = self.config.paths.output
        index = render_index(
            records, self.templates(), title=title, zone=self.zone, theme=self.theme()
        )
        write_atomically(output / "index.html", index.encode("utf-8"))
        feed = atom_feed(
            records,
            title=title,
            author=self.config.digest.organisation,
            domain=domain,
            archive_url=self.config.list.archive_url,
        )
        write_atomically(output / "feed.xml", feed)

    def _edition_text(self) -> EditionText:
        """The config's words, with the editor's subject, intro and closing
        for this edition where they wrote them."""
        settings = self.config.digest
        edited = self.store.text_edits()
        return EditionText(
            title=settings.title,
            organisation=settings.organisation,
            greeting=settings.greeting,
            intro=edited.get("intro", settings.intro),
            closing=edited.get("closing", settings.closing),
            signature=settings.signature,
            lang=settings.language,
            direction="rtl" if settings.direction == "rtl" else "ltr",
            subject=edited.get("subject", ""),
        )

    # -- the editor's changes (the preview calls these) -------------------------

    def edit_item(self, item_id: int, **changes: object) -> bool:
        """Change how one item appears in the next edition (excluded, held,
        topic, title, summary, lead). Saved at once and logged; any change
        withdraws an approval given before it."""
        if "topic" in changes and changes["topic"] is not None:
            known = {topic.id for topic in self.taxonomy.topics}
            if changes["topic"] not in known:
                raise DigestError(f"unknown topic {changes['topic']!r}")
        unedited = self._unedited_texts(item_id) if {"title", "summary"} & changes.keys() else {}
        changed = False
        for field, value in changes.items():
            if isinstance(value, str):
                value = value.strip() or None  # an emptied field goes back to the original
                if value == unedited.get(field):
                    # The preview's form sends headline and summary together:
                    # the one left as the email already shows it is no edit,
                    # and must not withdraw an approval.
                    value = None
            if isinstance(value, bool):
                value = int(value)
            changed |= self.store.edit_item(item_id, field, value, self._now())
        if changed:
            self.store.withdraw_approval(self._now())
        return changed

    def _unedited_texts(self, item_id: int) -> dict[str, str]:
        """The headline and summary the email shows for an item nobody edited."""
        item = self.store.item(item_id)
        if item is None:
            return {}
        return {
            "title": item.title,
            "summary": excerpt(item.summary, self.config.digest.summary_chars),
        }

    def move_item(self, item_id: int, step: int) -> bool:
        """Move an item up (-1) or down (+1) within its section."""
        for section in self.plan().sections:
            ids = [entry.item.id for entry in section.items]
            if item_id in ids:
                here = ids.index(item_id)
                there = min(max(here + step, 0), len(ids) - 1)
                if here == there:
                    return False
                ids.insert(there, ids.pop(here))
                changed = False
                for position, moved in enumerate(ids):
                    changed |= self.store.edit_item(
                        moved, "position", float(position), self._now()
                    )
                if changed:
                    self.store.withdraw_approval(self._now())
                return changed
        return False

    def edit_text(self, field: str, value: str) -> bool:
        """The subject, intro or closing of this edition; empty: the config's."""
        default = {"intro": self.config.digest.intro, "closing": self.config.digest.closing}
        value = value.strip()
        # The config's own words are no edit: saving the form unchanged stores nothing.
        changed = self.store.edit_text(
            field, None if value in ("", default.get(field)) else value, self._now()
        )
        if changed:
            self.store.withdraw_approval(self._now())
        return changed

    def corrections(self) -> Iterator[dict[str, Any]]:
        """Every item whose topic an editor set, labelled for an evaluation
        set: the classify input fields, the editor's primary topic and what
        the classifier said (JSON Lines for `digest corrections`)."""
        edits = self.store.item_edits()
        classifier = Classifier(self.taxonomy)
        for item in self.store.items():
            edit = edits.get(item.id)
            topic = (edit.topic if edit else None) or item.editor_topic
            if topic is None:
                continue
            machine = classifier.classify(item.title, item.summary, item.lang)
            yield {
                "id": str(item.id),
                "title": item.title,
                "summary": item.summary,
                "lang": item.lang,
                "primary": topic,
                "machine_primary": machine.primary,
                "url": item.url,
            }

    def approval(self) -> FrozenEdition | None:
        """The approved edition waiting to be sent, if there is one."""
        slug = self.store.approved_unsent()
        return self.store.frozen(slug) if slug else None

    def _sender(self) -> Sender:
        return Sender(name=self.config.sender.name, address=self.config.sender.address)


@contextmanager
def _parse_pool(feeds: int) -> Iterator[Executor]:
    workers = os.cpu_count() or 1
    if feeds < PROCESS_POOL_MIN_FEEDS or workers < 2:
        pool: Executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse")
    else:
        # forkserver: a clean process to fork workers from, not this threaded one.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["digest.parse"])
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_yield_to_the_fetcher
        )
    with pool:
        yield pool


def _yield_to_the_fetcher() -> None:
    """Parse at a lower priority: a parser kept waiting costs nothing, while an
    event loop kept waiting delays every download in flight behind it."""
    os.nice(10)


def open_digest(config: Config) -> Digest:
    """Open the store the config names and return the façade (a context manager)."""
    return Digest(config, open_store(config.paths.database))


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


def edition_json(
    edition: Edition, rendered: RenderedEdition, feeds: Sequence[FeedHealth] = ()
) -> str:
    """The edition as data: items, topics and the evidence behind each, and
    the feeds that need the editor's eye."""

    def entry(e: EditionItem) -> dict[str, Any]:
        item, why = e.item, e.classification
        return {
            "id": item.id,
            "title": item.title,
            "url": item.url,
            "outlet": item.outlet,
            "date": item.date.isoformat(),
            "lang": item.lang,
            "summary": item.summary,
            "primary": why.primary,
            "primary_set_by_editor": why.set_by_editor,
            "topics": list(why.topics),
            "confidence": why.confidence,
            "relevance": why.relevance,
            "why": why.why,
            "evidence": [
                {"topic": ev.topic, "term": ev.term, "field": ev.field, "weight": ev.weight}
                for ev in why.evidence
            ],
            "also_reported_by": [
                {"outlet": other.outlet, "title": other.title, "url": other.url}
                for other in e.also
            ],
            "previously_reported": e.previously.isoformat() if e.previously else None,
            "watched": list(e.watched),
        }

    data = {
        "slug": edition.slug,
        "created": edition.created.isoformat(),
        "window_start": edition.window_start.isoformat() if edition.window_start else None,
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        "lead": entry(edition.lead) if edition.lead else None,
        "sections": [
            {
                "topic": section.topic.id,
                "label": section.topic.label,
                "items": [entry(e) for e in section.items],
            }
            for section in edition.sections
        ],
        "off_topic": [entry(e) for e in edition.off_topic],
        "warnings": list(rendered.warnings),
        "feed_warnings": [
            {
                "feed": feed.source.url,
                "name": feed.source.name,
                "flags": list(feed.flags),
                "notes": list(feed.notes),
            }
            for feed in feeds
            if feed.flags
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _not_listed(source: FeedSource, problem: FeedError) -> DigestError:
    return DigestError(
        f"{source.url}: {problem.message}; not added (--no-check lists it all the same)"
    )
