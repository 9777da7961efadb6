"""Which series may fail the gate (multiple comparisons): the playbook total, and the
tasks that hold a real share of the time. Gating 200 tasks one by one would fail most
unchanged runs of a large playbook; the rest are reported, never gated. And how big a
change of a gating series must be to fail it: the detector reports steps from 0.1 s,
but a CI machine's load moves a 1.5 s task by a few tenths for runs on end."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

from ansiscope.analytics.detector import Test

K = TypeVar("K", bound=Hashable)

MIN_SHARE = 0.05  # of the playbook's median wall time
MIN_TASK_S = 1.0  # shorter tasks' steps are findings, reported, never gated
MIN_GATE_S = 1.0  # a gating series' change fails the gate from this size; smaller: reported


def gated_tasks(task_medians: Mapping[K, float], total_median: float) -> set[K]:
    """Keys of the tasks whose regressions fail the gate."""
    if total_median <= 0:
        return set()
    return {
        key
        for key, median in task_medians.items()
        if median >= MIN_TASK_S and median / total_median >= MIN_SHARE
    }


def clears_gate(test: Test) -> bool:
    """A change big enough to fail the gate (``MIN_GATE_S``): for an episode, its largest
    so far (once it has cleared, it fails every run until it ends: no flapping), else
    this run's."""
    change = test.peak_delta_s if test.peak_delta_s is not None else test.delta_s
    return change is None or abs(change) >= MIN_GATE_S
