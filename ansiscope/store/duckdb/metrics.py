"""Named queries behind ``/metrics``: small aggregates, cheap at scrape time (counters
come from the counter table kept in the ingest transaction, never from counting rows)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from ansiscope.store.counters import CounterKey, Increment


def counters(con: duckdb.DuckDBPyConnection) -> list[Increment]:
    """Every counter and its value."""
    rows = con.execute(f"SELECT {', '.join(CounterKey._fields)}, value FROM counters").fetchall()
    return [(CounterKey(*row[:-1]), float(row[-1])) for row in rows]


def running(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, datetime | None]]:
    """Running runs per playbook: (playbook, how many, earliest start)."""
    return [
        tuple(r)
        for r in con.execute(
            "SELECT coalesce(playbook, ''), count(*), min(started_at) "
            "FROM runs WHERE status = 'running' GROUP BY 1"
        ).fetchall()
    ]


def last_runs(
    con: duckdb.DuckDBPyConnection,
) -> list[tuple[str, datetime | None, datetime | None, int, int]]:
    """Per playbook: last run start, last successful start, failed and unreachable hosts
    of the last finished run (runs with a clock: the rest have no time to report)."""
    return [
        tuple(r)
        for r in con.execute(
            """WITH f AS (SELECT *, started_at AS run_at FROM runs
                      WHERE status <> 'running' AND started_at IS NOT NULL),
        last AS (SELECT coalesce(playbook, '') AS playbook, arg_max(run_id, run_at) AS run_id,
                        max(run_at) AS last_at,
                        max(run_at) FILTER (WHERE status = 'successful') AS last_ok
                 FROM f GROUP BY 1)
        SELECT l.playbook, l.last_at, l.last_ok,
               count(*) FILTER (WHERE s.failures > 0), count(*) FILTER (WHERE s.unreachable > 0)
        FROM last l LEFT JOIN host_stats s ON s.run_id = l.run_id GROUP BY ALL"""
        ).fetchall()
    ]


def db_size(con: duckdb.DuckDBPyConnection) -> int:
    """Bytes the store takes on disk: its file and write-ahead log."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if not row or not row[0]:
        return 0
    total = 0
    for path in (Path(row[0]), Path(str(row[0]) + ".wal")):
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


def last_durations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, float]]:
    """Per playbook: the latest finished run with a duration (for histogram exemplars)."""
    return [
        (str(r[0]), str(r[1]), float(r[2]))
        for r in con.execute(
            "SELECT coalesce(playbook, ''), arg_max(run_id, coalesce(started_at, ingested_at)), "
            "arg_max(duration_s, coalesce(started_at, ingested_at)) FROM runs "
            "WHERE status <> 'running' AND duration_s IS NOT NULL GROUP BY 1"
        ).fetchall()
    ]
