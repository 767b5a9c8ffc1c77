"""Editions built in memory for render tests and the render benchmark.

The wording is ours and deliberately plain; what matters is the shape of a
real week: long headlines and URLs, two-sentence summaries, English, French
and Khmer, stories reported by several outlets, watched cases seen before.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from digest.select import plan_edition
from digest.types import (
    Classification,
    Edition,
    EditionItem,
    EditionText,
    Item,
    MailingList,
    Section,
    Story,
    Taxonomy,
    Topic,
)

NOW = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour: a stand-in logo that needs no image library."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


LOGO_PNG = solid_png(240, 64, (138, 28, 28))

TOPICS = (
    Topic("political-prisoners", "Political prisoners", "People jailed for their views"),
    Topic("judicial-harassment", "Trials and judicial harassment", "Courts used against critics"),
    Topic("press-freedom", "Press freedom", "Newspapers and radio closed, reporters charged"),
    Topic("labour-rights", "Workers and trade unions", "Union leaders jailed, strikes broken"),
    Topic("land-environment", "Land and environment defenders", "Evictions and land grabs"),
    Topic("international-response", "International response", "Governments and the UN react"),
)
TAXONOMY = Taxonomy(topics=TOPICS)

TEXT = EditionText(
    title="Weekly rights digest",
    organisation="Press Office",
    greeting="Hello,",
    intro="A summary of the week's news.\nSpokespeople are available.",
    closing="Write back to arrange an interview.",
    signature="Dara\nPress officer",
)

MAILING = MailingList(
    list_id="digest.press-office.example",
    unsubscribe_mailto="unsubscribe@press-office.example",
)

_HEADLINES = {
    "en": "Union organiser number {n} sentenced to two years after the casino strike in the city",
    "fr": "Le syndicaliste numéro {n} condamné à deux ans de prison après la grève du casino",
    "km": "តុលាការកាត់ទោសមេដឹកនាំសហជីពលេខ {n} ឱ្យជាប់ពន្ធនាគារពីរឆ្នាំ",
}
_SUMMARIES = {
    "en": (
        "The appeal court upheld the conviction for incitement on Tuesday. Rights groups say "
        "the case punishes peaceful union work and have asked the ministry to drop it."
    ),
    "fr": (
        "La cour d'appel a confirmé mardi la condamnation pour incitation. Les organisations "
        "de défense des droits dénoncent une sanction du travail syndical pacifique."
    ),
    "km": (
        "តុលាការឧទ្ធរណ៍បានតម្កល់សាលក្រមពីបទញុះញង់។ "
        "អង្គការសិទ្ធិមនុស្សនិយាយថា សំណុំរឿងនេះដាក់ទណ្ឌកម្មលើការងារសហជីពដោយសន្តិវិធី។"
    ),
}
_OUTLETS = ("Mekong Dispatch", "Le Courrier du Mékong", "Sangkum Voice", "Asia Rights Bulletin")
_HOSTS = ("mekong-dispatch.example", "courrier-mekong.example", "sangkum-voice.example")


def make_item(
    n: int, lang: str = "en", *, title: str | None = None, summary: str | None = None
) -> Item:
    host = _HOSTS[n % len(_HOSTS)]
    url = (
        f"https://{host}/2026/11/{n % 28 + 1:02d}/story-{n}-union-organiser-sentenced-after-strike"
    )
    when = NOW - timedelta(hours=3 * n + 1)
    return Item(
        id=n,
        source_url=f"https://{host}/feed",
        outlet=_OUTLETS[n % len(_OUTLETS)],
        guid=f"guid-{n}",
        url=url,
        canonical_url=url,
        title=title if title is not None else _HEADLINES[lang].format(n=n),
        summary=summary if summary is not None else _SUMMARIES[lang],
        published=when,
        first_seen=when,
        updated=when,
        lang=lang,
    )


def classification(topic: str, confidence: float = 0.7) -> Classification:
    return Classification(topics=(topic,), primary=topic, confidence=confidence)


def big_edition(count: int = 40, *, reported_twice: int = 4) -> Edition:
    """`count` stories over every topic in three languages; the first
    `reported_twice` stories also carry two other outlets' reports."""
    langs = ("en", "en", "fr", "km")
    items = [make_item(n, langs[n % len(langs)]) for n in range(1, count + 1)]
    others = [make_item(1000 + n) for n in range(2 * reported_twice)]
    classifications = {
        item.id: classification(TOPICS[n % len(TOPICS)].id)
        for n, item in enumerate(items + others)
    }
    stories = [
        Story(lead=items[n].id, members=(items[n].id, others[2 * n].id, others[2 * n + 1].id))
        for n in range(reported_twice)
    ]
    return plan_edition(
        items + others,
        classifications,
        taxonomy=TAXONOMY,
        text=TEXT,
        now=NOW,
        max_age=None,
        max_items=count,
        stories=stories,
    )


def one_item_edition(item: Item, topic: str = "labour-rights", **entry: object) -> Edition:
    """An edition holding only `item`, with EditionItem fields from `entry`."""
    placed = EditionItem(item, classification(topic), **entry)  # type: ignore[arg-type]
    edition = plan_edition(
        [], {}, taxonomy=TAXONOMY, text=TEXT, now=NOW, max_age=None, max_items=40
    )
    return replace(edition, sections=(Section(TAXONOMY.topic(topic), (placed,)),))


# Three editions, as a press office writing to diplomats, francophone media
# and Khmer journalists configures them (append to a test config).
THREE_LANGUAGES = """
[editions]
languages = ["en", "fr", "km"]

[editions.fr]
title = "Revue de presse des droits au Cambodge"
greeting = "Bonjour,"
intro = "Les faits de la semaine, et les réactions qu'ils ont suscitées."
closing = "Nos porte-parole répondent à vos questions, en français."
signature = "Le bureau de presse"
reason = "Vous recevez cette revue parce que vous l'avez demandée."

[editions.km]
title = "សង្ខេបព័ត៌មានសិទ្ធិមនុស្ស"
greeting = "ជំរាបសួរ"
intro = "ព័ត៌មានប្រចាំសប្តាហ៍ និងប្រតិកម្មចំពោះព័ត៌មានទាំងនោះ។"
closing = "អ្នកនាំពាក្យរបស់យើងរង់ចាំឆ្លើយសំណួររបស់អ្នក។"
signature = "ការិយាល័យសារព័ត៌មាន"
reason = "អ្នកទទួលបានសេចក្តីសង្ខេបនេះ ដោយសារអ្នកបានស្នើសុំ។"
digits = "khmer"
"""
