"""Editions: the next one planned from what is stored, rendered, and written
out with the archive; the approval waiting to be sent; the editors'
corrections as labelled data.

A service of the `Digest` façade. Planning calls the pure `filing` and
`select`, rendering the pure `render`; writing files and the store are edges.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from .archive import atom_feed, edition_json
from .classify import Classifier
from .context import Context
from .files import write_atomically
from .filing import Filing, file_items
from .learning import EditorModel, Example
from .mime import compose_message, message_body
from .render import render_edition, render_index
from .select import plan_edition
from .types import (
    BuildResult,
    Edition,
    EditionText,
    FrozenEdition,
    Item,
    Mention,
    RenderedEdition,
)
from .updates import Updates
from .watch import WatchlistMatcher


class Editions:
    """Plan, render and build the next edition; the approval; corrections."""

    def __init__(self, context: Context, updates: Updates) -> None:
        self.context = context
        self.updates = updates

    def plan(self) -> Edition:
        """The next edition as it stands now, from what is stored."""
        now = self.context.now()
        settings = self.context.config.digest
        max_age = timedelta(days=settings.max_age_days) if settings.max_age_days else None
        already_sent = self.context.store.sent_item_ids()
        items = [
            item
            for item in self.context.store.items(since=now - max_age if max_age else None)
            if item.id not in already_sent
        ]
        matcher = WatchlistMatcher(self.context.watchlist)
        mentions = {item.id: matcher.mentions(item.title, item.summary) for item in items}
        classifications = file_items(
            items,
            self._filing(items),
            {key: matcher.evidence(found) for key, found in mentions.items()},
        )
        edition = plan_edition(
            items,
            classifications,
            taxonomy=self.context.sections_taxonomy(),
            text=self._edition_text(),
            now=now.astimezone(self.context.zone),
            max_age=max_age,
            max_items=settings.max_items,
            summary_chars=settings.summary_chars,
            stories=self.context.store.stories(),
            edits=self.context.store.item_edits(),
            watched={key: tuple(m.watched.name for m in found) for key, found in mentions.items()},
            previously=self._previously_reported(matcher, mentions, now),
        )
        # A second edition on a day one already went out gets its own folder.
        sent = set(self.context.store.sent_editions())
        slug, number = edition.slug, 2
        while slug in sent:
            slug, number = f"{edition.slug}-{number}", number + 1
        return replace(edition, slug=slug)

    def _filing(self, items: Sequence[Item]) -> Filing:
        """What filing needs: the classifier, the editor's examples, the focus."""
        edits = self.context.store.item_edits()
        examples: dict[int, Example] = {}
        for item_id, edit in edits.items():
            if edit.excluded or edit.topic:
                item = self.context.store.item(item_id)
                if item is not None:
                    topic = None if edit.excluded else edit.topic
                    examples[item_id] = Example(item.title, topic, item.outlet)
        for item in items:
            if item.editor_added and item.editor_topic and item.id not in examples:
                examples[item.id] = Example(item.title, item.editor_topic, item.outlet)
        return Filing(
            classifier=Classifier(self.context.taxonomy),
            model=EditorModel(examples.values()),
            decided=frozenset(examples),
            focus=self.context.focus,
            curated=frozenset(source.url for source in self.context.sources() if source.curated),
        )

    def _previously_reported(
        self, matcher: WatchlistMatcher, mentions: Mapping[int, Sequence[Mention]], now: datetime
    ) -> dict[int, datetime]:
        """Item id → the date of the latest earlier edition that named one of
        the watched entries the item names (editions of earlier days only)."""
        if not any(mentions.values()):
            return {}
        today = now.astimezone(self.context.zone).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        last_seen: dict[str, datetime] = {}
        for created, title, summary in self.context.store.placed_texts(before=today):
            for mention in matcher.mentions(title, summary):
                key = mention.watched.id
                last_seen[key] = max(created, last_seen.get(key, created))
        found: dict[int, datetime] = {}
        for item_id, named in mentions.items():
            dates = [last_seen[m.watched.id] for m in named if m.watched.id in last_seen]
            if dates:
                found[item_id] = max(dates)
        return found

    def render(self, edition: Edition, *, web: bool = False) -> RenderedEdition:
        """The email (or its web version) for `edition`, as it will be sent."""
        return render_edition(
            edition,
            self.context.templates(),
            sender=self.context.sender(),
            zone=self.context.zone,
            theme=self.context.theme(),
            mailing=self.context.mailing_list(),
            web=web,
            messages=self.context.messages(),
        )

    def build(self) -> BuildResult:
        """Plan, render and write the next edition, its web version, the
        archive index and the Atom feed of editions."""
        edition = self.plan()
        rendered = self.render(edition)
        web = self.render(edition, web=True)
        sender = self.context.sender()
        output = self.context.config.paths.output
        folder = output / edition.slug
        domain = sender.domain
        message = compose_message(
            message_body(rendered),
            sender=sender,
            to=sender.address,
            date=edition.created,
            message_id=make_msgid(idstring=edition.slug, domain=domain),
            mailing=self.context.mailing_list(),
            list_name=self.context.config.digest.organisation,
        )
        feeds = self.updates.feed_health()
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
        self.context.store.save_edition(
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
        records = self.context.store.editions()
        output = self.context.config.paths.output
        index = render_index(
            records,
            self.context.templates(),
            title=title,
            zone=self.context.zone,
            messages=self.context.messages(),
            theme=self.context.theme(),
        )
        write_atomically(output / "index.html", index.encode("utf-8"))
        feed = atom_feed(
            records,
            title=title,
            author=self.context.config.digest.organisation,
            domain=domain,
            archive_url=self.context.config.list.archive_url,
        )
        write_atomically(output / "feed.xml", feed)

    def _edition_text(self) -> EditionText:
        """The config's words, with the editor's subject, intro and closing
        for this edition where they wrote them."""
        settings = self.context.config.digest
        edited = self.context.store.text_edits()
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

    def approval(self) -> FrozenEdition | None:
        """The approved edition waiting to be sent, if there is one."""
        slug = self.context.store.approved_unsent()
        return self.context.store.frozen(slug) if slug else None

    def corrections(self) -> Iterator[dict[str, Any]]:
        """Every item whose topic an editor set, labelled for an evaluation
        set: the classify input fields, the editor's primary topic and what
        the classifier said (JSON Lines for `digest corrections`)."""
        edits = self.context.store.item_edits()
        classifier = Classifier(self.context.taxonomy)
        for item in self.context.store.items():
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
