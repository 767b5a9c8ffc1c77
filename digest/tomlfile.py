"""TOML text → data, with the line numbers tomllib does not give.

Pure: callers read the file. Shared by the config (an edge) and the taxonomy
(pure), so that every settings-like file reports errors the same way:
file, line, key.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from .errors import ConfigError

_TABLE = re.compile(r"^\s*\[\[?\s*([^\[\]\s#]+)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")


def load_toml(text: str, path: str) -> dict[str, Any]:
    """Parse TOML, turning a syntax error into a ConfigError with its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise ConfigError(path, f"not valid TOML: {exc}", line=line) from exc


class KeyLocator:
    """Find the line of a key in TOML text.

    Handles the shapes our files use: `[table]` and `[[array]]` headers and
    `key = value` lines (bare or quoted keys). `locate(table, None)` gives the
    header line; `locate(None, table)` too, for a top-level table name. For
    repeated `[[array]]` tables, `occurrence` picks the n-th (from 0).
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str | None, str | None, int], int] = {}
        seen: dict[str, int] = {}
        table: str | None = None
        occurrence = 0
        for number, line in enumerate(text.splitlines(), start=1):
            header = _TABLE.match(line)
            if header:
                table = header.group(1)
                if line.lstrip().startswith("[["):
                    seen[table] = seen.get(table, -1) + 1
                # a sub-table such as [topics.en] belongs to the latest [[topics]]
                occurrence = seen.get(table.split(".")[0], 0)
                self._lines.setdefault((None, table, occurrence), number)
                self._lines.setdefault((table, None, occurrence), number)
                continue
            key = _KEY.match(line)
            if key:
                name = next(group for group in key.groups() if group is not None)
                self._lines.setdefault((table, name, occurrence), number)

    def __call__(self, table: str | None, key: str | None, occurrence: int = 0) -> int | None:
        return self._lines.get((table, key, occurrence))
