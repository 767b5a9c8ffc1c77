"""The editor's preview: a small web app over the `Digest` façade.

An edge, like the CLI: every page and form is one façade call. The email in
the page is produced by the same `Digest.render` the send path freezes, and
`/email.html` serves those bytes untouched, inside a sandboxed iframe.

Safety, since feed text is hostile by default and the app can change what
goes out:
- it binds to 127.0.0.1; elsewhere it needs a token from the environment;
- the Host header must name this server (DNS rebinding), and every POST must
  come from this server's own pages (Origin) with the page's CSRF token;
- pages carry a strict Content-Security-Policy (no inline script, nothing
  from outside) and the email is served with a sandbox CSP of its own.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
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

from .config import Config, load_config
from .core import Digest, bundled_templates_dir, open_digest
from .errors import DigestError

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# The email keeps its inline styles and may show its logo; nothing else runs.
EMAIL_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'"
)
VIEWS = {"desktop": 600, "mobile": 375, "dark": 600, "text": 600}
DARK_QUERY = "@media (prefers-color-scheme: dark)"


@dataclass(frozen=True)
class PreviewSettings:
    host: str = "127.0.0.1"
    port: int = 8025
    token: str | None = None  # required when not on loopback
    # Re-read the config on each request and tell open pages to reload when
    # a template or the config changes (for template work).
    watch: bool = False


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def create_app(config: Config, settings: PreviewSettings) -> Starlette:
    """The preview app for `config`. Each request opens the store for itself."""
    csrf = secrets.token_urlsafe(32)
    pages = _environment()

    @contextmanager
    def digest() -> Iterator[Digest]:
        current = load_config(config.path) if settings.watch else config
        with open_digest(current) as opened:
            yield opened

    def page(request: Request) -> Response:
        view = request.query_params.get("view", "desktop")
        view = view if view in VIEWS else "desktop"
        with digest() as d:
            edition = d.plan()
            rendered = d.render(edition)
            context = {
                "edition": edition,
                "rendered": rendered,
                "view": view,
                "width": VIEWS[view],
                "topics": d.sections_taxonomy().topics,
                "audit": (audit := d.store.audit_log(50)),
                "approval_event": next((e for e in audit if e.field == "approval"), None),
                "approval": d.approval(),
                "health": {f.source.url: f for f in d.feed_health()},
                "csrf": csrf,
                "message": request.query_params.get("message", ""),
                "watch": settings.watch,
            }
        return _html(pages.get_template("preview.html").render(context))

    def email_html(request: Request) -> Response:
        with digest() as d:
            html = d.render(d.plan()).html
        return Response(html, media_type="text/html; charset=utf-8", headers=_email_headers())

    def email_dark(request: Request) -> Response:
        """The email as a client in dark mode shows it. Browsers do not pass a
        dark preference into a frame, so this copy applies the email's own
        dark-mode rules unconditionally; it is for looking, never sent."""
        with digest() as d:
            html = d.render(d.plan()).html
        forced = html.replace(DARK_QUERY, "@media all")
        return Response(forced, media_type="text/html; charset=utf-8", headers=_email_headers())

    def email_text(request: Request) -> Response:
        with digest() as d:
            text = d.render(d.plan()).text
        return PlainTextResponse(text, headers=_page_headers())

    def archive(request: Request) -> Response:
        with digest() as d:
            sent = [d.store.frozen(slug) for slug in d.store.sent_editions()]
        context = {"editions": [f for f in sent if f is not None]}
        return _html(pages.get_template("archive.html").render(context))

    def archived_email(request: Request) -> Response:
        slug = request.path_params["slug"]
        with digest() as d:
            frozen = d.store.frozen(slug) if slug in d.store.sent_editions() else None
        if frozen is None:
            return PlainTextResponse("no such edition", status_code=404)
        return Response(
            frozen.rendered.html, media_type="text/html; charset=utf-8", headers=_email_headers()
        )

    async def edit_item(request: Request) -> Response:
        form = await _checked_form(request, settings, csrf)
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

        return _after(digest, apply)

    async def edit_texts(request: Request) -> Response:
        form = await _checked_form(request, settings, csrf)

        def apply(d: Digest) -> None:
            for field in ("subject", "intro", "closing"):
                if field in form:
                    d.edit_text(field, str(form[field]))

        return _after(digest, apply)

    async def add_link(request: Request) -> Response:
        form = await _checked_form(request, settings, csrf)
        return _after(digest, lambda d: d.add_link(str(form.get("url", ""))))

    async def events(request: Request) -> Response:
        """Server-sent events: "reload" whenever a watched file changes."""
        if not settings.watch:
            return PlainTextResponse("not watching (start with --watch)", status_code=404)
        return StreamingResponse(
            _reloads(watched_paths(config)),
            media_type="text/event-stream",
            headers=_page_headers(),
        )

    async def unsubscribe(request: Request) -> Response:
        """The link in a reader's List-Unsubscribe header. Mail providers POST
        here from their own servers (RFC 8058), so there is no Origin or CSRF
        to check: the signed token is the proof. A GET only shows a button,
        because link scanners follow GETs."""
        address = request.query_params.get("address", "")
        token = request.query_params.get("token", "")
        if request.method == "GET":
            context = {"address": address, "token": token}
            return _html(pages.get_template("unsubscribe.html").render(context))
        with digest() as d:
            done = d.unsubscribe_with_token(address, token)
        if not done:
            return PlainTextResponse("This unsubscribe link is not valid.", status_code=400)
        return PlainTextResponse(f"{address} will receive no more editions.")

    async def approve(request: Request) -> Response:
        await _checked_form(request, settings, csrf)
        return _after(digest, lambda d: d.approve())

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/email.html", email_html),
            Route("/email.txt", email_text),
            Route("/email-dark.html", email_dark),
            Route("/archive", archive),
            Route("/archive/{slug}/email.html", archived_email),
            Route("/items/{item_id:int}", edit_item, methods=["POST"]),
            Route("/texts", edit_texts, methods=["POST"]),
            Route("/add", add_link, methods=["POST"]),
            Route("/approve", approve, methods=["POST"]),
            Route("/unsubscribe", unsubscribe, methods=["GET", "POST"]),
            Route("/preview.css", lambda request: _static("preview.css", "text/css")),
            Route("/preview.js", lambda request: _static("preview.js", "text/javascript")),
            Route("/events", events),
        ],
    )
    app.add_middleware(_Guard, settings=settings)
    return app


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


def _after(digest: Callable[[], Any], apply: Callable[[Digest], object]) -> Response:
    """Apply one change, then back to the page (303: the browser GETs it)."""
    try:
        with digest() as d:
            apply(d)
        return RedirectResponse("/", status_code=303)
    except DigestError as exc:
        return RedirectResponse(f"/?message={_quote(str(exc))}", status_code=303)


def _quote(text: str) -> str:
    return quote(text[:300])


async def _checked_form(request: Request, settings: PreviewSettings, csrf: str) -> Any:
    """The form of a POST that came from one of our pages, or a 403."""
    origin = request.headers.get("origin") or _origin_of(request.headers.get("referer", ""))
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin != own:
        raise HTTPException(403, f"cross-origin request refused (origin {origin or 'missing'})")
    form = await request.form()
    token = str(form.get("csrf", ""))
    if not hmac.compare_digest(token, csrf):
        raise HTTPException(403, "stale or missing form token: reload the page and try again")
    return form


def _origin_of(referer: str) -> str:
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class _Guard:
    """Host check, optional token, refusals as 403 and security headers."""

    def __init__(self, app: Any, settings: PreviewSettings) -> None:
        self.app = app
        self.settings = settings
        port = settings.port
        names = (
            {settings.host, "127.0.0.1", "localhost"}
            if is_loopback(settings.host)
            else {settings.host}
        )
        # An IPv6 address is bracketed in a Host header: [::1]:8025.
        self.hosts = {f"[{name}]:{port}" if ":" in name else f"{name}:{port}" for name in names}
        # Listening on every address, the names it is reached by are unknown;
        # the token (required then) is what keeps other sites out.
        self.any_host = settings.host in ("0.0.0.0", "::")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        host = request.headers.get("host", "")
        if host not in self.hosts and not self.any_host:
            # A page on another site resolving its own name to 127.0.0.1.
            await _refuse(400, f"unexpected Host header {host!r}", scope, receive, send)
            return
        token = self.settings.token
        if token and hmac.compare_digest(request.query_params.get("token", ""), token):
            # Opening /?token=... once leaves a cookie, so the token stays out
            # of the address bar and the history from then on.
            response = RedirectResponse(request.url.path, status_code=303)
            response.set_cookie("digest_token", token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        # The unsubscribe link is for readers, who carry their own signed token.
        if token and not self._authorised(request) and request.url.path != "/unsubscribe":
            await _refuse(
                401, "this preview needs its token: open /?token=...", scope, receive, send
            )
            return
        await self.app(scope, receive, _with_headers(send))

    def _authorised(self, request: Request) -> bool:
        token = self.settings.token or ""
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        given = given or request.cookies.get("digest_token", "")
        return hmac.compare_digest(given, token)


def _with_headers(send: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    async def sending(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", [])]
            present = {k.lower() for k, _ in headers}
            for name, value in _page_headers().items():
                if name.lower().encode() not in present:
                    headers.append((name.lower().encode(), value.encode()))
            message = {**message, "headers": headers}
        await send(message)

    return sending


async def _refuse(status: int, text: str, scope: Any, receive: Any, send: Any) -> None:
    response = PlainTextResponse(text, status_code=status, headers=_page_headers())
    await response(scope, receive, send)


def _page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": PAGE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _email_headers() -> dict[str, str]:
    return {**_page_headers(), "Content-Security-Policy": EMAIL_POLICY}


def _html(body: str) -> HTMLResponse:
    return HTMLResponse(body, headers=_page_headers())


def _static(name: str, media_type: str) -> Response:
    text = resources.files("digest").joinpath("preview_pages", name).read_text("utf-8")
    return Response(text, media_type=media_type, headers=_page_headers())


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
