"""The archive's shelf: output/index.html and the Atom feed of editions,
one per language when the edition is written in several, each linking the
others (hreflang).

A service of the `Digest` façade, used by `Editions.build`: the index is
rendered by the pure `render`, the feed by `archive`; files are written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .archive import atom_feed
from .context import Context
from .files import write_atomically
from .render import alternates, render_index
from .types import Alternate, EditionRecord


class Shelf:
    """Every edition, newest first, in each language's archive folder."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def write(self) -> None:
        """output/index.html and output/feed.xml: every edition, newest first;
        with several languages, one index and feed per language as well."""
        languages = self.context.config.languages
        default = languages[0]
        output = self.context.config.paths.output
        archive_url = self.context.config.list.archive_url
        if len(languages) == 1:
            self._write_archive(
                output, default, self.context.store.editions.all(), archive_url, ()
            )
            return
        for lang in languages:
            records = self.context.store.editions.all("" if lang == default else lang)
            others = [other for other in languages if other != lang]
            url = f"{archive_url}{lang}/" if archive_url else ""
            pages = alternates(others, archive_url or "../")
            self._write_archive(output / lang, lang, records, url, pages)
            if lang == default:  # the archive's front page: the default language's
                moved = [replace(r, folder=f"{lang}/{r.folder}") for r in records]
                pages = alternates(others, archive_url)
                self._write_archive(output, lang, moved, archive_url, pages)

    def _write_archive(
        self,
        folder: Path,
        lang: str,
        records: Sequence[EditionRecord],
        archive_url: str,
        alternates: Sequence[Alternate],
    ) -> None:
        words = self.context.config.editions.settings(lang)
        title = records[0].title if records else words.title or self.context.config.digest.title
        index = render_index(
            records,
            self.context.templates(),
            title=title,
            zone=self.context.zone,
            messages=self.context.messages(lang),
            theme=self.context.theme(),
            alternates=alternates,
        )
        write_atomically(folder / "index.html", index.encode("utf-8"))
        feed = atom_feed(
            records,
            title=title,
            author=words.organisation or self.context.config.digest.organisation,
            domain=self.context.sender().domain,
            archive_url=archive_url,
            lang=lang,
            alternates=alternates,
        )
        write_atomically(folder / "feed.xml", feed)
