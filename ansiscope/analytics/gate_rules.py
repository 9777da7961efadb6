"""Which series may fail the gate (multiple comparisons): the playbook total, and the
tasks that hold a real share of the time. Gating 200 tasks one by one would fail most
unchanged runs of a large playbook; the rest are reported, never gated."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

MIN_SHARE = 0.05  # of the playbook's median wall time
MIN_TASK_S = 1.0  # shorter tasks' steps are findings, reported, never gated


def gated_tasks(task_medians: Mapping[K, float], total_median: float) -> set[K]:
    """Keys of the tasks whose regressions fail the gate."""
    if total_median <= 0:
        return set()
    return {
        key
        for key, median in task_medians.items()
        if median >= MIN_TASK_S and median / total_median >= MIN_SHARE
    }
