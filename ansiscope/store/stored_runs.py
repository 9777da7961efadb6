"""Stored rows back into what readers get: the ``runs --format json`` records and a run's
canonical events. Pure functions over rows, shared by every backend (each fetches the
rows with its own SQL)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansiscope.parser.events import (
    RECAP_KEYS,
    AnsibleWarning,
    Clock,
    Event,
    HostResult,
    HostStats,
    Include,
    LogFormat,
    Recap,
    RunEnd,
    RunStart,
    RunStatus,
    Status,
)
from ansiscope.store.invocation import invocation_of, start_fields
from ansiscope.store.rows import RESULT_COLUMNS

RUN_COLUMNS = (
    "run_id, playbook, source, format, status, started_at, ended_at, duration_s, "
    "hosts_total, tasks_total, results_total, labels, check_mode, ansible_version, "
    "playbook_path, invocation"
)
RUN_NAMES = [c.strip() for c in RUN_COLUMNS.split(",")]
# the columns a run's events are rebuilt from, per table (after run_id and seq)
PLAY_FIELDS = "play_id, name, path, started_at, batch"
TASK_FIELDS = "play_id, task_id, name, role, path, handler, started_at, action"
TIMING_FIELDS = "task_id, started_at, ended_at, duration_s"
RESULT_FIELDS = ", ".join(n for n in RESULT_COLUMNS if n not in ("run_id", "seq"))
RUN_EVENT_FIELDS = (
    "source, format, playbook, started_at, clock, ansible_version, check_mode, "
    "ended_at, status, duration_s, playbook_path, invocation"
)
RECAP_FIELDS = f"host, {', '.join(RECAP_KEYS)}, recap_at, seq"


def run_records(
    rows: Iterable[Sequence[Any]],
    live: Mapping[str, Sequence[Any]],
    stat_rows: Iterable[Sequence[Any]],
) -> list[dict[str, Any]]:
    """``runs --format json`` records from rows of ``RUN_COLUMNS``; ``live``: (hosts,
    tasks, results) of runs with no totals yet; ``stat_rows``: (run_id, host, recap
    counts…) ordered by run and host."""
    runs = [dict(zip(RUN_NAMES, row, strict=True)) for row in rows]
    stats: dict[str, dict[str, dict[str, int]]] = {r["run_id"]: {} for r in runs}
    for row in stat_rows:
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


def fields_of(columns: str) -> list[str]:
    """``"a, b, c"`` as names."""
    return [c.strip() for c in columns.split(",")]


def run_start(run_id: str, row: Sequence[Any]) -> tuple[RunStart, Sequence[Any]]:
    """The run's start event from a row of ``RUN_EVENT_FIELDS`` (and the row's end part)."""
    source, fmt, playbook, started, clock, version, check, *rest = row
    *end, playbook_path, invocation = rest
    start = RunStart(
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
        **start_fields(playbook_path, invocation),
    )
    return start, [started, *end]


def events_of(
    cls: type[Event], run_id: str, columns: str, rows: Iterable[Sequence[Any]]
) -> list[Event]:
    """Events of one kind from rows of (seq, ``columns``…)."""
    names = fields_of(columns)
    return [
        cls(run_id=run_id, seq=row[0], offset=-1, **dict(zip(names, row[1:], strict=True)))
        for row in rows
    ]


def results_of(run_id: str, rows: Iterable[Sequence[Any]]) -> list[Event]:
    """Host results from rows of (seq, ``RESULT_FIELDS``…)."""
    names = fields_of(RESULT_FIELDS)
    out: list[Event] = []
    for row in rows:
        fields = dict(zip(names, row[1:], strict=True))
        fields["status"] = Status(fields["status"])
        out.append(HostResult(run_id=run_id, seq=row[0], offset=-1, **fields))
    return out


def notes_of(run_id: str, rows: Iterable[Sequence[Any]]) -> list[Event]:
    """Includes and warnings from rows of (seq, kind, play_id, task_id, text, hosts)."""
    body: list[Event] = []
    for seq, kind, play_id, task_id, text, hosts in rows:
        common = {"run_id": run_id, "seq": seq, "offset": -1}
        if kind == "include":
            body.append(
                Include(**common, play_id=play_id, task_id=task_id, path=text, hosts=tuple(hosts))
            )
        else:
            body.append(AnsibleWarning(**common, message=text))
    return body


def recap_of(run_id: str, rows: Sequence[Sequence[Any]]) -> Recap | None:
    """The recap from rows of ``RECAP_FIELDS`` ordered by host."""
    if not rows:
        return None
    stats = {row[0]: HostStats(*row[1:8]) for row in rows}
    return Recap(run_id=run_id, seq=rows[0][9], offset=-1, stats=stats, at=rows[0][8])


def assemble(
    start: RunStart, end: Sequence[Any], body: list[Event], recap: Recap | None
) -> list[Event]:
    """A run's events in order: start, body by seq (recap included), end if it ended;
    ``end``: (started_at, ended_at, status, duration_s)."""
    if recap is not None:
        body.append(recap)
    body.sort(key=lambda e: e.seq)
    events: list[Event] = [start, *body]
    started, ended, status, duration = end
    if status != RunStatus.RUNNING:
        events.append(
            RunEnd(
                run_id=start.run_id,
                seq=(body[-1].seq + 1) if body else 0,
                offset=-1,
                started_at=started,
                ended_at=ended,
                status=RunStatus(status),
                duration_s=duration,
            )
        )
    return events
