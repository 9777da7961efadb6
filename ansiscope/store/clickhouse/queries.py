"""Named read queries on ClickHouse: the DuckDB store's queries in ClickHouse's dialect.

Every read runs with ``final=1`` (``connection.READ_SETTINGS``): rows written twice (a
replayed batch) or in several versions (a run's status) are seen collapsed, even before
the server merges them. Row → record/event logic is shared (``store.stored_runs``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ansiscope.parser.events import RECAP_KEYS, Event, PlayStart, TaskStart, TaskTiming
from ansiscope.store import stored_runs
from ansiscope.store.base import RunNotFound
from ansiscope.store.clickhouse.connection import Db
from ansiscope.store.clickhouse.frames import frame
from ansiscope.store.stored_runs import RUN_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

RUN_AT = "coalesce(started_at, ingested_at)"


def epoch(column: str) -> str:
    """Seconds since the epoch as DuckDB's ``epoch()`` computes them (milliseconds, then
    the rest): the same doubles to the last bit, so derived wall times match exactly."""
    us = f"toUnixTimestamp64Micro({column})"
    return f"(intDiv({us}, 1000) / 1e3 + modulo({us}, 1000) / 1e6)"


def micros(when: datetime) -> int:
    """An aware datetime as microseconds since the epoch (a query parameter)."""
    return round(when.timestamp() * 1_000_000)


def resolve_run(db: Db, ref: str) -> str:
    """A run id from ``latest``, a full id or a unique prefix of one."""
    if ref == "latest":
        rows = db.rows(
            "SELECT run_id FROM runs ORDER BY started_at DESC NULLS LAST, ingested_at DESC LIMIT 1"
        )
        if not rows:
            raise RunNotFound("the store holds no runs yet (ansiscope ingest FILE)")
        return str(rows[0][0])
    rows = db.rows(
        "SELECT run_id FROM runs WHERE startsWith(run_id, {r:String}) LIMIT 2", {"r": ref}
    )
    if not rows:
        raise RunNotFound(f"no stored run with id {ref!r} (see: ansiscope runs)")
    if len(rows) > 1:
        raise RunNotFound(f"run id {ref!r} is ambiguous; give more characters")
    return str(rows[0][0])


def playbook_filter(name: str | None) -> tuple[str, dict[str, Any]]:
    """SQL matching a playbook by path, file name or stem (``site``, ``site.yml``, path)."""
    if not name:
        return "1", {}
    base = "extract(ifNull(playbook, ''), '[^/]+$')"
    return (
        f"(playbook = {{pb:String}} OR playbook_path = {{pb:String}} OR {base} = {{pb:String}} "
        f"OR replaceRegexpOne({base}, '\\\\.ya?ml$', '') = {{pb:String}})",
        {"pb": name},
    )


def latest_run_of(db: Db, playbook: str) -> str | None:
    """The latest finished run of a playbook (path, file name or stem)."""
    where, params = playbook_filter(playbook)
    rows = db.rows(
        f"SELECT run_id FROM runs WHERE {where} AND status != 'running' "
        "ORDER BY started_at DESC NULLS LAST, ingested_at DESC LIMIT 1",
        params,
    )
    return str(rows[0][0]) if rows else None


def last_run_from(db: Db, path: str) -> str | None:
    """The latest run stored from the input at ``path``."""
    rows = db.rows(
        "SELECT run_id FROM runs WHERE file_id IN "
        "(SELECT file_id FROM ledger WHERE path = {p:String}) "
        f"ORDER BY {RUN_AT} DESC LIMIT 1",
        {"p": path},
    )
    return str(rows[0][0]) if rows else None


def run_count(db: Db) -> int:
    """How many runs the store holds."""
    rows = db.rows("SELECT count() FROM runs")
    return int(rows[0][0]) if rows else 0


def list_runs(
    db: Db,
    *,
    playbook: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Stored runs, newest first, in the ``runs --format json`` shape."""
    where, params = playbook_filter(playbook)
    if status:
        where += " AND status = {st:String}"
        params["st"] = status
    if since is not None:
        where += " AND toUnixTimestamp64Micro(started_at) >= {since:Int64}"
        params["since"] = micros(since)
    rows = db.rows(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE {where} ORDER BY started_at DESC NULLS LAST, ingested_at DESC, run_id DESC LIMIT {{n:UInt64}}",
        {**params, "n": limit},
    )
    if not rows:
        return []
    open_ids = [r[0] for r in rows if r[10] is None]
    live = {
        row[0]: row[1:]
        for row in db.rows(
            "SELECT run_id, uniqExact(host), uniqExact(task_id), count() FROM results "
            "WHERE run_id IN {ids:Array(String)} GROUP BY run_id",
            {"ids": open_ids},
        )
    }
    stats = db.rows(
        f"SELECT run_id, host, {', '.join(RECAP_KEYS)} FROM host_stats "
        "WHERE run_id IN {ids:Array(String)} ORDER BY run_id, host",
        {"ids": [r[0] for r in rows]},
    )
    return stored_runs.run_records(rows, live, stats)


def run_events(db: Db, run_id: str) -> list[Event]:
    """A stored run as canonical events, in their original order."""
    one = {"id": run_id}
    rows = db.rows(
        f"SELECT {stored_runs.RUN_EVENT_FIELDS} FROM runs WHERE run_id = {{id:String}}", one
    )
    if not rows:
        raise RunNotFound(f"no stored run with id {run_id!r}")
    start, end = stored_runs.run_start(run_id, rows[0])
    body: list[Event] = []
    for cls, table, fields in (
        (PlayStart, "plays", stored_runs.PLAY_FIELDS),
        (TaskStart, "tasks", stored_runs.TASK_FIELDS),
        (None, "results", stored_runs.RESULT_FIELDS),
        (TaskTiming, "task_timings", stored_runs.TIMING_FIELDS),
    ):
        found = db.rows(
            f"SELECT seq, {fields} FROM {table} WHERE run_id = {{id:String}} ORDER BY seq", one
        )
        if cls is None:
            body += stored_runs.results_of(run_id, found)
        else:
            body += stored_runs.events_of(cls, run_id, fields, found)
    body += stored_runs.notes_of(
        run_id,
        db.rows(
            "SELECT seq, kind, play_id, task_id, text, hosts FROM notes "
            "WHERE run_id = {id:String} ORDER BY seq",
            one,
        ),
    )
    recap = stored_runs.recap_of(
        run_id,
        db.rows(
            f"SELECT {stored_runs.RECAP_FIELDS} FROM host_stats WHERE run_id = {{id:String}} "
            "ORDER BY host",
            one,
        ),
    )
    return stored_runs.assemble(start, end, body, recap)


# -- for the gate and history views ------------------------------------------------
PARTITION_KEYS = (
    "run_id", "playbook", "check_mode", "hosts_total", "started_at", "ingested_at", "status",
    "duration_s", "shape",
)  # fmt: skip


def run_partition(db: Db, run_id: str) -> dict[str, Any]:
    """What makes runs comparable: playbook, check mode, host count, shape (tags, skipped
    tags, limit: see ``store.invocation``), and the run's times."""
    rows = db.rows(
        f"SELECT {', '.join(PARTITION_KEYS)} FROM runs WHERE run_id = {{id:String}}",
        {"id": run_id},
    )
    if not rows:
        raise RunNotFound(f"no stored run with id {run_id!r}")
    return dict(zip(PARTITION_KEYS, rows[0], strict=True))


def partition_runs(db: Db, partition: dict[str, Any], limit: int) -> pd.DataFrame:
    """The ``limit`` runs of the partition up to and including the given run, oldest first."""
    when = partition["started_at"] or partition["ingested_at"]
    params: dict[str, Any] = {"at": micros(when), "n": limit}
    where = []
    for key, kind in (("playbook", "String"), ("check_mode", "Bool"), ("hosts_total", "Int32")):
        if partition[key] is None:
            where.append(f"{key} IS NULL")
        else:
            where.append(f"{key} = {{{key}:{kind}}}")
            params[key] = partition[key]
    where.append("shape = {shape:String}")  # store.invocation: narrowed runs apart
    params["shape"] = partition.get("shape") or ""
    sql = f"""SELECT run_id, status, duration_s, {RUN_AT} AS run_at FROM runs
        WHERE {" AND ".join(where)} AND status NOT IN ('running')
          AND toUnixTimestamp64Micro({RUN_AT}) <= {{at:Int64}}
        ORDER BY run_at DESC, run_id DESC LIMIT {{n:UInt64}}"""
    return frame(db, sql, params).iloc[::-1].reset_index(drop=True)


def task_rows(db: Db, run_ids: list[str]) -> pd.DataFrame:
    """Per run and task: identity fields, wall time, whether it changed or failed.

    Only ``results`` is read ``FINAL`` (an amended result's latest status decides
    ``failed``; its count must not see a replay twice); tasks, plays and timings are
    aggregated by ``any``/``min``/``max``, which a copy of a row cannot change, so
    they skip the collapse (it costs ~2× a plain read: bench/gate.py)."""
    ids = "run_id IN {ids:Array(String)}"
    sql = f"""WITH t AS (
            SELECT run_id, task_id, any(play_id) AS play_id, any(name) AS name,
                   any(role) AS role, any(path) AS path, max(handler) AS handler,
                   min(started_at) AS started_at
            FROM tasks WHERE {ids} GROUP BY run_id, task_id),
        p AS (SELECT run_id, play_id, any(name) AS play FROM plays
              WHERE {ids} GROUP BY run_id, play_id),
        tt AS (SELECT run_id, task_id, max(duration_s) AS timing FROM task_timings
               WHERE {ids} GROUP BY run_id, task_id),
        x AS (SELECT run_id, task_id, min(started_at) AS s, max(ended_at) AS e,
                     max(duration_s) AS longest, max(changed) AS changed,
                     max(status = 'failed') AS failed, toInt64(count()) AS hosts
              FROM results FINAL WHERE {ids} GROUP BY run_id, task_id)
        SELECT x.run_id AS run_id, x.task_id AS task_id, p.play AS play, t.role AS role,
               t.path AS path, t.name AS name, t.handler AS handler,
               coalesce(tt.timing, {epoch("x.e")} - {epoch("coalesce(t.started_at, x.s)")},
                        x.longest) AS wall_s,
               x.changed AS changed, toBool(x.failed) AS failed, x.hosts AS hosts
        FROM x JOIN t ON t.run_id = x.run_id AND t.task_id = x.task_id
        LEFT JOIN p ON p.run_id = t.run_id AND p.play_id = t.play_id
        LEFT JOIN tt ON tt.run_id = x.run_id AND tt.task_id = x.task_id
        SETTINGS final = 0"""
    return frame(db, sql, {"ids": run_ids})


def host_rows(db: Db, run_ids: list[str]) -> pd.DataFrame:
    """Per run, task and host: duration and whether it changed.

    Read without ``FINAL`` and collapsed here: of the copies of a result (a replayed
    batch, a later version) the one of the highest ``ver`` is kept, as ``FINAL`` would
    (a third of the read's time on 120k rows: bench/gate.py)."""
    rows = frame(
        db,
        "SELECT run_id, seq, ver, task_id, host, duration_s, changed FROM results "
        "WHERE run_id IN {ids:Array(String)} SETTINGS final = 0",
        {"ids": run_ids},
    )
    latest = rows.sort_values("ver", kind="stable").drop_duplicates(["run_id", "seq"], keep="last")
    latest = latest[latest["duration_s"].notna()].sort_index()
    return latest.drop(columns=["seq", "ver"]).reset_index(drop=True)
