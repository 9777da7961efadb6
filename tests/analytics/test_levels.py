"""The two-level tests (analytics/levels.py): exact where they claim it, calibrated under
"nothing changed", and powerful where the plain rank test is not."""

from __future__ import annotations

import math

import numpy as np

from ansiscope.analytics.levels import (
    back_within_levels,
    level_count_p,
    level_rank_p,
    level_shift,
    mode_passed,
    split,
)
from ansiscope.analytics.ranksum import rank_p


def cache_logs(rng: np.random.Generator, n: int, miss_rate: float = 0.3) -> np.ndarray:
    """Log durations of a 20 s task, misses ×2.5."""
    miss = rng.random(n) < miss_rate
    return np.log(20 * np.exp(rng.normal(0, 0.05, n)) * np.where(miss, 2.5, 1.0))


def two_levels(rng: np.random.Generator, n: int = 30) -> tuple[np.ndarray, int]:
    while True:  # a draw with ≥3 runs on each level
        base = np.sort(cache_logs(rng, n))
        at = split(base)
        if at is not None:
            return base, at


def test_split_finds_two_levels_and_only_two_levels() -> None:
    rng = np.random.default_rng(1)
    base, at = two_levels(rng)
    assert math.exp(base[at - 1]) < 30 < math.exp(base[at])  # the gap between 20 and 50 s
    one = np.sort(np.log(20 * np.exp(rng.normal(0, 0.2, 30))))
    assert split(one) is None  # a wide single level is not two
    assert split(base[:5]) is None  # too few runs to tell
    assert mode_passed(base, at, math.log(60), 1) > math.log(40)  # past the misses
    assert mode_passed(base, at, math.log(30), 1) < math.log(25)  # past the hits only


def test_level_rank_p_is_exact_at_its_extreme_and_calibrated() -> None:
    rng = np.random.default_rng(2)
    base, at = two_levels(rng)
    lower, upper = at, base.size - at
    # every recent run above all of its own level: the product of 1/(n_g + 1)
    top = np.array([base[at - 1] + 0.01, base[-1] + 0.01, base[at - 1] + 0.02])
    want = 2 / ((lower + 1) ** 2 * (upper + 1))  # doubled: the cut is the data's
    assert math.isclose(level_rank_p(top, base, at, 1), want, rel_tol=1e-9)
    assert level_rank_p(top, base, at, -1) > 0.9
    # under "nothing changed" (baseline and recent runs drawn alike), p ≤ α no more
    # often than α, and not far less (a test that never fires is calibrated too)
    ps = []
    for _ in range(4000):
        base, at = two_levels(rng)
        ps.append(level_rank_p(cache_logs(rng, 5), base, at, 1))
    for alpha in (0.01, 0.05, 0.2):
        assert alpha * 0.3 <= np.mean(np.array(ps) <= alpha) <= alpha, alpha


def test_level_rank_p_sees_a_step_the_plain_rank_test_does_not() -> None:
    """+25% on every run: the hits stay faster than the old misses."""
    rng = np.random.default_rng(3)
    base, at = two_levels(rng)
    recent = cache_logs(rng, 5) + math.log(1.25)
    assert level_rank_p(recent, base, at, 1) < 1e-4
    assert rank_p(recent, base, 1) > 1e-3


def test_level_count_p_is_the_beta_binomial_tail() -> None:
    base = np.log(np.sort(np.r_[np.full(25, 20.0), np.full(5, 50.0)]))
    misses = np.log(np.full(6, 50.0))
    # all 6 at the far level, 5 of 30 before: B(6 + 6, 26) / B(6, 26)
    want = math.exp(
        math.lgamma(12)
        + math.lgamma(26)
        - math.lgamma(38)
        - (math.lgamma(6) + math.lgamma(26) - math.lgamma(32))
    )
    assert math.isclose(level_count_p(misses, base, 25, 1), want, rel_tol=1e-9)
    assert 1e-4 < want < 3e-4
    mixed = np.log(np.array([20.0, 50.0, 20.0, 20.0, 50.0, 20.0]))
    assert level_count_p(mixed, base, 25, 1) > 0.2
    # no run at the faster level (k = 0): nothing to test
    assert math.isclose(level_count_p(misses, base, 25, -1), 1.0)


def test_back_within_levels_needs_the_hits_back() -> None:
    low, high = math.log(20), math.log(50)
    step = np.log([25, 62, 25, 25, 63])  # +25% on hits and misses
    assert not back_within_levels(np.log([*np.exp(step), 25, 25.5, 24.8]), 5, (low, high), 1)
    assert back_within_levels(np.log([*np.exp(step), 20.3, 50.5, 19.9]), 5, (low, high), 1)


def test_level_shift_is_each_runs_shift_from_its_own_level() -> None:
    rng = np.random.default_rng(5)
    base, at = two_levels(rng)
    same = cache_logs(rng, 6)
    assert abs(level_shift(same, base, at)) < 0.05  # misses at their level are no shift
    assert abs(level_shift(same + math.log(1.25), base, at) - math.log(1.25)) < 0.05
    # hits ×1.8 under misses ×2.5: past the old cut, yet read as hits shifted ×1.8
    mixed = np.log(np.array([36.0, 36.5, 35.5, 90.0, 36.2, 89.0]))
    assert abs(level_shift(mixed, base, at) - math.log(1.8)) < 0.05
