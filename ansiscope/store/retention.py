"""Retention ages: ``--older-than 90d``, ``--since 7d`` or a date, and what a prune did.

How a backend deletes old runs is its own (``Store.prune``); counters are never
touched by it, so they stay monotonic.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

from ansiscope.errors import UsageError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_age(text: str) -> timedelta:
    """``90d``, ``12h``, ``30m``, ``2w`` as a duration."""
    match = AGE.match(text)
    if not match:
        raise UsageError(f"{text!r}: expected an age such as 90d, 12h, 30m or 2w")
    return timedelta(seconds=float(match.group(1)) * UNITS[match.group(2)])


def parse_since(text: str | None) -> datetime | None:
    """An age (``7d``: that long ago) or an ISO date/time, as an aware UTC datetime."""
    if not text:
        return None
    if AGE.match(text):
        return datetime.now(UTC) - parse_age(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{text!r}: expected an age (7d, 12h) or a date (2026-11-01)") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclasses.dataclass
class Pruned:
    """What a prune did: runs deleted, store size before and after (bytes; 0: unknown)."""

    runs: int
    size_before: int
    size_after: int
