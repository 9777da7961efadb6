"""History mode: change points in a duration series, for dashboards.

Binary segmentation with a rank statistic (Mann–Whitney, so one-run spikes barely
move it), computed for every split at once from cumulative rank sums; a split is
kept when the statistic clears a calibrated threshold **and** the medians on either
side differ by ≥10% and ≥0.1 s (and by 1.5 quanta of a series printed in whole
seconds or tenths: ``resolution``). Points closer than 5 runs to the start or 2 to the end
are not reported. Each point found is then moved, within ``REFINE`` runs, to where two
flat segments fit the log values best (least absolute deviations from each segment's
median): ranks locate a step poorly near the end of a series (six runs after it cap
their statistic, so a split earlier that takes in a few of them scores higher), and
magnitudes do not. Not where either side, away from the point, has two levels (cache
hits and misses: a miss just before a step fits the slower segment better). Each
change point carries the medians before and after it and the first run after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ansiscope.analytics import levels
from ansiscope.analytics.resolution import coarse_floor

THRESHOLD = 3.5  # calibrated in bench/regressions.py (3.0: more false points; 4.5: misses)
MIN_START = 5
MIN_END = 2
MIN_SEGMENT = 5
REFINE = 3  # runs a point may move when refined (measured: 5 and 10 cost bimodal F1)


@dataclasses.dataclass(frozen=True)
class ChangePoint:
    """A step in a series: where it starts and the medians on either side."""

    index: int  # the first run after the change
    before: float  # median of the segment before
    after: float  # median of the segment after
    z: float

    @property
    def delta_rel(self) -> float:
        """The step as a fraction of the level before it (``inf`` from zero)."""
        return (self.after - self.before) / self.before if self.before > 0 else float("inf")


def change_points(
    values: Sequence[float],
    *,
    threshold: float = THRESHOLD,
    min_rel: float = 0.10,
    min_abs_s: float = 0.1,
) -> list[ChangePoint]:
    """Change points of ``values`` (chronological), earliest first."""
    x = np.asarray(values, dtype=float)
    min_abs_s = max(min_abs_s, coarse_floor(x))  # whole seconds / tenths: a flip is no step
    found: list[int] = []
    _split(x, 0, x.size, threshold, found)
    found = _refine(x, sorted(found))
    out: list[ChangePoint] = []
    bounds = [0, *found, x.size]
    for i, k in enumerate(found):
        before = float(np.median(x[bounds[i] : k]))
        after = float(np.median(x[k : bounds[i + 2]]))
        delta = after - before
        if k < MIN_START or x.size - k < MIN_END:
            continue
        if abs(delta) < min_abs_s or before <= 0 or abs(delta) / before < min_rel:
            continue
        out.append(
            ChangePoint(k, before, after, _z_at(x[bounds[i] : bounds[i + 2]], k - bounds[i]))
        )
    return out


def _split(x: np.ndarray, lo: int, hi: int, threshold: float, found: list[int]) -> None:
    n = hi - lo
    if n < MIN_SEGMENT + MIN_END:
        return
    z = _rank_z(x[lo:hi])
    first = MIN_SEGMENT
    last = n - (MIN_END if hi == x.size else MIN_SEGMENT)
    if last <= first:
        return
    k = first + int(np.argmax(np.abs(z[first:last])))
    if abs(z[k]) < threshold:
        return
    found.append(lo + k)
    _split(x, lo, lo + k, threshold, found)
    _split(x, lo + k, hi, threshold, found)


def _refine(x: np.ndarray, found: list[int]) -> list[int]:
    """Each point moved (within ``REFINE`` runs, between its neighbours) to the split
    with the least absolute deviations of the log values from each side's median."""
    logs = np.log(np.maximum(x, 1e-3))
    out = list(found)
    for i, k0 in enumerate(found):
        a = out[i - 1] if i else 0
        b = found[i + 1] if i + 1 < len(found) else x.size
        sides = (logs[a : k0 - REFINE], logs[k0 + REFINE : b])  # (away from the boundary)
        if any(levels.split(np.sort(side)) is not None for side in sides):
            continue
        lo = max(a + (MIN_START if a == 0 else MIN_SEGMENT), k0 - REFINE)
        hi = min(b - (MIN_END if b == x.size else MIN_SEGMENT), k0 + REFINE)
        best, arg = np.inf, k0
        for k in range(lo, hi + 1):
            first, second = logs[a:k], logs[k:b]
            cost = float(
                np.sum(np.abs(first - np.median(first)))
                + np.sum(np.abs(second - np.median(second)))
            )
            if cost < best:
                best, arg = cost, k
        out[i] = arg
    return out


def _rank_z(seg: np.ndarray) -> np.ndarray:
    """Standardised Mann–Whitney statistic for every split k (first segment = [0, k))."""
    n = seg.size
    ranks = _ranks(seg)
    k = np.arange(n + 1, dtype=float)
    r1 = np.concatenate([[0.0], np.cumsum(ranks)])
    n1, n2 = k, n - k
    expected = n1 * (n + 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (r1 - expected) / np.sqrt(n1 * n2 * (n + 1) / 12)
    z[0] = z[-1] = 0.0
    return np.nan_to_num(z[:n])


def _z_at(seg: np.ndarray, k: int) -> float:
    return float(_rank_z(seg)[k])


def _ranks(seg: np.ndarray) -> np.ndarray:
    order = seg.argsort(kind="mergesort")
    ranks = np.empty(seg.size, dtype=float)
    ranks[order] = np.arange(1, seg.size + 1)
    # average ties (quantised durations)
    values = seg[order]
    start = 0
    for i in range(1, seg.size + 1):
        if i == seg.size or values[i] != values[start]:
            if i - start > 1:
                ranks[order[start:i]] = (start + 1 + i) / 2
            start = i
    return ranks
