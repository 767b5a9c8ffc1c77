"""The edition as the templates read it: the reading order (the lead, then
each section), numbered links for the text part, archived copies of pages
from outlets that are often blocked, dates in the edition's time zone, and
the whole template context.

Pure: everything is passed in; rendering (render.py) calls `template_context`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

from .mime import unsubscribe_mailto
from .types import Edition, EditionItem, Item, MailingList, Sender, Theme

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TOP_TOPICS = 3  # topics named in "this edition in numbers"


def template_context(
    edition: Edition,
    sender: Sender,
    zone: tzinfo,
    theme: Theme,
    mailing: MailingList,
    web: bool,
    number: Callable[[object], str] = str,
) -> dict[str, Any]:
    local_date = date_formatter(zone, edition.text.lang, number)
    entries = edition.items
    counts = [(section.topic.label, len(section.items)) for section in edition.sections]
    if edition.lead is not None:
        lead_topic = edition.lead.classification.primary
        counts = [
            (label, count + (section.topic.id == lead_topic))
            for (label, count), section in zip(counts, edition.sections, strict=True)
        ]
    logo_src = ""
    if theme.logo is not None:
        logo_src = theme.logo.filename if web else f"cid:{theme.logo.content_id}"
    web_url = f"{mailing.archive_url}{edition.slug}/" if mailing.archive_url else ""
    return {
        "edition": edition,
        "text": edition.text,
        "lead": edition.lead,
        "sections": edition.sections,
        "placed": reading_order(edition, theme.lead_title),
        "sender": sender,
        "theme": theme,
        "mailing": mailing,
        "web": web,
        "web_url": web_url,
        "logo_src": logo_src,
        "unsubscribe_mailto": unsubscribe_mailto(mailing),
        "item_count": len(entries),
        "outlet_count": len(_outlets(entries)),
        "counts": counts,
        # The busiest topics, for the "in numbers" line; ties keep section order.
        "top_counts": sorted(counts, key=lambda pair: -pair[1])[:TOP_TOPICS],
        "links": number_links(entries, mailing),
        # Each story's local date, worked out once for both parts.
        "dates": {entry.item.id: local_date(entry.item.date) for entry in entries},
        "date": local_date(edition.created),
        "local_date": local_date,
    }


def _outlets(entries: Sequence[EditionItem]) -> set[str]:
    return {item.outlet for entry in entries for item in (entry.item, *entry.also)}


@dataclass(frozen=True)
class Placed:
    """One story in reading order, with the heading that opens its section
    (on the first story of the lead or of a section only)."""

    entry: EditionItem
    heading: str | None = None
    lead: bool = False


def reading_order(edition: Edition, lead_title: str) -> list[Placed]:
    """The lead, then each section's stories: one flat loop for the templates
    (a macro call per story cost a fifth of the render time)."""
    placed = [Placed(edition.lead, lead_title, lead=True)] if edition.lead else []
    for section in edition.sections:
        placed += [
            Placed(entry, section.topic.label if number == 0 else None)
            for number, entry in enumerate(section.items)
        ]
    return placed


@dataclass(frozen=True)
class ItemLinks:
    """An item's links, numbered for the text part: [n] lines under the item."""

    main: int
    also: tuple[tuple[Item, int], ...]
    archived: tuple[str, int] | None
    # Every (number, address) in the order they are listed.
    listed: tuple[tuple[int, str], ...]


def number_links(entries: Sequence[EditionItem], mailing: MailingList) -> dict[int, ItemLinks]:
    """Item id → its links, numbered through the whole email from 1."""
    numbered: dict[int, ItemLinks] = {}
    first = 1
    for entry in entries:
        copy = archived_copy(entry.item.url, mailing)
        urls = [entry.item.url, *(other.url for other in entry.also), *([copy] if copy else [])]
        numbers = range(first, first + len(urls))
        first += len(urls)
        numbered[entry.item.id] = ItemLinks(
            main=numbers[0],
            also=tuple(zip(entry.also, numbers[1:], strict=False)),
            archived=(copy, numbers[-1]) if copy else None,
            listed=tuple(zip(numbers, urls, strict=True)),
        )
    return numbered


def archived_copy(url: str, mailing: MailingList) -> str:
    """The archived copy's address for an outlet that is often blocked, or ""."""
    if not mailing.archived_copy:
        return ""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    hosts = mailing.archived_copy_hosts
    if "*" in hosts or any(host == h or host.endswith("." + h) for h in hosts):
        return mailing.archived_copy.replace("{url}", url)
    return ""


@functools.lru_cache(maxsize=16)
def date_formatter(
    zone: tzinfo, lang: str = "en", number: Callable[[object], str] = str
) -> Callable[[datetime], str]:
    """Dates in the edition's time zone and language: "24 Nov 2026" in
    English, "24 novembre 2026" in French, Khmer month names in Khmer;
    `number` writes the digits (Khmer digits where the edition asks). Kept
    for the next render: each language of an edition, each rebuild, asks again."""
    if lang == "en" or not lang:

        def local_date(moment: datetime) -> str:
            local = moment.astimezone(zone)
            return number(f"{local.day} {MONTHS[local.month - 1]} {local.year}")

        return local_date
    months = month_names(lang)
    if months is None:
        return date_formatter(zone, "en", number)

    def local_date_in(moment: datetime) -> str:
        local = moment.astimezone(zone)
        return number(f"{local.day} {months[local.month - 1]} {local.year}")

    return local_date_in


@functools.cache
def month_names(lang: str) -> tuple[str, ...] | None:
    """The months as Babel's locale data writes them in a date ("d MMMM y"):
    read once, so that writing a date is a format, not a Babel call; None
    for a language Babel does not know."""
    # Imported here: Babel's locale data is only read for other languages.
    from babel.core import Locale, UnknownLocaleError

    try:
        wide = Locale.parse(lang).months["format"]["wide"]
    except (UnknownLocaleError, ValueError):
        return None
    return tuple(str(wide[month]) for month in range(1, 13))
