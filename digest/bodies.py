"""What a fetch reads: a response's body within the size cap, a body it
does not need, or a feed kept on disk.

An edge module beside `fetch`. A body is decompressed here, by bounded
steps, and counted against the cap as it streams in, so that neither a huge
body nor a gzip bomb fills memory.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from .errors import FeedError
from .types import FetchResult

# Decompressed bytes produced per step; bounds memory whatever the ratio.
DECOMPRESS_STEP = 256 * 1024
# A redirect whose declared body is no longer than this is read to its end,
# so that its connection can serve the next request instead of being closed.
DRAINED_BODY = 64 * 1024


async def drain(response: httpx.Response) -> None:
    """Read a body we do not need (a 304's, which is empty, or a short
    redirect's) to its end: httpx returns a connection to the pool only after
    a whole response. Any other body is left, and its connection closed."""
    declared = response.headers.get("content-length", "")
    short = declared.isdigit() and int(declared) <= DRAINED_BODY
    if response.status_code == 304 or short:
        await response.aread()


async def read_capped(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    """The body, decoded; a `FeedError` once it is past `max_bytes`."""
    declared = response.headers.get("content-length", "")
    too_big = f"larger than the {max_bytes:,}-byte limit (fetch.max_bytes)"
    if declared.isdigit() and int(declared) > max_bytes:
        raise FeedError(url, f"response is {int(declared):,} bytes, {too_big}")
    decoder = _Decoder(response.headers.get("content-encoding", ""), url)
    body = bytearray()
    async for raw in response.aiter_raw():
        for piece in decoder.feed(raw, max_bytes - len(body) + 1):
            body += piece
            if len(body) > max_bytes:
                raise FeedError(url, f"feed is {too_big}")
    body += decoder.finish()
    if len(body) > max_bytes:
        raise FeedError(url, f"feed is {too_big}")
    return bytes(body)


class _Decoder:
    """gzip/deflate decoding that never makes more than a step of output at once."""

    def __init__(self, encoding: str, url: str) -> None:
        encoding = encoding.strip().lower()
        self._url = url
        self._zlib: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip", "deflate"):
            self._zlib = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
        elif encoding not in ("", "identity"):
            raise FeedError(url, f"unsupported Content-Encoding {encoding!r}")

    def feed(self, data: bytes, room: int) -> list[bytes]:
        if self._zlib is None:
            return [data]
        pieces: list[bytes] = []
        try:
            while data and room > 0:
                piece = self._zlib.decompress(data, min(room, DECOMPRESS_STEP))
                pieces.append(piece)
                room -= len(piece)
                data = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise FeedError(self._url, f"could not decompress the response: {exc}") from exc
        return pieces

    def finish(self) -> bytes:
        """Whatever zlib still holds once the body has ended (usually nothing)."""
        return self._zlib.flush() if self._zlib is not None else b""


def local_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def read_file(url: str, max_bytes: int) -> FetchResult:
    """A feed kept on disk (the sample feeds, or a mirror the editor syncs)."""
    path = local_path(url)
    try:
        with path.open("rb") as handle:
            content = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FeedError(url, f"feed file not found: {path}") from None
    except OSError as exc:
        raise FeedError(url, f"cannot read feed file {path}: {exc.strerror}") from exc
    if len(content) > max_bytes:
        raise FeedError(url, f"feed is larger than the {max_bytes:,}-byte limit")
    return FetchResult(url=url, content=content)
