"""The certificate authorities a download trusts: certifi's, or those that
SSL_CERT_FILE or SSL_CERT_DIR name, as httpx takes them.

An edge module (it reads files and the environment). Loading them takes
20 ms, nearly all in OpenSSL with the interpreter lock let go, so an update
starts loading them in a thread of their own before it sets itself up, and
they are ready by its first download instead of holding it up.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from concurrent.futures import Future

import httpx


class TrustedCAs:
    """The CAs to trust, loaded once: from when this is made, in a thread
    (`ahead`), else when first asked for."""

    def __init__(self, *, ahead: bool) -> None:
        self._loaded: Future[ssl.SSLContext] | None = None
        self._thread: threading.Thread | None = None
        if ahead:
            self._loaded = Future()
            # Not a daemon: were it never asked for, the interpreter would
            # still wait for it rather than end under it.
            self._thread = threading.Thread(
                target=self._load, args=(self._loaded,), name="load-cas"
            )
            self._thread.start()

    def context(self) -> ssl.SSLContext:
        """The loaded CAs, waiting for the thread if it is still at them.
        Raises OSError (ssl.SSLError is one) when they cannot be loaded."""
        if self._loaded is None:
            self._loaded = Future()
            self._load(self._loaded)
        return self._loaded.result()

    async def finished(self) -> None:
        """Once the thread loading them has ended: it is not left running past
        the run (a run that fetched nothing, since other runs held every feed,
        once ended with the thread still inside OpenSSL, and crashed as the
        interpreter finalized under it)."""
        if self._thread is None or self._loaded is None:
            return
        await asyncio.wait([asyncio.wrap_future(self._loaded)])
        self._thread.join()  # at once: its last step was to say it was done

    @staticmethod
    def _load(loaded: Future[ssl.SSLContext]) -> None:
        try:
            loaded.set_result(httpx.create_ssl_context())
        except BaseException as exc:  # raised again where the CAs are asked for
            loaded.set_exception(exc)


def where_cas_are() -> str:
    """Where httpx takes the CAs to trust from, as its `create_ssl_context` does."""
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if os.environ.get(name):
            return f"{name}={os.environ[name]}"
    return "certifi's"


def untrusted_certificate(exc: BaseException) -> bool:
    """Whether ssl's certificate check is behind an error httpx wrapped."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
