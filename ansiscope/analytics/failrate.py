"""Failure-rate regressions: a task that started failing more often than it used to.

The recent runs (this one and a few before) against the baseline runs before them:
a one-sided Fisher exact test (p < 0.01) and a rise of at least 10 points; and a
*new failure* when a task that ran ≥20 times without failing fails now.
"""

from __future__ import annotations

import dataclasses
from math import comb

RECENT = 5
MIN_RISE = 0.10
MAX_P = 0.01
NEW_FAILURE_RUNS = 20


def fisher_greater(recent_fail: int, recent_ok: int, base_fail: int, base_ok: int) -> float:
    """One-sided Fisher exact p: P(at least ``recent_fail`` failures among the recent
    runs) if recent and baseline runs failed at the same rate."""
    n_recent = recent_fail + recent_ok
    fails = recent_fail + base_fail
    total = n_recent + base_fail + base_ok
    denominator = comb(total, n_recent)
    upper = min(n_recent, fails)
    return (
        sum(
            comb(fails, k) * comb(total - fails, n_recent - k)
            for k in range(recent_fail, upper + 1)
        )
        / denominator
    )


@dataclasses.dataclass(frozen=True)
class RateTest:
    """A failure-rate comparison: recent runs against the baseline before them."""

    regression: bool
    reason: str | None
    recent_rate: float
    baseline_rate: float
    baseline_runs: int
    p: float | None


def judge_failures(history: list[bool], failed_now: bool) -> RateTest:
    """``history``: whether the task failed in each earlier run it ran in (oldest first)."""
    recent = [*history[-(RECENT - 1) :], failed_now]
    base = history[: -(RECENT - 1)] if len(history) >= RECENT else []
    recent_rate = sum(recent) / len(recent)
    base_rate = sum(base) / len(base) if base else 0.0
    if failed_now and len(history) >= NEW_FAILURE_RUNS and not any(history):
        return RateTest(True, "new failure", recent_rate, 0.0, len(history), None)
    if not base or not failed_now:
        return RateTest(False, None, recent_rate, base_rate, len(base), None)
    p = fisher_greater(sum(recent), len(recent) - sum(recent), sum(base), len(base) - sum(base))
    rising = recent_rate - base_rate >= MIN_RISE and p < MAX_P
    return RateTest(
        rising, "failure rate rose" if rising else None, recent_rate, base_rate, len(base), p
    )
