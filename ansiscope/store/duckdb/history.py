"""Named queries over many runs (health, hosts, task history): the SQL behind analytics."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from ansiscope.store.duckdb.queries import playbook_filter


def runs_frame(con: duckdb.DuckDBPyConnection, since: datetime | None = None) -> pd.DataFrame:
    """One row per finished or running run with a clock: playbook, status, times,
    change/failure counts. A run whose log has no clock has no start time and stays out
    of every time-based view (README: "Runs without a clock")."""
    return con.execute(
        """SELECT run_id, coalesce(playbook, '') AS playbook, status, check_mode,
                  started_at, ended_at, duration_s,
                  hosts_total, coalesce(changed, 0) AS changed, coalesce(failures, 0) AS failures,
                  coalesce(unreachable, 0) AS unreachable
        FROM runs WHERE started_at IS NOT NULL AND ($since IS NULL OR started_at >= $since)
        ORDER BY started_at""",
        {"since": since},
    ).df()


def host_frame(con: duckdb.DuckDBPyConnection, since: datetime | None = None) -> pd.DataFrame:
    """Per host and run: how it ended (from the recap) and when (null: the log has no clock)."""
    return con.execute(
        """SELECT s.host, s.run_id, coalesce(r.playbook, '') AS playbook,
                  r.started_at,
                  s.ok, s.changed, s.failures, s.unreachable
        FROM host_stats s JOIN runs r USING (run_id)
        WHERE $since IS NULL OR r.started_at >= $since""",
        {"since": since},
    ).df()


def task_history_frame(
    con: duckdb.DuckDBPyConnection, playbook: str, limit: int = 200
) -> pd.DataFrame:
    """Per run and task of a playbook's last ``limit`` runs: wall time, failure, hosts."""
    where, params = playbook_filter(playbook)
    return con.execute(
        f"""WITH r AS (SELECT run_id, coalesce(started_at, ingested_at) AS run_at, status, duration_s
                       FROM runs WHERE {where} AND status <> 'running' ORDER BY run_at DESC LIMIT ?),
        x AS (SELECT run_id, task_id, min(started_at) AS s, max(ended_at) AS e,
                     max(duration_s) AS longest, bool_or(status = 'failed') AS failed,
                     arg_max(host, coalesce(duration_s, 0)) AS slowest_host,
                     sum(CASE WHEN attempts > 1 THEN duration_s * (attempts - 1) / attempts
                         ELSE 0 END) AS retry_s
              FROM results WHERE run_id IN (SELECT run_id FROM r) GROUP BY ALL),
        t AS (SELECT run_id, task_id, any_value(name) AS name, any_value(path) AS path,
                     any_value(role) AS role, any_value(play_id) AS play_id,
                     min(started_at) AS started_at
              FROM tasks WHERE run_id IN (SELECT run_id FROM r) GROUP BY ALL),
        p AS (SELECT run_id, play_id, any_value(name) AS play FROM plays
              WHERE run_id IN (SELECT run_id FROM r) GROUP BY ALL)
        SELECT r.run_id, r.run_at AS at, r.status, r.duration_s AS run_duration_s, x.task_id, t.name,
               t.path, t.role, p.play,
               coalesce(epoch(x.e) - epoch(coalesce(t.started_at, x.s)), x.longest) AS wall_s,
               x.failed, x.slowest_host, x.retry_s
        FROM x JOIN r USING (run_id) JOIN t USING (run_id, task_id)
        LEFT JOIN p ON p.run_id = t.run_id AND p.play_id = t.play_id
        ORDER BY r.run_at""",
        [*params, limit],
    ).df()


def ingest_state(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Quarantined lines, followed files and when the store last took events."""
    quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()
    files = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE state = 'following'), max(updated_at) FROM files"
    ).fetchone()
    return {
        "quarantined": int(quarantined[0]) if quarantined else 0,
        "files": int(files[0]) if files else 0,
        "following": int(files[1]) if files else 0,
        "last_update": files[2] if files else None,
    }


def run_hosts(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> pd.DataFrame:
    """Which hosts each run touched (for filtering runs by host)."""
    return con.execute(
        "SELECT DISTINCT run_id, host FROM results WHERE run_id IN (SELECT unnest(?))", [run_ids]
    ).df()


def latest_runs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(playbook, run id) of each playbook's latest finished run."""
    return [
        (str(r[0]), str(r[1]))
        for r in con.execute(
            "SELECT playbook, arg_max(run_id, coalesce(started_at, ingested_at)) FROM runs "
            "WHERE status <> 'running' AND playbook IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).fetchall()
    ]


def host_task_durations(con: duckdb.DuckDBPyConnection, host: str, limit: int = 50) -> pd.DataFrame:
    """The slowest tasks on one host (median over its results), and when it was last seen."""
    return con.execute(
        """SELECT t.name AS task, coalesce(r.playbook, '') AS playbook, count(*) AS results,
                  median(x.duration_s) AS p50_s, max(x.duration_s) AS max_s,
                  count(*) FILTER (WHERE x.status = 'failed') AS failed
        FROM results x JOIN runs r USING (run_id)
        JOIN (SELECT run_id, task_id, any_value(name) AS name FROM tasks GROUP BY ALL) t
          USING (run_id, task_id)
        WHERE x.host = ? AND x.duration_s IS NOT NULL
        GROUP BY ALL ORDER BY p50_s DESC LIMIT ?""",
        [host, limit],
    ).df()
