"""Regression detection for one series of durations (lower is better).

Gate mode tests one new value against a robust baseline of the previous runs:
median and MAD (scaled to σ, floored at 1% of the median and 0.05 s). A value is
*flagged* when z ≥ 3 **and** it is ≥10% **and** ≥1 s slower. A regression is a
flagged value on two consecutive runs, or *strong* at once (z ≥ 10 and ≥150% slower:
the issue's z ≥5/≥50% made single-run outliers fail the gate 3× too often in
bench/regressions.py; it stays one option away), or *sustained* (the median of the
last five runs clearly above the baseline before them: small steps in noisy tasks).
One weak hit is a *suspect* (warns, never fails). Fewer than 10 runs of history is
``insufficient_history`` — neutral. Improvements are reported, never gated.

These are the rules that held up on labelled noisy series (see bench/regressions.py
and ../shared/FACTS.md): "slower than last time" and plain z-scores cry wolf.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence

import numpy as np

MAD_TO_SIGMA = 1.4826


class Verdict(enum.StrEnum):
    REGRESSION = "regression"
    SUSPECT = "suspect"
    OK = "ok"
    IMPROVED = "improved"
    NEW = "new"
    INSUFFICIENT = "insufficient_history"
    ACKNOWLEDGED = "acknowledged"


@dataclasses.dataclass(frozen=True)
class Params:
    """The knobs of gate mode (defaults from the issue and the measurements)."""

    window: int = 30
    min_history: int = 10
    z: float = 3.0
    min_rel: float = 0.10
    min_abs_s: float = 1.0
    strong_z: float = 10.0  # measured: z ≥5 and ≥50% alone fails at once on 1-run outliers
    strong_rel: float = 1.50
    floor_rel: float = 0.01
    floor_abs_s: float = 0.05
    sustained_runs: int = 5  # this run and the four before: their median against the baseline
    sustained_z: float = 5.0


@dataclasses.dataclass(frozen=True)
class Baseline:
    n: int
    median: float
    mad: float
    p10: float
    p90: float

    def as_dict(self) -> dict[str, float | int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Test:
    """One value judged against its baseline."""

    verdict: Verdict
    value: float
    baseline: Baseline | None
    delta_s: float | None = None
    delta_rel: float | None = None
    z: float | None = None
    flagged: bool = False
    consecutive: int = 0


def baseline(values: Sequence[float] | np.ndarray) -> Baseline:
    """Median, MAD and p10/p90 of the history."""
    arr = np.asarray(values, dtype=float)
    median = float(np.median(arr))
    mad = float(np.median(np.abs(arr - median)))
    p10, p90 = (float(x) for x in np.percentile(arr, [10, 90]))
    return Baseline(int(arr.size), median, mad, p10, p90)


def judge(
    history: Sequence[float] | np.ndarray,
    value: float,
    *,
    previous_flagged: bool = False,
    params: Params = Params(),
) -> Test:
    """Judge ``value`` against the last ``params.window`` values of ``history``."""
    hist = np.asarray(history, dtype=float)[-params.window :]
    if hist.size == 0:
        return Test(Verdict.NEW, value, None)
    base = baseline(hist)
    scale = max(base.mad * MAD_TO_SIGMA, params.floor_rel * base.median, params.floor_abs_s)
    delta = value - base.median
    rel = delta / base.median if base.median > 0 else (np.inf if delta > 0 else 0.0)
    z = delta / scale
    if hist.size < params.min_history:
        return Test(Verdict.INSUFFICIENT, value, base, delta, rel, z)
    flagged = z >= params.z and rel >= params.min_rel and delta >= params.min_abs_s
    strong = flagged and z >= params.strong_z and rel >= params.strong_rel
    improved = z <= -params.z and rel <= -params.min_rel and delta <= -params.min_abs_s
    consecutive = 2 if flagged and previous_flagged else int(flagged)
    if strong or consecutive >= 2 or _sustained(np.asarray(history, dtype=float), value, params):
        verdict = Verdict.REGRESSION
    elif flagged:
        verdict = Verdict.SUSPECT
    elif improved:
        verdict = Verdict.IMPROVED
    else:
        verdict = Verdict.OK
    return Test(verdict, value, base, delta, float(rel), float(z), flagged, consecutive)


def _sustained(history: np.ndarray, value: float, params: Params) -> bool:
    """A smaller shift held for several runs: the median of the last few runs is
    clearly (z of a median of m values) and practically above the baseline before them."""
    m = params.sustained_runs
    if m < 2 or history.size < params.min_history + m - 1:
        return False
    recent = np.append(history[-(m - 1) :], value)
    before = history[: -(m - 1)][-params.window :]
    base = baseline(before)
    scale = max(base.mad * MAD_TO_SIGMA, params.floor_rel * base.median, params.floor_abs_s)
    level = float(np.median(recent))
    delta = level - base.median
    if value < base.median + params.min_abs_s or recent.min() <= base.median:
        return False
    z = delta / (scale * 1.2 / np.sqrt(m))
    return bool(
        z >= params.sustained_z
        and delta >= params.min_abs_s
        and base.median > 0
        and delta / base.median >= params.min_rel
    )


def judge_series(values: Sequence[float], params: Params = Params()) -> list[Test]:
    """Every point of a series judged as the gate would have when it arrived."""
    out: list[Test] = []
    flagged = False
    for i, value in enumerate(values):
        test = judge(values[:i], value, previous_flagged=flagged, params=params)
        flagged = test.flagged
        out.append(test)
    return out
