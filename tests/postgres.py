"""A throwaway PostgreSQL server for the tests, from Debian's server binaries.

`initdb` and `pg_ctl` build and start a cluster in a temporary folder, on a
free loopback port, as an unprivileged user (PostgreSQL refuses to run as
root: when the tests run as root, the cluster belongs to `postgres`, the
user Debian's package creates). Nothing touches a system service. Each test
gets a database of its own, made from the cluster in a few milliseconds.

Without the binaries the PostgreSQL tests skip and say why; CI sets
DIGEST_REQUIRE_POSTGRES, which turns that skip into a failure.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .smtp import free_port

SERVER_USER = "postgres"
_SEARCH = ("/usr/lib/postgresql/*/bin",)
_names = itertools.count(1)


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, newest version first."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    for pattern in _SEARCH:
        folders = sorted(Path("/").glob(pattern.lstrip("/")), reverse=True)
        for folder in folders:
            if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
                return folder
    return None


def require_server() -> Path:
    folder = server_binaries()
    if folder is not None and (os.geteuid() != 0 or _has_user(SERVER_USER)):
        return folder
    reason = (
        "PostgreSQL's server binaries (initdb, pg_ctl) not found: `make test` installs "
        "Debian's postgresql when run as root"
    )
    if folder is not None:
        reason = f"running as root and no {SERVER_USER!r} user to run PostgreSQL as"
    if os.environ.get("DIGEST_REQUIRE_POSTGRES"):
        pytest.fail(reason)
    pytest.skip(reason)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class Cluster:
    """A running server; `url(db)` addresses one of its databases."""

    binaries: Path
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a server binary as the cluster's owner."""
        argv = [str(self.binaries / command[0]), *command[1:]]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", SERVER_USER, "--", *argv]
        return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            # A test server: durability is not what is tested, speed is welcome.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100"
        )
        log = self.folder / "server.log"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop("fast")
        self.start()

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_cluster() -> Iterator[Cluster]:
    binaries = require_server()
    folder = Path(tempfile.mkdtemp(prefix="digest-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SERVER_USER)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(binaries, folder, free_port())
    try:
        cluster.run(
            "initdb", "-D", str(cluster.data), "-U", SERVER_USER, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
