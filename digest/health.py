"""Which feeds need the editor's eye, and how to say so.

Pure: given what the store remembers of each feed and the time, it flags
feeds that keep failing, have gone quiet, were removed by their publisher or
have moved. The update summary, `digest feeds` and the edition report all
use these words, so the editor reads one story about a feed everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from .types import FeedHealth, HealthFlag


def flag_feeds(
    feeds: Sequence[FeedHealth], *, now: datetime, failing_after: int, silent_after: timedelta
) -> list[FeedHealth]:
    flagged = []
    for feed in feeds:
        feed = replace(feed, flags=feed_flags(feed, now, failing_after, silent_after))
        flagged.append(replace(feed, notes=tuple(describe_flags(feed, now))))
    return flagged


def feed_flags(
    feed: FeedHealth, now: datetime, failing_after: int, silent_after: timedelta
) -> tuple[HealthFlag, ...]:
    flags: list[HealthFlag] = []
    if feed.disabled:
        flags.append("disabled")
    elif feed.consecutive_failures >= failing_after:
        flags.append("failing")
    if feed.last_fetched is None and not feed.disabled:
        flags.append("never-fetched")
    if feed.last_new_item is not None and now - feed.last_new_item > silent_after:
        flags.append("silent")
    if feed.fetch_url != feed.source.url:
        flags.append("moved")
    return tuple(flags)


def describe_flags(feed: FeedHealth, now: datetime) -> list[str]:
    """One sentence per flag, saying what is wrong and what to do."""
    words: list[str] = []
    for flag in feed.flags:
        if flag == "disabled":
            words.append(
                f"disabled: the publisher answered 410 Gone ({feed.last_error or 'no detail'}); "
                f"after checking, run `digest feeds enable {feed.source.url}`"
            )
        elif flag == "failing":
            words.append(
                f"failed {feed.consecutive_failures} runs in a row: {feed.last_error or '?'}"
            )
        elif flag == "silent" and feed.last_new_item is not None:
            days = (now - feed.last_new_item).days
            words.append(f"no new item for {days} days")
        elif flag == "moved":
            words.append(
                f"moved permanently to {feed.fetch_url}; fetched there now "
                f"(update the feed list when convenient)"
            )
    return words
