"""The checks settings run on their values beyond their type: each returns
None when the value is fine, else the reason, which the loader reports with
the file, line and key.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

Check = Callable[[Any], str | None]


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def not_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def fraction(value: Any) -> str | None:
    return None if 0 < value <= 1 else "must be more than 0 and at most 1"


def port(value: Any) -> str | None:
    return None if 0 < value < 65536 else "must be a port number between 1 and 65535"


ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def address(value: Any) -> str | None:
    if not ADDRESS.match(value):
        return f"{value!r} is not an email address"
    if not value.isascii():
        # smtplib would fail on every message with a traceback.
        return (
            f"{value!r} has letters outside ASCII, which SMTP carries only with SMTPUTF8; "
            "press-digest does not use it (write a domain in another script as xn--...)"
        )
    return None


def timezone(value: Any) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use a name such as Asia/Phnom_Penh)"
    return None


def cron(value: Any) -> str | None:
    if len(value.split()) != 5:
        return "must be a cron expression of five fields"
    from croniter import croniter  # 28 ms to load: only configs with a schedule pay it

    if not croniter.is_valid(value):
        return f"{value!r} is not a valid cron expression (minute hour day month weekday)"
    return None


COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def colour(value: Any) -> str | None:
    return None if COLOUR.match(value) else f"{value!r} is not a colour like #1f2933"


# Font names only: the value is written into CSS, so nothing that could end it.
FONTS = re.compile(r"^[A-Za-z0-9 ,'\-]+$")


def fonts(value: Any) -> str | None:
    ok = value == "" or FONTS.match(value)
    return None if ok else "must be font names separated by commas (letters, digits, quotes)"


def https_url(value: Any) -> str | None:
    if value == "" or re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", value):
        return None
    return f"{value!r} must be an https:// address (or empty)"


def folder_url(value: Any) -> str | None:
    problem = https_url(value)
    if problem is None and value and not value.endswith("/"):
        return f"{value!r} must end with / (the editions are folders under it)"
    return problem


def url_pattern(value: Any) -> str | None:
    if value == "":
        return None
    if "{url}" not in value:
        return "must contain {url}, where the item's address goes"
    return https_url(value.replace("{url}", "x"))


def optional_address(value: Any) -> str | None:
    return None if value == "" else address(value)


def list_id(value: Any) -> str | None:
    if value == "" or re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z0-9-]+", value):
        return None
    return f"{value!r} must look like digest.example.org (letters, digits, dots)"


def postgres_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        return "must be a PostgreSQL URL such as postgresql://digest@db.example.org:5432/digest"
    return None


def database_url(value: Any) -> str | None:
    """A PostgreSQL URL, with no password in it: the config is no place for one."""
    if value == "":
        return None
    if problem := postgres_url(value):
        return problem
    if urlsplit(value).password is not None:
        return (
            "must not hold the password: put it in $PGPASSWORD or ~/.pgpass, "
            "or the whole URL in $DIGEST_DATABASE_URL"
        )
    return None


def env_name(value: Any) -> str | None:
    ok = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value)
    return None if ok else "must be the name of an environment variable, not its value"
