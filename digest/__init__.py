"""press-digest: a press digest on human-rights repression, from feeds to email.

The library API is the `Digest` façade (`open_digest(load_config(path))`)
plus the typed values and errors it hands out; the `digest` command is a thin
layer over it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


# Where each name lives, imported on first use: a process that needs one
# module of the package (the parse workers need `parse`) does not load the
# rest. Loading it all took 0.22 CPU-s before a worker could start.
_HOMES = {
    **dict.fromkeys(("Config", "find_config_path", "load_config"), "config"),
    **dict.fromkeys(("Digest", "open_digest"), "core"),
    **dict.fromkeys(
        ("ConfigError", "DigestError", "FeedError", "RenderError", "StoreError"), "errors"
    ),
    **dict.fromkeys(
        (
            "BuildResult", "Classification", "Edition", "Evidence", "FeedSource",
            "FeedUpdate", "Item", "RenderedEdition", "Topic",
        ),
        "types",
    ),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    # The version is looked up on first use: importlib.metadata takes 30 ms to
    # import, a tenth of the start-up of every cron run that never asks for it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("press-digest")
        except PackageNotFoundError:  # a checkout that was never installed
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES, "__version__"])
