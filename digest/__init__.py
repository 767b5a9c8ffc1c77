"""press-digest: a press digest on human-rights repression, from feeds to email.

The library API is the `Digest` façade (`open_digest(load_config(path))`)
plus the typed values and errors it hands out; the `digest` command is a thin
layer over it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("press-digest")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

from .config import Config, find_config_path, load_config  # noqa: E402
from .core import Digest, open_digest  # noqa: E402
from .errors import ConfigError, DigestError, FeedError, RenderError, StoreError  # noqa: E402
from .types import (  # noqa: E402
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
