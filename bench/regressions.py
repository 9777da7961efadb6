"""Evaluation harness for regression detection on labelled synthetic series.

    python bench/regressions.py [SERIES] [--seeds N] [--family NAME ...] [--spikes]
                                [--confirm METHOD [--level X]] [--calibrate]

For each noise family (bench/noise_families.py: lognormal, spikes, bimodal, drift,
heteroscedastic, quantised, slow_host, downward), SERIES series of 60 runs per seed,
half of them with a change. Each series is replayed run by run through the gate's
detector (``judge_series``). An *alert* is a run judged ``regression`` (for
``downward``: ``improved``, and any regression there is a false alarm); alert runs
separated by at most 3 quiet runs are one episode.

Gate mode: precision, recall@0/1/5 (first alert within that many runs of the label),
F1 (with recall@5), false alerts per 100 stable runs (episodes that start before the
change, or in a series without one), flapping (alerts that resume after 1–3 quiet
runs, per 100 changed series), recall (ever): changes alerted at any run after them,
however late (a step the gate never reports is worse than a late one), and the share
of unchanged 200-task playbook runs that fail the gate (total + tasks with a real
share of the time gated). History mode
(dashboards): change-point precision/recall/F1 with a ±3-run tolerance.
Targets in every family: F1 ≥0.90, ≤0.1 false alerts/100 stable runs, recall@5
≥0.90, ≤2% failing unchanged playbook runs; history F1 ≥0.96.
``--spikes`` is the old flag: the ``spikes`` family alone.

``--confirm`` swaps the detector's confirmation test for a library change-point method
(bench/confirm_methods.py: ``pelt``, ``pelt_rbf``, ``edivisive``; default ``ranksum``,
the product's own); ``--level`` overrides its calibrated penalty / p level, and
``--calibrate`` prints its false alerts per 100 stable runs by family over a grid of
levels, on the stable series of seeds 100.. (never scored here), and the level chosen.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import confirm_methods
from noise_families import FAMILIES, RUNS, Series

from ansiscope.analytics.changepoints import change_points
from ansiscope.analytics.detector import Params, Verdict, judge_series
from ansiscope.analytics.gate_rules import clears_gate, gated_tasks

GAP = 3  # quiet runs that end an episode


def episodes(alerts: list[int]) -> list[list[int]]:
    """Alert indices grouped into episodes (gaps of at most GAP quiet runs)."""
    out: list[list[int]] = []
    for i in alerts:
        if out and i - out[-1][-1] <= GAP + 1:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _resumed(alerts: list[int]) -> int:
    return sum(1 for a, b in itertools.pairwise(alerts) if 1 < b - a <= GAP + 1)


def gate_metrics(series: list[Series], params: Params, improve: bool) -> dict[str, float]:
    """Score the detector's replay of every series."""
    tp = fp = changed = stable_runs = flaps = wrong_way = ever = 0
    hits = {0: 0, 1: 0, 5: 0}
    want = Verdict.IMPROVED if improve else Verdict.REGRESSION
    for values, label, floor in series:
        tests = judge_series(values, params)
        verdicts = [t.verdict for t in tests]
        alerts = [  # improvements: the confirmed ones (one fast run is not a change)
            i
            for i, t in enumerate(tests)
            if t.verdict is want and (not improve or getattr(t, "since", 0) is not None)
        ]
        wrong_way += improve and any(v is Verdict.REGRESSION for v in verdicts)
        end = floor if floor is not None else RUNS
        stable_runs += max(0, end - params.min_history)
        eps = episodes(alerts)
        fp += sum(1 for e in eps if e[0] < end)
        if label is None:
            continue
        changed += 1
        after = [e for e in eps if e[0] >= end]
        flaps += _resumed([i for e in after for i in e])
        ever += bool(after)
        fp += max(0, len(after) - 1)
        if after and after[0][0] - label <= 5:
            tp += 1
            for d in hits:
                hits[d] += after[0][0] - label <= d
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / changed if changed else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall@0": hits[0] / max(1, changed),
        "recall@1": hits[1] / max(1, changed),
        "recall@5": recall,
        "recall_ever": ever / max(1, changed),
        "f1": f1,
        "false_per_100": 100 * fp / max(1, stable_runs),
        "flaps_per_100": 100 * flaps / max(1, changed),
        "wrong_way": wrong_way,
    }


def playbook_failures(
    make: Callable[[np.random.Generator], Series],
    rng: np.random.Generator,
    params: Params,
    tasks: int = 200,
) -> float:
    """Share of unchanged playbook runs that the gate would fail."""
    rows = []
    while len(rows) < tasks:
        values, label, floor = make(rng)
        if label is None and floor is None:
            rows.append(values)
    matrix = np.array(rows)  # tasks × runs
    totals = matrix.sum(axis=0)
    gated = gated_tasks(
        {i: float(np.median(matrix[i])) for i in range(tasks)}, float(np.median(totals))
    )
    fails = np.zeros(RUNS, dtype=bool)
    for row in [totals, *(matrix[i] for i in gated)]:
        for i, test in enumerate(judge_series(row, params)):
            fails[i] |= test.verdict is Verdict.REGRESSION and clears_gate(test)
    return float(fails[params.min_history :].mean())


def history_metrics(series: list[Series], tolerance: int = 3) -> dict[str, float]:
    """Change points (history mode) against the labels, ±``tolerance`` runs."""
    tp = fp = fn = 0
    for values, label, _ in series:
        found = [cp.index for cp in change_points(list(values))]
        truth = [label] if label is not None else []
        matched = [t for t in truth if any(abs(f - t) <= tolerance for f in found)]
        tp += len(matched)
        fn += len(truth) - len(matched)
        fp += sum(1 for f in found if not any(abs(f - t) <= tolerance for t in truth))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def run_family(name: str, n_series: int, seeds: int, params: Params) -> dict[str, float]:
    """Mean metrics of one family over ``seeds`` seeds."""
    make = FAMILIES[name]
    gate, hist, fails = [], [], []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        np.random.seed(seed)  # E-divisive's permutations draw from numpy's global RNG
        series = [make(rng) for _ in range(n_series)]
        gate.append(gate_metrics(series, params, improve=name == "downward"))
        if name != "drift":  # (a drift has no single change point)
            hist.append(history_metrics(series))
        fails.append(playbook_failures(make, rng, params))
    out = {k: float(np.mean([g[k] for g in gate])) for k in gate[0]}
    out["history_f1"] = float(np.mean([h["f1"] for h in hist])) if hist else float("nan")
    out["playbook_fail_pct"] = 100 * float(np.mean(fails))
    return out


CALIBRATION_SEED = 100  # stable series for --calibrate come from seeds 100..
LEVELS = {
    "pelt": [10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0],
    "pelt_rbf": [2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0],
    "edivisive": [0.005, 0.01, 0.02, 0.05],
}


def stable_false_rates(
    families: list[str], n_series: int, seeds: int, params: Params
) -> dict[str, float]:
    """False alert episodes per 100 stable runs, by family, on the unchanged series (no
    label, no floor) of the calibration seeds."""
    out = {}
    for name in families:
        rates = []
        for seed in range(CALIBRATION_SEED, CALIBRATION_SEED + seeds):
            rng = np.random.default_rng(seed)
            np.random.seed(seed)
            series = [FAMILIES[name](rng) for _ in range(n_series)]
            stable = [s for s in series if s[1] is None and s[2] is None]
            rates.append(gate_metrics(stable, params, name == "downward")["false_per_100"])
        out[name] = float(np.mean(rates))
    return out


def calibrate(args: argparse.Namespace, families: list[str], params: Params) -> None:
    """Print the calibration table of ``args.confirm`` and the level it picks."""
    if args.confirm == "ranksum":  # nothing to choose: its false alerts, for reference
        confirm_methods.use("ranksum")
        rates = stable_false_rates(families, args.series, args.seeds, params)
        print(" | ".join(f"{f} {r:.3f}" for f, r in rates.items()))
        return
    levels = [args.level] if args.level is not None else LEVELS[args.confirm]
    chosen, table = confirm_methods.calibrate(
        args.confirm,
        levels,
        lambda: stable_false_rates(families, args.series, args.seeds, params),
        args.permutations,
    )
    print(f"{args.confirm}: false alerts / 100 stable runs, seeds {CALIBRATION_SEED}..")
    print("| level | " + " | ".join(families) + " | worst |")
    print("|---|" + "---|" * (len(families) + 1))
    for level, rates in table.items():
        cells = " | ".join(f"{rates[f]:.3f}" for f in families)
        print(f"| {level:g} | {cells} | {max(rates.values()):.3f} |", flush=True)
    never = [f for f in families if all(r[f] > 0.1 for r in table.values())]
    print(f"chosen (worst family ≤ 0.1): {chosen}; no level holds: {', '.join(never) or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("series", nargs="?", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--family", action="append", choices=sorted(FAMILIES))
    parser.add_argument("--spikes", action="store_true", help="the spikes family alone")
    parser.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE")
    parser.add_argument("--confirm", choices=confirm_methods.METHODS, default="ranksum")
    parser.add_argument("--level", type=float, help="the method's penalty / p level")
    parser.add_argument("--permutations", type=int, default=199, help="E-divisive's")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    families = args.family or (["spikes"] if args.spikes else list(FAMILIES))
    params = Params()
    for item in args.set:  # tuning: --set confirm_z=4
        key, value = item.split("=", 1)
        params = dataclasses.replace(params, **{key: type(getattr(params, key))(value)})
    started = time.perf_counter()
    if args.calibrate:
        calibrate(args, families, params)
        print(f"({time.perf_counter() - started:.1f}s)")
        return
    confirm_methods.use(args.confirm, args.level, args.permutations)
    print(
        f"{args.series} series × {args.seeds} seeds, {RUNS} runs each; "
        f"confirm: {confirm_methods.describe()}"
    )
    print(
        "| family | precision | recall@0 | recall@1 | recall@5 | F1 | false/100 | "
        "flaps/100 | playbook fail % | history F1 | recall (ever) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in families:
        m = run_family(name, args.series, args.seeds, params)
        extra = f" (regressions: {m['wrong_way']:.1f}/seed)" if name == "downward" else ""
        print(
            f"| {name}{extra} | {m['precision']:.3f} | {m['recall@0']:.3f} | {m['recall@1']:.3f}"
            f" | {m['recall@5']:.3f} | {m['f1']:.3f} | {m['false_per_100']:.3f}"
            f" | {m['flaps_per_100']:.1f} | {m['playbook_fail_pct']:.1f} | {m['history_f1']:.3f}"
            f" | {m['recall_ever']:.3f} |",
            flush=True,
        )
    print(f"({time.perf_counter() - started:.1f}s)")


if __name__ == "__main__":
    main()
