"""Two-level histories (a cache hit or miss, a mirror near or far): where the levels
split, and the tests of a recent window that read each run against its own level.

The detector's plain rank-sum test ranks a recent run against the whole baseline. For
a two-level history that wastes most of the evidence: after a step up, a cache hit is
slower than every old hit but still faster than the old misses, so it ranks in the
middle. Two tests use the levels instead; both are exact or conservative under "nothing
changed" (the runs exchangeable), whatever the levels' shapes:

- ``level_rank_p``: each recent run ranked among the baseline runs of its own level
  (below or above the gap), the sum of those ranks against independent uniform ranks;
- ``level_count_p``: how many recent runs sit at the far level (the slower one for a
  step up), against the beta-binomial predictive of the baseline's share there: every
  run a cache miss, when misses were a run in five, is a change.

All values are log durations, ``base_sorted`` sorted.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

MAD_TO_SIGMA = 1.4826


def split(base_sorted: np.ndarray) -> int | None:
    """Where a two-level history splits (its lower level is ``base_sorted[:i]``): two
    groups of ≥3 runs split by a gap wider than 3 robust σ of either group and than 10%;
    None for one level."""
    n = base_sorted.size
    if n < 6:
        return None
    gaps = np.diff(base_sorted)[2 : n - 3]  # ≥3 runs on each side
    i = int(np.argmax(gaps)) + 2
    if float(gaps[i - 2]) < math.log1p(0.1):  # most histories: no gap to measure spreads for
        return None
    lower, upper = base_sorted[: i + 1], base_sorted[i + 1 :]
    spread = MAD_TO_SIGMA * max(
        float(np.median(np.abs(lower - np.median(lower)))),
        float(np.median(np.abs(upper - np.median(upper)))),
    )
    if float(gaps[i - 2]) < max(3 * spread, math.log1p(0.1)):
        return None
    return i + 1


def mode_passed(base_sorted: np.ndarray, at: int | None, level: float, direction: int) -> float:
    """The baseline's level (log) that ``level`` has moved past in ``direction``: its
    median, or for a two-level history (split ``at``) the nearest level's median passed."""
    median = float(np.median(base_sorted))
    if at is None:
        return median
    modes = medians(base_sorted, at)
    passed = [m for m in modes if direction * (level - m) >= 0]
    if not passed:
        return median
    return max(passed) if direction > 0 else min(passed)


def medians(base_sorted: np.ndarray, at: int) -> tuple[float, float]:
    """The lower and the upper level's medians."""
    return float(np.median(base_sorted[:at])), float(np.median(base_sorted[at:]))


def back_within_levels(
    logs: np.ndarray, first: int, old: tuple[float, float], direction: int
) -> bool:
    """Whether the runs ``logs[first:]`` are back at the old levels: each nearer its old
    level (the old level it sits nearest) than the shift the runs ``logs[:first]`` made
    from theirs. A step's level taken over all its runs is inflated by the misses among
    them, which makes every hit look old; within levels a hit is old only near the old
    hits."""
    low, high = old
    cut = _shifted_cut(logs, low, high, (low + high) / 2)
    devs = logs - np.where(logs <= cut, low, high)
    shift = float(np.median(devs[:first]))
    return bool(np.all(direction * devs[first:] < direction * shift / 2))


def level_shift(logs: np.ndarray, base_sorted: np.ndarray, at: int) -> float:
    """The median of the ``logs``' shifts from their own level's median (cut as
    ``level_rank_p`` cuts them): how much slower each run is than its kind was."""
    low, high = medians(base_sorted, at)
    cut = _shifted_cut(logs, low, high, _cut(base_sorted, at))
    return float(np.median(logs - np.where(logs <= cut, low, high)))


def _cut(base_sorted: np.ndarray, at: int) -> float:
    return float(base_sorted[at - 1] + base_sorted[at]) / 2


def _shifted_cut(logs: np.ndarray, low: float, high: float, cut: float) -> float:
    """Where to cut the recent ``logs`` into the two levels: at ``cut`` (the baseline's),
    unless every run falls on one side of it and they split into two groups of their
    own, by a gap at least half the levels' (``high - low``): then at that gap. A step
    up of more than half the gap moves the hits past the baseline's cut (hits ×1.8 when
    misses were ×2): cut there, every run looks like a slow miss; cut at the runs' own
    gap, the hits are hits, each above every old one. A window that straddles the cut
    keeps it (a slow host's spread-out runs are not two shifted levels)."""
    if logs.size < 2:
        return cut
    w = np.sort(logs)
    if w[0] <= cut < w[-1]:
        return cut
    gaps = np.diff(w)
    i = int(np.argmax(gaps))
    if float(gaps[i]) >= (high - low) / 2:
        return float(w[i] + w[i + 1]) / 2
    return cut


@lru_cache(maxsize=256)
def _rank_scores(n_lower: int, n_upper: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """For the lower and the upper level: the integer scores of a within-level rank
    W = 0..n_g, (W + 1)/(n_g + 1) on the common denominator (n_lower + 1)(n_upper + 1),
    and their distribution (uniform) as a pmf over 0..max score."""
    out = []
    for n_g, other in ((n_lower, n_upper), (n_upper, n_lower)):
        score = (np.arange(n_g + 1) + 1) * (other + 1)
        pmf = np.zeros(int(score[-1]) + 1)
        pmf[score] = 1 / score.size
        out.append((score, pmf))
    return tuple(out)


def level_rank_p(logs: np.ndarray, base_sorted: np.ndarray, at: int, direction: int) -> float:
    """One-sided p that the ``logs`` rank beyond their own levels in ``direction``: a
    run's rank W among the n_g baseline runs of its level (ties count against it) is
    uniform on 0..n_g under "nothing changed"; the exact distribution of the sum of the
    runs' scores (W + 1)/(n_g + 1) is a convolution of those uniforms. The levels are cut
    where this baseline's widest gap falls, so a slow-level run that lands in the gap
    ranks top of the fast level more often than chance: measured, the exact tail runs up
    to twice nominal (p ≤ 0.001 on 0.2% of unchanged windows), so the p returned is
    doubled (tests/analytics/test_levels.py). The recent runs are cut where they split
    themselves when all of them sit on one side of the baseline's cut (``_shifted_cut``)."""
    levels = (base_sorted[:at], base_sorted[at:])
    scores = _rank_scores(levels[0].size, levels[1].size)
    cut = _shifted_cut(logs, *medians(base_sorted, at), _cut(base_sorted, at))
    pmf = np.ones(1)
    total = 0
    for x in logs:
        g = int(x > cut)
        group, (score, one) = levels[g], scores[g]
        if direction > 0:
            wins = int(np.searchsorted(group, x, side="left"))
        else:
            wins = int(group.size - np.searchsorted(group, x, side="right"))
        total += int(score[wins])
        pmf = np.convolve(pmf, one)
    return min(1.0, 2 * float(np.sum(pmf[total:])))


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def level_count_p(logs: np.ndarray, base_sorted: np.ndarray, at: int, direction: int) -> float:
    """One-sided p of k of the m ``logs`` at the far level in ``direction`` when j of
    the n baseline runs are: P(K ≥ k) under the beta-binomial predictive of exchangeable
    runs, K ~ BetaBinomial(m, j + 1, n − j + 1) (a uniform prior on the level's share)."""
    cut = _cut(base_sorted, at)
    n, m = base_sorted.size, logs.size
    j = n - at if direction > 0 else at
    k = int(np.sum(logs > cut)) if direction > 0 else int(np.sum(logs <= cut))
    a, b = j + 1, n - j + 1
    norm = _log_beta(a, b)
    return sum(
        math.exp(
            math.lgamma(m + 1)
            - math.lgamma(i + 1)
            - math.lgamma(m - i + 1)
            + _log_beta(i + a, m - i + b)
            - norm
        )
        for i in range(k, m + 1)
    )
