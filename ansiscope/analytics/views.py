"""What the dashboard pages show, as DataFrames: runs, runs per day, one run's tree and
timeline, current regressions. Pages call these and hold no SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from ansiscope.analytics.detector import Verdict
from ansiscope.analytics.gate import gate
from ansiscope.analytics.runtree import RunAssembler, RunTree
from ansiscope.store.base import Reader


def runs_table(
    store: Reader,
    *,
    playbook: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    label: str | None = None,
    host: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Stored runs, newest first, filtered; ``label`` is ``key=value``."""
    rows = store.list_runs(playbook=playbook, status=status, since=since, limit=limit)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(
            columns=[
                "run_id",
                "playbook",
                "status",
                "started_at",
                "duration_s",
                "hosts_total",
                "tasks_total",
                "results_total",
                "format",
                "labels",
            ]
        )
    if label:
        key, _, value = label.partition("=")
        frame = frame[[r.get(key) == value for r in frame["labels"]]]
    if host:
        hosts = store.run_hosts(list(frame["run_id"]))
        frame = frame[frame["run_id"].isin(set(hosts.loc[hosts["host"] == host, "run_id"]))]
    frame["playbook"] = frame["playbook"].fillna("")
    return frame.reset_index(drop=True)


def runs_per_day(store: Reader, days: int = 30, now: datetime | None = None) -> pd.DataFrame:
    """Runs per day and status over the last ``days`` days."""
    now = now or datetime.now(UTC)
    runs = store.runs_frame(since=now - timedelta(days=days))
    if runs.empty:
        return pd.DataFrame(columns=["day", "status", "runs"])
    runs["day"] = pd.to_datetime(runs["started_at"], utc=True).dt.floor("D")
    return runs.groupby(["day", "status"]).size().rename("runs").reset_index()


def run_tree(store: Reader, run_id: str) -> RunTree:
    """A stored run rebuilt as the same tree a log file gives."""
    assembler = RunAssembler()
    done = [r for e in store.run_events(run_id) if (r := assembler.add(e)) is not None]
    tree = done[0] if done else assembler.current
    assert tree is not None
    return tree


def timeline(run: RunTree) -> pd.DataFrame:
    """One row per host result with a start and end: the per-host Gantt chart."""
    rows = []
    for play in run.plays.values():
        for task in play.tasks.values():
            for r in task.results:
                start = r.started_at or task.started_at
                if start is None or r.ended_at is None:
                    continue
                rows.append(
                    {
                        "host": r.host,
                        "task": task.name,
                        "play": play.name,
                        "start": start,
                        "end": r.ended_at,
                        "status": str(r.status),
                        "duration_s": r.duration_s,
                    }
                )
    return pd.DataFrame(
        rows, columns=["host", "task", "play", "start", "end", "status", "duration_s"]
    )


def failed_results(run: RunTree) -> pd.DataFrame:
    """Failed and unreachable results with their (already redacted) messages."""
    rows = [
        {
            "play": p.name,
            "task": t.name,
            "host": r.host,
            "status": str(r.status),
            "msg": r.msg or "",
        }
        for p in run.plays.values()
        for t in p.tasks.values()
        for r in t.results
        if str(r.status) in ("failed", "unreachable")
    ]
    return pd.DataFrame(rows, columns=["play", "task", "host", "status", "msg"])


def current_regressions(store: Reader) -> pd.DataFrame:
    """Regressions and suspects in each playbook's latest run, with before/after."""
    rows = []
    for playbook, run_id in store.latest_runs():
        result = gate(store, run_id)
        for f in result.findings:
            if f.verdict not in (Verdict.REGRESSION, Verdict.SUSPECT, Verdict.ACKNOWLEDGED):
                continue
            rows.append(
                {
                    "playbook": playbook,
                    "run_id": run_id,
                    "kind": f.kind,
                    "task": f.task or "playbook total",
                    "host": f.host or "all",
                    "verdict": str(f.verdict),
                    "gating": f.can_fail,
                    "before_s": f.baseline.median if f.baseline else None,
                    "after_s": f.value,
                    "delta_rel": f.delta_rel,
                    "z": f.z,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "playbook",
            "run_id",
            "kind",
            "task",
            "host",
            "verdict",
            "gating",
            "before_s",
            "after_s",
            "delta_rel",
            "z",
        ],
    )


def playbooks(store: Reader) -> list[str]:
    """Every playbook with finished runs."""
    return [p for p, _ in store.latest_runs()]


def ingest_state(store: Reader) -> dict[str, object]:
    """Quarantined lines, followed inputs and when the store last took events."""
    return store.ingest_state()
