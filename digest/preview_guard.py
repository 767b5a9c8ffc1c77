"""The preview's safety: who may reach it and what its pages may do.

Feed text is hostile by default and the preview can change what goes out, so:
- it binds to 127.0.0.1; elsewhere it needs a token from the environment;
- the Host header must name this server (DNS rebinding), and every POST must
  come from this server's own pages (Origin) with the page's CSRF token;
- pages carry a strict Content-Security-Policy (no inline script, nothing
  from outside) and the email is served with a sandbox CSP of its own.

The ASGI middleware (`Guard`) and the form check (`checked_form`) the app uses.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse

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


async def checked_form(request: Request, settings: PreviewSettings, csrf: str) -> Any:
    """The form of a POST that came from one of our pages, or a 403."""
    origin = request.headers.get("origin") or origin_of(request.headers.get("referer", ""))
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin != own:
        raise HTTPException(403, f"cross-origin request refused (origin {origin or 'missing'})")
    form = await request.form()
    token = str(form.get("csrf", ""))
    if not hmac.compare_digest(token, csrf):
        raise HTTPException(403, "stale or missing form token: reload the page and try again")
    return form


def origin_of(referer: str) -> str:
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class Guard:
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
            await refuse(400, f"unexpected Host header {host!r}", scope, receive, send)
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
            await refuse(
                401, "this preview needs its token: open /?token=...", scope, receive, send
            )
            return
        await self.app(scope, receive, with_headers(send))

    def _authorised(self, request: Request) -> bool:
        token = self.settings.token or ""
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        given = given or request.cookies.get("digest_token", "")
        return hmac.compare_digest(given, token)


def with_headers(send: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    async def sending(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", [])]
            present = {k.lower() for k, _ in headers}
            for name, value in page_headers().items():
                if name.lower().encode() not in present:
                    headers.append((name.lower().encode(), value.encode()))
            message = {**message, "headers": headers}
        await send(message)

    return sending


async def refuse(status: int, text: str, scope: Any, receive: Any, send: Any) -> None:
    response = PlainTextResponse(text, status_code=status, headers=page_headers())
    await response(scope, receive, send)


def page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": PAGE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def email_headers() -> dict[str, str]:
    return {**page_headers(), "Content-Security-Policy": EMAIL_POLICY}
