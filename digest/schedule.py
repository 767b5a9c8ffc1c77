"""When an edition is due, from a cron expression in the editor's time zone.

Pure: `now` is passed in. Cron runs `digest send --if-due` every few minutes;
the edition is due from each scheduled time until it has been dealt with, or
until `grace` has passed (a machine that was off for a week should not send
last week's digest when it wakes up).
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta, tzinfo
from pathlib import Path


def due_slot(cron: str, zone: tzinfo, now: datetime, grace: timedelta) -> datetime | None:
    """The latest scheduled time at or before `now`, if it is less than `grace` ago."""
    from croniter import croniter  # on first use: `digest update` never needs it

    local_now = now.astimezone(zone)
    # croniter steps back from a moment strictly after the one we ask about.
    previous: datetime = croniter(cron, local_now + timedelta(seconds=1)).get_prev(datetime)
    if local_now - previous > grace:
        return None
    return previous


def next_runs(cron: str, zone: tzinfo, now: datetime, count: int = 5) -> list[datetime]:
    from croniter import croniter

    schedule = croniter(cron, now.astimezone(zone))
    return [schedule.get_next(datetime) for _ in range(count)]


def crontab_line(program: str, config: Path, log: Path, every_minutes: int = 5) -> str:
    """The line to put in `crontab -e`: check every few minutes, send when due."""
    command = f"{shlex.quote(program)} send --if-due --config {shlex.quote(str(config))}"
    return f"*/{every_minutes} * * * * {command} >> {shlex.quote(str(log))} 2>&1"


def systemd_units(program: str, config: Path, every_minutes: int = 5) -> dict[str, str]:
    """A service and a timer doing the same as the crontab line."""
    service = (
        "[Unit]\nDescription=press-digest: send the digest when it is due\n\n"
        "[Service]\nType=oneshot\n"
        f"ExecStart={program} send --if-due --config {config}\n"
        "# SMTP credentials: EnvironmentFile=/etc/press-digest.env (mode 0600)\n"
    )
    timer = (
        "[Unit]\nDescription=press-digest: check every few minutes\n\n"
        f"[Timer]\nOnCalendar=*:0/{every_minutes}\nPersistent=true\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {"press-digest.service": service, "press-digest.timer": timer}
