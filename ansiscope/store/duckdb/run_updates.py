"""Run-level rows: runs opening and closing, recaps, totals and run counters.

Called by the writer inside its transaction.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from ansiscope.parser.events import RECAP_KEYS, Recap, RunEnd, RunStart
from ansiscope.store.counters import CounterKey, Increment, run_increments
from ansiscope.store.duckdb.load import scan
from ansiscope.store.invocation import invocation, shape
from ansiscope.store.naming import stored_name
from ansiscope.store.records import FileRecord
from ansiscope.store.rows import BOOL, FLOAT, INT, STR, TS
from ansiscope.store.tally import Tallies, Tally

KEY = CounterKey._fields  # the counters table's key columns


def start_runs(
    con: duckdb.DuckDBPyConnection,
    record: FileRecord,
    starts: list[RunStart],
    labels: dict[str, str],
    roots: Collection[str] = (),
) -> None:
    """Open rows for runs that begin in this batch (status ``running``), each named
    relative to the learned ``roots`` where they name it (``store.naming``)."""
    n = len(starts)
    names = [stored_name(e.playbook, e.playbook_path, roots) for e in starts]
    data = pa.table(
        {
            "run_id": pa.array([e.run_id for e in starts], type=STR),
            "file_id": pa.array([record.file_id] * n, type=STR),
            "source": pa.array([record.path] * n, type=STR),
            "format": pa.array([str(e.format) for e in starts], type=STR),
            "playbook": pa.array(names, type=STR),
            "playbook_path": pa.array([e.playbook_path for e in starts], type=STR),
            "invocation": pa.array([_json(invocation(e)) for e in starts], type=STR),
            "shape": pa.array([shape(e) for e in starts], type=STR),
            "clock": pa.array([str(e.clock) for e in starts], type=STR),
            "ansible_version": pa.array([e.ansible_version for e in starts], type=STR),
            "check_mode": pa.array([e.check_mode for e in starts], type=BOOL),
            "started_at": pa.array([e.started_at for e in starts], type=TS),
            "status": pa.array(["running"] * n, type=STR),
            "labels": pa.array([json.dumps(labels, sort_keys=True)] * n, type=STR),
            "ingested_at": pa.array([datetime.now(UTC)] * n, type=TS),
        }
    )
    with scan(con, "_runs", data):
        con.execute("INSERT INTO runs BY NAME SELECT * FROM _runs ON CONFLICT (run_id) DO NOTHING")


def end_runs(con: duckdb.DuckDBPyConnection, ends: list[RunEnd]) -> None:
    """Status, end and duration of runs that end in this batch."""
    data = pa.table(
        {
            "run_id": pa.array([e.run_id for e in ends], type=STR),
            "status": pa.array([str(e.status) for e in ends], type=STR),
            "started_at": pa.array([e.started_at for e in ends], type=TS),
            "ended_at": pa.array([e.ended_at for e in ends], type=TS),
            "duration_s": pa.array([e.duration_s for e in ends], type=FLOAT),
        }
    )
    with scan(con, "_ends", data):
        con.execute(
            """UPDATE runs SET status = e.status, ended_at = e.ended_at,
            duration_s = e.duration_s, started_at = coalesce(e.started_at, runs.started_at)
            FROM _ends e WHERE runs.run_id = e.run_id"""
        )


def recaps(con: duckdb.DuckDBPyConnection, recaps: list[Recap]) -> None:
    """Ansible's per-host recap rows."""
    rows = [(r, host) for r in recaps for host in r.stats]
    if not rows:
        return
    cols: dict[str, pa.Array] = {
        "run_id": pa.array([r.run_id for r, _ in rows], type=STR),
        "host": pa.array([h for _, h in rows], type=STR),
    }
    for key in RECAP_KEYS:
        cols[key] = pa.array([getattr(r.stats[h], key) for r, h in rows], type=INT)
    cols["recap_at"] = pa.array([r.at for r, _ in rows], type=TS)
    cols["seq"] = pa.array([r.seq for r, _ in rows], type=INT)
    with scan(con, "_recap", pa.table(cols)):
        con.execute("INSERT OR REPLACE INTO host_stats BY NAME SELECT * FROM _recap")


def reopen(con: duckdb.DuckDBPyConnection, run_ids: Iterable[str]) -> None:
    """New events for a run stored as interrupted: it was not over after all."""
    ids = list(run_ids)
    if ids:
        con.execute(
            "UPDATE runs SET status = 'running', ended_at = NULL "
            "WHERE status = 'interrupted' AND run_id IN (SELECT unnest(?))",
            [ids],
        )


def finish_runs(
    con: duckdb.DuckDBPyConnection, run_ids: list[str], open_tallies: Tallies
) -> list[Increment]:
    """Totals of runs that ended in this batch; returns their counter increments."""
    tallies = {i: t for i in run_ids if (t := open_tallies.pop(i)) is not None}
    if tallies:
        data = pa.table(
            {
                "run_id": pa.array(list(tallies), type=STR),
                "n": pa.array([t.results for t in tallies.values()], type=INT),
                "h": pa.array([len(t.hosts) for t in tallies.values()], type=INT),
                "t": pa.array([len(t.tasks) for t in tallies.values()], type=INT),
            }
        )
        with scan(con, "_tally", data):
            con.execute(
                "UPDATE runs SET results_total = s.n, hosts_total = s.h, tasks_total = s.t "
                "FROM _tally s WHERE runs.run_id = s.run_id"
            )
    untallied = [[i for i in run_ids if i not in tallies]]
    if untallied[0]:  # started before a restart: count in SQL
        con.execute(
            """UPDATE runs SET results_total = s.n, hosts_total = s.h FROM (
                SELECT run_id, count(*) AS n, count(DISTINCT host) AS h FROM results
                WHERE run_id IN (SELECT unnest(?)) GROUP BY run_id) s
            WHERE runs.run_id = s.run_id""",
            untallied,
        )
        con.execute(
            """UPDATE runs SET tasks_total = s.t FROM (
                SELECT run_id, count(DISTINCT task_id) AS t FROM tasks
                WHERE run_id IN (SELECT unnest(?)) GROUP BY run_id) s
            WHERE runs.run_id = s.run_id""",
            untallied,
        )
    ids = [run_ids]
    sums = ", ".join(f"{k} = s.{k}" for k in RECAP_KEYS)
    con.execute(
        f"""UPDATE runs SET {sums} FROM (
            SELECT run_id, {", ".join(f"sum({k}) AS {k}" for k in RECAP_KEYS)}
            FROM host_stats WHERE run_id IN (SELECT unnest(?)) GROUP BY run_id) s
        WHERE runs.run_id = s.run_id""",
        ids,
    )
    con.execute(
        "UPDATE runs SET results_total = 0, hosts_total = coalesce(hosts_total, 0), "
        "tasks_total = coalesce(tasks_total, 0) "
        "WHERE results_total IS NULL AND run_id IN (SELECT unnest(?))",
        ids,
    )
    rows = con.execute(
        "UPDATE runs SET counted = true WHERE NOT counted AND run_id IN (SELECT unnest(?)) "
        "RETURNING run_id, coalesce(playbook, ''), status, duration_s",
        ids,
    ).fetchall()
    return _run_counters(con, rows, tallies) if rows else []


def _run_counters(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]], tallies: dict[str, Tally]
) -> list[Increment]:
    statuses: dict[str, Counter[str]] = {
        run_id: tallies[run_id].statuses for run_id, *_ in rows if run_id in tallies
    }
    untallied = [row[0] for row in rows if row[0] not in tallies]
    if untallied:  # started before a restart: count in SQL
        for run_id, status, n in con.execute(
            "SELECT run_id, status, count(*) FROM results WHERE run_id IN (SELECT unnest(?)) "
            "GROUP BY ALL",
            [untallied],
        ).fetchall():
            statuses.setdefault(run_id, Counter())[status] += n
    return run_increments(rows, statuses)


def add_counters(con: duckdb.DuckDBPyConnection, increments: list[Increment]) -> None:
    """Add to the counters: one upsert, increments of one counter summed first."""
    increments = [i for i in increments if i[1]]
    if not increments:
        return
    keys = [key for key, _ in increments]
    columns = {
        name: pa.array(values, type=STR)
        for name, values in zip(KEY, zip(*keys, strict=True), strict=True)
    }
    columns["value"] = pa.array([float(v) for _, v in increments], type=FLOAT)
    with scan(con, "_counts", pa.table(columns)):
        con.execute(
            f"""INSERT INTO counters SELECT {", ".join(KEY)}, sum(value) FROM _counts
            GROUP BY ALL ON CONFLICT ({", ".join(KEY)})
            DO UPDATE SET value = counters.value + excluded.value"""
        )


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)
