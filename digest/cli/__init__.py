"""The `digest` command: a thin layer of click commands over the `Digest` façade.

Each command is a few lines around one façade call, in a module per group:
editions.py (run, update, build, add, preview, classify, corrections),
feeds.py, recipients.py, sending.py (send, approve, schedule); base.py holds
the group and what every command shares, reports.py what they print.
"""

from __future__ import annotations

import gc
import sys

# httpx loads a command line of its own when rich, pygments and click are
# installed, as they are with press-digest: 30 ms of the imports before
# `digest update` asks for its first feed, for a tool this process never runs.
# Marked missing, it is left out (httpx.main then says to install httpx[cli]).
if "httpx" not in sys.modules:
    sys.modules["httpx._main"] = None  # type: ignore[assignment]

from . import editions, feeds, recipients, sending  # noqa: E402, F401 (they register the commands)
from .base import cli  # noqa: E402

__all__ = ["cli", "main"]


def main() -> None:
    try:
        cli(prog_name="digest")
    finally:
        # The command is done and the process ends: the system takes its
        # memory back at once, while the interpreter would first free every
        # module's objects one by one (45 ms after `digest update`, a quarter
        # of its time after the last feed). Frozen, they are left for it.
        gc.freeze()
