"""The editor's preview: a small web app over the `Digest` façade.

An edge, like the CLI: every page and form is one façade call. The email in
the page is produced by the same `Digest.render` the send path freezes, and
`/email.html` serves those bytes untouched, inside a sandboxed iframe.

Its safety (token, Host and Origin checks, CSRF, CSP) is preview_guard.py's.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from watchfiles import awatch

from .bundled import bundled_templates_dir
from .config import Config, load_config
from .core import Digest, open_digest
from .errors import DigestError
from .preview_guard import (
    Guard,
    PreviewSettings,
    checked_form,
    email_headers,
    is_loopback,
    page_headers,
)
from .types import RenderedEdition

__all__ = [
    "PreviewSettings",
    "create_app",
    "get_page",
    "is_loopback",
    "request_page",
    "watched_paths",
]

VIEWS = {"desktop": 600, "mobile": 375, "dark": 600, "text": 600}
DARK_QUERY = "@media (prefers-color-scheme: dark)"


def create_app(config: Config, settings: PreviewSettings) -> Starlette:
    """The preview app for `config`. Each request opens the store for itself."""
    pages = _Pages(config, settings)
    app = Starlette(
        routes=[
            Route("/", pages.page),
            Route("/email.html", pages.email_html),
            Route("/email.txt", pages.email_text),
            Route("/email-dark.html", pages.email_dark),
            Route("/archive", pages.archive),
            Route("/archive/{slug}/email.html", pages.archived_email),
            Route("/items/{item_id:int}", pages.edit_item, methods=["POST"]),
            Route("/texts", pages.edit_texts, methods=["POST"]),
            Route("/add", pages.add_link, methods=["POST"]),
            Route("/approve", pages.approve, methods=["POST"]),
            Route("/unsubscribe", pages.unsubscribe, methods=["GET", "POST"]),
            Route("/preview.css", lambda request: _static("preview.css", "text/css")),
            Route("/preview.js", lambda request: _static("preview.js", "text/javascript")),
            Route("/events", pages.events),
        ],
    )
    app.add_middleware(Guard, settings=settings)
    return app


class _Pages:
    """What each route of the preview answers: one façade call, then a page,
    the email's bytes, or a redirect back to the page after a change."""

    def __init__(self, config: Config, settings: PreviewSettings) -> None:
        self.config = config
        self.settings = settings
        self.csrf = secrets.token_urlsafe(32)  # the forms' token, for this app's life
        self.templates = _environment()

    @contextmanager
    def digest(self) -> Iterator[Digest]:
        """The façade for one request; with --watch, over the config as it is now."""
        current = load_config(self.config.path) if self.settings.watch else self.config
        with open_digest(current) as opened:
            yield opened

    def page(self, request: Request) -> Response:
        view = request.query_params.get("view", "desktop")
        view = view if view in VIEWS else "desktop"
        with self.digest() as d:
            lang = _language(request, d)
            edition = d.plan()
            shown = d.in_language(edition, lang)
            audit = d.audit_log(50)
            context = {
                "edition": edition,
                "words": shown.text,
                "rendered": d.render(shown),
                "lang": lang,
                "languages": d.languages,
                "view": view,
                "width": VIEWS[view],
                "topics": d.sections_taxonomy().topics,
                "audit": audit,
                "approval_event": next((e for e in audit if e.field == "approval"), None),
                "approval": d.approval(),
                "health": {f.source.url: f for f in d.feed_health()},
                "csrf": self.csrf,
                "message": request.query_params.get("message", ""),
                "watch": self.settings.watch,
            }
        return _html(self.templates.get_template("preview.html").render(context))

    def rendered(self, request: Request) -> RenderedEdition:
        """The next edition as the readers of the asked language get it."""
        with self.digest() as d:
            return d.render(d.in_language(d.plan(), _language(request, d)))

    def email_html(self, request: Request) -> Response:
        html = self.rendered(request).html
        return Response(html, media_type="text/html; charset=utf-8", headers=email_headers())

    def email_dark(self, request: Request) -> Response:
        """The email as a client in dark mode shows it. Browsers do not pass a
        dark preference into a frame, so this copy applies the email's own
        dark-mode rules unconditionally; it is for looking, never sent."""
        forced = self.rendered(request).html.replace(DARK_QUERY, "@media all")
        return Response(forced, media_type="text/html; charset=utf-8", headers=email_headers())

    def email_text(self, request: Request) -> Response:
        return PlainTextResponse(self.rendered(request).text, headers=page_headers())

    def archive(self, request: Request) -> Response:
        with self.digest() as d:
            context = {"editions": d.sent_editions()}
        return _html(self.templates.get_template("archive.html").render(context))

    def archived_email(self, request: Request) -> Response:
        with self.digest() as d:
            frozen = d.sent_edition(request.path_params["slug"])
        if frozen is None:
            return PlainTextResponse("no such edition", status_code=404)
        return Response(
            frozen.rendered.html, media_type="text/html; charset=utf-8", headers=email_headers()
        )

    async def edit_item(self, request: Request) -> Response:
        form = await checked_form(request, self.settings, self.csrf)
        item_id = int(request.path_params["item_id"])
        action = str(form.get("action", ""))

        def apply(d: Digest) -> None:
            if action in ("up", "down"):
                d.move_item(item_id, -1 if action == "up" else 1)
            elif action in ("exclude", "include"):
                d.edit_item(item_id, excluded=action == "exclude")
            elif action in ("hold", "release"):
                d.edit_item(item_id, held=action == "hold")
            elif action in ("pin", "unpin"):
                d.edit_item(item_id, lead=action == "pin")
            elif action == "move":
                d.edit_item(item_id, topic=str(form.get("topic", "")))
            elif action == "edit":
                d.edit_item(
                    item_id, title=str(form.get("title", "")), summary=str(form.get("summary", ""))
                )
            else:
                raise DigestError(f"unknown action {action!r}")

        return _after(self.digest, apply)

    async def edit_texts(self, request: Request) -> Response:
        form = await checked_form(request, self.settings, self.csrf)
        lang = str(form.get("lang", ""))

        def apply(d: Digest) -> None:
            for field in ("subject", "intro", "closing"):
                if field in form:
                    d.edit_text(field, str(form[field]), lang)

        return _after(self.digest, apply, f"/?lang={quote(lang)}" if lang else "/")

    async def add_link(self, request: Request) -> Response:
        form = await checked_form(request, self.settings, self.csrf)
        return _after(self.digest, lambda d: d.add_link(str(form.get("url", ""))))

    async def approve(self, request: Request) -> Response:
        await checked_form(request, self.settings, self.csrf)
        return _after(self.digest, lambda d: d.approve())

    async def events(self, request: Request) -> Response:
        """Server-sent events: "reload" whenever a watched file changes."""
        if not self.settings.watch:
            return PlainTextResponse("not watching (start with --watch)", status_code=404)
        return StreamingResponse(
            _reloads(watched_paths(self.config)),
            media_type="text/event-stream",
            headers=page_headers(),
        )

    async def unsubscribe(self, request: Request) -> Response:
        """The link in a reader's List-Unsubscribe header. Mail providers POST
        here from their own servers (RFC 8058), so there is no Origin or CSRF
        to check: the signed token is the proof. A GET only shows a button,
        because link scanners follow GETs."""
        address = request.query_params.get("address", "")
        token = request.query_params.get("token", "")
        with self.digest() as d:
            # A reader's page speaks their edition's language, from its catalogue.
            words = d.messages(address)
            if request.method == "GET":
                context = {"address": address, "token": token, "_": words.gettext}
                context["lang"] = words.lang
                return _html(self.templates.get_template("unsubscribe.html").render(context))
            done = d.unsubscribe_with_token(address, token)
        if not done:
            return PlainTextResponse(words.gettext("This unsubscribe link is not valid."), 400)
        message = words.gettext("%(address)s will receive no more editions.")
        return PlainTextResponse(message % {"address": address})


def watched_paths(config: Config) -> list[Path]:
    """The config file and the template folders (the user's, then ours)."""
    paths = [config.path.resolve(), bundled_templates_dir()]
    if config.paths.templates is not None and config.paths.templates.is_dir():
        paths.append(config.paths.templates)
    return paths


async def _reloads(paths: list[Path]) -> AsyncIterator[str]:
    yield ": watching for changes\n\n"  # opens the stream at once
    async for _ in awatch(*paths, debounce=200, step=50):
        yield "data: reload\n\n"


def _language(request: Request, d: Digest) -> str:
    """The language asked for (?lang=fr) if the config writes it, else the default."""
    lang = request.query_params.get("lang", "")
    return lang if lang in d.languages else d.languages[0]


def _after(
    digest: Callable[[], Any], apply: Callable[[Digest], object], back: str = "/"
) -> Response:
    """Apply one change, then back to the page (303: the browser GETs it)."""
    try:
        with digest() as d:
            apply(d)
        return RedirectResponse(back, status_code=303)
    except DigestError as exc:
        joint = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{joint}message={_quote(str(exc))}", status_code=303)


def _quote(text: str) -> str:
    return quote(text[:300])


def _html(body: str) -> HTMLResponse:
    return HTMLResponse(body, headers=page_headers())


def _static(name: str, media_type: str) -> Response:
    text = resources.files("digest").joinpath("preview_pages", name).read_text("utf-8")
    return Response(text, media_type=media_type, headers=page_headers())


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("digest", "preview_pages"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def get_page(config: Config, path: str) -> tuple[int, str]:
    """`digest preview --get PATH`: one page, in process, no port opened."""
    settings = PreviewSettings()
    app = create_app(config, settings)
    return asyncio.run(request_page(app, path, f"{settings.host}:{settings.port}"))


async def request_page(app: Any, target: str, host: str) -> tuple[int, str]:
    """A GET through the whole ASGI stack, as a browser on this machine would send it."""
    parts = urlsplit(target)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path or "/",
        "raw_path": (parts.path or "/").encode(),
        "query_string": parts.query.encode(),
        "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", int(host.rsplit(":", 1)[1])),
    }
    status = 500
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body).decode("utf-8", "replace")
