"""Named read queries over the store: the only SQL readers use (analytics, CLI, pages).

``run_events`` rebuilds a stored run as the same canonical events a parser emits, so
everything that works on a file (``summary``, reports) works on a stored run.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # DataFrames come from DuckDB; pandas loads only when they are asked for
    import pandas as pd

from ansiscope.parser.events import (
    RECAP_KEYS,
    Clock,
    Event,
    HostResult,
    HostStats,
    Include,
    LogFormat,
    PlayStart,
    Recap,
    RunEnd,
    RunStart,
    RunStatus,
    Status,
    TaskStart,
    TaskTiming,
    Warning,
)
from ansiscope.store.base import RunNotFound
from ansiscope.store.invocation import invocation_of, start_fields
from ansiscope.store.rows import RESULT_COLUMNS

RUN_COLUMNS = (
    "run_id, playbook, source, format, status, started_at, ended_at, duration_s, "
    "hosts_total, tasks_total, results_total, labels, check_mode, ansible_version, "
    "playbook_path, invocation"
)


def resolve_run(con: duckdb.DuckDBPyConnection, ref: str) -> str:
    """A run id from ``latest``, a full id or a unique prefix of one."""
    if ref == "latest":
        row = con.execute(
            "SELECT run_id FROM runs ORDER BY started_at DESC NULLS LAST, ingested_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise RunNotFound("the store holds no runs yet (ansiscope ingest FILE)")
        return str(row[0])
    rows = con.execute(
        "SELECT run_id FROM runs WHERE starts_with(run_id, ?) LIMIT 2", [ref]
    ).fetchall()
    if not rows:
        raise RunNotFound(f"no stored run with id {ref!r} (see: ansiscope runs)")
    if len(rows) > 1:
        raise RunNotFound(f"run id {ref!r} is ambiguous; give more characters")
    return str(rows[0][0])


def latest_run_of(con: duckdb.DuckDBPyConnection, playbook: str) -> str | None:
    """The latest finished run of a playbook (path, file name or stem)."""
    where, params = playbook_filter(playbook)
    row = con.execute(
        f"SELECT run_id FROM runs WHERE {where} AND status <> 'running' "
        "ORDER BY started_at DESC NULLS LAST, ingested_at DESC LIMIT 1",
        params,
    ).fetchone()
    return None if row is None else str(row[0])


def last_run_from(con: duckdb.DuckDBPyConnection, path: str) -> str | None:
    """The latest run stored from the input at ``path``."""
    row = con.execute(
        "SELECT r.run_id FROM runs r JOIN files f USING (file_id) WHERE f.path = ? "
        "ORDER BY coalesce(r.started_at, r.ingested_at) DESC LIMIT 1",
        [path],
    ).fetchone()
    return None if row is None else str(row[0])


def run_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many runs the store holds."""
    row = con.execute("SELECT count(*) FROM runs").fetchone()
    return int(row[0]) if row else 0


def playbook_filter(name: str | None) -> tuple[str, list[Any]]:
    """SQL matching a playbook by path, file name or stem (``site``, ``site.yml``, path)."""
    if not name:
        return "true", []
    return (
        "(playbook = ? OR playbook_path = ? OR regexp_extract(playbook, '[^/]+$') = ? "
        "OR regexp_replace(regexp_extract(playbook, '[^/]+$'), '\\.ya?ml$', '') = ?)",
        [name, name, name, name],
    )


def list_runs(
    con: duckdb.DuckDBPyConnection,
    *,
    playbook: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Stored runs, newest first (runs without a clock after them, last stored first),
    in the ``runs --format json`` shape."""
    where, params = playbook_filter(playbook)
    if status:
        where += " AND status = ?"
        params.append(status)
    if since is not None:
        where += " AND started_at >= ?"
        params.append(since)
    rows = con.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE {where} "
        "ORDER BY started_at DESC NULLS LAST, ingested_at DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    names = [c.strip() for c in RUN_COLUMNS.split(",")]
    runs = [dict(zip(names, row, strict=True)) for row in rows]
    if not runs:
        return []
    ids = [r["run_id"] for r in runs]
    live = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT run_id, count(DISTINCT host), count(DISTINCT task_id), count(*) FROM results "
            "WHERE run_id IN (SELECT unnest(?)) GROUP BY run_id",
            [[r["run_id"] for r in runs if r["results_total"] is None]],
        ).fetchall()
    }
    stats: dict[str, dict[str, dict[str, int]]] = {i: {} for i in ids}
    for row in con.execute(
        f"SELECT run_id, host, {', '.join(RECAP_KEYS)} FROM host_stats "
        "WHERE run_id IN (SELECT unnest(?)) ORDER BY run_id, host",
        [ids],
    ).fetchall():
        stats[row[0]][row[1]] = dict(zip(RECAP_KEYS, row[2:], strict=True))
    for run in runs:
        if run["results_total"] is None:
            hosts, tasks, results = live.get(run["run_id"], (0, 0, 0))
            run["hosts_total"], run["tasks_total"], run["results_total"] = hosts, tasks, results
        run["labels"] = json.loads(run["labels"]) if run["labels"] else {}
        run["invocation"] = invocation_of(run["invocation"], run["check_mode"])
        run["stats"] = stats[run["run_id"]]
        for key in ("started_at", "ended_at"):
            if run[key] is not None:
                run[key] = run[key].isoformat().replace("+00:00", "Z")
    return runs


def run_events(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Event]:
    """A stored run as canonical events, in their original order."""
    row = con.execute(
        "SELECT source, format, playbook, started_at, clock, ansible_version, check_mode, "
        "ended_at, status, duration_s, playbook_path, invocation FROM runs WHERE run_id = ?",
        [run_id],
    ).fetchone()
    if row is None:
        raise RunNotFound(f"no stored run with id {run_id!r}")
    source, fmt, playbook, started, clock, version, check, ended, status, duration = row[:10]
    about = start_fields(row[10], row[11])
    events: list[Event] = [
        RunStart(
            run_id=run_id,
            seq=-1,
            offset=-1,
            source=source,
            format=LogFormat(fmt),
            playbook=playbook,
            started_at=started,
            clock=Clock(clock),
            ansible_version=version,
            check_mode=check,
            **about,
        )
    ]
    body: list[Event] = []
    body += _select(con, run_id, PlayStart, "plays", "play_id, name, path, started_at, batch")
    body += _select(
        con,
        run_id,
        TaskStart,
        "tasks",
        "play_id, task_id, name, role, path, handler, started_at, action",
    )
    body += _results(con, run_id)
    body += _select(
        con, run_id, TaskTiming, "task_timings", "task_id, started_at, ended_at, duration_s"
    )
    for seq, kind, play_id, task_id, text, hosts in con.execute(
        "SELECT seq, kind, play_id, task_id, text, hosts FROM notes WHERE run_id = ?", [run_id]
    ).fetchall():
        common = {"run_id": run_id, "seq": seq, "offset": -1}
        if kind == "include":
            body.append(
                Include(**common, play_id=play_id, task_id=task_id, path=text, hosts=tuple(hosts))
            )
        else:
            body.append(Warning(**common, message=text))
    recap = _recap(con, run_id)
    if recap is not None:
        body.append(recap)
    body.sort(key=lambda e: e.seq)
    events += body
    if status != RunStatus.RUNNING:
        events.append(
            RunEnd(
                run_id=run_id,
                seq=(body[-1].seq + 1) if body else 0,
                offset=-1,
                started_at=started,
                ended_at=ended,
                status=RunStatus(status),
                duration_s=duration,
            )
        )
    return events


def _select(
    con: duckdb.DuckDBPyConnection, run_id: str, cls: type[Event], table: str, columns: str
) -> list[Event]:
    names = [c.strip() for c in columns.split(",")]
    rows = con.execute(f"SELECT seq, {columns} FROM {table} WHERE run_id = ?", [run_id]).fetchall()
    return [
        cls(run_id=run_id, seq=row[0], offset=-1, **dict(zip(names, row[1:], strict=True)))
        for row in rows
    ]


def _results(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Event]:
    names = [n for n in RESULT_COLUMNS if n not in ("run_id", "seq")]
    rows = con.execute(
        f"SELECT seq, {', '.join(names)} FROM results WHERE run_id = ?", [run_id]
    ).fetchall()
    out: list[Event] = []
    for row in rows:
        fields = dict(zip(names, row[1:], strict=True))
        fields["status"] = Status(fields["status"])
        out.append(HostResult(run_id=run_id, seq=row[0], offset=-1, **fields))
    return out


def _recap(con: duckdb.DuckDBPyConnection, run_id: str) -> Recap | None:
    rows = con.execute(
        f"SELECT host, {', '.join(RECAP_KEYS)}, recap_at, seq FROM host_stats "
        "WHERE run_id = ? ORDER BY host",
        [run_id],
    ).fetchall()
    if not rows:
        return None
    stats = {row[0]: HostStats(*row[1:8]) for row in rows}
    return Recap(run_id=run_id, seq=rows[0][9], offset=-1, stats=stats, at=rows[0][8])


# -- for the gate and history views ------------------------------------------------
def run_partition(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """What makes runs comparable: playbook, check mode, host count, shape (tags, skipped
    tags, limit: see ``store.invocation``), and the run's times."""
    row = con.execute(
        "SELECT run_id, playbook, check_mode, hosts_total, started_at, ingested_at, status, "
        "duration_s, coalesce(shape, '') FROM runs WHERE run_id = ?",
        [run_id],
    ).fetchone()
    if row is None:
        raise RunNotFound(f"no stored run with id {run_id!r}")
    keys = (
        "run_id",
        "playbook",
        "check_mode",
        "hosts_total",
        "started_at",
        "ingested_at",
        "status",
        "duration_s",
        "shape",
    )
    return dict(zip(keys, row, strict=True))


def partition_runs(
    con: duckdb.DuckDBPyConnection, partition: dict[str, Any], limit: int
) -> pd.DataFrame:
    """The ``limit`` runs of the partition up to and including the given run, oldest first."""
    return (
        con.execute(
            """SELECT run_id, status, duration_s, coalesce(started_at, ingested_at) AS run_at FROM runs
        WHERE playbook IS NOT DISTINCT FROM ? AND check_mode IS NOT DISTINCT FROM ?
          AND hosts_total IS NOT DISTINCT FROM ? AND coalesce(shape, '') = ?
          AND status NOT IN ('running')
          AND coalesce(started_at, ingested_at) <= ?
        ORDER BY run_at DESC, run_id DESC LIMIT ?""",
            [
                partition["playbook"],
                partition["check_mode"],
                partition["hosts_total"],
                partition.get("shape") or "",
                partition["started_at"] or partition["ingested_at"],
                limit,
            ],
        )
        .df()
        .iloc[::-1]
        .reset_index(drop=True)
    )


def task_rows(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> pd.DataFrame:
    """Per run and task: identity fields, wall time, whether it changed or failed."""
    return con.execute(
        """WITH t AS (
            SELECT run_id, task_id, any_value(play_id) AS play_id, any_value(name) AS name,
                   any_value(role) AS role, any_value(path) AS path, bool_or(handler) AS handler,
                   min(started_at) AS started_at
            FROM tasks WHERE run_id IN (SELECT unnest($ids)) GROUP BY ALL),
        p AS (SELECT run_id, play_id, any_value(name) AS play FROM plays
              WHERE run_id IN (SELECT unnest($ids)) GROUP BY ALL),
        tt AS (SELECT run_id, task_id, max(duration_s) AS timing FROM task_timings
               WHERE run_id IN (SELECT unnest($ids)) GROUP BY ALL),
        x AS (SELECT run_id, task_id, min(started_at) AS s, max(ended_at) AS e,
                     max(duration_s) AS longest, bool_or(changed) AS changed,
                     bool_or(status = 'failed') AS failed, count(*) AS hosts
              FROM results WHERE run_id IN (SELECT unnest($ids)) GROUP BY ALL)
        SELECT x.run_id, x.task_id, p.play, t.role, t.path, t.name, t.handler,
               coalesce(tt.timing,
                        epoch(x.e) - epoch(coalesce(t.started_at, x.s)),
                        x.longest) AS wall_s,
               x.changed, x.failed, x.hosts
        FROM x JOIN t USING (run_id, task_id)
        LEFT JOIN p ON p.run_id = t.run_id AND p.play_id = t.play_id
        LEFT JOIN tt ON tt.run_id = x.run_id AND tt.task_id = x.task_id""",
        {"ids": run_ids},
    ).df()


def host_rows(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> pd.DataFrame:
    """Per run, task and host: duration and whether it changed."""
    return con.execute(
        "SELECT run_id, task_id, host, duration_s, changed FROM results "
        "WHERE run_id IN (SELECT unnest(?)) AND duration_s IS NOT NULL",
        [run_ids],
    ).df()
