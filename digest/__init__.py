"""press-digest: a press digest on human-rights repression, from feeds to email.

The library API is the `Digest` façade (`open_digest(load_config(path))`)
plus the typed values and errors it hands out; the `digest` command is a thin
layer over it.
"""

from __future__ import annotations

from typing import Any

from .config import Config, find_config_path, load_config
from .core import Digest, open_digest
from .errors import ConfigError, DigestError, FeedError, RenderError, StoreError
from .types import (
    BuildResult,
    Classification,
    Edition,
    Evidence,
    FeedSource,
    FeedUpdate,
    Item,
    RenderedEdition,
    Topic,
)

__all__ = [
    "BuildResult",
    "Classification",
    "Config",
    "ConfigError",
    "Digest",
    "DigestError",
    "Edition",
    "Evidence",
    "FeedError",
    "FeedSource",
    "FeedUpdate",
    "Item",
    "RenderError",
    "RenderedEdition",
    "StoreError",
    "Topic",
    "__version__",
    "find_config_path",
    "load_config",
    "open_digest",
]


def __getattr__(name: str) -> Any:
    # The version is looked up on first use: importlib.metadata takes 30 ms to
    # import, a tenth of the start-up of every cron run that never asks for it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("press-digest")
        except PackageNotFoundError:  # a checkout that was never installed
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
