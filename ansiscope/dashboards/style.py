"""How the dashboard writes values: one palette for statuses, and one formatter per kind
of value (durations, shares, times), used by tables, metrics and captions alike."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from ansiscope.exporters.style import STATUS_COLORS as STATUS_COLORS  # one palette

EMOJI = {"successful": "●", "failed": "✖", "unreachable": "◆", "running": "▶", "interrupted": "■"}
NONE = "–"


def missing(value: Any) -> bool:
    """None, NaN and NaT: a value the store does not know."""
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def fmt_duration(seconds: float | None) -> str:
    """``0.20 s``, ``1.5 s``, ``42 s``, ``2 min 03 s``, ``1 h 02 min``, ``3 d 04 h``."""
    if missing(seconds) or seconds is None or seconds < 0:
        return NONE
    # thresholds on the rounded value, so that 9.96 s reads "10 s", not "10.0 s"
    if round(seconds, 2) < 1:
        return f"{seconds:.2f} s"
    if round(seconds, 1) < 10:
        return f"{seconds:.1f} s"
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours:02d} h"


def fmt_age(seconds: float | None) -> str:
    """How long ago, from a number of seconds: ``5 s ago`` … ``3 d ago``."""
    if missing(seconds) or seconds is None:
        return NONE
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{max(seconds, 0):.0f} s ago"


def as_utc(value: Any) -> datetime | None:
    """A stored time (datetime, pandas Timestamp or ISO text) as an aware UTC datetime."""
    if missing(value) or value == "":
        return None
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    utc: datetime = stamp.to_pydatetime()
    return utc


def fmt_when(value: Any, now: datetime | None = None) -> str:
    """A time relative to now (``3 h ago``); the absolute time is :func:`fmt_utc`."""
    at = as_utc(value)
    if at is None:
        return NONE
    return fmt_age(((now or datetime.now(UTC)) - at).total_seconds())


def fmt_utc(value: Any) -> str:
    """``2026-12-03 20:31 UTC`` (what a relative time shows on hover)."""
    at = as_utc(value)
    return NONE if at is None else at.strftime("%Y-%m-%d %H:%M:%S UTC")


def pct(value: float | None) -> str:
    """A 0..1 share as ``99.2%``; unknown (or a negative placeholder) as a dash."""
    if missing(value) or value is None or value < 0:
        return NONE
    return f"{value * 100:.1f}%"


def signed_pct(value: float | None) -> str:
    """A relative change as ``+65%`` / ``-12%``."""
    return NONE if missing(value) or value is None else f"{value * 100:+.0f}%"


def when_html(value: Any) -> str:
    """A relative time with the absolute one on hover, for markdown/captions
    (``unsafe_allow_html``; both parts are our own formatting, no stored text)."""
    if as_utc(value) is None:
        return NONE
    return f'<span title="{fmt_utc(value)}">{fmt_when(value)}</span>'
