"""Platform health: per-playbook success and recovery (the seed's KPIs: >99% deployment
success, MTTR under one hour), flaky tasks and host health. Pure functions over frames
from ``ingest.history_queries``; every page and metric takes its numbers from here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pandas as pd

from ansiscope.analytics.taskkey import key_column
from ansiscope.store.base import Reader

SUCCESS_TARGET = 0.99
MTTR_TARGET_S = 3600.0
WINDOWS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
FAILED = ("failed", "unreachable")


def playbook_health(
    store: Reader,
    now: datetime | None = None,
    success_target: float = SUCCESS_TARGET,
    mttr_target_s: float = MTTR_TARGET_S,
) -> pd.DataFrame:
    """One row per playbook: last run, success rates per window against the target,
    runs per day, change-failure rate, mean time to recovery against the target."""
    now = now or datetime.now(UTC)
    runs = store.runs_frame()
    runs = runs[runs["status"] != "running"]
    rows = []
    for playbook, group in runs.groupby("playbook", sort=True):
        group = group.sort_values("started_at")
        last = group.iloc[-1]
        row: dict[str, object] = {
            "playbook": playbook,
            "runs": len(group),
            "last_status": last["status"],
            "last_run_at": last["started_at"],
            "last_run_age_s": (now - last["started_at"]).total_seconds(),
            "last_success_at": _last(group[group["status"] == "successful"]["started_at"]),
        }
        for name, span in WINDOWS.items():
            recent = group[group["started_at"] >= now - span]
            row[f"success_rate_{name}"] = _success(recent)
            row[f"runs_{name}"] = len(recent)
        days = max(1.0, (now - group["started_at"].min()).total_seconds() / 86400)
        row["runs_per_day"] = len(group) / days
        changing = group[group["changed"] > 0]
        row["change_failure_rate"] = (
            float(changing["status"].isin(FAILED).mean()) if len(changing) else None
        )
        recoveries = recovery_times(group)
        mttr = float(sum(recoveries) / len(recoveries)) if recoveries else None
        row["mttr_s"] = mttr
        row["recoveries"] = len(recoveries)
        rate = _success(group[group["started_at"] >= now - WINDOWS["30d"]])
        row["meets_success_target"] = None if rate is None else rate >= success_target
        row["meets_mttr_target"] = None if mttr is None else mttr <= mttr_target_s
        rows.append(row)
    return pd.DataFrame(rows)


def _last(series: pd.Series) -> object:
    return series.iloc[-1] if len(series) else None


def _success(runs: pd.DataFrame) -> float | None:
    return float((runs["status"] == "successful").mean()) if len(runs) else None


def recovery_times(runs: pd.DataFrame) -> list[float]:
    """Seconds from each first failed run to the next successful run (chronological runs)."""
    out: list[float] = []
    failed_since = None
    for status, at in zip(runs["status"], runs["started_at"], strict=True):
        if status in FAILED and failed_since is None:
            failed_since = at
        elif status == "successful" and failed_since is not None:
            out.append((at - failed_since).total_seconds())
            failed_since = None
    return out


def flaky_tasks(store: Reader, playbook: str, limit: int = 100) -> pd.DataFrame:
    """Tasks that fail then pass again, or fail on a minority of runs."""
    frame = store.task_history_frame(playbook, limit)
    if frame.empty:
        return pd.DataFrame(columns=["task", "runs", "failures", "failure_rate", "flips"])
    frame["key"] = key_column(frame, playbook)
    rows = []
    for key, group in frame.groupby("key", sort=False):
        failed = group.sort_values("at")["failed"].astype(bool).tolist()
        flips = sum(1 for a, b in pairwise(failed) if a and not b)
        rate = sum(failed) / len(failed)
        if flips or 0 < rate < 0.5:
            rows.append(
                {
                    "task": group["name"].iloc[-1],
                    "key": key,
                    "runs": len(failed),
                    "failures": sum(failed),
                    "failure_rate": rate,
                    "flips": flips,
                }
            )
    return (
        pd.DataFrame(rows).sort_values("failures", ascending=False)
        if rows
        else pd.DataFrame(columns=["task", "key", "runs", "failures", "failure_rate", "flips"])
    )


def host_health(store: Reader, since: datetime | None = None) -> pd.DataFrame:
    """Per host: runs seen, failure and unreachable frequency, last seen."""
    frame = store.host_frame(since)
    if frame.empty:
        return pd.DataFrame(
            columns=["host", "runs", "failure_rate", "unreachable_rate", "last_seen"]
        )
    grouped = frame.groupby("host")
    out = pd.DataFrame(
        {
            "runs": grouped["run_id"].nunique(),
            "failure_rate": grouped["failures"].apply(lambda s: float((s > 0).mean())),
            "unreachable_rate": grouped["unreachable"].apply(lambda s: float((s > 0).mean())),
            "last_seen": grouped["started_at"].max(),
        }
    ).reset_index()
    return out.sort_values(["unreachable_rate", "failure_rate"], ascending=False).reset_index(
        drop=True
    )


def host_tasks(store: Reader, host: str) -> pd.DataFrame:
    """The slowest tasks on one host."""
    return store.host_task_durations(host)
