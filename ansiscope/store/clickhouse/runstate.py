"""Run-level rows in ClickHouse: each change to a run is a new version of its row.

DuckDB updates a run's row in place (start, reopen, end, totals, the ``counted`` flag).
Here the writer reads the latest version of each run the batch touches, applies the
same changes in Python, and writes the result as a new version whose ``ver`` is the
batch's position in its input (pass, offset, state): a replayed batch writes the
same state again, and a later batch always outranks an earlier one, whichever node
writes it. Applying a batch twice gives the state applying it once does.

A run's counter increments go into ``counters`` under the scope ``run:<id>``, once: a run
already there (counted before, e.g. a file stored again) is not counted again.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ansiscope.parser.events import RECAP_KEYS, Recap, RunEnd, RunStart
from ansiscope.store.clickhouse.connection import Db
from ansiscope.store.counters import CounterKey, Increment, run_increments
from ansiscope.store.invocation import invocation, shape
from ansiscope.store.records import FileRecord
from ansiscope.store.rows import BOOL, FLOAT, INT, STR, TS
from ansiscope.store.tally import Tallies, Tally

RUN_TYPES: dict[str, pa.DataType] = {
    "run_id": STR, "file_id": STR, "source": STR, "format": STR, "playbook": STR,
    "clock": STR, "ansible_version": STR, "check_mode": BOOL, "controller": STR,
    "user_name": STR, "started_at": TS, "ended_at": TS, "duration_s": FLOAT, "status": STR,
    "hosts_total": pa.int32(), "tasks_total": pa.int32(), "results_total": INT,
    **{k: INT for k in RECAP_KEYS}, "labels": STR, "ingested_at": TS,
    "playbook_path": STR, "invocation": STR, "shape": STR,
}  # fmt: skip


def current(db: Db, run_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The latest version of each of these runs that is stored."""
    if not run_ids:
        return {}
    table = db.arrow(
        f"SELECT {', '.join(RUN_TYPES)} FROM runs FINAL WHERE run_id IN {{ids:Array(String)}}",
        {"ids": sorted(run_ids)},
    )
    return {row["run_id"]: row for row in table.to_pylist()}


def start(
    runs: dict[str, dict[str, Any]],
    record: FileRecord,
    starts: list[RunStart],
    labels: dict[str, str],
) -> None:
    """Rows for runs that begin here; a run stored already keeps its row."""
    now = datetime.now(UTC)
    for e in starts:
        if e.run_id in runs:
            continue
        row: dict[str, Any] = dict.fromkeys(RUN_TYPES)
        row.update(
            run_id=e.run_id, file_id=record.file_id, source=record.path, format=str(e.format),
            playbook=e.playbook, clock=str(e.clock), ansible_version=e.ansible_version,
            check_mode=e.check_mode, started_at=e.started_at, status="running",
            labels=json.dumps(labels, sort_keys=True), ingested_at=now,
            playbook_path=e.playbook_path, shape=shape(e),
            invocation=None if (inv := invocation(e)) is None else json.dumps(inv, sort_keys=True),
        )  # fmt: skip
        runs[e.run_id] = row


def reopen(runs: dict[str, dict[str, Any]], run_ids: set[str]) -> None:
    """New events for a run stored as interrupted: it was not over after all."""
    for run_id in run_ids:
        row = runs.get(run_id)
        if row is not None and row["status"] == "interrupted":
            row["status"], row["ended_at"] = "running", None


def end(runs: dict[str, dict[str, Any]], ends: list[RunEnd]) -> None:
    """Status, end and duration of runs that end here."""
    for e in ends:
        row = runs.get(e.run_id)
        if row is None:
            continue
        row.update(status=str(e.status), ended_at=e.ended_at, duration_s=e.duration_s)
        if e.started_at is not None:
            row["started_at"] = e.started_at


def recap_table(recaps: list[Recap], ver: int) -> pa.Table | None:
    """Ansible's per-host recap rows."""
    rows = [(r, host) for r in recaps for host in r.stats]
    if not rows:
        return None
    cols: dict[str, pa.Array] = {
        "run_id": pa.array([r.run_id for r, _ in rows], type=STR),
        "host": pa.array([h for _, h in rows], type=STR),
    }
    for key in RECAP_KEYS:
        cols[key] = pa.array([getattr(r.stats[h], key) for r, h in rows], type=INT)
    cols["recap_at"] = pa.array([r.at for r, _ in rows], type=TS)
    cols["seq"] = pa.array([r.seq for r, _ in rows], type=INT)
    cols["ver"] = pa.array([ver] * len(rows), type=pa.uint64())
    return pa.table(cols)


def finish(
    db: Db, runs: dict[str, dict[str, Any]], run_ids: list[str], open_tallies: Tallies
) -> tuple[list[tuple[str, CounterKey, float]], list[str]]:
    """Totals of runs that ended here; returns the counter increments of those never
    counted before, and their ids."""
    tallies = {i: t for i in run_ids if (t := open_tallies.pop(i)) is not None}
    ids = [i for i in run_ids if i in runs]
    for run_id, t in tallies.items():
        if run_id in runs:
            runs[run_id].update(results_total=t.results, hosts_total=len(t.hosts),
                                tasks_total=len(t.tasks))  # fmt: skip
    untallied = [i for i in ids if i not in tallies]
    if untallied:  # started before a restart: count in SQL
        for run_id, n, h in db.rows(
            "SELECT run_id, count(), uniqExact(host) FROM results FINAL "
            "WHERE run_id IN {ids:Array(String)} GROUP BY run_id",
            {"ids": untallied},
        ):
            runs[run_id].update(results_total=n, hosts_total=h)
        for run_id, t in db.rows(
            "SELECT run_id, uniqExact(task_id) FROM tasks FINAL "
            "WHERE run_id IN {ids:Array(String)} GROUP BY run_id",
            {"ids": untallied},
        ):
            runs[run_id]["tasks_total"] = t
    sums = ", ".join(f"sum({k})" for k in RECAP_KEYS)
    for run_id, *values in db.rows(
        f"SELECT run_id, {sums} FROM host_stats FINAL WHERE run_id IN {{ids:Array(String)}} "
        "GROUP BY run_id",
        {"ids": ids},
    ):
        runs[run_id].update(zip(RECAP_KEYS, values, strict=True))
    for run_id in ids:
        row = runs[run_id]
        if row["results_total"] is None:
            row["results_total"] = 0
            row["hosts_total"] = row["hosts_total"] or 0
            row["tasks_total"] = row["tasks_total"] or 0
    counted = {r[0] for r in db.rows(
        "SELECT DISTINCT scope FROM counters FINAL WHERE scope IN {s:Array(String)}",
        {"s": [f"run:{i}" for i in ids]},
    )}  # fmt: skip
    fresh = [runs[i] for i in ids if f"run:{i}" not in counted]
    return _increments(db, fresh, tallies), [r["run_id"] for r in fresh]


def _increments(
    db: Db, rows: list[dict[str, Any]], tallies: dict[str, Tally]
) -> list[tuple[str, CounterKey, float]]:
    if not rows:
        return []
    statuses: dict[str, Counter[str]] = {
        r["run_id"]: tallies[r["run_id"]].statuses for r in rows if r["run_id"] in tallies
    }
    untallied = [r["run_id"] for r in rows if r["run_id"] not in tallies]
    if untallied:
        for run_id, status, n in db.rows(
            "SELECT run_id, status, count() FROM results FINAL "
            "WHERE run_id IN {ids:Array(String)} GROUP BY run_id, status",
            {"ids": untallied},
        ):
            statuses.setdefault(run_id, Counter())[status] += n
    keyed = [(r["run_id"], r["playbook"] or "", r["status"], r["duration_s"]) for r in rows]
    return [inc for run in keyed for inc in _tagged(run[0], run_increments([run], statuses))]


def _tagged(run_id: str, increments: list[Increment]) -> list[tuple[str, CounterKey, float]]:
    return [(run_id, key, value) for key, value in increments]


def runs_table(rows: list[dict[str, Any]], ver: int | list[int]) -> pa.Table:
    """New versions of run rows (one version for all, or one per row)."""
    cols = {n: pa.array([r[n] for r in rows], type=t) for n, t in RUN_TYPES.items()}
    vers = [ver] * len(rows) if isinstance(ver, int) else ver
    cols["ver"] = pa.array(vers, type=pa.uint64())
    return pa.table(cols)
