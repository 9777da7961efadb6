"""Labelled synthetic duration series, one generator per noise family Ansible timings show.

Each generator returns ``(values, label, floor)``: ``label`` is the index of the first
run of a change the gate should report (None: no such change), ``floor`` the first run
from which an alert is not false (the change already clears the practical floors;
equal to ``label`` for steps, earlier for a drift). Half of the series change.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ansiscope.analytics.detector import Params
from ansiscope.analytics.resolution import QUANTA

RUNS = 60
FLOOR_S = Params().min_abs_s  # smaller steps are no change
Series = tuple[np.ndarray, int | None, int | None]


def _lognormal(rng: np.random.Generator, median: float, cv: float, n: int) -> np.ndarray:
    sigma = np.sqrt(np.log(1 + cv**2))
    return median * np.exp(rng.normal(-(sigma**2) / 2, sigma, n))


def _median(rng: np.random.Generator) -> float:
    return float(np.exp(rng.uniform(np.log(2), np.log(300))))


def _step_at(rng: np.random.Generator) -> int | None:
    return int(rng.integers(15, RUNS - 5)) if rng.random() < 0.5 else None


def _blips(rng: np.random.Generator, values: np.ndarray, step: int | None) -> None:
    """Transient one-run blips (+15..45%): not changes."""
    for _ in range(rng.integers(0, 3)):
        i = int(rng.integers(1, RUNS))
        if step is None or abs(i - step) > 3:
            values[i] *= 1 + rng.uniform(0.15, 0.45)


def lognormal(rng: np.random.Generator) -> Series:
    """Log-normal noise, CV 5–30%, a few one-run blips; steps of +20..200%."""
    values = _lognormal(rng, _median(rng), rng.uniform(0.05, 0.3), RUNS)
    step = _step_at(rng)
    if step is not None:
        values[step:] *= 1 + rng.uniform(0.2, 2.0)
    _blips(rng, values, step)
    return values, step, step


def spikes(rng: np.random.Generator) -> Series:
    """Log-normal plus 5% upward outliers (+50..200%), which are not changes."""
    values, step, _ = lognormal(rng)
    mask = rng.random(RUNS) < 0.05
    values[mask] *= 1 + rng.uniform(0.5, 2.0, mask.sum())
    return values, step, step


def bimodal(rng: np.random.Generator) -> Series:
    """Cache hit/miss: a slow mode (×1.5–3) on 10–50% of runs at random."""
    median, cv = _median(rng), rng.uniform(0.03, 0.15)
    miss = rng.random(RUNS) < rng.uniform(0.1, 0.5)
    values = _lognormal(rng, median, cv, RUNS) * np.where(miss, rng.uniform(1.5, 3.0), 1.0)
    step = _step_at(rng)
    if step is not None:
        values[step:] *= 1 + rng.uniform(0.2, 2.0)
    return values, step, step


def drift(rng: np.random.Generator) -> Series:
    """A slow drift (+1..4% of the level per run) from a random run; the label is the
    first run ≥20% (and ≥ the detector's absolute floor) above the start, alerts count
    from +10% on."""
    median, cv = _median(rng), rng.uniform(0.05, 0.2)
    values = _lognormal(rng, median, cv, RUNS)
    if rng.random() >= 0.5:
        return values, None, None
    start, slope = int(rng.integers(15, 30)), rng.uniform(0.01, 0.04)
    level = 1 + slope * np.maximum(0, np.arange(RUNS) - start + 1)
    values *= level
    practical = level * median - median >= FLOOR_S
    label = np.flatnonzero(practical & (level >= 1.2))
    floor = np.flatnonzero(practical & (level >= 1.1))
    if label.size == 0 or label[0] > RUNS - 6:
        return values, None, int(floor[0]) if floor.size else None
    return values, int(label[0]), int(floor[0])


def heteroscedastic(rng: np.random.Generator) -> Series:
    """Longer tasks are noisier (CV 5% at 2 s up to 35% at 300 s), and a step up raises
    the noise more than proportionally."""
    median = _median(rng)
    cv = 0.05 + 0.30 * np.log(median / 2) / np.log(150)
    values = _lognormal(rng, median, cv, RUNS)
    step = _step_at(rng)
    if step is not None:
        r = rng.uniform(0.2, 2.0)
        after = _lognormal(rng, median * (1 + r), min(0.5, cv * np.sqrt(1 + r)), RUNS - step)
        values[step:] = after
    return values, step, step


def quantised(rng: np.random.Generator) -> Series:
    """Short tasks as profile_tasks prints them (0.01 s or 0.1 s steps), 0.1–3 s. Half
    the changes are steps of +20..200%, labelled when they clear the detector's absolute
    floor, or 1.5 quanta at 0.1 s (a +20% step of a 0.1 s task is 0.02 s, under it; at
    0.1 s resolution one quantum is a rounding flip); the other half are sub-practical
    (+0.01..0.05 s) and must not alert."""
    median, cv = float(np.exp(rng.uniform(np.log(0.1), np.log(3.0)))), rng.uniform(0.05, 0.3)
    quantum = 0.1 if rng.random() < 0.5 else 0.01
    values = _lognormal(rng, median, cv, RUNS)
    step = _step_at(rng)
    label = None
    if step is not None:
        if rng.random() < 0.5:
            rel = rng.uniform(0.2, 2.0)
            values[step:] *= 1 + rel
            label = step if median * rel >= max(FLOOR_S, QUANTA * quantum) else None
        else:
            values[step:] += rng.uniform(0.01, 0.05)
    values = np.maximum(quantum, np.round(values / quantum) * quantum)
    return values, label, label


def slow_host(rng: np.random.Generator) -> Series:
    """A task's wall time over 5–30 hosts: the slowest host sets it; one host is
    systematically slower and noisier, and any host straggles (×1.5–3) on 0.2% of its runs."""
    hosts, median = int(rng.integers(5, 31)), _median(rng)
    per_host = np.stack(
        [_lognormal(rng, median, rng.uniform(0.03, 0.15), RUNS) for _ in range(hosts - 1)]
        + [_lognormal(rng, median * rng.uniform(1.0, 1.5), 0.3, RUNS)]
    )
    straggle = rng.random(per_host.shape) < 0.002
    per_host *= np.where(straggle, rng.uniform(1.5, 3.0, per_host.shape), 1.0)
    step = _step_at(rng)
    if step is not None:
        per_host[:, step:] *= 1 + rng.uniform(0.2, 2.0)
    return per_host.max(axis=0), step, step


def downward(rng: np.random.Generator) -> Series:
    """Steps down (improvements, −17..−67%): never a regression. The label marks the
    improvement, scored as ``improved`` reports."""
    values = _lognormal(rng, _median(rng), rng.uniform(0.05, 0.3), RUNS)
    step = _step_at(rng)
    if step is not None:
        values[step:] /= 1 + rng.uniform(0.2, 2.0)
    return values, step, step


FAMILIES: dict[str, Callable[[np.random.Generator], Series]] = {
    "lognormal": lognormal,
    "spikes": spikes,
    "bimodal": bimodal,
    "drift": drift,
    "heteroscedastic": heteroscedastic,
    "quantised": quantised,
    "slow_host": slow_host,
    "downward": downward,
}
