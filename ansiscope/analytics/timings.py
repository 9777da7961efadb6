"""Where the time goes: per-task percentiles across runs (with change points), and in
one run the critical path — which host each task waited for, and how much sooner the
run would have ended without that straggler; time lost to retries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ansiscope.analytics.changepoints import ChangePoint, change_points
from ansiscope.analytics.runtree import RunTree
from ansiscope.analytics.taskkey import key_column
from ansiscope.store.base import Reader

STATS_COLUMNS = [
    "task",
    "key",
    "runs",
    "p50_s",
    "p90_s",
    "p95_s",
    "max_s",
    "share",
    "slowest_host",
    "retry_lost_s",
    "failure_rate",
    "change_points",
]


def task_stats(store: Reader, playbook: str, limit: int = 200) -> pd.DataFrame:
    """Per task of a playbook over its last ``limit`` runs, slowest (p50) first."""
    return task_stats_of(store.task_history_frame(playbook, limit), playbook)


def task_stats_of(frame: pd.DataFrame, playbook: str) -> pd.DataFrame:
    """``task_stats`` over a ``Reader.task_history_frame`` already fetched."""
    if frame.empty:
        return pd.DataFrame(columns=STATS_COLUMNS)
    frame = frame.assign(key=key_column(frame, playbook))
    total_p50 = float(frame.drop_duplicates("run_id")["run_duration_s"].median() or 0.0)
    rows = []
    for key, group in frame.groupby("key", sort=False):
        group = group.sort_values("at")
        walls = group.groupby("run_id", sort=False)["wall_s"].sum(min_count=1).dropna()
        p50, p90, p95 = (
            float(np.percentile(walls, q)) if len(walls) else None for q in (50, 90, 95)
        )
        rows.append(
            {
                "task": str(group["name"].iloc[-1]),
                "key": key,
                "runs": int(group["run_id"].nunique()),
                "p50_s": p50,
                "p90_s": p90,
                "p95_s": p95,
                "max_s": float(walls.max()) if len(walls) else None,
                "share": (p50 / total_p50) if p50 is not None and total_p50 else None,
                "slowest_host": group["slowest_host"].mode().iloc[0]
                if group["slowest_host"].notna().any()
                else None,
                "retry_lost_s": float(group["retry_s"].fillna(0).mean()),
                "failure_rate": float(group["failed"].astype(bool).mean()),
                "change_points": [
                    _point(cp, list(walls.index)) for cp in change_points(list(walls))
                ],
            }
        )
    return (
        pd.DataFrame(rows, columns=STATS_COLUMNS)
        .sort_values("p50_s", ascending=False, na_position="last")
        .reset_index(drop=True)
    )


def _point(cp: ChangePoint, run_ids: list[str]) -> dict[str, object]:
    """A change point with the first run after it."""
    return {
        "index": cp.index,
        "run_id": run_ids[cp.index],
        "before_s": cp.before,
        "after_s": cp.after,
        "delta_rel": cp.delta_rel,
    }


def critical_path(run: RunTree) -> pd.DataFrame:
    """Per task of one run: its wall time, the host that finished last (the straggler),
    how long the others waited for it, and time lost to retries."""
    rows = []
    for play in run.plays.values():
        for task in play.tasks.values():
            ends = sorted(
                ((r.ended_at, r.host) for r in task.results if r.ended_at is not None),
                key=lambda e: e[0],
            )
            starts = [r.started_at for r in task.results if r.started_at is not None]
            start = task.started_at or (min(starts) if starts else None)
            wall = (ends[-1][0] - start).total_seconds() if ends and start else task.timing_s
            wait = (ends[-1][0] - ends[-2][0]).total_seconds() if len(ends) >= 2 else 0.0
            retry = sum(
                (r.duration_s or 0) * (r.attempts - 1) / r.attempts
                for r in task.results
                if r.attempts > 1
            )
            rows.append(
                {
                    "play": play.name,
                    "task": task.name,
                    "wall_s": wall,
                    "straggler": ends[-1][1] if ends else None,
                    "waited_s": wait,
                    "retry_lost_s": retry,
                }
            )
    frame = pd.DataFrame(
        rows, columns=["play", "task", "wall_s", "straggler", "waited_s", "retry_lost_s"]
    )
    return frame.sort_values("waited_s", ascending=False).reset_index(drop=True)


def straggler_savings(run: RunTree) -> dict[str, float]:
    """Per host: how much sooner the run would end had it never been the last one to finish."""
    frame = critical_path(run)
    savings: dict[str, float] = (
        frame.groupby("straggler")["waited_s"].sum().sort_values(ascending=False).to_dict()
    )
    return savings


def task_series(store: Reader, playbook: str, key: str, limit: int = 200) -> pd.DataFrame:
    """One task's wall time per run (oldest first), with the runs' status."""
    return task_series_of(store.task_history_frame(playbook, limit), playbook, key)


def task_series_of(frame: pd.DataFrame, playbook: str, key: str) -> pd.DataFrame:
    """``task_series`` over a ``Reader.task_history_frame`` already fetched."""
    if frame.empty:
        return pd.DataFrame(columns=["run_id", "at", "wall_s", "status"])
    frame = frame.assign(key=key_column(frame, playbook))
    mine = frame[frame["key"] == key]
    return (
        mine.groupby(["run_id", "at", "status"], as_index=False)["wall_s"]
        .sum(min_count=1)
        .sort_values("at")
        .reset_index(drop=True)
    )


def compare_runs(run_a: RunTree, run_b: RunTree) -> pd.DataFrame:
    """Task by task, how long each took in two runs (new and removed tasks included)."""

    def walls(run: RunTree) -> dict[str, float | None]:
        frame = critical_path(run)
        return dict(zip(frame["task"], frame["wall_s"], strict=True))

    a, b = walls(run_a), walls(run_b)
    rows = []
    for task in list(dict.fromkeys([*a, *b])):
        before, after = a.get(task), b.get(task)
        change = "new" if task not in a else "removed" if task not in b else None
        delta = (after - before) if before is not None and after is not None else None
        rows.append(
            {
                "task": task,
                "a_s": before,
                "b_s": after,
                "delta_s": delta,
                "change": change
                or ("slower" if (delta or 0) > 0 else "faster" if (delta or 0) < 0 else "same"),
            }
        )
    return (
        pd.DataFrame(rows)
        .sort_values("delta_s", ascending=False, na_position="last")
        .reset_index(drop=True)
    )
