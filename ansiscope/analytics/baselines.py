"""The reference a duration is judged against: median, MAD and p10/p90 of the runs
before it, on log durations, and the same for every end of a series at once."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ansiscope.analytics import levels
from ansiscope.analytics.levels import MAD_TO_SIGMA


class Floors(Protocol):
    """What a baseline's scale is floored by (the detector's ``Params``)."""

    @property
    def floor_rel(self) -> float:
        """The scale's floor as a share of the median (1%)."""

    @property
    def floor_abs_s(self) -> float:
        """The scale's floor in seconds at the median."""


def log_durations(values: np.ndarray | float) -> np.ndarray:
    """Log seconds, durations under 1 ms taken as 1 ms."""
    logs: np.ndarray = np.log(np.maximum(np.asarray(values, dtype=float), 1e-3))
    return logs


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The reference a value is judged against. Statistics are taken on log durations
    (timings are multiplicative: a task twice as long is about twice as noisy) and
    reported in seconds: ``mad`` is the log-scale MAD expressed at the median."""

    n: int
    median: float
    mad: float
    p10: float
    p90: float
    log_median: float = dataclasses.field(default=0.0, repr=False)
    log_mad: float = dataclasses.field(default=0.0, repr=False)

    @classmethod
    def of_sorted(cls, logs: np.ndarray, log_median: float) -> Baseline:
        """The baseline of sorted log durations whose median is ``log_median``."""
        log_mad = float(np.median(np.abs(logs - log_median)))
        lp10, lp90 = np.percentile(logs, [10, 90])
        median = math.exp(log_median)
        return cls(
            logs.size,
            median,
            median * math.expm1(log_mad),
            math.exp(lp10),
            math.exp(lp90),
            log_median,
            log_mad,
        )

    def as_dict(self) -> dict[str, float | int]:
        """The baseline's statistics, as the JSON report shows them."""
        return {
            "n": self.n,
            "median": self.median,
            "mad": self.mad,
            "p10": self.p10,
            "p90": self.p90,
        }

    def scale(self, floors: Floors) -> float:
        """Robust σ of log durations, floored at 1% and at ``floor_abs_s`` at the median."""
        floor_abs = floors.floor_abs_s / self.median if self.median > 0 else 1.0
        return max(self.log_mad * MAD_TO_SIGMA, math.log1p(floors.floor_rel), floor_abs)


def baseline(values: Sequence[float] | np.ndarray) -> Baseline:
    """Median, MAD and p10/p90 of the history (on the log scale, in seconds)."""
    return Rolling(np.asarray(values, dtype=float), 0, max(1, len(values))).at(len(values)) or (
        Baseline(0, 0.0, 0.0, 0.0, 0.0)
    )


class Rolling:
    """Baselines of ``values[max(start, e - window):e]`` for every end ``e``. Counts and
    medians (what every run's test reads) come from one sort of all windows at once;
    the rest of a baseline (MAD, p10/p90) is computed for the ends that are asked for."""

    def __init__(self, values: np.ndarray, start: int, window: int) -> None:
        arr = log_durations(values)
        arr[:start] = np.nan
        padded = np.concatenate([np.full(window, np.nan), arr])
        win = np.lib.stride_tricks.sliding_window_view(padded, window)  # row e: values[e-w:e]
        self.sorted = np.sort(win, axis=1)  # NaNs (no value) sort last
        self.n = np.sum(~np.isnan(win), axis=1)
        rows = np.arange(self.n.size)
        lo, hi = np.maximum(self.n - 1, 0) // 2, self.n // 2
        hi = np.minimum(hi, window - 1)
        with np.errstate(invalid="ignore"):
            self.lmed = (self.sorted[rows, lo] + self.sorted[rows, hi]) / 2
        self.lmed[self.n == 0] = np.nan
        self.med = np.exp(self.lmed)
        self._at: dict[int, Baseline | None] = {}
        self._split: dict[int, int | None] = {}

    def at(self, end: int) -> Baseline | None:
        """The baseline of the runs before ``end`` (None: there are none)."""
        if end not in self._at:
            n = int(self.n[end])
            self._at[end] = (
                Baseline.of_sorted(self.sorted[end, :n], float(self.lmed[end])) if n else None
            )
        return self._at[end]

    def split(self, end: int) -> int | None:
        """``levels.split`` of the baseline ending at ``end`` (None: one level)."""
        if end not in self._split:
            self._split[end] = levels.split(self.sorted[end, : self.n[end]])
        return self._split[end]
