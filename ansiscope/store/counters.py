"""The monotonic counters behind Prometheus: their names, buckets and increments.

Every backend adds these in the same write that stores the rows they count, so a
counter never goes down (pruning leaves them alone) and is never counted twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ansiscope.parser.events import RunStatus

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800)


class CounterKey(NamedTuple):
    """Which counter: its metric and one column per kind of label, each empty where
    the metric has no such label (a metric name never carries a label)."""

    metric: str
    playbook: str = ""
    source: str = ""  # the input format (events stored, lines rejected, truncations)
    status: str = ""  # a result's final status (task results)
    reason: str = ""  # a ``RejectReason`` (lines rejected)
    le: str = ""  # a duration bucket's upper bound, seconds or ``+Inf``


# The label columns, in ``CounterKey``'s (and the stores' columns') order.
LABEL_COLUMNS = CounterKey._fields[1:]

# A counter and an amount added to it (or its value).
Increment = tuple[CounterKey, float]


def run_increments(
    rows: Sequence[tuple[Any, ...]], statuses: Mapping[str, Counter[str]]
) -> list[Increment]:
    """Counter increments for runs counted now: ``rows`` are (run id, playbook, status,
    duration), ``statuses`` the results per status of each run."""
    counts: Counter[CounterKey] = Counter()
    for run_id, playbook, status, duration in rows:
        counts[CounterKey("runs", playbook)] += 1
        if status in (RunStatus.FAILED, RunStatus.UNREACHABLE):
            counts[CounterKey("runs_failed", playbook)] += 1
        if status == RunStatus.SUCCESSFUL:
            counts[CounterKey("runs_successful", playbook)] += 1
        if duration is not None:
            for le in DURATION_BUCKETS:
                if duration <= le:
                    counts[CounterKey("run_duration_bucket", playbook, le=str(le))] += 1
            counts[CounterKey("run_duration_bucket", playbook, le="+Inf")] += 1
            counts[CounterKey("run_duration_sum", playbook)] += duration
        for result_status, n in statuses.get(run_id, Counter()).items():
            counts[CounterKey("task_results", playbook, status=str(result_status))] += n
    return [(key, float(v)) for key, v in counts.items() if v]
