"""Host results as columns (one list per field), for columnar stores.

Compiled with mypyc (``native.py``). Fields that repeat (a run's id, a task's id and
name, hosts, statuses, actions) come dictionary-encoded: each distinct value once,
and an index per result. The parser hands one task's results the same string
objects, so most indices cost an identity check; built here that way, a batch
becomes an Arrow table faster than by encoding plain strings afterwards, and weighs
less than half as much (~110 bytes a result against ~250; measured here).
Timestamps come as POSIX seconds (floats: exact to the microsecond at today's epoch).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ansiscope.parser.events import Event, HostResult

REPEATING = ("run_id", "play_id", "task_id", "task_name", "host", "status", "action")
PLAIN = (
    "seq",
    "changed",
    "started_at",
    "ended_at",
    "duration_s",
    "items_total",
    "items_failed",
    "attempts",
    "rc",
    "delta_s",
    "msg",
    "delegated_to",
    "no_log",
)


class DictColumn:
    """A string column as distinct values and one index per row (``None``: null)."""

    def __init__(self) -> None:
        self.indices: list[int | None] = []
        self.values: list[str] = []
        self._ids: dict[str, int] = {}
        self._last: str | None = None
        self._last_index: int | None = None

    def append(self, value: str | None) -> None:
        """Add one value, reusing the index of a value seen before."""
        if value is self._last:  # the common case: the same object as the row before
            self.indices.append(self._last_index)
            return
        index: int | None = None
        if value is not None:
            index = self._ids.get(value)
            if index is None:
                index = len(self.values)
                self._ids[value] = index
                self.values.append(str(value))  # a plain str (statuses are enums)
        self._last, self._last_index = value, index
        self.indices.append(index)

    def decoded(self) -> list[str | None]:
        """The column's values, row by row."""
        values = self.values
        return [None if i is None else values[i] for i in self.indices]


class ResultColumns:
    """Host results, column by column: ``append`` one at a time, or ``result_columns``."""

    def __init__(self) -> None:
        self.run_id = DictColumn()
        self.play_id = DictColumn()
        self.task_id = DictColumn()
        self.task_name = DictColumn()
        self.host = DictColumn()
        self.status = DictColumn()
        self.action = DictColumn()
        self.seq: list[int] = []
        self.changed: list[bool] = []
        self.started_at: list[float | None] = []
        self.ended_at: list[float | None] = []
        self.duration_s: list[float | None] = []
        self.items_total: list[int] = []
        self.items_failed: list[int] = []
        self.attempts: list[int] = []
        self.rc: list[int | None] = []
        self.delta_s: list[float | None] = []
        self.msg: list[str | None] = []
        self.delegated_to: list[str | None] = []
        self.no_log: list[bool] = []
        self.text = 0  # characters of messages
        self.rows = 0
        self._last_start: datetime | None = None
        self._last_seconds: float | None = None

    def append(self, r: HostResult) -> None:
        """One more host result."""
        self.run_id.append(r.run_id)
        self.seq.append(r.seq)
        self.play_id.append(r.play_id)
        self.task_id.append(r.task_id)
        self.task_name.append(r.task_name)
        self.host.append(r.host)
        self.status.append(r.status)
        self.changed.append(r.changed)
        start = r.started_at
        if start is not self._last_start:  # one task's results share their start
            self._last_start = start
            self._last_seconds = None if start is None else start.timestamp()
        self.started_at.append(self._last_seconds)
        end = r.ended_at
        self.ended_at.append(None if end is None else end.timestamp())
        self.duration_s.append(r.duration_s)
        self.action.append(r.action)
        self.items_total.append(r.items_total)
        self.items_failed.append(r.items_failed)
        self.attempts.append(r.attempts)
        self.rc.append(r.rc)
        self.delta_s.append(r.delta_s)
        message = r.msg
        if message is not None:
            self.text += len(message)
        self.msg.append(message)
        self.delegated_to.append(r.delegated_to)
        self.no_log.append(r.no_log)
        self.rows += 1

    def repeating(self) -> dict[str, DictColumn]:
        """The dictionary-encoded columns, by field name."""
        return {name: getattr(self, name) for name in REPEATING}

    def plain(self) -> dict[str, list[Any]]:
        """The other columns, by field name."""
        return {name: getattr(self, name) for name in PLAIN}


def split_results(events: list[Event], results: list[HostResult], others: list[Event]) -> None:
    """Host results to ``results``, every other event to ``others``, in order."""
    for event in events:
        if isinstance(event, HostResult):
            results.append(event)
        else:
            others.append(event)


def result_columns(results: list[HostResult]) -> ResultColumns:
    """Every ``HostResult`` field as a column; datetimes as seconds."""
    out = ResultColumns()
    for r in results:
        out.append(r)
    return out
