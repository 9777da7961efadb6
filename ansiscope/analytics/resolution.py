"""The resolution a duration series was printed at, and the smallest step it can show.

Exact timestamps (the jsonl/json callbacks, runner events) give durations to the
microsecond; text output may not: the ``timer`` callback prints whole seconds, some
profile_tasks output tenths. At 0.1 s, a median moving 0.2 → 0.3 s may be a task
going from 0.24 to 0.26 s (one quantum is a rounding flip), so a step must pass
``QUANTA`` quanta to count."""

from __future__ import annotations

import numpy as np

RESOLUTIONS = (1.0, 0.1)  # the coarse ones: whole seconds, tenths
QUANTA = 1.5


def resolution(values: np.ndarray) -> float:
    """1 s or 0.1 s if every (finite) value is a multiple of it, else 0 (finer)."""
    finite = values[np.isfinite(values)]
    for quantum in RESOLUTIONS:
        scaled = finite / quantum
        if finite.size and bool(np.all(np.abs(scaled - np.round(scaled)) < 1e-6)):
            return quantum
    return 0.0


def coarse_floor(values: np.ndarray) -> float:
    """The smallest step ``values`` can show: ``QUANTA`` of their resolution (0: fine)."""
    return QUANTA * resolution(values)
