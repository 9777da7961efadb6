"""Recall@5 of each noise family, binned by what an oracle test could have caught.

    python bench/oracle_power.py [FAMILY ...] [--series N] [--seeds N] [--p P]

For every labelled step of a noise family (bench/noise_families.py), the power of an
oracle: a one-sided z-test of the mean log duration of the 6 runs from the step (what
recall@5 allows) against the up to 30 before it, at the step's true start, with σ taken
from those runs, at p ≤ P (default 0.001, the 6-run window's level). Steps are binned
by that power and the table gives the share the detector caught within 5 runs in each
bin: misses in the low bins are steps the noise hides, misses in the top bin are the
detector's own.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from noise_families import FAMILIES

from ansiscope.analytics.detector import Verdict, judge_series

BINS = (0.0, 0.2, 0.5, 0.8, 0.95, 1.01)


def oracle_power(values: np.ndarray, label: int, p: float, direction: int) -> float:
    """Power of the oracle z-test for the step at ``label``."""
    logs = np.log(np.maximum(values, 1e-3))
    before, after = logs[max(0, label - 30) : label], logs[label : label + 6]
    sigma = float(np.std(before, ddof=1)) or 1e-9
    shift = direction * (float(np.mean(after)) - float(np.mean(before)))
    return float(norm.sf(norm.isf(p) - shift / (sigma * np.sqrt(1 / after.size + 1 / before.size))))


def family_rows(name: str, series: int, seeds: int, p: float) -> list[tuple[float, bool]]:
    """(oracle power, caught within 5 runs) for every labelled step of ``name``."""
    down = name == "downward"
    want = Verdict.IMPROVED if down else Verdict.REGRESSION
    rows = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        for _ in range(series):
            values, label, floor = FAMILIES[name](rng)
            if label is None:
                continue
            tests = judge_series(values)
            alerts = [
                i
                for i, t in enumerate(tests)
                if t.verdict is want and i >= (floor or 0) and (not down or t.since is not None)
            ]
            caught = bool(alerts) and alerts[0] - label <= 5
            rows.append((oracle_power(values, label, p, -1 if down else 1), caught))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("families", nargs="*", default=[f for f in FAMILIES if f != "drift"])
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--p", type=float, default=1e-3)
    args = parser.parse_args()
    heads = [f"{lo:.2f}–{min(hi, 1.0):.2f}" for lo, hi in itertools.pairwise(BINS)]
    print("caught within 5 runs / steps, by the oracle's power")
    print("| family | recall@5 | oracle mean power | " + " | ".join(heads) + " |")
    print("|---|---|---|" + "---|" * len(heads))
    for name in args.families:
        rows = family_rows(name, args.series, args.seeds, args.p)
        power = np.array([r[0] for r in rows])
        caught = np.array([r[1] for r in rows])
        cells = []
        for lo, hi in itertools.pairwise(BINS):
            sel = (power >= lo) & (power < hi)
            cells.append(f"{int(caught[sel].sum())}/{int(sel.sum())}")
        print(
            f"| {name} | {caught.mean():.3f} | {power.mean():.3f} | " + " | ".join(cells) + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
