"""Turn an `Edition` into the email a reader gets: Jinja2 → MJML → HTML, and text
(the context the templates read is layout.py's; the message around them, mime.py's).

Pure: templates arrive as a mapping of name → source (the caller reads the
user's folder and the bundled one), the time zone and message identity are
passed in. One Jinja2 environment, autoescaped, with StrictUndefined so a
misspelt variable fails the build instead of leaving a hole in the email.
MJML is compiled with no web fonts: nothing in the email loads from outside.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from mjml import mjml2html

from .errors import RenderError
from .layout import date_formatter, template_context
from .linebreak import display_width, khmer_pieces
from .messages import Messages
from .text import is_khmer
from .theme import contrast_warnings
from .types import (
    Alternate,
    Edition,
    EditionRecord,
    Item,
    MailingList,
    RenderedEdition,
    Sender,
    Theme,
)

if TYPE_CHECKING:
    import jinja2

TEXT_WIDTH = 78
# Where a line may break between words: any space but the no-break space.
_BREAKABLE_SPACE = re.compile(r"[ \t\r\f\v]+")
ENGLISH_MESSAGES = Messages()


def template_environment(
    templates: Mapping[str, str], messages: Messages = ENGLISH_MESSAGES
) -> jinja2.Environment:
    """The Jinja2 environment for these template sources, speaking `messages`.

    Compiling the templates costs about a hundred times what rendering them
    does, so an environment is kept for each set of sources and language
    seen recently; an edited template is a new set, and gets a fresh one.
    """
    return _environment(tuple(sorted(templates.items())), messages)


@functools.lru_cache(maxsize=8)
def _environment(templates: tuple[tuple[str, str], ...], messages: Messages) -> jinja2.Environment:
    # Imported on first use: commands that never render (update, feeds,
    # recipients) start without its 18 ms.
    import jinja2

    env = jinja2.Environment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.DictLoader(dict(templates)),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "mjml", "xml"), default_for_string=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Every word of the frame comes from the catalogue of the edition's language.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        messages.gettext, messages.ngettext, newstyle=True
    )
    if messages.digits != "latin":
        env.globals["ngettext"] = _native_ngettext(messages)
    env.filters["num"] = messages.number
    env.filters["wrap"] = wrap_text
    env.filters["paragraphs"] = html_paragraphs
    env.filters["lines"] = html_lines
    env.filters["outlet_ref"] = outlet_reference
    env.filters["css_fonts"] = css_fonts
    return env


def _native_ngettext(messages: Messages) -> Callable[..., str]:
    """ngettext for a language that writes its own digits: the count is
    written in them ("%(num)d" in a catalogue becomes "៣០")."""
    import jinja2

    @jinja2.pass_context
    def ngettext(
        context: jinja2.runtime.Context, singular: str, plural: str, num: int, **variables: Any
    ) -> str:
        text = messages.ngettext(singular, plural, num).replace("%(num)d", "%(num)s")
        variables.setdefault("num", messages.number(num))
        if context.eval_ctx.autoescape:
            return Markup(text) % variables
        return text % variables

    return ngettext


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


@functools.lru_cache(maxsize=4096)
def html_paragraphs(text: str) -> Markup:
    """Each line of `text` as an escaped <p>: the editor's paragraphs survive MJML."""
    return Markup("").join(Markup("<p>{}</p>").format(line) for line in _lines(text))


@functools.lru_cache(maxsize=4096)
def html_lines(text: str) -> Markup:
    """Lines joined with <br>, each escaped: a signature's name and role, a
    summary's standfirst and first paragraph. (Kept, like wrapped text: a
    story's summary comes back in each language's edition.)"""
    return Markup("<br>").join(_lines(text))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


@functools.lru_cache(maxsize=4096)
def wrap_text(text: str, width: int = TEXT_WIDTH, indent: str = "", first: str = "") -> str:
    """Wrap each paragraph to `width`; `first` prefixes the first line, `indent` the rest.

    Greedy, on spaces, and within a run of Khmer (which writes no spaces
    between words) where `linebreak` says a line may break: a word longer
    than the line (an address) keeps a line of its own, whole, so it stays
    clickable. (textwrap does the same for spaced text but takes ten times
    as long, and a 40-item text part wraps 250 times; the same summaries
    come back in each language's edition and in each rebuild, so the
    wrapped paragraphs are kept.)
    """
    lines: list[str] = []
    prefix = first
    for paragraph in str(text).split("\n"):
        # Split on spaces only: a no-break space (French puts one before ":")
        # holds its words together, as it does in the HTML part.
        words = [word for word in _BREAKABLE_SPACE.split(paragraph) if word]
        if not words:
            continue
        if is_khmer(paragraph):
            _wrap_khmer(words, width, indent, prefix, lines)
        else:
            _wrap_spaced(words, width, indent, prefix, lines)
        prefix = indent
    return "\n".join(lines)


def _wrap_spaced(words: list[str], width: int, indent: str, prefix: str, lines: list[str]) -> None:
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


def _wrap_khmer(words: list[str], width: int, indent: str, prefix: str, lines: list[str]) -> None:
    """As `_wrap_spaced`, but a run of Khmer may also break where `linebreak`
    allows, with nothing added, and is measured by the room it takes."""
    line, length, empty = prefix, len(prefix), True
    for word in words:
        khmer = is_khmer(word)
        pieces = khmer_pieces(word, width - len(indent)) if khmer else (word,)
        for number, piece in enumerate(pieces):
            joint = "" if number or empty else " "
            size = display_width(piece) if khmer else len(piece)
            if empty or length + len(joint) + size <= width:
                line += joint + piece
                length += len(joint) + size
            else:
                lines.append(line)
                line = indent + piece
                length = len(indent) + size
            empty = False
    lines.append(line)


def render_edition(
    edition: Edition,
    templates: Mapping[str, str],
    *,
    sender: Sender,
    zone: tzinfo,
    theme: Theme,
    mailing: MailingList,
    web: bool = False,
    messages: Messages = ENGLISH_MESSAGES,
    alternates: Sequence[Alternate] = (),
) -> RenderedEdition:
    """The email for `edition`: subject, preheader, HTML and text parts.

    `web=True` renders the web version instead: the logo is a file beside the
    page rather than a part of the message, and the footer speaks to a
    visitor rather than a subscriber.
    """
    sources = email_sources(
        edition,
        templates,
        sender=sender,
        zone=zone,
        theme=theme,
        mailing=mailing,
        web=web,
        messages=messages,
        alternates=alternates,
    )
    try:
        html = mjml2html(sources.mjml, disable_comments=True, fonts={})
    except ValueError as exc:
        raise RenderError(theme.templates[0], f"MJML could not be compiled: {exc}") from exc
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
    messages: Messages = ENGLISH_MESSAGES,
    alternates: Sequence[Alternate] = (),
) -> EmailSources:
    """Run the Jinja2 templates: subject and preheader first, since the body uses them."""
    env = template_environment(templates, messages)
    context = template_context(edition, sender, zone, theme, mailing, web, messages.number)
    context["alternates"] = alternates
    subject = " ".join(_render(env, "subject.txt", context).split())
    context["subject"] = subject
    preheader = " ".join(_render(env, "preheader.txt", context).split())
    context["preheader"] = preheader
    html_template, text_template = theme.templates
    mjml = _render(env, html_template, context)
    return EmailSources(subject, preheader, mjml, _render(env, text_template, context))


def _warnings(html: str, theme: Theme, mailing: MailingList) -> list[str]:
    warnings = list(_contrast_warnings(theme))
    size = len(html.encode("utf-8"))
    if size > mailing.html_budget:
        warnings.append(
            f"the HTML is {size / 1000:.0f} KB, over the {mailing.html_budget / 1000:.0f} KB "
            "budget; Gmail clips messages past about 102 KB "
            "(fewer items or shorter summaries help)"
        )
    return warnings


@functools.lru_cache(maxsize=8)
def _contrast_warnings(theme: Theme) -> tuple[str, ...]:
    """The theme's contrast, worked out once for every language and rebuild."""
    return tuple(contrast_warnings(theme))


def _end_line(content: str) -> str:
    return content if content.endswith("\n") else content + "\n"


def render_index(
    records: Sequence[EditionRecord],
    templates: Mapping[str, str],
    *,
    title: str,
    zone: tzinfo,
    theme: Theme,
    messages: Messages = ENGLISH_MESSAGES,
    alternates: Sequence[Alternate] = (),
) -> str:
    env = template_environment(templates, messages)
    context = {
        "title": title,
        "editions": records,
        "local_date": date_formatter(zone, messages.lang, messages.number),
        "lang": messages.lang,
        "theme": theme,
        "alternates": alternates,
    }
    return _render(env, "index.html", context)


def alternates(languages: Sequence[str], base: str, page: str = "") -> tuple[Alternate, ...]:
    """Links to the same page in other languages: `base`, the language's
    folder, then `page` ("../../fr/<slug>/index.html", "https://…/km/")."""
    return tuple(
        Alternate(lang, language_name(lang), f"{base}{lang}/{page}") for lang in languages
    )


@functools.cache
def language_name(lang: str) -> str:
    """A language's name in itself, as a reader looks for it: "Français", "ខ្មែរ"."""
    from babel.core import Locale, UnknownLocaleError

    try:
        name = Locale.parse(lang).get_display_name(lang) or lang
    except (UnknownLocaleError, ValueError):
        return lang
    return name[:1].upper() + name[1:]


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
