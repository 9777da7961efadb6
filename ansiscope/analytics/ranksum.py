"""The exact one-sided rank-sum (Mann–Whitney) test the detector confirms a step with:
a recent window of log durations against its baseline's."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1024)
def rank_sum_sf(m: int, n: int) -> np.ndarray:
    """``sf[u]`` = P(U ≥ u) for the Mann–Whitney U of ``m`` values against ``n`` when all
    orderings of the m + n values are equally likely (exact; ``u`` = 0..m·n). Counting
    orderings by where the largest value falls: it is one of the m (adding n to U) or
    one of the n (adding nothing)."""
    rows: list[np.ndarray] = [np.ones(1) for _ in range(n + 1)]  # i = 0: U = 0
    for i in range(1, m + 1):
        row = [np.ones(1)]  # j = 0: U = 0
        for j in range(1, n + 1):
            out = np.zeros(i * j + 1)
            out[j : j + rows[j].size] += rows[j]  # counts for (i - 1, j), shifted by j
            out[: row[j - 1].size] += row[j - 1]  # counts for (i, j - 1)
            row.append(out)
        rows = row
    counts = rows[n]
    sf: np.ndarray = np.cumsum(counts[::-1])[::-1] / counts.sum()
    return sf


def rank_p(recent: np.ndarray, base_sorted: np.ndarray, direction: int) -> float:
    """One-sided p of a rank-sum test: are the ``recent`` log values shifted in
    ``direction`` against ``base_sorted`` (sorted log values)? Distribution-free: under
    "nothing changed" (the runs exchangeable) it holds whatever the noise's shape, so
    spikes, a bimodal history or a slow host do not inflate it. Ties count a half; the
    no-ties null is then conservative."""
    lo = np.searchsorted(base_sorted, recent, side="left")
    hi = np.searchsorted(base_sorted, recent, side="right")
    n = base_sorted.size
    wins = lo + (hi - lo) / 2 if direction > 0 else (n - hi) + (hi - lo) / 2
    return float(rank_sum_sf(recent.size, n)[int(np.sum(wins))])
