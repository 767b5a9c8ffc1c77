"""The `Digest` façade: wires configuration, pure planning and the edges.

The CLI and the preview call only this. It owns the clock (`_now`, which
tests replace) and decides nothing itself: parsing, classifying, selecting
and rendering are pure functions; fetching, storing and writing files are
edges it calls.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from . import fetch
from .classify import Classifier, parse_taxonomy
from .config import Config
from .errors import ConfigError, DigestError, FeedError
from .parse import parse_feed
from .render import HTML_SIZE_WARNING, compose_message, render_edition, render_index
from .select import plan_edition
from .sources import parse_opml
from .store import Store, open_store
from .types import (
    BuildResult,
    Classification,
    Edition,
    EditionItem,
    EditionText,
    FeedSource,
    FeedUpdate,
    RenderedEdition,
    Sender,
    Taxonomy,
)
from .urls import canonical_url

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_templates_dir() -> Path:
    """The templates shipped with press-digest.

    A wheel carries them inside the package; a source checkout (and an
    editable install) has them in the top-level `templates/` folder.
    """
    packaged = PACKAGE_DIR / "_bundled" / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


class Digest:
    """One open press-digest: its config, its store and its clock."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.zone = ZoneInfo(config.schedule.timezone)
        self._taxonomy: Taxonomy | None = None

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
                bundled = resources.files("digest").joinpath("taxonomy.toml")
                self._taxonomy = parse_taxonomy(bundled.read_text("utf-8"), "bundled taxonomy")
            else:
                text = self._read_named_file(custom, "paths.taxonomy", "taxonomy")
                self._taxonomy = parse_taxonomy(text, str(custom))
        return self._taxonomy

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
        """Template sources by name: the user's folder wins over the bundled one."""
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

    def update(self) -> list[FeedUpdate]:
        """Fetch, parse and store every feed; one result per feed, never aborting."""
        sources = self.sources()
        self.store.sync_sources(sources)
        settings = self.config.fetch
        with fetch.open_client(timeout=settings.timeout, user_agent=settings.user_agent) as client:
            return [self._update_source(source, client) for source in sources]

    def _update_source(self, source: FeedSource, client: Any) -> FeedUpdate:
        now = self._now()
        try:
            fetched = fetch.fetch_source(source, client, max_bytes=self.config.fetch.max_bytes)
            parsed = parse_feed(source, fetched)
        except FeedError as exc:
            self.store.record_fetch(source, now=now, error=exc.message)
            return FeedUpdate(source=source, error=exc.message)
        except Exception as exc:  # a broken feed must never stop the others
            log.debug("unexpected error updating %s", source.url, exc_info=True)
            message = f"unexpected error: {type(exc).__name__}: {exc}"
            self.store.record_fetch(source, now=now, error=message)
            return FeedUpdate(source=source, error=message)
        counts = self.store.upsert_items(
            source, [(item, canonical_url(item.url)) for item in parsed.items], now=now
        )
        self.store.record_fetch(
            source, now=now, error=None, warning=parsed.warning, feed_title=parsed.title
        )
        return FeedUpdate(
            source=source,
            new=counts.new,
            updated=counts.updated,
            unchanged=counts.unchanged,
            warning=parsed.warning,
        )

    # -- build: store → edition → files ----------------------------------------

    def plan(self) -> Edition:
        """The next edition as it stands now, from what is stored."""
        now = self._now()
        settings = self.config.digest
        max_age = timedelta(days=settings.max_age_days) if settings.max_age_days else None
        items = self.store.items(since=now - max_age if max_age else None)
        classifier = Classifier(self.taxonomy)
        classifications: dict[int, Classification] = {
            item.id: classifier.classify(item.title, item.summary, item.lang) for item in items
        }
        return plan_edition(
            items,
            classifications,
            taxonomy=self.taxonomy,
            text=self._edition_text(),
            now=now.astimezone(self.zone),
            max_age=max_age,
            max_items=settings.max_items,
        )

    def build(self) -> BuildResult:
        """Plan, render and write the next edition and the archive index."""
        edition = self.plan()
        templates = self.templates()
        sender = self._sender()
        rendered = render_edition(edition, templates, sender=sender, zone=self.zone)
        output = self.config.paths.output
        folder = output / edition.slug
        message = compose_message(
            rendered,
            sender=sender,
            to=sender.address,
            date=edition.created,
            message_id=make_msgid(idstring=edition.slug, domain=sender.address.split("@")[-1]),
        )
        files = {
            "email.html": rendered.html.encode("utf-8"),
            "email.txt": rendered.text.encode("utf-8"),
            "email.eml": message.as_bytes(),
            "edition.json": edition_json(edition, rendered).encode("utf-8"),
        }
        for name, content in files.items():
            _write_atomically(folder / name, content)
        if len(files["email.html"]) > HTML_SIZE_WARNING:
            log.warning(
                "email.html is %d bytes; Gmail clips messages past about 102 KB",
                len(files["email.html"]),
            )
        self.store.save_edition(
            slug=edition.slug,
            title=edition.text.title,
            subject=rendered.subject,
            created=edition.created,
            folder=edition.slug,
            placed=[
                (entry.item.id, section.topic.id)
                for section in edition.sections
                for entry in section.items
            ],
        )
        index = render_index(
            self.store.editions(), templates, title=edition.text.title, zone=self.zone
        )
        _write_atomically(output / "index.html", index.encode("utf-8"))
        return BuildResult(
            edition=edition,
            rendered=rendered,
            folder=str(folder),
            files=tuple(str(folder / name) for name in files),
        )

    def _edition_text(self) -> EditionText:
        settings = self.config.digest
        return EditionText(
            title=settings.title,
            organisation=settings.organisation,
            greeting=settings.greeting,
            intro=settings.intro,
            closing=settings.closing,
            signature=settings.signature,
            lang=settings.language,
            direction="rtl" if settings.direction == "rtl" else "ltr",
        )

    def _sender(self) -> Sender:
        return Sender(name=self.config.sender.name, address=self.config.sender.address)


def open_digest(config: Config) -> Digest:
    """Open the store the config names and return the façade (a context manager)."""
    return Digest(config, open_store(config.paths.database))


def edition_json(edition: Edition, rendered: RenderedEdition) -> str:
    """The edition as data: items, topics and the evidence behind each."""

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
            "topics": list(why.topics),
            "confidence": why.confidence,
            "evidence": [
                {"topic": ev.topic, "term": ev.term, "field": ev.field, "weight": ev.weight}
                for ev in why.evidence
            ],
        }

    data = {
        "slug": edition.slug,
        "created": edition.created.isoformat(),
        "window_start": edition.window_start.isoformat() if edition.window_start else None,
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        "sections": [
            {
                "topic": section.topic.id,
                "label": section.topic.label,
                "items": [entry(e) for e in section.items],
            }
            for section in edition.sections
        ],
        "off_topic": [entry(e) for e in edition.off_topic],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: never a half file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _temporary_beside(path) as (handle, temporary):
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(temporary, path)
    except OSError as exc:
        raise DigestError(f"cannot write {path}: {exc.strerror}") from exc


@contextmanager
def _temporary_beside(path: Path) -> Iterator[tuple[Any, str]]:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle, temporary
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
