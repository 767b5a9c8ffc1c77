"""The preview's Host rule, in process (no server, no browser: this module
keeps no event loop running, so asyncio.run is free to start one)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from digest import load_config
from digest.preview import PreviewSettings, create_app, request_page

from .conftest import SAMPLE_OPML, write_config


def test_loopback_names_pass_and_others_do_not(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SAMPLE_OPML))
    ipv6 = create_app(config, PreviewSettings(host="::1", port=8025))
    assert asyncio.run(request_page(ipv6, "/email.txt", "[::1]:8025"))[0] == 200
    assert asyncio.run(request_page(ipv6, "/email.txt", "evil.example:8025"))[0] == 400
    ipv4 = create_app(config, PreviewSettings())
    assert asyncio.run(request_page(ipv4, "/email.txt", "localhost:8025"))[0] == 200
    assert asyncio.run(request_page(ipv4, "/email.txt", "127.0.0.1:9999"))[0] == 400
