"""Every error press-digest raises on purpose, and the subject each one carries.

    DigestError                 root: the CLI turns it into one line and an exit code
    ├── ConfigError             a config or taxonomy file: path, line, key
    ├── FeedError               one feed could not be fetched or parsed: url
    │   └── FeedGone            the publisher says the feed is gone for good (410)
    ├── StoreError              the database refused or is not ours: path
    └── RenderError             a template failed or produced bad MJML: template

Foreign exceptions are wrapped once, where they cross into our code
(`raise FeedError(url, "...") from exc`), so callers catch one tree.
"""

from __future__ import annotations


class DigestError(Exception):
    """Root of the tree. `exit_code` is what the CLI exits with."""

    exit_code = 1


class ConfigError(DigestError):
    """A configuration-like file is wrong; says where, so the editor can fix it."""

    exit_code = 2

    def __init__(
        self, path: str, message: str, *, line: int | None = None, key: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        subject = f" {self.key}:" if self.key else ""
        return f"{where}:{subject} {self.message}"


class FeedError(DigestError):
    """One feed failed; the others carry on."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.url}: {self.message}"

    def __reduce__(self) -> tuple[type[FeedError], tuple[str, str]]:
        # Parsing runs in worker processes; the error must cross back intact.
        return (type(self), (self.url, self.message))


class FeedGone(FeedError):
    """HTTP 410: the feed is disabled until the editor enables it again."""


class StoreError(DigestError):
    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class RenderError(DigestError):
    def __init__(self, template: str, message: str) -> None:
        self.template = template
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"template {self.template}: {self.message}"
