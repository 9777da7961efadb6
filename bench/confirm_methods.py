"""Library change-point methods as the detector's confirmation step (bench only).

The product's detector (``ansiscope/analytics/detector.py``) confirms a step with an
exact one-sided rank-sum test of a recent window of 3–6 runs against its baseline
(``ranksum``, the default, untouched). ``use(METHOD)`` swaps the detector's
``_try_confirm`` for a copy whose statistical decision is made by a library instead;
the product never imports these libraries and its default behaviour does not change.

Every method keeps what surrounds the test in the product: the run itself and the recent
window's median must be a practical change from the baseline median (≥10% and ≥0.1 s),
and for a two-level history the window must be past the level it reached
(``levels.mode_passed``). What the library decides, on the log durations of the
baseline window (in run order) followed by the recent window:

- ``pelt``: ruptures' PELT (``KernelCPD``, linear kernel = the ``l2`` cost, exact PELT in
  C) on log values divided by the baseline's robust σ (``Baseline.scale``), so that one
  penalty fits every noise level;
- ``pelt_rbf``: the same with the ``rbf`` kernel (bandwidth: ruptures' median
  heuristic, so no scaling is needed), robust to outliers and changes of shape;
- ``edivisive``: MongoDB's E-divisive means (``signal_processing_algorithms``), the
  method Apache Otava builds on: hierarchical energy-statistic splits, each kept when
  its permutation p ≤ the level.

A step is confirmed when the last change point found starts a segment that covers the
recent window (it lies at the window's start or at most ``sustained_runs`` runs before
it) and that segment's median moved from the previous segment's by the practical
floors, in the step's direction. The penalty (or p level) is the method's one knob:
``calibrate`` picks it on stable series of every family drawn from seeds the benchmark
does not use (see ``regressions.py --calibrate``).

``ruptures`` is in the ``dev`` extra. ``signal-processing-algorithms`` is not: its
metadata pins numpy < 2 (and structlog < 25, setuptools < 71), so resolving it would
downgrade numpy under the product; it builds and runs on numpy 2 (C extension loaded)
when installed as ``pip install --no-deps signal-processing-algorithms structlog
more-itertools``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ansiscope.analytics import detector, levels
from ansiscope.analytics.baselines import Baseline, log_durations
from ansiscope.analytics.detector import Episode, Params, Test

METHODS = ("ranksum", "pelt", "pelt_rbf", "edivisive")
# the calibrated knob of each method (regressions.py --calibrate; README)
DEFAULT_LEVEL = {"pelt": 30.0, "pelt_rbf": 5.0, "edivisive": 0.005}
MIN_SIZE = 3  # the shortest segment a method may cut (= confirm_runs)

_ORIGINAL = detector._try_confirm
_state: dict[str, Any] = {"method": "ranksum", "level": 0.0, "permutations": 199}
_cache: dict[tuple[int, int, int], list[int]] = {}
_owner: list[np.ndarray] = []


def use(method: str, level: float | None = None, permutations: int = 199) -> None:
    """Make ``method`` the detector's confirmation (``ranksum``: the product's own)."""
    if method not in METHODS:
        raise ValueError(f"unknown confirmation method {method!r}")
    _cache.clear()
    if method == "ranksum":
        detector._try_confirm = _ORIGINAL
        return
    _state.update(
        method=method,
        level=DEFAULT_LEVEL[method] if level is None else level,
        permutations=permutations,
    )
    detector._try_confirm = _try_confirm


def describe() -> str:
    """The method in use and its level, for the benchmark's header."""
    if detector._try_confirm is _ORIGINAL:
        return "ranksum"
    extra = f", {_state['permutations']} permutations" if _state["method"] == "edivisive" else ""
    return f"{_state['method']} (level {_state['level']:g}{extra})"


def _pelt(logs: np.ndarray, scale: float, kernel: str, pen: float) -> list[int]:
    import ruptures as rpt  # only when selected

    signal = (logs / scale if kernel == "linear" else logs).reshape(-1, 1)
    algo = rpt.KernelCPD(kernel=kernel, min_size=MIN_SIZE).fit(signal)
    return [int(b) for b in algo.predict(pen=pen)]


def _edivisive(logs: np.ndarray, pvalue: float, permutations: int) -> list[int]:
    from signal_processing_algorithms.energy_statistics import energy_statistics

    cps = energy_statistics.e_divisive(logs, pvalue=pvalue, permutations=permutations)
    return [*sorted(int(c) for c in cps), logs.size]


def breakpoints(logs: np.ndarray, scale: float) -> list[int]:
    """The selected method's segmentation of ``logs`` (ruptures' convention: the end of
    every segment, the last one ``len(logs)``)."""
    method, level = _state["method"], float(_state["level"])
    if method == "pelt":
        return _pelt(logs, scale, "linear", level)
    if method == "pelt_rbf":
        return _pelt(logs, scale, "rbf", level)
    return _edivisive(logs, level, int(_state["permutations"]))


def _segments(values: np.ndarray, end: int, t: int, n: int, params: Params) -> list[int]:
    """Breakpoints of the baseline ``values[end - n:end]`` + the recent ``values[end:t + 1]``
    (log scale), cached per window: both directions ask for the same one."""
    if not _owner or _owner[0] is not values:
        _owner[:] = [values]
        _cache.clear()
    key = (end, t, n)
    if key not in _cache:
        logs = log_durations(values[end - n : t + 1])
        base = np.sort(logs[:n])
        scale = Baseline.of_sorted(base, float(np.median(base))).scale(params)
        _cache[key] = breakpoints(logs, scale)
    return _cache[key]


def _step_found(bkps: list[int], logs: np.ndarray, n: int, direction: int, params: Params) -> bool:
    """The last change point starts a segment covering the recent window (from ``n``) and
    that segment's level moved from the previous one's by the practical floors."""
    cps = bkps[:-1]
    if not cps or cps[-1] > n or n - cps[-1] > params.sustained_runs:
        return False
    c = cps[-1]
    prev = cps[-2] if len(cps) > 1 else 0
    before = math.exp(float(np.median(logs[prev:c])))
    after = math.exp(float(np.median(logs[c:])))
    gap = direction * (after - before)
    return gap >= params.min_abs_s and gap >= params.min_rel * before


def _confirms(
    values: np.ndarray, end: int, t: int, n: int, med: float, direction: int, params: Params
) -> bool:
    """``detector._confirms`` with the library's decision in place of the rank-sum test."""
    recent = values[end : t + 1]
    level = float(np.median(recent))
    delta = level - med
    if direction * delta <= 0 or abs(delta) < params.min_abs_s or abs(delta) < params.min_rel * med:
        return False
    bkps = _segments(values, end, t, n, params)
    if not _step_found(bkps, log_durations(values[end - n : t + 1]), n, direction, params):
        return False
    base_sorted = np.sort(log_durations(values[end - n : end]))
    at = levels.split(base_sorted)
    mode = levels.mode_passed(base_sorted, at, math.log(max(level, 1e-3)), direction)
    gap = direction * (level - math.exp(mode))
    return gap >= params.min_abs_s and gap >= params.min_rel * math.exp(mode)


def _try_confirm(
    values: np.ndarray, t: int, rolling: Any, params: Params
) -> tuple[Episode, Test] | None:
    """``detector._try_confirm`` with ``_confirms`` above (same windows, same episode)."""
    for direction, end, n, med in detector.windows(values, t, rolling, params):
        if _confirms(values, end, t, n, med, direction, params):
            return detector.open_episode(values, t, rolling, end, direction, params)
    return None


def calibrate(
    method: str,
    levels: list[float],
    false_rate: Callable[[], dict[str, float]],
    permutations: int = 199,
) -> tuple[float | None, dict[float, dict[str, float]]]:
    """False alerts per 100 stable runs by family (``false_rate()``, under the current
    method) at each level, and the most sensitive level whose worst family stays ≤ 0.1:
    the lowest penalty (PELT) or the highest p level (E-divisive). When no level holds
    every family to 0.1, the families that none can hold are left out of that choice
    (and the level is None if no family is held)."""
    table: dict[float, dict[str, float]] = {}
    for level in levels:
        use(method, level, permutations)
        table[level] = false_rate()
    families = list(table[levels[0]])
    held = [f for f in families if any(table[lv][f] <= 0.1 for lv in levels)]
    ok = [lv for lv in levels if held and max(table[lv][f] for f in held) <= 0.1]
    if not ok:
        return None, table
    return (max(ok) if method == "edivisive" else min(ok)), table
