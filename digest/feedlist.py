"""The feed list (the editor's OPML file is the source of truth) and the links
an editor adds by hand.

A service of the `Digest` façade: adding a feed reads it first (title,
language, a moved or a named feed), removing one leaves its items stored,
OPML goes in and out; a hand-added link is filled in from its page.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from . import fetch
from .bodies import local_path
from .context import Context
from .errors import DigestError, FeedError
from .files import write_atomically
from .sources import add_outline, opml_document, parse_opml, remove_outline, resolve_location
from .types import AddedFeed, AddedItem, FeedSource, FetchResult, ParsedItem
from .updates import Updates
from .urls import canonical_url

# The source of links an editor adds by hand (`digest add`).
EDITOR_SOURCE = FeedSource(url="editor:hand-added", name="Added by the editor")


class FeedList:
    """Add, remove, import, export and enable feeds; add a link by hand."""

    def __init__(self, context: Context, updates: Updates) -> None:
        self.context = context
        self.updates = updates

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
        if url.startswith("file:") and not local_path(url).is_file():
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
        if any(source.url == url for source in self.context.sources()):
            raise DigestError(f"{url} is already in the feed list")

    def _check_feed(self, source: FeedSource) -> AddedFeed:
        """Fetch and parse a feed about to be listed (see `add_feed`)."""
        # Imported here: `digest update` loads this module, and hands its
        # parsing to worker processes, so feedparser and lxml would only slow
        # its start.
        from .parse import feed_links, parse_feed

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
        listed = {source.url for source in self.context.sources()}
        added = [source for source in incoming if source.url not in listed]

        def edit(current: str, list_path: str) -> str:
            for source in added:
                current = add_outline(current, list_path, source)
            return current

        if added:
            self._edit_feed_list(edit)
        return added, [source for source in incoming if source.url in listed]

    def export_opml(self) -> str:
        return opml_document(
            self.context.sources(), title=f"{self.context.config.digest.organisation} feeds"
        )

    def enable_feed(self, location: str) -> None:
        """Fetch a feed disabled by a 410 again, from its listed URL."""
        url = resolve_location(location.strip(), Path.cwd())
        if not self.context.store.sources.enable_source(url):
            raise DigestError(f"{url} has never been fetched; nothing to enable")

    def _edit_feed_list(self, edit: Callable[[str, str], str]) -> None:
        path = self.context.config.paths.feeds
        text = self.context.read_named_file(path, "paths.feeds", "feed list")
        write_atomically(path, edit(text, str(path)).encode("utf-8"))
        self.context.store.sources.sync_sources(self.context.sources())

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
        known = [t.id for t in self.context.taxonomy.topics]
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
        item_id, new = self.context.store.items.add_editor_item(
            EDITOR_SOURCE,
            parsed,
            canonical_url(url),
            outlet=outlet,
            topic=topic,
            note=note,
            now=self.context.now(),
        )
        self.updates.group_stories()
        return AddedItem(item_id, new, final_title, outlet, topic, tuple(warnings))

    def _fetch_once(self, source: FeedSource, url: str) -> FetchResult:
        """One fetch outside an update run, within the same limits; raises FeedError."""

        async def fetch_once() -> FetchResult:
            async with fetch.Fetcher(self.context.config.fetch) as fetcher:
                return await fetcher.fetch(fetch.FetchRequest(source, url))

        return asyncio.run(fetch_once())


def _not_listed(source: FeedSource, problem: FeedError) -> DigestError:
    return DigestError(
        f"{source.url}: {problem.message}; not added (--no-check lists it all the same)"
    )
