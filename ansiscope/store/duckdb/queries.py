"""Named read queries over the store: the only SQL readers use (analytics, CLI, pages).

``run_events`` rebuilds a stored run as the same canonical events a parser emits, so
everything that works on a file (``summary``, reports) works on a stored run.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # DataFrames come from DuckDB; pandas loads only when they are asked for
    import pandas as pd

from ansiscope.parser.events import RECAP_KEYS, Event, PlayStart, TaskStart, TaskTiming
from ansiscope.store import stored_runs
from ansiscope.store.base import RunNotFound
from ansiscope.store.stored_runs import RUN_COLUMNS


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
        "ORDER BY started_at DESC NULLS LAST, ingested_at DESC, run_id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    runs = rows
    if not runs:
        return []
    ids = [r[0] for r in runs]
    live = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT run_id, count(DISTINCT host), count(DISTINCT task_id), count(*) FROM results "
            "WHERE run_id IN (SELECT unnest(?)) GROUP BY run_id",
            [[r[0] for r in runs if r[10] is None]],
        ).fetchall()
    }
    stats = con.execute(
        f"SELECT run_id, host, {', '.join(RECAP_KEYS)} FROM host_stats "
        "WHERE run_id IN (SELECT unnest(?)) ORDER BY run_id, host",
        [ids],
    ).fetchall()
    return stored_runs.run_records(runs, live, stats)


def run_events(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Event]:
    """A stored run as canonical events, in their original order."""
    row = con.execute(
        f"SELECT {stored_runs.RUN_EVENT_FIELDS} FROM runs WHERE run_id = ?", [run_id]
    ).fetchone()
    if row is None:
        raise RunNotFound(f"no stored run with id {run_id!r}")
    start, end = stored_runs.run_start(run_id, row)
    body: list[Event] = []
    for cls, table, fields in (
        (PlayStart, "plays", stored_runs.PLAY_FIELDS),
        (TaskStart, "tasks", stored_runs.TASK_FIELDS),
        (None, "results", stored_runs.RESULT_FIELDS),
        (TaskTiming, "task_timings", stored_runs.TIMING_FIELDS),
    ):
        rows = con.execute(f"SELECT seq, {fields} FROM {table} WHERE run_id = ?", [run_id])
        if cls is None:
            body += stored_runs.results_of(run_id, rows.fetchall())
        else:
            body += stored_runs.events_of(cls, run_id, fields, rows.fetchall())
    body += stored_runs.notes_of(
        run_id,
        con.execute(
            "SELECT seq, kind, play_id, task_id, text, hosts FROM notes WHERE run_id = ?",
            [run_id],
        ).fetchall(),
    )
    recap = stored_runs.recap_of(
        run_id,
        con.execute(
            f"SELECT {stored_runs.RECAP_FIELDS} FROM host_stats WHERE run_id = ? ORDER BY host",
            [run_id],
        ).fetchall(),
    )
    return stored_runs.assemble(start, end, body, recap)


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
