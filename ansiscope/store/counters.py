"""The monotonic counters behind Prometheus: their names, buckets and increments.

Every backend adds these in the same write that stores the rows they count, so a
counter never goes down (pruning leaves them alone) and is never counted twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ansiscope.parser.events import RunStatus

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800)

# (metric, playbook, label, value): a counter increment
Increment = tuple[str, str, str, float]


def error_reason(reason: str) -> str:
    """A rejected line's reason as a small fixed set (a metric label)."""
    text = reason.lower()
    for key, label in (
        ("truncated", "truncated"),
        ("longer than", "too_long"),
        ("too large", "too_long"),
        ("malformed", "malformed_json"),
        ("not json", "not_json"),
        ("_event", "not_an_event"),
        ("not an ansible-runner", "not_an_event"),
    ):
        if key in text:
            return label
    return "other"


def run_increments(
    rows: Sequence[tuple[Any, ...]], statuses: Mapping[str, Counter[str]]
) -> list[Increment]:
    """Counter increments for runs counted now: ``rows`` are (run id, playbook, status,
    duration), ``statuses`` the results per status of each run."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for run_id, playbook, status, duration in rows:
        counts[("runs", playbook, "")] += 1
        if status in (RunStatus.FAILED, RunStatus.UNREACHABLE):
            counts[("runs_failed", playbook, "")] += 1
        if status == RunStatus.SUCCESSFUL:
            counts[("runs_successful", playbook, "")] += 1
        if duration is not None:
            for le in DURATION_BUCKETS:
                if duration <= le:
                    counts[("run_duration_bucket", playbook, str(le))] += 1
            counts[("run_duration_bucket", playbook, "+Inf")] += 1
            counts[("run_duration_sum", playbook, "")] += duration
        for result_status, n in statuses.get(run_id, Counter()).items():
            counts[("task_results", playbook, str(result_status))] += n
    return [(m, p, label, float(v)) for (m, p, label), v in counts.items() if v]
