"""The `digest` command: a thin layer of click commands over the `Digest` façade.

Each command is a few lines around one façade call, in a module per group:
editions.py (run, update, build, add, preview, classify, corrections),
feeds.py, recipients.py, sending.py (send, approve, schedule); base.py holds
the group and what every command shares, reports.py what they print.
"""

from __future__ import annotations

from . import editions, feeds, recipients, sending  # noqa: F401 (they register the commands)
from .base import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="digest")
