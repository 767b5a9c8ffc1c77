"""Download feeds and pages: http(s) with httpx's AsyncClient, local `file:` URLs.

An edge module: the only one that opens network connections. Every failure
becomes a `FeedError` naming the feed, so one bad feed never stops the others.

What publishers and cron need from it:
- bounded concurrency overall and per host, so a run is quick and polite;
- conditional GET (ETag, Last-Modified): a 304 costs no download and no parse;
- redirects followed by hand, so that a permanent move (301/308) is reported
  and a redirect loop is caught;
- retries with doubling backoff on 5xx and dropped connections, and the
  server's own Retry-After on 429/503, within a total time per feed from
  its first request (not from the run's start: long lists wait their turn);
- no host whose DNS hangs holding up the lookups of the others;
- 410 Gone raises `FeedGone`, so the feed can be disabled;
- a size cap counted while streaming, after decompression by bounded steps,
  so neither a huge body nor a gzip bomb fills memory (bodies.py).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .bodies import drain, read_capped, read_file
from .errors import FeedError, FeedGone
from .settings import FetchSettings
from .trust import TrustedCAs, untrusted_certificate, where_cas_are
from .types import FeedSource, FetchResult

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchRequest:
    """One feed to fetch, with what the last run remembered about it."""

    source: FeedSource
    url: str
    etag: str | None = None
    last_modified: str | None = None


class _Retry(Exception):
    """A failure worth another try; `wait` is the server's Retry-After, if any."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.wait = wait


Sleep = Callable[[float], Awaitable[None]]


class Fetcher:
    """Fetches feeds within the configured limits. Use as an async context
    manager, in a loop of its own: it gives the loop its threads for DNS."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        sleep: Sleep = asyncio.sleep,
        expecting: Iterable[str] = (),
    ) -> None:
        """`expecting`: the URLs about to be fetched, when known. If some are
        on the web, the CAs we trust start loading at once, in a thread."""
        self.settings = settings
        self._sleep = sleep
        web = any(urlsplit(url).scheme.lower() in ("http", "https") for url in expecting)
        self._cas = TrustedCAs(ahead=web)
        # One client (one connection pool) per origin. httpcore scans every
        # connection in a pool, with a system call each, whenever a request
        # starts or ends: one shared pool holding the idle connections of
        # dozens of hosts spent a quarter of a busy run's event loop on that.
        self._clients: dict[tuple[str, str], httpx.AsyncClient] = {}
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._in_flight: dict[str, asyncio.Task[FetchResult]] = {}
        self._awaited = 0  # calls to fetch not yet returned
        # Each feed's fetch.feed_timeout, counted from its first turn (_get_once).
        self._budgets: dict[str, asyncio.Timeout] = {}

    @property
    def queued(self) -> bool:
        """Whether some feeds wait for their turn: more are asked for than
        may be fetched at once. Not so in the last round of a run."""
        return self._awaited > self.settings.concurrency

    async def __aenter__(self) -> Fetcher:
        # Names are looked up in the loop's default threads: six on two cores,
        # and six hosts whose DNS hangs (a dead outlet's) held up every other
        # lookup. One a request slot: a lookup never waits for a thread.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="resolve")
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for client in self._clients.values():
            await client.aclose()
        await self._cas.finished()

    def _trusted_cas(self, url: str) -> ssl.SSLContext:
        """The CAs we trust, loaded once a run, not once a host, and not at
        all when every feed is a local file. `url` is the feed that needs
        them: it fails, saying why, if they cannot be loaded."""
        try:
            return self._cas.context()
        except OSError as exc:  # ssl.SSLError is one too
            where = where_cas_are()
            raise FeedError(url, f"could not load the CAs to trust ({where}): {exc}") from exc

    def _client(self, url: str) -> httpx.AsyncClient:
        parts = urlsplit(url)
        origin = (parts.scheme.lower(), parts.netloc.lower())
        client = self._clients.get(origin)
        if client is None:
            client = self._clients[origin] = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.timeout),
                follow_redirects=False,
                verify=self._trusted_cas(url),
                headers={"Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
                # Requests in flight are bounded by our own slots (overall and
                # per host), so the pool only bounds the idle connections it
                # keeps: enough for every slot of the host. Feeds often share a
                # host (a publisher's sections, a blog platform), and a kept
                # connection spares the next feed a TCP and TLS handshake.
                limits=httpx.Limits(
                    max_connections=None, max_keepalive_connections=self.settings.per_host
                ),
            )
        return client

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one feed; a URL asked for twice in a run is fetched once."""
        task = self._in_flight.get(request.url)
        if task is None:
            task = asyncio.ensure_future(self._fetch(request))
            self._in_flight[request.url] = task
        self._awaited += 1
        try:
            return await asyncio.shield(task)
        finally:
            self._awaited -= 1

    async def _fetch(self, request: FetchRequest) -> FetchResult:
        scheme = urlsplit(request.url).scheme.lower()
        if scheme == "file":
            return read_file(request.url, self.settings.max_bytes)
        if scheme not in ("http", "https"):
            raise FeedError(
                request.url, f"unsupported URL scheme {scheme!r} (use http, https or a path)"
            )
        try:
            # Unbounded until the feed's first turn (_get_once): from the run's
            # start, feeds queued behind slow servers ran out of time before
            # they were asked for. (wait_for made a task of its own a feed.)
            budget = self._budgets[request.url] = asyncio.timeout(None)
            async with budget:
                return await self._with_retries(request)
        except TimeoutError:
            raise FeedError(
                request.url,
                f"gave up after {self.settings.feed_timeout:g} s in all (fetch.feed_timeout)",
            ) from None
        finally:
            self._budgets.pop(request.url, None)

    async def _with_retries(self, request: FetchRequest) -> FetchResult:
        attempt = 0
        while True:
            try:
                return await self._follow_redirects(request)
            except _Retry as problem:
                if attempt >= self.settings.retries:
                    tries = "1 try" if attempt == 0 else f"{attempt + 1} tries"
                    raise FeedError(request.url, f"{problem.message} ({tries})") from None
                wait = problem.wait
                if wait is None:
                    wait = self.settings.backoff * 2**attempt
                await self._sleep(wait)
                attempt += 1

    async def _follow_redirects(self, request: FetchRequest) -> FetchResult:
        url = request.url
        seen = {url}
        moved_to: str | None = None
        still_permanent = True
        for _ in range(MAX_REDIRECTS + 1):
            outcome = await self._get_once(url, request)
            if isinstance(outcome, FetchResult):
                return outcome if moved_to is None else _with_move(outcome, moved_to)
            status, target = outcome
            # Only an unbroken chain of permanent moves says the feed has moved:
            # a temporary hop in between means the listed URL is still right.
            still_permanent = still_permanent and status in PERMANENT_REDIRECTS
            if still_permanent:
                moved_to = target
            if target in seen:
                raise FeedError(request.url, f"redirect loop at {target}")
            seen.add(target)
            url = target
        raise FeedError(request.url, f"more than {MAX_REDIRECTS} redirects")

    async def _get_once(self, url: str, request: FetchRequest) -> FetchResult | tuple[int, str]:
        """One GET: a result, or (status, target) for a redirect; raises on failure."""
        headers = {"User-Agent": request.source.user_agent or self.settings.user_agent}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        async with self._slot(url):
            budget = self._budgets.get(request.url)
            if budget is not None and budget.when() is None:  # its first turn: time starts
                budget.reschedule(asyncio.get_running_loop().time() + self.settings.feed_timeout)
            try:
                async with self._client(url).stream("GET", url, headers=headers) as response:
                    outcome = await self._handle(response, request)
                    if not isinstance(outcome, FetchResult) or outcome.not_modified:
                        await drain(response)
                    return outcome
            except httpx.TimeoutException as exc:
                raise FeedError(request.url, f"timed out ({type(exc).__name__})") from exc
            except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
                if untrusted_certificate(exc):
                    # Not a passing fault: trying again would only wait longer.
                    raise FeedError(
                        request.url, f"the server's certificate is not trusted: {exc}"
                    ) from exc
                raise _Retry(f"connection failed: {exc or type(exc).__name__}") from exc
            except httpx.HTTPError as exc:
                raise FeedError(request.url, f"could not fetch: {exc}") from exc

    def _slot(self, url: str) -> _Slots:
        host = urlsplit(url).netloc.lower()
        if host not in self._host_slots:
            self._host_slots[host] = asyncio.Semaphore(self.settings.per_host)
        return _Slots(self._host_slots[host], self._slots)

    async def _handle(
        self, response: httpx.Response, request: FetchRequest
    ) -> FetchResult | tuple[int, str]:
        status = response.status_code
        if status in REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise FeedError(request.url, f"HTTP {status} redirect without a Location")
            return status, urljoin(str(response.url), location)
        if status == 304:
            return FetchResult(
                url=str(response.url), content=b"", status=304, headers=_headers(response)
            )
        if status == 410:
            raise FeedGone(request.url, "HTTP 410 Gone: the publisher has removed this feed")
        if status in RETRIED_STATUSES:
            raise _Retry(
                f"HTTP {status} {response.reason_phrase}", self._retry_after(response, request)
            )
        if status >= 400:
            raise FeedError(request.url, f"HTTP {status} {response.reason_phrase}")
        content = await read_capped(response, request.url, self.settings.max_bytes)
        return FetchResult(
            url=str(response.url), content=content, headers=_headers(response), status=status
        )

    def _retry_after(self, response: httpx.Response, request: FetchRequest) -> float | None:
        if response.status_code not in (429, 503):
            return None
        wait = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
        if wait is not None and wait > self.settings.max_retry_after:
            raise FeedError(
                request.url,
                f"HTTP {response.status_code}: the server asks to wait {wait:g} s, "
                f"more than fetch.max_retry_after ({self.settings.max_retry_after:g} s)",
            )
        return wait


class _Slots:
    """Hold a per-host slot, then an overall one (in that order, so that a
    request waiting for a busy host does not sit on an overall slot)."""

    def __init__(self, host: asyncio.Semaphore, overall: asyncio.Semaphore) -> None:
        self._host = host
        self._overall = overall

    async def __aenter__(self) -> None:
        await self._host.acquire()
        try:
            await self._overall.acquire()
        except BaseException:
            self._host.release()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._overall.release()
        self._host.release()


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _headers(response: httpx.Response) -> tuple[tuple[str, str], ...]:
    return tuple(response.headers.items())


def _with_move(result: FetchResult, moved_to: str) -> FetchResult:
    return FetchResult(
        url=result.url,
        content=result.content,
        headers=result.headers,
        status=result.status,
        moved_to=moved_to,
    )
