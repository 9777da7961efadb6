"""Durations read the same way on every page: one precision per magnitude, decided on the
rounded value (9.96 s is "10 s" beside other 10 s values, never "10.0 s")."""

from __future__ import annotations

import math

import pytest

from ansiscope.dashboards.style import NONE, fmt_duration
from ansiscope.exporters.summary import fmt_seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "0.20 s"),
        (0.994, "0.99 s"),
        (0.996, "1.0 s"),
        (1.5, "1.5 s"),
        (9.94, "9.9 s"),
        (9.96, "10 s"),
        (10.0, "10 s"),
        (42.4, "42 s"),
        (59.4, "59 s"),
        (59.6, "1 min 00 s"),
        (123, "2 min 03 s"),
        (3720, "1 h 02 min"),
        (3 * 86400 + 4 * 3600, "3 d 04 h"),
        (None, NONE),
        (math.nan, NONE),
        (-1.0, NONE),
    ],
)
def test_dashboard_durations(seconds: float | None, text: str) -> None:
    assert fmt_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (9.94, "9.9 s"),
        (9.96, "10 s"),
        (59.4, "59 s"),
        (59.6, "1m 00s"),
        (245, "4m 05s"),
        (None, "unknown"),
    ],
)
def test_report_durations(seconds: float | None, text: str) -> None:
    assert fmt_seconds(seconds) == text
