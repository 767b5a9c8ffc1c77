"""Debian's chromium for the browser tests, and where their screenshots go."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("DIGEST_TEST_ARTIFACTS", ROOT / "output" / "screenshots"))
# Flags for a root user in a machine with no network: no sandbox, and no
# background calls home that the closed network would refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    """Skip with the reason when chromium is missing, unless CI demands it."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found: `make test` installs Debian's chromium when run as root"
    if os.environ.get("DIGEST_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def artifact(name: str) -> Path:
    """Where a screenshot called `name` goes, so a person can look at it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
