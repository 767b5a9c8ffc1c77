"""A DNS server for tests, and a way to run a command that resolves through
it: names under `live.test` resolve to 127.0.0.1, names under `dead.test`
get no answer at all, as when a dead outlet's name servers are gone, and the
system's resolver waits for them until it gives up.

The resolver reads its server from /etc/resolv.conf, on port 53: the
command runs in a mount namespace of its own where that file is ours.
Both need root; `available` says whether this machine allows them.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ADDRESS = "127.0.0.9"
A_RECORD = 1


def available() -> str | None:
    """Why these tests cannot run here, or None when they can."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "needs root and unshare: a DNS server on port 53, and a mount namespace"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"unshare -m is not allowed here: {probe.stderr.decode().strip()}"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
            server.bind((ADDRESS, 53))
    except OSError as exc:  # a resolver of this machine's own listens on every address
        return f"cannot serve DNS on {ADDRESS}:53: {exc}"
    return None


@contextmanager
def dns_server() -> Iterator[None]:
    """Answer on ADDRESS:53 until the block ends."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((ADDRESS, 53))
    thread = threading.Thread(target=_answer_all, args=(server,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.close()


def run_resolving_here(
    folder: Path, command: Sequence[str], *, timeout: int = 2
) -> subprocess.CompletedProcess[str]:
    """Run `command` with the system's resolver asking our server, giving up
    on a name after `timeout` seconds."""
    resolv = folder / "resolv.conf"
    resolv.write_text(f"nameserver {ADDRESS}\noptions timeout:{timeout} attempts:1\n")
    nsswitch = folder / "nsswitch.conf"
    nsswitch.write_text("hosts: files dns\n")
    script = (
        f"mount --bind {shlex.quote(str(resolv))} /etc/resolv.conf && "
        f"mount --bind {shlex.quote(str(nsswitch))} /etc/nsswitch.conf && "
        f"exec {shlex.join(command)}"
    )
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120
    )


def _answer_all(server: socket.socket) -> None:
    while True:
        try:
            query, client = server.recvfrom(512)
        except OSError:
            return  # closed
        answer = _answer(query)
        if answer is not None:
            server.sendto(answer, client)


def _answer(query: bytes) -> bytes | None:
    """The reply to one query: an A record for a live name, an empty answer
    for any other question about one, nothing for a dead one."""
    ident = query[:2]
    labels, end = [], 12
    while query[end]:
        length = query[end]
        labels.append(query[end + 1 : end + 1 + length].decode("ascii").lower())
        end += 1 + length
    question = query[12 : end + 5]  # the name, its type and its class
    (kind,) = struct.unpack(">H", query[end + 1 : end + 3])
    name = ".".join(labels)
    if name.endswith("dead.test"):
        return None
    records = b""
    if name.endswith("live.test") and kind == A_RECORD:
        # A pointer to the name in the question, type A, class IN, a minute, 4 bytes.
        records = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
    header = struct.pack(">HHHHH", 0x8180, 1, 1 if records else 0, 0, 0)
    return ident + header + question + records
