"""Shared fixtures, named by the state they give."""

from __future__ import annotations

import gzip
import http.server
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .postgres import Cluster, start_cluster
from .smtp import certificates

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_OPML = ROOT / "feeds" / "sample.opml"
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"

CONFIG_TEMPLATE = """\
[digest]
title = "Test digest"
organisation = "Test Press Office"
intro = "What happened this week."
closing = "Ask us anything."
signature = "Dara, press officer"
max_age_days = 0

[sender]
name = "Test Press Office"
address = "press@example.org"

[paths]
feeds = "{feeds}"
database = "{database}"
output = "{output}"
"""


def write_config(folder: Path, feeds: Path, extra: str = "") -> Path:
    """A valid config in `folder` reading `feeds`, with its own database and output."""
    path = folder / "digest.toml"
    path.write_text(
        CONFIG_TEMPLATE.format(
            feeds=feeds.as_posix(),
            database=(folder / "digest.sqlite3").as_posix(),
            output=(folder / "output").as_posix(),
        )
        + extra,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def sample_config(tmp_path: Path) -> Path:
    """A config over the bundled sample feeds, writing only under tmp_path."""
    return write_config(tmp_path, SAMPLE_OPML)


def run_digest(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`digest run` in its own process, as cron would start it."""
    return subprocess.run(
        [sys.executable, "-m", "digest", "run", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
    )


def shared_fixture(*parts: str) -> Path:
    """A third-party fixture from ../shared/fixtures, or skip saying it is absent."""
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"third-party fixtures not found at {path} (see ../shared/fixtures/SOURCES.md)"
        )
    return path


@dataclass
class Route:
    """One response. `etag`/`last_modified` make the route answer 304 to a
    request that presents them; `drop` closes the connection without a word;
    `stream` sends no Content-Length and ends the body by closing."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/xml"})
    delay: float = 0.0
    chunks: int = 1
    chunk_delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    drop: bool = False
    stream: bool = False


@dataclass
class Seen:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    at: float


@dataclass
class FeedServer:
    """A real HTTP server on 127.0.0.1; tests add routes and read the request log.

    A path may hold several routes: each request takes the next, and the last
    one answers every request after it (for "500, then success").
    """

    base: str
    routes: dict[str, list[Route]]
    seen: list[Seen]
    busy: dict[str, int] = field(default_factory=lambda: {"now": 0, "most": 0, "connections": 0})

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def add(self, path: str, body: bytes = b"", **options: object) -> str:
        self.routes[path] = [Route(body=body, **options)]  # type: ignore[arg-type]
        return self.url(path)

    def add_sequence(self, path: str, *routes: Route) -> str:
        self.routes[path] = list(routes)
        return self.url(path)

    def add_gzip(self, path: str, body: bytes) -> str:
        headers = {"Content-Type": "application/xml", "Content-Encoding": "gzip"}
        return self.add(path, gzip.compress(body), headers=headers)

    def hits(self, path: str) -> list[Seen]:
        return [request for request in self.seen if request.path == path]

    def wait_for_requests(self, count: int) -> None:
        """Until `count` requests came in: the runs under test got going."""
        deadline = time.monotonic() + 60
        while len(self.seen) < count:
            assert time.monotonic() < deadline, "the runs never got going"
            time.sleep(0.02)

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        return [(request.path, request.headers) for request in self.seen]


class _ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    yield from _serve_feeds()


@pytest.fixture
def https_feed_server(tmp_path: Path) -> Iterator[tuple[FeedServer, Path]]:
    """The same server over TLS, with a certificate for 127.0.0.1 from a
    throwaway CA that nothing trusts, and that CA's PEM file."""
    tls, ca_file = certificates(tmp_path)
    for server in _serve_feeds(tls):
        yield server, ca_file


def _serve_feeds(tls: ssl.SSLContext | None = None) -> Iterator[FeedServer]:
    routes: dict[str, list[Route]] = {}
    seen: list[Seen] = []
    busy = {"now": 0, "most": 0, "connections": 0}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        # HTTP/1.1 keeps connections open between requests, as servers do.
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with lock:
                busy["connections"] += 1

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            with lock:
                seen.append(Seen(self.path, dict(self.headers.items()), time.monotonic()))
                busy["now"] += 1
                busy["most"] = max(busy["most"], busy["now"])
                queue = routes.get(self.path)
                route = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
            # A request counts as busy until its answer starts: after that the
            # client may finish and send the next request before this thread
            # has returned, which would overcount.
            try:
                time.sleep(route.delay if route else 0)
            finally:
                with lock:
                    busy["now"] -= 1
            self._answer(route)

        def _answer(self, route: Route | None) -> None:
            if route is None:
                self.send_error(404)
                return
            if route.drop:
                self.close_connection = True
                return
            if (route.etag and self.headers.get("If-None-Match") == route.etag) or (
                route.last_modified
                and self.headers.get("If-Modified-Since") == route.last_modified
            ):
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            if route.stream:
                self.close_connection = True  # the end of the body is the end of the connection
                self.send_header("Connection", "close")
            else:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            step = max(1, len(route.body) // route.chunks)
            try:
                for start in range(0, len(route.body), step):
                    self.wfile.write(route.body[start : start + step])
                    self.wfile.flush()
                    time.sleep(route.chunk_delay)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it is allowed to

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _ThreadingServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield FeedServer(f"{scheme}://127.0.0.1:{server.server_address[1]}", routes, seen, busy)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium through Playwright, one per test module."""
    from .browser import CHROMIUM, CHROMIUM_ARGS, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the whole run, started on first use."""
    yield from start_cluster()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """An empty database of its own on the test server."""
    return postgres_cluster.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a store lives, once per backend: a SQLite file, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "digest.sqlite3"
    return str(request.getfixturevalue("postgres_url"))
