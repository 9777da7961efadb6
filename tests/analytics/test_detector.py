"""The detector on seeded synthetic series: each rule can fire, and does not when it must not."""

from __future__ import annotations

import numpy as np

from ansiscope.analytics.baselines import baseline
from ansiscope.analytics.changepoints import change_points
from ansiscope.analytics.detector import Params, Verdict, evaluate, judge, judge_series
from ansiscope.analytics.gate_rules import gated_tasks


def noisy(median: float, n: int, cv: float = 0.05, seed: int = 1) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(median * np.exp(rng.normal(0, cv, n)))


def verdicts(values: list[float]) -> list[Verdict]:
    return [t.verdict for t in judge_series(values)]


def test_baseline_is_robust() -> None:
    b = baseline([10, 10, 11, 9, 10, 100])
    assert b.n == 6 and abs(b.median - 10) < 1e-9 and 0.4 < b.mad < 0.6


def test_too_little_history_is_neutral_and_empty_is_new() -> None:
    assert judge([], 5.0).verdict is Verdict.NEW
    assert judge(noisy(10, 9), 100.0).verdict is Verdict.INSUFFICIENT
    assert evaluate(noisy(10, 9), 100.0).verdict is Verdict.INSUFFICIENT


def test_step_is_reported_on_every_run_after_confirmation_until_absorbed() -> None:
    before = noisy(20, 30, cv=0.08, seed=2)
    after = noisy(30, 15, cv=0.08, seed=3)
    after[4] = 21.0  # one run back under the threshold: must not reset the state
    tests = judge_series(before + after)[30:]
    got = [t.verdict for t in tests]
    first = got.index(Verdict.REGRESSION)
    assert first in (1, 2)  # never on the first slow run alone
    assert got[first:10] == [Verdict.REGRESSION] * (10 - first)  # no flapping
    assert {t.since for t in tests[first:10]} == {30}
    assert [t.consecutive for t in tests[first:10]] == list(range(first + 1, 11))
    # the 11th run at the new level: absorbed, the baseline moved, nothing fails any more
    assert tests[10].reason == "absorbed" and tests[10].since == 30
    assert Verdict.REGRESSION not in got[10:]


def test_step_that_reverts_stops_failing() -> None:
    series = noisy(20, 30, seed=4) + noisy(30, 4, seed=5) + noisy(20, 8, seed=6)
    got = verdicts(series)[30:]
    assert Verdict.REGRESSION in got[:4]
    last = max(i for i, v in enumerate(got) if v is Verdict.REGRESSION)
    assert last <= 6 and all(v is Verdict.OK for v in got[last + 1 :])
    assert judge_series(series)[30 + last + 1].reason == "reverted"


def test_a_single_spike_never_fails_however_large() -> None:
    for size in (1.5, 3.0, 10.0):
        series = noisy(20, 30, seed=7)
        series[25] *= size
        got = verdicts([*series, *noisy(20, 10, seed=8)])
        assert Verdict.REGRESSION not in got
    spiked = [*noisy(20, 30, seed=9), 200.0]
    assert evaluate(spiked[:-1], spiked[-1]).verdict is Verdict.SUSPECT


def test_a_bimodal_task_never_alerts() -> None:
    """Cache hit/miss: a slow mode (×2.5) on 30% of runs at random, even three misses in
    a row at the end (a mode the history already has), never confirms a step."""
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        miss = rng.random(60) < 0.3
        miss[-3:] = True
        values = 20 * np.exp(rng.normal(0, 0.05, 60)) * np.where(miss, 2.5, 1.0)
        assert Verdict.REGRESSION not in verdicts(list(values)), seed
        assert evaluate(values[:-1], float(values[-1])).verdict is not Verdict.REGRESSION


def test_a_step_in_a_bimodal_task_is_caught() -> None:
    rng = np.random.default_rng(5)
    miss = rng.random(60) < 0.3
    values = 20 * np.exp(rng.normal(0, 0.05, 60)) * np.where(miss, 2.5, 1.0)
    values[40:] *= 3.0
    got = verdicts(list(values))
    assert Verdict.REGRESSION not in got[:40] and Verdict.REGRESSION in got[40:46]


def cache_task(seed: int, miss_rate: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """60 runs of a 20 s task whose cache misses (×2.5) come at random: values, misses."""
    rng = np.random.default_rng(seed)
    miss = rng.random(60) < miss_rate
    return 20 * np.exp(rng.normal(0, 0.05, 60)) * np.where(miss, 2.5, 1.0), miss


def test_a_small_step_in_a_bimodal_task_is_caught_within_its_level() -> None:
    """+25%: every cache hit is slower than every old hit, yet still faster than the old
    misses, so against the whole history it ranks mid-way (the plain rank test caught 2
    of these 20 within 5 runs); ranked within its own level it is caught by run 3."""
    for seed in range(20):
        values, _ = cache_task(seed)
        values[40:] *= 1.25
        got = verdicts(list(values))
        assert Verdict.REGRESSION not in got[:40], seed
        assert Verdict.REGRESSION in got[40:44], seed
        tests = judge_series(list(values))
        first = got.index(Verdict.REGRESSION)
        absorbed = next(i for i, t in enumerate(tests) if t.reason == "absorbed")
        assert absorbed >= first + 6, seed  # K = 10 runs from its first slow run
        assert got[first:absorbed] == [Verdict.REGRESSION] * (absorbed - first), seed  # no flaps


def test_a_step_that_moves_the_hits_past_the_levels_cut_is_caught() -> None:
    """×1.8 when misses are ×2.5: every hit now sits above the cut between the old
    levels, so cut there each run looks like a (slow) miss, and only the count test is
    left. Cut where the recent runs themselves split, the hits are hits again, each
    above every old hit (6 of 20 caught within 6 runs before, by the count test)."""
    for miss_rate in (0.3, 0.45):
        caught = 0
        for seed in range(20):
            values, _ = cache_task(seed, miss_rate)
            values[40:] *= 1.8
            got = verdicts(list(values))
            assert Verdict.REGRESSION not in got[:40], seed
            caught += Verdict.REGRESSION in got[40:46]
        assert caught >= 17, miss_rate


def test_a_shift_under_the_floors_within_levels_is_not_a_regression() -> None:
    """+7% on hits and misses alike, with little noise: ranked within their levels every
    run is slower (p far below the limit), but by less than the 10% floor. A window of
    mostly misses is far above the hits' median, which is not the change: the floor is
    read as each run's shift from its own level."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        miss = rng.random(60) < 0.45
        values = 20 * np.exp(rng.normal(0, 0.005, 60)) * np.where(miss, 2.5, 1.0)
        values[40:] *= 1.07
        assert Verdict.REGRESSION not in verdicts(list(values)), seed
    values[40:] *= 1.1 / 1.07  # +10%: caught
    assert Verdict.REGRESSION in verdicts(list(values))


def test_a_cache_that_stops_hitting_is_a_regression_but_a_run_of_misses_is_not() -> None:
    """Misses on 15% of runs, then on every run: each run is at a level the history has,
    but six in a row at a level it held on 5 of 30 runs is a change (beta-binomial p =
    2e-4); three in a row (p = 0.009) is a suspect at most. With misses on 6 of 30 runs
    six in a row is p = 4e-4: not yet, so a few of these 20 are caught later."""
    caught = 0
    for seed in range(20):
        values, miss = cache_task(seed, miss_rate=0.15)
        broken = values.copy()
        broken[40:] = np.where(miss[40:], broken[40:], broken[40:] * 2.5)
        got = verdicts(list(broken))
        assert Verdict.REGRESSION not in got[:40], seed
        caught += Verdict.REGRESSION in got[40:46]
        three = values[:43].copy()
        three[40:] = np.where(miss[40:43], three[40:], three[40:] * 2.5)
        assert Verdict.REGRESSION not in verdicts(list(three)), seed
    assert caught >= 15


def test_drift_alerts_only_once_it_is_practical() -> None:
    rng = np.random.default_rng(12)
    level = 1 + 0.03 * np.maximum(0, np.arange(60) - 20)  # +3% a run from run 20
    values = 40 * level * np.exp(rng.normal(0, 0.05, 60))
    got = verdicts(list(values))
    first = got.index(Verdict.REGRESSION)
    assert level[first] >= 1.10  # not before the drift clears the 10% floor
    assert level[first] <= 1.45  # and not long after
    # one episode while it keeps drifting (a trend is not a level to absorb), past K = 10
    # runs, up to absorb_max_runs
    assert got[first : first + 20] == [Verdict.REGRESSION] * 20


def test_a_noisy_drift_is_held_as_one_episode_not_absorbed_and_raised_again() -> None:
    """+3% a run under 10% noise: over the ten runs after its first slow run the trend
    test alone often cannot see the slope (it absorbed 19 of these 40 drifts early, and
    the drift then alerted again as a new episode); a line through the episode and the
    runs before it fits better than a step, so the episode holds."""
    held = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        level = 1 + 0.03 * np.maximum(0, np.arange(60) - 20)
        got = verdicts(list(60 * level * np.exp(rng.normal(0, 0.1, 60))))
        first = got.index(Verdict.REGRESSION)
        rest = got[first : first + 20]
        held += rest == [Verdict.REGRESSION] * len(rest)
    assert held >= 30


def test_improvements_never_gate_and_a_return_is_caught() -> None:
    faster = noisy(30, 30, seed=13) + noisy(15, 14, seed=14)
    tests = judge_series(faster)
    assert Verdict.REGRESSION not in [t.verdict for t in tests]
    assert any(t.verdict is Verdict.IMPROVED and t.since == 30 for t in tests[30:36])
    # once the faster level is the new normal, going back to the old one is a regression
    back = verdicts([*faster, *noisy(30, 6, seed=15)])[44:]
    assert Verdict.REGRESSION in back


def test_practical_floors() -> None:
    # +40% but only +0.08 s: never a regression however clean
    assert Verdict.REGRESSION not in verdicts(noisy(0.2, 30, cv=0.01) + noisy(0.28, 10, cv=0.01))
    # the same +40% from 2 s (+0.8 s) is one: a sub-second step is a finding
    assert Verdict.REGRESSION in verdicts(noisy(2.0, 30, cv=0.01) + noisy(2.8, 10, cv=0.01))
    # +5% is ≥0.1 s and a huge z, but under the 10% floor
    assert Verdict.REGRESSION not in verdicts(
        noisy(100.0, 30, cv=0.001) + noisy(105.0, 10, cv=0.001)
    )
    assert judge(noisy(100.0, 30, cv=0.001), 105.0).verdict is Verdict.OK


def test_a_step_must_pass_the_resolution_the_timings_were_printed_at() -> None:
    """Durations printed in tenths (or whole seconds): a median moving one quantum
    (0.2 → 0.3 s, 5 → 6 s) may be a rounding flip, never a regression; two quanta are."""
    from ansiscope.analytics.resolution import resolution

    rng = np.random.default_rng(3)
    tenths = np.round(rng.normal(0.24, 0.01, 50), 1)  # rounds to 0.2
    flipped = np.round(rng.normal(0.26, 0.01, 10), 1)  # +0.02 s: rounds to 0.3
    assert resolution(np.concatenate([tenths, flipped])) == 0.1
    assert Verdict.REGRESSION not in verdicts([*tenths, *flipped])
    assert Verdict.REGRESSION in verdicts([*tenths, *np.round(rng.normal(0.5, 0.01, 10), 1)])
    seconds = [5.0] * 30 + [6.0] * 10
    assert resolution(np.array(seconds)) == 1.0
    assert Verdict.REGRESSION not in verdicts(seconds)
    assert Verdict.REGRESSION in verdicts([5.0] * 30 + [7.0] * 10)
    # the same one-tenth step measured to the microsecond is a finding
    fine = [*(0.2 + rng.normal(0, 0.002, 30)), *(0.3 + rng.normal(0, 0.002, 10))]
    assert resolution(np.array(fine)) == 0.0
    assert Verdict.REGRESSION in verdicts(fine)
    assert change_points([*tenths, *flipped]) == []


def test_replay_is_deterministic_and_params_matter() -> None:
    series = noisy(20, 30, seed=16) + noisy(26, 6, seed=17)
    assert [t.verdict for t in judge_series(series)] == [t.verdict for t in judge_series(series)]
    strict = Params(min_rel=0.5)  # +30%: under this floor
    assert Verdict.REGRESSION not in [t.verdict for t in judge_series(series, strict)]


def test_change_points() -> None:
    series = noisy(20, 25, seed=4) + noisy(40, 15, seed=5)
    (cp,) = change_points(series)
    assert abs(cp.index - 25) <= 1 and 19 < cp.before < 21 and 38 < cp.after < 42
    assert change_points(noisy(20, 40, seed=6)) == []
    # a shift under 0.1 s is not reported however clean; a sub-second doubling is
    assert change_points(noisy(0.05, 20, seed=7) + noisy(0.1, 20, seed=8)) == []
    assert [cp.index for cp in change_points(noisy(0.5, 20, seed=7) + noisy(1.0, 20, seed=8))] == [
        20
    ]
    # too close to the end: not yet
    assert change_points([*noisy(20, 30, seed=9), 40.0]) == []


def test_change_point_is_placed_by_magnitude_not_only_by_rank() -> None:
    """Three runs a hair under the old level just before a halving, near the series'
    end: ranked, they sit with the fast runs (the rank split lands 3 runs early, at
    42); by their distances they belong before the step, where the refinement puts it."""
    series = [*noisy(10, 42, cv=0.01, seed=0), 9.6, 9.5, 9.55, *noisy(5, 7, cv=0.01, seed=1)]
    (cp,) = change_points(series)
    assert cp.index == 45 and 9.9 < cp.before < 10.1 and 4.9 < cp.after < 5.1
    # a cache-miss history is not refined by magnitudes: with misses on runs 37 and 39
    # just before a doubling at 40, least deviations would pull the point back to 37
    values, miss = cache_task(11)
    values[40:] *= 2.0
    assert list(miss[37:40]) == [True, False, True]
    (cp,) = change_points(list(values))
    assert abs(cp.index - 40) <= 1


def test_gated_tasks_have_a_real_share() -> None:
    medians = {"big": 30.0, "mid": 6.0, "tiny": 0.5, "small": 2.0}
    assert gated_tasks(medians, 100.0) == {"big", "mid"}


def test_the_quiet_series_shortcut_judges_as_the_full_replay() -> None:
    """``evaluate`` skips the replay when no run could confirm an episode; on quiet,
    noisy, stepped and spiky series it must give exactly what the replay gives."""
    import numpy as np

    from ansiscope.analytics.detector import Params, _replay, evaluate, for_series

    rng = np.random.default_rng(7)
    params = Params()
    shortcut = 0
    for i in range(300):
        n = int(rng.integers(5, 70))
        level = float(rng.choice([0.3, 2.0, 12.0, 60.0]))
        values = level * rng.lognormal(0, float(rng.choice([0.02, 0.1, 0.3])), n)
        if i % 3 == 0:
            values[int(rng.integers(0, n)) :] *= float(rng.choice([1.3, 2.0, 0.6]))
        if i % 5 == 0:
            values[int(rng.integers(0, n))] *= 4
        if i % 7 == 0:  # printed in tenths or whole seconds
            values = np.maximum(1.0, np.round(values, int(rng.choice([0, 1]))))
        tests, _, _ = _replay(values, for_series(values, params), report=False)
        assert evaluate(values[:-1], float(values[-1]), params) == tests[-1]
        shortcut += tests[-1] is not None and tests[-1].since is None
    assert shortcut > 50  # the property was exercised on series the shortcut takes


def test_many_series_at_once_judge_as_one_by_one() -> None:
    """``evaluate_many`` (the gate's batch of task × host series) gives exactly
    ``evaluate`` for each: quiet, noisy, stepped, spiky, with a gap, of mixed lengths."""
    from ansiscope.analytics.detector_batch import evaluate_many

    rng = np.random.default_rng(11)
    params = Params()
    series: list[tuple[list[float], float]] = []
    for i in range(400):
        n = int(rng.choice([0, 1, 9, 10, 30, 31, 55, 55, 55, int(rng.integers(2, 80))]))
        level = float(rng.choice([0.0005, 0.3, 2.0, 12.0, 60.0]))
        values = level * rng.lognormal(0, float(rng.choice([0.02, 0.1, 0.3])), n + 1)
        if i % 3 == 0:
            values[int(rng.integers(0, n + 1)) :] *= float(rng.choice([1.3, 2.0, 0.6]))
        if i % 5 == 0:
            values[int(rng.integers(0, n + 1))] *= 4
        if i % 37 == 0 and n:
            values[int(rng.integers(0, n))] = np.nan
        if i % 7 == 0:  # printed in tenths
            values = np.maximum(0.1, np.round(values, 1))
        series.append(([float(v) for v in values[:-1]], float(values[-1])))
    many = evaluate_many(series, params)
    one = [evaluate(h, v, params) for h, v in series]
    assert len(many) == len(series)
    for got, want in zip(many, one, strict=True):
        assert repr(got) == repr(want)  # (NaN-safe equality)
    assert {t.verdict for t in many} >= {Verdict.OK, Verdict.REGRESSION, Verdict.NEW}
    assert evaluate_many([], params) == []


def test_a_slowdown_right_after_a_speedup_is_confirmed_as_the_speedup_reverts() -> None:
    """Faster runs open an improvement episode; then the task gets much slower than it
    ever was. The third slow run reverts the improvement and, the same run, confirms
    the regression (a loaded CI machine that quietens, then a real slowdown: the gate
    must fail within three runs of it, not six)."""
    for seed in range(5):
        series = noisy(10, 30, seed=seed) + noisy(8, 8, seed=seed + 50)
        tests = judge_series([*series, *noisy(20, 6, seed=seed + 90)])
        assert any(t.verdict is Verdict.IMPROVED and t.since is not None for t in tests[30:38])
        slow = [i - 38 for i, t in enumerate(tests) if i >= 38 and t.verdict is Verdict.REGRESSION]
        assert slow and slow[0] <= 2 and slow == list(range(slow[0], 6)), (seed, slow)
        assert tests[38 + slow[0]].since == 38


def test_three_unlucky_runs_of_a_noisy_step_do_not_end_it() -> None:
    """A noisy task (CV 30%) doubles; three runs of the new level happen to fall under
    the midpoint between the levels, one of them above the old level's usual range (its
    p90). They are the new level's noise as likely as a revert: the episode holds and
    the gate keeps failing, instead of passing on the runs after them (and failing
    again once the slow runs confirm a second time: flapping). Three runs back inside
    the old range do revert it."""
    base = noisy(10, 30, cv=0.3, seed=11)
    median, p90 = float(np.median(base)), float(np.percentile(base, 90))
    assert p90 + 0.4 < np.sqrt(median * 21)  # under the midpoint
    unlucky = [p90 + 0.4, median, median * 1.05]
    series = [*base, 21.0, 22.0, 20.0, *unlucky, 21.0, 19.0, 20.0]
    got = verdicts(series)[30:]
    first = got.index(Verdict.REGRESSION)
    assert got[first:] == [Verdict.REGRESSION] * (len(got) - first), got
    back = [*base, 21.0, 22.0, 20.0, median * 0.9, median, median * 1.05]
    tests = judge_series(back)
    assert tests[-1].reason == "reverted" and tests[-1].verdict is not Verdict.REGRESSION
