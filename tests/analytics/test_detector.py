"""The detector on synthetic step series: each rule can fire, and does not when it must not."""

from __future__ import annotations

import numpy as np

from ansiscope.analytics.changepoints import change_points
from ansiscope.analytics.detector import Params, Verdict, baseline, judge, judge_series
from ansiscope.analytics.gate_rules import gated_tasks


def noisy(median: float, n: int, cv: float = 0.05, seed: int = 1) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(median * np.exp(rng.normal(0, cv, n)))


def test_baseline_is_robust() -> None:
    b = baseline([10, 10, 11, 9, 10, 100])
    assert b.median == 10 and b.mad == 0.5 and b.n == 6


def test_too_little_history_is_neutral_and_empty_is_new() -> None:
    assert judge([], 5.0).verdict is Verdict.NEW
    assert judge(noisy(10, 9), 100.0).verdict is Verdict.INSUFFICIENT


def test_step_fails_on_the_second_run_and_a_blip_never() -> None:
    history = noisy(20, 30)
    first = judge(history, 30.0)
    assert first.verdict is Verdict.SUSPECT and first.flagged and first.z and first.z > 3
    second = judge([*history, 30.0], 30.5, previous_flagged=True)
    assert second.verdict is Verdict.REGRESSION and second.consecutive == 2
    blip = judge_series([*history, 30.0, 20.1, 19.8, 20.3])
    assert [t.verdict for t in blip[30:]] == [Verdict.SUSPECT, Verdict.OK, Verdict.OK, Verdict.OK]


def test_strong_regression_fails_at_once() -> None:
    history = noisy(20, 30)
    assert judge(history, 60.0).verdict is Verdict.REGRESSION
    spec = Params(strong_z=5, strong_rel=0.5)
    assert judge(history, 31.0, params=spec).verdict is Verdict.REGRESSION
    assert judge(history, 31.0).verdict is Verdict.SUSPECT


def test_practical_floors() -> None:
    history = noisy(2.0, 30, cv=0.01)
    # +40% but only +0.8 s: never flagged however large z is
    assert judge(history, 2.8).verdict is Verdict.OK
    history = noisy(100.0, 30, cv=0.001)
    # +5% is ≥1 s and a huge z, but under the 10% floor
    assert judge(history, 105.0).verdict is Verdict.OK


def test_sustained_small_shift_in_noise() -> None:
    rng = np.random.default_rng(3)
    before = list(50 * np.exp(rng.normal(0, 0.15, 30)))
    after = list(65 * np.exp(rng.normal(0, 0.15, 8)))
    verdicts = [t.verdict for t in judge_series(before + after)][30:]
    assert Verdict.REGRESSION in verdicts[:6]
    assert all(
        t.verdict is not Verdict.REGRESSION
        for t in judge_series(before + list(50 * np.exp(rng.normal(0, 0.15, 8))))
    )


def test_improvement_is_reported_not_gated() -> None:
    assert judge(noisy(20, 30), 10.0).verdict is Verdict.IMPROVED


def test_change_points() -> None:
    series = noisy(20, 25, seed=4) + noisy(40, 15, seed=5)
    (cp,) = change_points(series)
    assert abs(cp.index - 25) <= 1 and 19 < cp.before < 21 and 38 < cp.after < 42
    assert change_points(noisy(20, 40, seed=6)) == []
    # a shift under 1 s is not reported however clean
    assert change_points(noisy(0.5, 20, seed=7) + noisy(1.0, 20, seed=8)) == []
    # too close to the end: not yet
    assert change_points([*noisy(20, 30, seed=9), 40.0]) == []


def test_gated_tasks_have_a_real_share() -> None:
    medians = {"big": 30.0, "mid": 6.0, "tiny": 0.5, "small": 2.0}
    assert gated_tasks(medians, 100.0) == {"big", "mid"}
