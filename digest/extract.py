"""What an article page says about itself: title, summary, publisher, date, language.

Pure: given the page's bytes and address, it reads the page's metadata
(OpenGraph, meta description, <html lang>) and, when there is no description,
the start of the article text, with trafilatura (a maintained extractor: we
do not write our own). Everything leaves as plain, tidy text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import trafilatura

from .sanitize import html_to_line, tidy_text
from .text import detect_language

SUMMARY_LIMIT = 400
_HTML_LANG = re.compile(rb"<html[^>]*\slang=[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_OG_LOCALE = re.compile(
    rb"<meta[^>]+property=[\"']og:locale[\"'][^>]+content=[\"']([A-Za-z]{2,3})", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"(?<=[.!?។])\s+")


@dataclass(frozen=True)
class PageMetadata:
    title: str = ""
    summary: str = ""
    publisher: str = ""
    published: datetime | None = None
    lang: str | None = None


def page_metadata(content: bytes, url: str) -> PageMetadata:
    """Read what the page says about itself; empty fields where it says nothing."""
    document = trafilatura.bare_extraction(
        content, url=url, with_metadata=True, include_comments=False, fast=True
    )
    if document is None:
        return PageMetadata(publisher=_host(url), lang=_declared_lang(content))
    title = html_to_line(getattr(document, "title", None) or "")
    description = tidy_text(getattr(document, "description", None) or "")
    text = tidy_text(getattr(document, "text", None) or "")
    summary = _shorten(description or text)
    return PageMetadata(
        title=title,
        summary=summary,
        publisher=html_to_line(getattr(document, "sitename", None) or "") or _host(url),
        published=_date(getattr(document, "date", None)),
        lang=_declared_lang(content) or detect_language(f"{title} {summary}"),
    )


def _shorten(text: str) -> str:
    """Whole sentences up to the limit; a cut mid-sentence ends with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= SUMMARY_LIMIT:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        if len(kept) + len(sentence) + 1 > SUMMARY_LIMIT:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def _declared_lang(content: bytes) -> str | None:
    head = content[:8192]
    found = _HTML_LANG.search(head) or _OG_LOCALE.search(head)
    return found.group(1).decode("ascii").lower() if found else None


def _date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
