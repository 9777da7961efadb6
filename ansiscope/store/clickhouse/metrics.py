"""Named queries behind ``/metrics`` on ClickHouse.

Counters come from the ledger, never from counting rows (pruning would make them go
down), and only from committed batches:
- an input's own counters (events stored, lines rejected) are running totals in its
  ledger rows; per input and pass the highest total counts (the same input stored by
  two nodes, or a batch replayed, gives the same totals at the same offset);
- a run's counters (``counters`` under ``run:<id>``, one set per run whichever node or
  replay wrote it) count once a ledger row of the input that wrote them reaches the
  batch that wrote them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from ansiscope.store.clickhouse.connection import Db
from ansiscope.store.clickhouse.ledger_keys import decode_key
from ansiscope.store.clickhouse.queries import RUN_AT
from ansiscope.store.counters import CounterKey, Increment


def counters(db: Db) -> list[Increment]:
    """The monotonic counters, summed over committed batches."""
    total: dict[CounterKey, float] = defaultdict(float)
    for key, value in db.rows(
        """SELECT key, sum(top) FROM (
            SELECT file_id, pass, key, max(value) AS top FROM ledger
            ARRAY JOIN mapKeys(counts) AS key, mapValues(counts) AS value
            GROUP BY file_id, pass, key)
        GROUP BY key"""
    ):
        total[decode_key(key)] += value
    columns = ", ".join(f"c.{name}" for name in CounterKey._fields)
    for *key, value in db.rows(
        f"""WITH done AS (SELECT file_id, pass, max(ver) AS ver FROM ledger
                         GROUP BY file_id, pass)
        SELECT {columns}, sum(c.value) FROM counters c
        JOIN done d ON d.file_id = c.file_id AND d.pass = c.pass
        WHERE d.ver >= c.ledger_ver GROUP BY {columns}"""
    ):
        total[CounterKey(*map(str, key))] += value
    return [(key, value) for key, value in total.items() if value]


def running(db: Db) -> list[tuple[str, int, datetime | None]]:
    """Per playbook: runs still running and the oldest one's start."""
    return [
        (str(r[0]), int(r[1]), r[2])
        for r in db.rows(
            "SELECT coalesce(playbook, ''), count(), min(started_at) FROM runs "
            "WHERE status = 'running' GROUP BY 1"
        )
    ]


def last_runs(db: Db) -> list[tuple[str, datetime | None, datetime | None, int, int]]:
    """Per playbook: last run start, last successful start, failed and unreachable hosts
    of the last finished run."""
    return [
        (str(r[0]), r[1], r[2], int(r[3]), int(r[4]))
        for r in db.rows(
            """WITH f AS (SELECT run_id, playbook, status, started_at AS run_at FROM runs
                      WHERE status != 'running' AND started_at IS NOT NULL),
        last AS (SELECT coalesce(playbook, '') AS playbook, argMax(run_id, run_at) AS run_id,
                        max(run_at) AS last_at, maxIf(run_at, status = 'successful') AS last_ok
                 FROM f GROUP BY 1)
        SELECT l.playbook, l.last_at, l.last_ok,
               countIf(s.failures > 0), countIf(s.unreachable > 0)
        FROM last l LEFT JOIN host_stats s ON s.run_id = l.run_id
        GROUP BY l.playbook, l.last_at, l.last_ok"""
        )
    ]


def last_durations(db: Db) -> list[tuple[str, str, float]]:
    """Per playbook: the latest finished run with a duration (for histogram exemplars)."""
    return [
        (str(r[0]), str(r[1]), float(r[2]))
        for r in db.rows(
            f"SELECT coalesce(playbook, ''), argMax(run_id, {RUN_AT}), "
            f"argMax(duration_s, {RUN_AT}) FROM runs "
            "WHERE status != 'running' AND duration_s IS NOT NULL GROUP BY 1"
        )
    ]


def size_bytes(db: Db) -> int:
    """Bytes the store's tables take on disk (compressed)."""
    rows = db.rows(
        "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = currentDatabase()"
    )
    return int(rows[0][0] or 0) if rows else 0
