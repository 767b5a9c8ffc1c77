"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import DigestError


def write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: never a half file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary_beside(path) as (handle, temporary):
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(temporary, path)
    except OSError as exc:
        raise DigestError(f"cannot write {path}: {exc.strerror}") from exc


@contextmanager
def temporary_beside(path: Path) -> Iterator[tuple[Any, str]]:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    # mkstemp makes the file private; editions and the archive are meant to be read.
    os.chmod(descriptor, 0o644)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle, temporary
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
