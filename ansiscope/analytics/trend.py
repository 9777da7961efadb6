"""Whether an episode's runs still move: the tests that tell a drift from a step."""

from __future__ import annotations

import math

import numpy as np


def mann_kendall_z(runs: np.ndarray) -> float:
    """Mann–Kendall trend z of ``runs`` in order (continuity-corrected, no tie term)."""
    n = runs.size
    signs = np.sign(runs[None, :] - runs[:, None])
    s = float(np.sum(np.triu(signs, 1)))
    return (s - math.copysign(1.0, s)) / math.sqrt(n * (n - 1) * (2 * n + 5) / 18) if s else 0.0


def line_beats_step(before: np.ndarray, after: np.ndarray, direction: int) -> bool:
    """A line (sloping in ``direction``) through ``before`` then ``after`` leaves less
    squared error than a step between them (two flat levels): the same number of
    parameters, so the smaller error is the likelier model."""
    if before.size < 2:
        return False
    y = np.concatenate([before, after])
    x = np.arange(y.size, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    if direction * slope <= 0:
        return False
    step_error = float(np.sum((before - before.mean()) ** 2) + np.sum((after - after.mean()) ** 2))
    line_error = float(np.sum((y - (slope * x + intercept)) ** 2))
    return bool(line_error < step_error)
