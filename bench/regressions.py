"""Evaluation harness for regression detection on labelled synthetic series.

    python bench/regressions.py [SERIES] [--seeds N] [--spikes]

Each series: a task duration with log-normal noise (CV 5–30%), 60 runs; half of the
series get a step of +20..200% at a random run; 15% are sub-second tasks quantised to
0.1 s (never stepped: any change there is under the 1 s practical floor, so they only
test false alerts); series may have transient one-run blips (+15..45%) that are not
changes (a one-run jump of ≥50% at z ≥5 is by definition *strong* and fails the gate);
with --spikes, 5% of runs are upward outliers (+50..200%), also not changes.

Gate mode (ansiscope gate): precision, recall@0/1/5 (alert within that many runs of
the step), F1 (recall@5), false alerts per 100 stable runs, and the share of
unchanged 200-task playbook runs that would fail the gate (total + tasks with a real
share of the time gated). History mode (dashboards): change-point precision/recall/F1
with a ±3-run tolerance.
Targets: gate F1 ≥0.90, ≤0.1 false alerts/100 stable runs, ≤5% failing unchanged
playbook runs; history F1 ≥0.96.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ansiscope.analytics.changepoints import change_points
from ansiscope.analytics.detector import Params, Verdict, judge_series
from ansiscope.analytics.gate_rules import gated_tasks

RUNS = 60


def make_series(rng: np.random.Generator, spikes: bool) -> tuple[np.ndarray, int | None]:
    """One labelled series: (values, index of the step or None)."""
    if rng.random() < 0.15:  # a sub-second task, quantised like profile_tasks output
        median, cv, quantum = rng.uniform(0.05, 0.9), rng.uniform(0.05, 0.3), 0.1
    else:
        median, cv, quantum = (
            float(np.exp(rng.uniform(np.log(2), np.log(300)))),
            rng.uniform(0.05, 0.3),
            0.0,
        )
    sigma = np.sqrt(np.log(1 + cv**2))
    values = median * np.exp(rng.normal(-(sigma**2) / 2, sigma, RUNS))
    step = None
    if rng.random() < 0.5 and not quantum:  # (a sub-second task's step is under the 1 s floor)
        step = int(rng.integers(15, RUNS - 5))
        values[step:] *= 1 + rng.uniform(0.2, 2.0)
    for _ in range(rng.integers(0, 3)):  # transient one-run blips: not changes
        i = int(rng.integers(1, RUNS))
        if step is None or abs(i - step) > 3:
            values[i] *= 1 + rng.uniform(0.15, 0.45)
    if spikes:
        mask = rng.random(RUNS) < 0.05
        values[mask] *= 1 + rng.uniform(0.5, 2.0, mask.sum())
    if quantum:
        values = np.maximum(quantum, np.round(values / quantum) * quantum)
    return values, step


def gate_metrics(series: list[tuple[np.ndarray, int | None]], params: Params) -> dict[str, float]:
    tp = fp = 0
    hits = {0: 0, 1: 0, 5: 0}
    changed = 0
    stable_runs = false_runs = 0
    for values, step in series:
        verdicts = [t.verdict for t in judge_series(list(values), params)]
        alerts = [i for i, v in enumerate(verdicts) if v is Verdict.REGRESSION]
        end = step if step is not None else RUNS
        evaluated = range(params.min_history, end)
        stable_runs += len(evaluated)
        false_runs += sum(1 for i in alerts if i < end)
        fp += _episodes([i for i in alerts if i < end])
        if step is not None:
            changed += 1
            after = [i - step for i in alerts if i >= step]
            if after and after[0] <= 5:
                tp += 1
                for d in hits:
                    hits[d] += after[0] <= d
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / changed if changed else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall@0": hits[0] / changed,
        "recall@1": hits[1] / changed,
        "recall@5": hits[5] / changed,
        "f1": f1,
        "false_per_100": 100 * false_runs / max(1, stable_runs),
    }


def _episodes(indices: list[int]) -> int:
    return sum(1 for k, i in enumerate(indices) if k == 0 or i != indices[k - 1] + 1)


def playbook_failures(
    rng: np.random.Generator, params: Params, spikes: bool, tasks: int = 200
) -> float:
    """Share of unchanged playbook runs that the gate would fail."""
    matrix = np.array([make_unchanged(rng, spikes) for _ in range(tasks)])  # tasks × runs
    totals = matrix.sum(axis=0)
    gated = gated_tasks(
        {i: float(np.median(matrix[i])) for i in range(tasks)}, float(np.median(totals))
    )
    fails = np.zeros(RUNS, dtype=bool)
    for row in [totals, *(matrix[i] for i in gated)]:
        for i, test in enumerate(judge_series(list(row), params)):
            fails[i] |= test.verdict is Verdict.REGRESSION
    return float(fails[params.min_history :].mean())


def make_unchanged(rng: np.random.Generator, spikes: bool) -> np.ndarray:
    while True:
        values, step = make_series(rng, spikes)
        if step is None:
            return values


def history_metrics(
    series: list[tuple[np.ndarray, int | None]], tolerance: int = 3
) -> dict[str, float]:
    tp = fp = fn = 0
    for values, step in series:
        found = [cp.index for cp in change_points(list(values))]
        truth = [step] if step is not None else []
        matched = [t for t in truth if any(abs(f - t) <= tolerance for f in found)]
        tp += len(matched)
        fn += len(truth) - len(matched)
        fp += sum(1 for f in found if not any(abs(f - t) <= tolerance for t in truth))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("series", nargs="?", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--spikes", action="store_true")
    args = parser.parse_args()
    params = Params()
    started = time.perf_counter()
    gate, hist, fails = [], [], []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        series = [make_series(rng, args.spikes) for _ in range(args.series)]
        gate.append(gate_metrics(series, params))
        hist.append(history_metrics(series))
        fails.append(playbook_failures(rng, params, args.spikes))
    mean = {k: float(np.mean([g[k] for g in gate])) for k in gate[0]}
    hmean = {k: float(np.mean([h[k] for h in hist])) for k in hist[0]}
    print(
        f"{args.series} series × {args.seeds} seeds, {RUNS} runs each, spikes {'on' if args.spikes else 'off'}"
    )
    print(
        "gate:    precision {precision:.3f}  recall@0 {recall@0:.3f}  recall@1 {recall@1:.3f}  "
        "recall@5 {recall@5:.3f}  F1 {f1:.3f}  false alerts/100 stable runs {false_per_100:.3f}".format(
            **mean
        )
    )
    print(f"unchanged 200-task playbook runs failing the gate: {100 * np.mean(fails):.1f}%")
    print(
        "history: precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f} (±3 runs)".format(
            **hmean
        )
    )
    print(f"({time.perf_counter() - started:.1f}s)")


if __name__ == "__main__":
    main()
