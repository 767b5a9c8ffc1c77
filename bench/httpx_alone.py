"""The least time httpx takes to bring every feed, run by bench/ingest.py.

Reads the URLs (one a line) from the file it is given, fetches them all with
the limits `digest update` keeps (overall and per host, one pool per origin
sharing one set of trusted CAs), reads each body, and drops it: nothing is
parsed, stored or grouped. A process of its own, as `digest update` is, so
that its time counts the interpreter's start and httpx's imports too.

Usage: python bench/httpx_alone.py URLS-FILE CONCURRENCY PER-HOST
"""

from __future__ import annotations

import sys

sys.modules["httpx._main"] = None  # type: ignore[assignment]  # as digest.cli does

import asyncio  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import httpx  # noqa: E402

# Told of each body once its request slot is free again: (its URL, the body).
Take = Callable[[str, bytes], Awaitable[object]]


async def fetch_all(
    urls: list[str], concurrency: int, per_host: int, take: Take | None = None
) -> int:
    """Fetch every URL, handing each body to `take`; the bytes brought in all."""
    overall = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}
    clients: dict[str, httpx.AsyncClient] = {}
    trusted = httpx.create_ssl_context()

    async def one(url: str) -> int:
        origin = urlsplit(url).netloc
        if origin not in clients:
            hosts[origin] = asyncio.Semaphore(per_host)
            clients[origin] = httpx.AsyncClient(
                verify=trusted,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=per_host),
            )
        async with hosts[origin], overall:
            async with clients[origin].stream("GET", url) as response:
                body = await response.aread()
        if take is not None:
            await take(url, body)
        return len(body)

    try:
        return sum(await asyncio.gather(*(one(url) for url in urls)))
    finally:
        for client in clients.values():
            await client.aclose()


def main() -> None:
    urls_file, concurrency, per_host = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(urls_file, encoding="utf-8") as lines:
        urls = lines.read().split()
    print(asyncio.run(fetch_all(urls, concurrency, per_host)))


if __name__ == "__main__":
    main()
