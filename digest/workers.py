"""Runs at once: who a run is, and which claims belong to runs now dead.

Runs that share the work (`digest update`, `digest send` on PostgreSQL, or
overlapping cron runs on SQLite) claim feeds and readers with a lease, so that
a run killed on another machine gives its share back when the lease ends. A
run killed on this machine need not wait that long: its process is gone, and
its claims lapse as soon as the next run looks.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable

from .store import Store


def worker_name() -> str:
    """Who holds a claim: this machine and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lapse_dead_claims(store: Store, table: str) -> None:
    """Let go of the claims on `table` held by processes of this machine that
    no longer run."""
    dead = list(_dead_here(store.claims.claimants(table, store.clock())))
    if dead:
        store.claims.drop_claims(table, dead)


def _dead_here(claimants: Iterable[str]) -> Iterable[str]:
    host = socket.gethostname()
    for claimant in claimants:
        where, _, pid = claimant.rpartition(":")
        if where == host and pid.isdigit() and not _running(int(pid)):
            yield claimant


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
