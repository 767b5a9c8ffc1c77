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
from pathlib import Path
from typing import Any

from .archive import edition_json
from .classify import Classifier
from .context import Context
from .files import write_atomically
from .filing import Filing, file_items
from .learning import EditorModel, Example
from .mime import compose_message, message_body
from .render import alternates, render_edition
from .select import localise, plan_edition
from .shelf import Shelf
from .types import (
    Alternate,
    BuildResult,
    Edition,
    EditionText,
    FeedHealth,
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
        self.shelf = Shelf(context)

    def plan(self) -> Edition:
        """The next edition as it stands now, from what is stored."""
        now = self.context.now()
        settings = self.context.config.digest
        max_age = timedelta(days=settings.max_age_days) if settings.max_age_days else None
        already_sent = self.context.store.deliveries.sent_item_ids()
        items = [
            item
            for item in self.context.store.items.all(since=now - max_age if max_age else None)
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
            stories=self.context.store.items.stories(),
            edits=self.context.store.edits.item_edits(),
            watched={key: tuple(m.watched.name for m in found) for key, found in mentions.items()},
            previously=self._previously_reported(matcher, mentions, now),
        )
        # A second edition on a day one already went out gets its own folder.
        sent = set(self.context.store.deliveries.sent_editions())
        slug, number = edition.slug, 2
        while slug in sent:
            slug, number = f"{edition.slug}-{number}", number + 1
        return replace(edition, slug=slug)

    def _filing(self, items: Sequence[Item]) -> Filing:
        """What filing needs: the classifier, the editor's examples, the focus."""
        edits = self.context.store.edits.item_edits()
        examples: dict[int, Example] = {}
        for item_id, edit in edits.items():
            if edit.excluded or edit.topic:
                item = self.context.store.items.item(item_id)
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
        for created, title, summary in self.context.store.editions.placed_texts(before=today):
            for mention in matcher.mentions(title, summary):
                key = mention.watched.id
                last_seen[key] = max(created, last_seen.get(key, created))
        found: dict[int, datetime] = {}
        for item_id, named in mentions.items():
            dates = [last_seen[m.watched.id] for m in named if m.watched.id in last_seen]
            if dates:
                found[item_id] = max(dates)
        return found

    def in_languages(self, edition: Edition) -> dict[str, Edition]:
        """`edition`, planned in the default language, in every language of
        [editions]: the same stories in the same order, each language's words."""
        return {lang: self.in_language(edition, lang) for lang in self.context.config.languages}

    def in_language(self, edition: Edition, lang: str) -> Edition:
        if lang == edition.text.lang or lang not in self.context.config.languages:
            return edition
        return localise(
            edition,
            self._edition_text(lang),
            self.context.section_titles(lang),
            self.context.config.digest.summary_chars,
        )

    def render(
        self, edition: Edition, *, web: bool = False, alternates: Sequence[Alternate] = ()
    ) -> RenderedEdition:
        """The email (or its web version) for `edition`, as it will be sent,
        in the edition's language; `alternates` link its other languages."""
        lang = edition.text.lang
        return render_edition(
            edition,
            self.context.templates(),
            sender=self.context.sender(),
            zone=self.context.zone,
            theme=self.context.theme_for(lang),
            mailing=self.context.mailing_list(lang),
            web=web,
            messages=self.context.messages(lang),
            alternates=alternates,
        )

    def build(self) -> BuildResult:
        """Plan, render and write the next edition in each of its languages,
        with its web version, the archive index and the Atom feed of editions.
        One language writes to output/<slug>/; several, to output/<lang>/<slug>/."""
        edition = self.plan()
        versions = self.in_languages(edition)
        files: list[str] = []
        rendered: dict[str, RenderedEdition] = {}
        feeds = self.updates.feed_health()
        for lang, version in versions.items():
            rendered[lang] = self._write_version(version, feeds, files)
        default = edition.text.lang
        self.context.store.editions.save_edition(
            slug=edition.slug,
            title=edition.text.title,
            subject=rendered[default].subject,
            preheader=rendered[default].preheader,
            created=edition.created,
            folder=edition.slug,
            placed=[
                (entry.item.id, entry.classification.primary or "") for entry in edition.items
            ],
            also=[(other.id, entry.item.id) for entry in edition.items for other in entry.also],
            texts=[
                (lang, version.text.title, rendered[lang].subject, rendered[lang].preheader)
                for lang, version in versions.items()
                if lang != default
            ],
        )
        self.shelf.write()
        return BuildResult(
            edition=edition,
            rendered=rendered[default],
            folder=str(self.folder(default, edition.slug)),
            files=tuple(files),
            feeds=tuple(feeds),
            translations=tuple((lang, r) for lang, r in rendered.items() if lang != default),
        )

    def folder(self, lang: str, slug: str) -> Path:
        """Where the `lang` edition of `slug` is written."""
        output = self.context.config.paths.output
        return output / lang / slug if self._many else output / slug

    @property
    def _many(self) -> bool:
        return len(self.context.config.languages) > 1

    def _write_version(
        self, edition: Edition, feeds: Sequence[FeedHealth], written: list[str]
    ) -> RenderedEdition:
        """Write one language's email, text, .eml, edition.json and web version."""
        lang = edition.text.lang
        rendered = self.render(edition, alternates=self._alternates(lang, edition.slug, False))
        web = self.render(edition, web=True, alternates=self._alternates(lang, edition.slug, True))
        sender = self.context.sender()
        message = compose_message(
            message_body(rendered),
            sender=sender,
            to=sender.address,
            date=edition.created,
            message_id=make_msgid(idstring=f"{edition.slug}.{lang}", domain=sender.domain),
            mailing=self.context.mailing_list(lang),
            list_name=edition.text.organisation,
            lang=lang,
        )
        files = {
            "email.html": rendered.html.encode("utf-8"),
            "email.txt": rendered.text.encode("utf-8"),
            "email.eml": message,
            "edition.json": edition_json(edition, rendered, feeds).encode("utf-8"),
            "index.html": web.html.encode("utf-8"),
        }
        if rendered.logo is not None:
            files[rendered.logo.filename] = rendered.logo.data
        folder = self.folder(lang, edition.slug)
        for name, content in files.items():
            write_atomically(folder / name, content)
            written.append(str(folder / name))
        return rendered

    def _alternates(self, lang: str, slug: str, web: bool) -> tuple[Alternate, ...]:
        """The same edition in the other languages: beside it in the archive
        for the web version, at the archive's address in the email (if any)."""
        if not self._many:
            return ()
        base = "../../" if web else self.context.config.list.archive_url
        if not base:
            return ()
        page = "index.html" if web else ""  # a file opened from disk names its page
        others = [other for other in self.context.config.languages if other != lang]
        return alternates(others, base, f"{slug}/{page}")

    def _edition_text(self, lang: str = "") -> EditionText:
        """The words of the `lang` edition (default: the default language's):
        the config's, with the editor's subject, intro and closing where they
        wrote them."""
        lang = lang or self.context.config.digest.language
        words = self.context.configured_words(lang)
        edited = self.context.store.edits.text_edits()

        def edit(field: str) -> str:
            configured: str = getattr(words, field)
            return edited.get(self.context.text_edit_key(field, lang), configured)

        return replace(
            words, intro=edit("intro"), closing=edit("closing"), subject=edit("subject")
        )

    def approval(self) -> FrozenEdition | None:
        """The approved edition waiting to be sent, if there is one."""
        slug = self.context.store.deliveries.approved_unsent()
        return self.context.store.deliveries.frozen(slug) if slug else None

    def sent_editions(self) -> list[FrozenEdition]:
        """The editions readers received, newest first, as frozen for sending."""
        deliveries = self.context.store.deliveries
        sent = (deliveries.frozen(slug) for slug in deliveries.sent_editions())
        return [frozen for frozen in sent if frozen is not None]

    def sent_edition(self, slug: str) -> FrozenEdition | None:
        """One edition readers received, as frozen; None for any other slug."""
        deliveries = self.context.store.deliveries
        return deliveries.frozen(slug) if slug in deliveries.sent_editions() else None

    def corrections(self) -> Iterator[dict[str, Any]]:
        """Every item whose topic an editor set, labelled for an evaluation
        set: the classify input fields, the editor's primary topic and what
        the classifier said (JSON Lines for `digest corrections`)."""
        edits = self.context.store.edits.item_edits()
        classifier = Classifier(self.context.taxonomy)
        for item in self.context.store.items.all():
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
