"""Download feeds: http(s) with httpx, local files for `file:` URLs.

An edge module: the only one that opens network connections for feeds. Every
failure becomes a `FeedError` naming the feed, so one bad feed never stops
the others. Sizes are capped while reading, after decompression, so neither
a huge feed nor a gzip bomb can fill memory.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from .errors import FeedError
from .types import FeedSource, FetchResult

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


def open_client(*, timeout: float, user_agent: str) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        headers={"User-Agent": user_agent, "Accept": ACCEPT},
    )


def fetch_source(source: FeedSource, client: httpx.Client, *, max_bytes: int) -> FetchResult:
    scheme = urlsplit(source.url).scheme.lower()
    if scheme == "file":
        return _read_file(source, max_bytes)
    if scheme in ("http", "https"):
        return _download(source, client, max_bytes)
    raise FeedError(source.url, f"unsupported URL scheme {scheme!r} (use http, https or a path)")


def local_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def _read_file(source: FeedSource, max_bytes: int) -> FetchResult:
    path = local_path(source.url)
    try:
        with path.open("rb") as handle:
            content = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FeedError(source.url, f"feed file not found: {path}") from None
    except OSError as exc:
        raise FeedError(source.url, f"cannot read feed file {path}: {exc.strerror}") from exc
    if len(content) > max_bytes:
        raise FeedError(source.url, f"feed is larger than the {max_bytes:,}-byte limit")
    return FetchResult(url=source.url, content=content)


def _download(source: FeedSource, client: httpx.Client, max_bytes: int) -> FetchResult:
    try:
        with client.stream("GET", source.url) as response:
            if response.status_code >= 400:
                raise FeedError(
                    source.url, f"HTTP {response.status_code} {response.reason_phrase}"
                )
            chunks: list[bytes] = []
            size = 0
            # iter_bytes yields decoded (decompressed) bytes: the cap applies to those.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FeedError(
                        source.url, f"feed is larger than the {max_bytes:,}-byte limit"
                    )
                chunks.append(chunk)
            return FetchResult(
                url=str(response.url),
                content=b"".join(chunks),
                headers=tuple(response.headers.items()),
                status=response.status_code,
            )
    except httpx.TimeoutException as exc:
        raise FeedError(source.url, f"timed out ({type(exc).__name__})") from exc
    except httpx.DecodingError as exc:
        raise FeedError(source.url, f"could not decompress the response: {exc}") from exc
    except httpx.HTTPError as exc:
        raise FeedError(source.url, f"could not fetch: {exc}") from exc
