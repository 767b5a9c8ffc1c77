"""Turn an `Edition` into the email a reader gets: Jinja2 → MJML → HTML, and text.

Pure: templates arrive as a mapping of name → source (the caller reads the
user's folder and the bundled one), the time zone and message identity are
passed in. One Jinja2 environment, autoescaped, with StrictUndefined so a
misspelt variable fails the build instead of leaving a hole in the email.
MJML is compiled with no web fonts: nothing in the email loads from outside.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.header import Header
from email.message import Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from markupsafe import Markup
from mjml import mjml2html

from .errors import RenderError
from .theme import contrast_warnings
from .types import (
    Edition,
    EditionItem,
    EditionRecord,
    Item,
    Logo,
    MailingList,
    RenderedEdition,
    Sender,
    Theme,
)

if TYPE_CHECKING:
    import jinja2

TEXT_WIDTH = 78
# English month abbreviations whatever the locale, as in "24 Nov 2026".
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TOP_TOPICS = 3  # topics named in "this edition in numbers"


def template_environment(templates: Mapping[str, str]) -> jinja2.Environment:
    """The Jinja2 environment for these template sources.

    Compiling the templates costs about a hundred times what rendering them
    does, so an environment is kept for each set of sources seen recently;
    an edited template is a new set, and gets a fresh environment.
    """
    return _environment(tuple(sorted(templates.items())))


@functools.lru_cache(maxsize=8)
def _environment(templates: tuple[tuple[str, str], ...]) -> jinja2.Environment:
    # Imported on first use: commands that never render (update, feeds,
    # recipients) start without its 18 ms.
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.DictLoader(dict(templates)),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "mjml", "xml"), default_for_string=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = wrap_text
    env.filters["paragraphs"] = html_paragraphs
    env.filters["lines"] = html_lines
    env.filters["outlet_ref"] = outlet_reference
    env.filters["css_fonts"] = css_fonts
    return env


_FONT_LIST = re.compile(r"[A-Za-z0-9 ,'-]+")


def css_fonts(fonts: str) -> Markup:
    """A font stack safe to write into a <style> block as it is (escaping
    would turn its quotes into entities CSS does not read); anything else
    falls back to the bundled stack."""
    return Markup(fonts if _FONT_LIST.fullmatch(fonts) else Theme.font_family)


def outlet_reference(pair: tuple[Item, int]) -> str:
    """`RFA [3]`: an outlet and the number of its link in the text part."""
    item, number = pair
    return f"{item.outlet} [{number}]"


def html_paragraphs(text: str) -> Markup:
    """Each line of `text` as an escaped <p>: the editor's paragraphs survive MJML."""
    return Markup("").join(Markup("<p>{}</p>").format(line) for line in _lines(text))


def html_lines(text: str) -> Markup:
    """Lines joined with <br>, each escaped: a signature's name and role, a
    summary's standfirst and first paragraph."""
    return Markup("<br>").join(_lines(text))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def wrap_text(text: str, width: int = TEXT_WIDTH, indent: str = "", first: str = "") -> str:
    """Wrap each paragraph to `width`; `first` prefixes the first line, `indent` the rest.

    Greedy, on spaces only: a word longer than the line (an address) keeps a
    line of its own, whole, so it stays clickable. (textwrap does the same
    but takes ten times as long, and a 40-item text part wraps 250 times.)
    """
    lines: list[str] = []
    prefix = first
    for paragraph in str(text).split("\n"):
        words = paragraph.split()
        if not words:
            continue
        line = [prefix + words[0]]
        length = len(line[0])
        for word in words[1:]:
            if length + 1 + len(word) <= width:
                line.append(word)
                length += 1 + len(word)
            else:
                lines.append(" ".join(line))
                line = [indent + word]
                length = len(line[0])
        lines.append(" ".join(line))
        prefix = indent
    return "\n".join(lines)


def render_edition(
    edition: Edition,
    templates: Mapping[str, str],
    *,
    sender: Sender,
    zone: tzinfo,
    theme: Theme,
    mailing: MailingList,
    web: bool = False,
) -> RenderedEdition:
    """The email for `edition`: subject, preheader, HTML and text parts.

    `web=True` renders the web version instead: the logo is a file beside the
    page rather than a part of the message, and the footer speaks to a
    visitor rather than a subscriber.
    """
    sources = email_sources(
        edition, templates, sender=sender, zone=zone, theme=theme, mailing=mailing, web=web
    )
    try:
        html = mjml2html(sources.mjml, disable_comments=True, fonts={})
    except ValueError as exc:
        raise RenderError("email.mjml", f"MJML could not be compiled: {exc}") from exc
    # Mail transports end every part with a newline; ending the file with one
    # too keeps the .eml part and email.html byte for byte the same.
    html = _end_line(html)
    return RenderedEdition(
        subject=sources.subject,
        preheader=sources.preheader,
        html=html,
        text=_end_line(sources.text),
        warnings=tuple(_warnings(html, theme, mailing)),
        logo=theme.logo,
    )


@dataclass(frozen=True)
class EmailSources:
    """The templates' output before MJML compiles the HTML part."""

    subject: str
    preheader: str
    mjml: str
    text: str


def email_sources(
    edition: Edition,
    templates: Mapping[str, str],
    *,
    sender: Sender,
    zone: tzinfo,
    theme: Theme,
    mailing: MailingList,
    web: bool = False,
) -> EmailSources:
    """Run the Jinja2 templates: subject and preheader first, since the body uses them."""
    env = template_environment(templates)
    context = _context(edition, sender, zone, theme, mailing, web)
    subject = " ".join(_render(env, "subject.txt", context).split())
    context["subject"] = subject
    preheader = " ".join(_render(env, "preheader.txt", context).split())
    context["preheader"] = preheader
    mjml = _render(env, "email.mjml", context)
    return EmailSources(subject, preheader, mjml, _render(env, "email.txt", context))


def _warnings(html: str, theme: Theme, mailing: MailingList) -> list[str]:
    warnings = contrast_warnings(theme)
    size = len(html.encode("utf-8"))
    if size > mailing.html_budget:
        warnings.append(
            f"the HTML is {size / 1000:.0f} KB, over the {mailing.html_budget / 1000:.0f} KB "
            "budget; Gmail clips messages past about 102 KB "
            "(fewer items or shorter summaries help)"
        )
    return warnings


def _end_line(content: str) -> str:
    return content if content.endswith("\n") else content + "\n"


def render_index(
    records: Sequence[EditionRecord],
    templates: Mapping[str, str],
    *,
    title: str,
    zone: tzinfo,
    theme: Theme,
) -> str:
    env = template_environment(templates)
    context = {
        "title": title,
        "editions": records,
        "local_date": _date_formatter(zone),
        "theme": theme,
    }
    return _render(env, "index.html", context)


@dataclass(frozen=True)
class MessageBody:
    """An edition's MIME body, written once: each recipient's message is
    their own header block followed by these same bytes (CRLF line ends)."""

    subject: str
    content_type: str  # the top-level Content-Type, boundary included
    data: bytes


def message_body(rendered: RenderedEdition) -> MessageBody:
    """A multipart/alternative body, the text part first as readers expect; a
    logo travels inside, in multipart/related.

    Built with the email package's classic MIME classes: they write the same
    standard message as `EmailMessage` in half the time. Both parts are
    base64: safe for any line length and any script. Boundaries come from
    the content, so a send resumed tomorrow offers the very same bytes.
    """
    alternative = MIMEMultipart("alternative")
    alternative.attach(_text_part(rendered.text, "plain"))
    html = _text_part(rendered.html, "html")
    if rendered.logo is None:
        alternative.attach(html)
    else:
        related = MIMEMultipart("related")
        related.attach(html)
        related.attach(_logo_part(rendered.logo))
        related.set_boundary(_boundary("related", rendered))
        alternative.attach(related)
    alternative.set_boundary(_boundary("alternative", rendered))
    whole = alternative.as_bytes(policy=alternative.policy.clone(linesep="\r\n"))
    _, _, data = whole.partition(b"\r\n\r\n")
    return MessageBody(rendered.subject, str(alternative["Content-Type"]), data)


def compose_message(
    body: MessageBody,
    *,
    sender: Sender,
    to: str,
    date: datetime,
    message_id: str,
    mailing: MailingList,
    list_name: str,
) -> bytes:
    """One recipient's message as SMTP carries it: their headers, with the
    list headers mail clients use for their unsubscribe button (RFC 2369,
    RFC 8058), then the shared body. Writing a dozen headers is all the
    email package does per recipient."""
    headers = Message()
    headers["Content-Type"] = body.content_type
    headers["MIME-Version"] = "1.0"
    headers["From"] = formataddr((sender.name, sender.address), charset="utf-8")
    headers["To"] = to
    headers["Subject"] = _header_text(body.subject)
    headers["Date"] = format_datetime(date)
    headers["Message-ID"] = message_id
    headers["List-Id"] = f"{_header_text(list_name)} <{mailing.list_id}>"
    unsubscribe = [f"<{unsubscribe_mailto(mailing)}>"]
    if mailing.unsubscribe_url:
        unsubscribe.append(f"<{mailing.unsubscribe_url}>")
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    headers["List-Unsubscribe"] = ", ".join(unsubscribe)
    if mailing.archive_url:
        headers["List-Archive"] = f"<{mailing.archive_url}>"
    # Folded as the email package folds them when it writes a whole message.
    policy = headers.policy.clone(linesep="\r\n")
    head = b"".join(policy.fold_binary(name, value) for name, value in headers.items())
    return head + b"\r\n" + body.data


def _boundary(kind: str, rendered: RenderedEdition) -> str:
    """A boundary that cannot occur in the parts: their bodies are base64,
    which has no "_", and their headers are our own few lines."""
    digest = hashlib.sha256(f"{kind}\0{rendered.text}\0{rendered.html}".encode()).hexdigest()
    return f"=_press-digest_{kind}_{digest[:32]}"


def _text_part(content: str, subtype: str) -> MIMENonMultipart:
    """A UTF-8 text part in base64, encoded in one C call (MIMEText encodes
    line by line in Python, which took as long as rendering the edition)."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(content.encode("utf-8")).decode("ascii"))
    return part


def _header_text(value: str) -> str:
    """ASCII as it is; anything else as an RFC 2047 encoded word."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _logo_part(logo: Logo) -> MIMEImage:
    part = MIMEImage(logo.data, logo.mime.split("/")[1])
    part["Content-ID"] = f"<{logo.content_id}>"
    part.add_header("Content-Disposition", "inline", filename=logo.filename)
    return part


def unsubscribe_mailto(mailing: MailingList) -> str:
    return f"mailto:{mailing.unsubscribe_mailto}?subject=unsubscribe"


def _render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    import jinja2  # loaded already: the environment needed it

    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(name, f"template not found: {exc.name}") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(exc.name or name, f"line {exc.lineno}: {exc.message}") from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(name, str(exc)) from exc


def _date_formatter(zone: tzinfo) -> Any:
    def local_date(moment: datetime) -> str:
        local = moment.astimezone(zone)
        return f"{local.day} {MONTHS[local.month - 1]} {local.year}"

    return local_date


def _context(
    edition: Edition,
    sender: Sender,
    zone: tzinfo,
    theme: Theme,
    mailing: MailingList,
    web: bool,
) -> dict[str, Any]:
    local_date = _date_formatter(zone)
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
