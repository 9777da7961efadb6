"""``evaluate`` for many series at once: the gate judges thousands of task × host
series per run, nearly all quiet, so series of one length share one vectorised pass
(rolling medians, the "could a step start?" screen, the last baseline) and only those
that could confirm a step are replayed one by one (``detector.evaluate``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ansiscope.analytics.baselines import Baseline
from ansiscope.analytics.baselines import log_durations as _log
from ansiscope.analytics.detector import Params, Test, _single, evaluate, for_series


def evaluate_many(
    series: Sequence[tuple[Sequence[float], float]], params: Params | None = None
) -> list[Test]:
    """``evaluate(history, value)`` for every (history, value) of ``series``, with the
    same results. Series of one length share one vectorised pass for the rolling
    medians, the "could an episode start?" screen and the last baseline; only those that
    could confirm an episode are replayed one by one (a gate judges thousands of task ×
    host series, nearly all quiet: bench/gate.py)."""
    params = params or Params()
    out: list[Test | None] = [None] * len(series)
    lengths: dict[int, list[int]] = {}
    for i, (history, _) in enumerate(series):
        lengths.setdefault(len(history), []).append(i)
    for length, members in lengths.items():
        arr = np.array([[*series[i][0], series[i][1]] for i in members], dtype=float).reshape(
            len(members), length + 1
        )
        quiet = _Quiet(arr, params)
        for row, i in enumerate(members):
            if quiet.may_confirm[row]:
                out[i] = evaluate(series[i][0], series[i][1], params)
            else:
                own = for_series(arr[row], params)
                out[i] = _single(float(arr[row, -1]), quiet.baseline(row), own)
    return [t for t in out if t is not None]


class _Quiet:
    """``Rolling`` and ``_may_confirm`` for many series of one length at once (rows of
    ``arr``, history then value), for the last run only. A row holding a NaN is sent to
    the one-by-one replay (``may_confirm``), which handles gaps."""

    def __init__(self, arr: np.ndarray, params: Params) -> None:
        rows, size = arr.shape
        window = params.window
        logs = _log(arr)
        padded = np.concatenate([np.full((rows, window), np.nan), logs], axis=1)
        self.sorted = np.sort(np.lib.stride_tricks.sliding_window_view(padded, window, 1), 2)
        self.n = np.minimum(np.arange(size + 1), window)  # no NaN: the window's count
        lo, hi = np.maximum(self.n - 1, 0) // 2, np.minimum(self.n // 2, window - 1)
        ends = np.arange(size + 1)
        with np.errstate(invalid="ignore"):
            lmed = (self.sorted[:, ends, lo] + self.sorted[:, ends, hi]) / 2
        lmed[:, self.n == 0] = np.nan
        self.lmed, self.med = lmed, np.exp(lmed)
        self.may_confirm = np.isnan(arr).any(axis=1)
        runs = np.arange(size)
        for m in range(params.confirm_runs, params.sustained_runs + 1):
            t = runs[runs - m + 1 >= 0]
            e = t - m + 1
            med = self.med[:, e]
            with np.errstate(invalid="ignore"):
                gap = np.abs(arr[:, t] - med)
                hit = (self.n[e] >= params.min_history) & (gap >= params.min_abs_s)
                hit &= gap >= params.min_rel * med
            self.may_confirm |= hit.any(axis=1)
        self._end = size - 1

    def baseline(self, row: int) -> Baseline | None:
        """``Rolling.at(last)`` of one row: the baseline of its history."""
        n = int(self.n[self._end])
        if n == 0:
            return None
        return Baseline.of_sorted(self.sorted[row, self._end, :n], float(self.lmed[row, self._end]))
