"""Named queries over many runs on ClickHouse (health, hosts, task history): DuckDB's
``history`` in ClickHouse's dialect, with exact medians (``medianExact``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ansiscope.store.clickhouse.connection import Db
from ansiscope.store.clickhouse.frames import frame
from ansiscope.store.clickhouse.queries import RUN_AT, epoch, micros, playbook_filter

if TYPE_CHECKING:
    import pandas as pd


def _since(column: str, since: datetime | None) -> tuple[str, dict[str, Any]]:
    if since is None:
        return "1", {}
    return f"toUnixTimestamp64Micro({column}) >= {{since:Int64}}", {"since": micros(since)}


def runs_frame(db: Db, since: datetime | None = None) -> pd.DataFrame:
    """One row per finished or running run with a clock (as DuckDB's: a run whose log
    has no clock stays out of every time-based view)."""
    where, params = _since("started_at", since)
    return frame(
        db,
        f"""SELECT run_id, coalesce(playbook, '') AS playbook, status, check_mode,
                  started_at, ended_at, duration_s, hosts_total,
                  coalesce(changed, 0) AS changed, coalesce(failures, 0) AS failures,
                  coalesce(unreachable, 0) AS unreachable
        FROM runs WHERE started_at IS NOT NULL AND {where} ORDER BY runs.started_at""",
        params,
    )


def host_frame(db: Db, since: datetime | None = None) -> pd.DataFrame:
    """Per host and run: how it ended (from the recap) and when."""
    where, params = _since("r.started_at", since)
    return frame(
        db,
        f"""SELECT s.host AS host, s.run_id AS run_id, coalesce(r.playbook, '') AS playbook,
                  r.started_at AS started_at,
                  s.ok AS ok, s.changed AS changed, s.failures AS failures,
                  s.unreachable AS unreachable
        FROM host_stats s JOIN runs r ON r.run_id = s.run_id WHERE {where}""",
        params,
    )


def task_history_frame(db: Db, playbook: str, limit: int = 200) -> pd.DataFrame:
    """Per run and task of a playbook's last ``limit`` runs: wall time, failure, hosts."""
    where, params = playbook_filter(playbook)
    sql = f"""WITH r AS (SELECT run_id, {RUN_AT} AS run_at, status, duration_s
                   FROM runs WHERE {where} AND status != 'running'
                   ORDER BY run_at DESC LIMIT {{n:UInt64}}),
        x AS (SELECT run_id, task_id, min(started_at) AS s, max(ended_at) AS e,
                     max(duration_s) AS longest, toBool(max(status = 'failed')) AS failed,
                     argMax(host, coalesce(duration_s, 0)) AS slowest_host,
                     sum(if(attempts > 1, duration_s * (attempts - 1) / attempts, 0)) AS retry_s
              FROM results WHERE run_id IN (SELECT run_id FROM r) GROUP BY run_id, task_id),
        t AS (SELECT run_id, task_id, any(name) AS name, any(path) AS path,
                     any(role) AS role, any(play_id) AS play_id, min(started_at) AS started_at
              FROM tasks WHERE run_id IN (SELECT run_id FROM r) GROUP BY run_id, task_id),
        p AS (SELECT run_id, play_id, any(name) AS play FROM plays
              WHERE run_id IN (SELECT run_id FROM r) GROUP BY run_id, play_id)
        SELECT r.run_id AS run_id, r.run_at AS at, r.status AS status,
               r.duration_s AS run_duration_s, x.task_id AS task_id, t.name AS name,
               t.path AS path, t.role AS role, p.play AS play,
               coalesce({epoch("x.e")} - {epoch("coalesce(t.started_at, x.s)")},
                        x.longest) AS wall_s,
               x.failed AS failed, x.slowest_host AS slowest_host, x.retry_s AS retry_s
        FROM x JOIN r ON r.run_id = x.run_id
        JOIN t ON t.run_id = x.run_id AND t.task_id = x.task_id
        LEFT JOIN p ON p.run_id = t.run_id AND p.play_id = t.play_id
        ORDER BY r.run_at"""
    return frame(db, sql, {**params, "n": limit})


def ingest_state(db: Db) -> dict[str, object]:
    """Quarantined lines, followed inputs and when the store last took events."""
    quarantined = db.rows("SELECT count() FROM quarantine")
    files = db.rows(
        """SELECT count(), countIf(state = 'following'), max(updated_at) FROM (
            SELECT file_id, argMax(state, ver) AS state, max(updated_at) AS updated_at
            FROM ledger GROUP BY file_id)"""
    )
    return {
        "quarantined": int(quarantined[0][0]) if quarantined else 0,
        "files": int(files[0][0]) if files else 0,
        "following": int(files[0][1]) if files else 0,
        "last_update": files[0][2] if files and files[0][0] else None,
    }


def run_hosts(db: Db, run_ids: list[str]) -> pd.DataFrame:
    """Which hosts each run touched (for filtering runs by host)."""
    return frame(
        db,
        "SELECT DISTINCT run_id, host FROM results WHERE run_id IN {ids:Array(String)}",
        {"ids": run_ids},
    )


def latest_runs(db: Db) -> list[tuple[str, str]]:
    """(playbook, run id) of each playbook's latest finished run."""
    return [
        (str(r[0]), str(r[1]))
        for r in db.rows(
            f"SELECT playbook, argMax(run_id, {RUN_AT}) FROM runs "
            "WHERE status != 'running' AND playbook IS NOT NULL GROUP BY 1 ORDER BY 1"
        )
    ]


def host_task_durations(db: Db, host: str, limit: int = 50) -> pd.DataFrame:
    """The slowest tasks on one host (exact median over its results)."""
    return frame(
        db,
        """SELECT t.name AS task, coalesce(r.playbook, '') AS playbook,
                  toInt64(count()) AS results, medianExact(x.duration_s) AS p50_s,
                  max(x.duration_s) AS max_s, toInt64(countIf(x.status = 'failed')) AS failed
        FROM results x JOIN runs r ON r.run_id = x.run_id
        JOIN (SELECT run_id, task_id, any(name) AS name FROM tasks GROUP BY run_id, task_id) t
          ON t.run_id = x.run_id AND t.task_id = x.task_id
        WHERE x.host = {h:String} AND x.duration_s IS NOT NULL
        GROUP BY task, playbook ORDER BY p50_s DESC LIMIT {n:UInt64}""",
        {"h": host, "n": limit},
    )
