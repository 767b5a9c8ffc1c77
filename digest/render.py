"""Turn an `Edition` into the email a reader gets: Jinja2 → MJML → HTML, and text.

Pure: templates arrive as a mapping of name → source (the caller reads the
user's folder and the bundled one), the time zone and message identity are
passed in. One Jinja2 environment, autoescaped, with StrictUndefined so a
misspelt variable fails the build instead of leaving a hole in the email.
MJML is compiled with no web fonts: nothing in the email loads from outside.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import jinja2
from markupsafe import Markup
from mjml import mjml2html

from .errors import RenderError
from .types import Edition, EditionRecord, RenderedEdition, Sender

TEXT_WIDTH = 78
HTML_SIZE_WARNING = 100_000  # bytes; Gmail clips messages past about 102 KB


def template_environment(templates: Mapping[str, str]) -> jinja2.Environment:
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
    return env


def html_paragraphs(text: str) -> Markup:
    """Each line of `text` as an escaped <p>: the editor's paragraphs survive MJML."""
    return Markup("").join(Markup("<p>{}</p>").format(line) for line in _lines(text))


def html_lines(text: str) -> Markup:
    """Lines joined with <br>, each escaped: for a signature with name and role."""
    return Markup("<br>").join(_lines(text))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def wrap_text(text: str, width: int = TEXT_WIDTH, indent: str = "", first: str = "") -> str:
    """Wrap each paragraph to `width`; `first` prefixes the first line, `indent` the rest."""
    paragraphs = [p for p in str(text).split("\n") if p.strip()]
    lines: list[str] = []
    for number, paragraph in enumerate(paragraphs):
        lines.extend(
            textwrap.wrap(
                paragraph,
                width=width,
                initial_indent=first if number == 0 else indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def render_edition(
    edition: Edition,
    templates: Mapping[str, str],
    *,
    sender: Sender,
    zone: tzinfo,
) -> RenderedEdition:
    env = template_environment(templates)
    context = _context(edition, sender, zone)
    subject = " ".join(_render(env, "subject.txt", context).split())
    context["subject"] = subject
    preheader = " ".join(_render(env, "preheader.txt", context).split())
    context["preheader"] = preheader
    source = _render(env, "email.mjml", context)
    try:
        html = mjml2html(source, disable_comments=True, fonts={})
    except ValueError as exc:
        raise RenderError("email.mjml", f"MJML could not be compiled: {exc}") from exc
    text = _render(env, "email.txt", context)
    # Mail transports end every part with a newline; ending the file with one
    # too keeps the .eml part and email.html byte for byte the same.
    return RenderedEdition(
        subject=subject, preheader=preheader, html=_end_line(html), text=_end_line(text)
    )


def _end_line(content: str) -> str:
    return content if content.endswith("\n") else content + "\n"


def render_index(
    records: Sequence[EditionRecord], templates: Mapping[str, str], *, title: str, zone: tzinfo
) -> str:
    env = template_environment(templates)
    context = {"title": title, "editions": records, "local_date": _date_formatter(zone)}
    return _render(env, "index.html", context)


def compose_message(
    rendered: RenderedEdition,
    *,
    sender: Sender,
    to: str,
    date: datetime,
    message_id: str,
) -> EmailMessage:
    """A multipart/alternative message: the text part first, as readers expect."""
    message = EmailMessage()
    message["From"] = f"{sender.name} <{sender.address}>" if sender.name else sender.address
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message


def _render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
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
        return f"{local.day} {local:%b %Y}"

    return local_date


def _context(edition: Edition, sender: Sender, zone: tzinfo) -> dict[str, Any]:
    local_date = _date_formatter(zone)
    counts = [(section.topic.label, len(section.items)) for section in edition.sections]
    return {
        "edition": edition,
        "text": edition.text,
        "sections": edition.sections,
        "sender": sender,
        "item_count": sum(count for _, count in counts),
        "counts": counts,
        "date": local_date(edition.created),
        "local_date": local_date,
    }
