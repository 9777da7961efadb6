"""All writes to the store: a batch of events and its file checkpoint, in one transaction.

Rows go in through Arrow tables (DuckDB takes millions of rows/s that way against a
few thousand through ``executemany``). The batch, the file's new offset and the
monotonic counters commit together, so a crash leaves either all of them or none:
that, with the parser being deterministic, is what makes ingest exactly-once.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import duckdb
import pyarrow as pa

from ansiscope.parser.events import (
    RECAP_KEYS,
    Event,
    HostResult,
    Include,
    PlayStart,
    Recap,
    Rejected,
    RunEnd,
    RunStart,
    RunStatus,
    StatusAmended,
    TaskStart,
    TaskTiming,
    Warning,
)

TS = pa.timestamp("us", tz="UTC")
STR, INT, FLOAT, BOOL = pa.string(), pa.int64(), pa.float64(), pa.bool_()
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800)

RESULT_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "play_id": STR,
    "task_id": STR,
    "task_name": STR,
    "host": STR,
    "status": STR,
    "changed": BOOL,
    "started_at": TS,
    "ended_at": TS,
    "duration_s": FLOAT,
    "action": STR,
    "items_total": INT,
    "items_failed": INT,
    "attempts": INT,
    "rc": INT,
    "delta_s": FLOAT,
    "msg": STR,
    "delegated_to": STR,
    "no_log": BOOL,
}
PLAY_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "play_id": STR,
    "name": STR,
    "path": STR,
    "started_at": TS,
    "batch": INT,
}
TASK_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "play_id": STR,
    "task_id": STR,
    "name": STR,
    "role": STR,
    "path": STR,
    "handler": BOOL,
    "started_at": TS,
    "action": STR,
}
TIMING_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "task_id": STR,
    "started_at": TS,
    "ended_at": TS,
    "duration_s": FLOAT,
}


@dataclasses.dataclass
class FileRecord:
    """One input's row in ``files``: its identity and how far it has been stored."""

    file_id: str
    path: str
    source_name: str
    fingerprint: str
    generation: int
    format: str
    offset: int = 0
    lines: int = 0
    state: str = "following"
    inode: int | None = None
    head_len: int = 0
    head_hash: str = ""


@dataclasses.dataclass
class Written:
    """What one commit stored."""

    events: int = 0
    results: int = 0
    runs_started: int = 0
    runs_ended: int = 0
    quarantined: int = 0
    skipped_duplicate: int = 0


def error_reason(reason: str) -> str:
    """A rejected line's reason as a small fixed set (a metric label)."""
    text = reason.lower()
    for key, label in (
        ("truncated", "truncated"),
        ("longer than", "too_long"),
        ("too large", "too_long"),
        ("malformed", "malformed_json"),
        ("not json", "not_json"),
        ("_event", "not_an_event"),
        ("not an ansible-runner", "not_an_event"),
    ):
        if key in text:
            return label
    return "other"


def _table(events: Sequence[Event], columns: dict[str, pa.DataType]) -> pa.Table:
    return pa.table(
        {
            name: pa.array([attrgetter(name)(e) for e in events], type=kind)
            for name, kind in columns.items()
        }
    )


class Writer:
    """Writes batches of one input's events, with its checkpoint, atomically."""

    def __init__(self, con: duckdb.DuckDBPyConnection, labels: dict[str, str] | None = None):
        self.con = con
        self.labels = dict(labels or {})

    # -- files ------------------------------------------------------------------
    def file_records(self) -> list[FileRecord]:
        """Every known input, for resuming."""
        rows = self.con.execute(
            "SELECT file_id, path, source_name, fingerprint, generation, format, "
            "offset_bytes, lines, state, inode, head_len, head_hash FROM files"
        ).fetchall()
        return [FileRecord(*row) for row in rows]

    def save_file(self, record: FileRecord) -> None:
        """Store a file record on its own (a state change, no events)."""
        self._begin()
        try:
            self._upsert_file(record)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _upsert_file(self, r: FileRecord) -> None:
        now = datetime.now(UTC)
        self.con.execute(
            """INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (file_id) DO UPDATE SET path = excluded.path,
              offset_bytes = excluded.offset_bytes, lines = excluded.lines,
              state = excluded.state, inode = excluded.inode,
              head_len = excluded.head_len, head_hash = excluded.head_hash,
              updated_at = excluded.updated_at""",
            [
                r.file_id,
                r.path,
                r.source_name,
                r.fingerprint,
                r.generation,
                r.format,
                r.offset,
                r.lines,
                r.state,
                r.inode,
                r.head_len,
                r.head_hash,
                now,
                now,
            ],
        )

    def count(self, metric: str, label: str, value: float, playbook: str = "") -> None:
        """Add to a monotonic counter outside a batch (e.g. a detected truncation)."""
        self._begin()
        try:
            self._add_counters([(metric, playbook, label, value)])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def forget_file(self, file_id: str) -> None:
        """Delete everything stored from one input (before storing it again, whole)."""
        self._begin()
        try:
            runs = "(SELECT run_id FROM runs WHERE file_id = ?)"
            for table in ("results", "plays", "tasks", "host_stats", "task_timings", "notes"):
                self.con.execute(f"DELETE FROM {table} WHERE run_id IN {runs}", [file_id])
            self.con.execute("DELETE FROM runs WHERE file_id = ?", [file_id])
            self.con.execute("DELETE FROM quarantine WHERE file_id = ?", [file_id])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def mark_interrupted(self, file_id: str) -> int:
        """Runs of an input that went quiet without a recap: ``interrupted``."""
        rows = self.con.execute(
            "UPDATE runs SET status = 'interrupted' WHERE file_id = ? AND status = 'running' "
            "RETURNING run_id",
            [file_id],
        ).fetchall()
        return len(rows)

    # -- batches ----------------------------------------------------------------
    def commit(self, record: FileRecord, events: Sequence[Event]) -> Written:
        """Store ``events`` and ``record``'s new offset in one transaction."""
        written = Written(events=len(events))
        self._begin()
        try:
            events = self._drop_duplicate_runs(record, events, written)
            self._write(record, events, written)
            self._upsert_file(record)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return written

    def _begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def _drop_duplicate_runs(
        self, record: FileRecord, events: Sequence[Event], written: Written
    ) -> Sequence[Event]:
        """A run stored from another input (a copy of a file) is not stored twice."""
        run_ids = list({e.run_id for e in events if e.run_id})
        if not run_ids:
            return events
        owned = self.con.execute(
            "SELECT run_id FROM runs WHERE run_id IN (SELECT unnest(?)) AND file_id <> ?",
            [run_ids, record.file_id],
        ).fetchall()
        if not owned:
            return events
        skip = {row[0] for row in owned}
        kept = [e for e in events if e.run_id not in skip or isinstance(e, Rejected)]
        written.skipped_duplicate = len(skip)
        return kept

    def _write(self, record: FileRecord, events: Sequence[Event], written: Written) -> None:
        results: list[HostResult] = []
        plays: list[PlayStart] = []
        tasks: list[TaskStart] = []
        timings: list[TaskTiming] = []
        notes: list[tuple[Any, ...]] = []
        amended: list[tuple[str, int, str]] = []
        rejected: list[Rejected] = []
        recaps: list[Recap] = []
        ends: list[RunEnd] = []
        starts: list[RunStart] = []
        for e in events:
            cls = e.__class__
            if cls is HostResult:
                results.append(e)  # type: ignore[arg-type]
            elif cls is TaskStart:
                tasks.append(e)  # type: ignore[arg-type]
            elif cls is PlayStart:
                plays.append(e)  # type: ignore[arg-type]
            elif cls is StatusAmended:
                amended.append((e.run_id, e.result_seq, str(e.status)))  # type: ignore[attr-defined]
            elif cls is TaskTiming:
                timings.append(e)  # type: ignore[arg-type]
            elif cls is Include:
                assert isinstance(e, Include)
                notes.append(
                    (e.run_id, e.seq, "include", e.play_id, e.task_id, e.path, list(e.hosts))
                )
            elif cls is Warning:
                assert isinstance(e, Warning)
                notes.append((e.run_id, e.seq, "warning", None, None, e.message, None))
            elif cls is Rejected:
                rejected.append(e)  # type: ignore[arg-type]
            elif cls is Recap:
                recaps.append(e)  # type: ignore[arg-type]
            elif cls is RunEnd:
                ends.append(e)  # type: ignore[arg-type]
            elif cls is RunStart:
                starts.append(e)  # type: ignore[arg-type]
        for start in starts:
            self._start_run(record, start)
        self._insert("results", results, RESULT_COLUMNS)
        self._insert("plays", plays, PLAY_COLUMNS)
        self._insert("tasks", tasks, TASK_COLUMNS)
        self._insert("task_timings", timings, TIMING_COLUMNS)
        if notes:
            self._insert_rows(
                "notes",
                notes,
                ["run_id", "seq", "kind", "play_id", "task_id", "text", "hosts"],
                [STR, INT, STR, STR, STR, STR, pa.list_(STR)],
            )
        if amended:
            self._insert_rows("_amend", amended, ["run_id", "seq", "status"], [STR, INT, STR])
        for recap in recaps:
            self._recap(recap)
        self._reopen({e.run_id for e in events if e.run_id} - {e.run_id for e in ends})
        for end in ends:
            self.con.execute(
                """UPDATE runs SET status = ?, ended_at = ?, duration_s = ?,
                started_at = coalesce(?, started_at) WHERE run_id = ?""",
                [str(end.status), end.ended_at, end.duration_s, end.started_at, end.run_id],
            )
        if ends:
            self._finish_runs([e.run_id for e in ends])
        if rejected:
            self._quarantine(record, rejected)
        written.results = len(results)
        written.runs_started = len(starts)
        written.runs_ended = len(ends)
        written.quarantined = len(rejected)
        self._add_counters([("ingested_events", "", record.format, float(len(events)))])

    def _insert(self, table: str, rows: Sequence[Event], columns: dict[str, pa.DataType]) -> None:
        if rows:
            self._load(table, _table(rows, columns))

    def _insert_rows(
        self, table: str, rows: list[tuple[Any, ...]], names: list[str], types: list[pa.DataType]
    ) -> None:
        columns = list(zip(*rows, strict=True))
        data = pa.table(
            {n: pa.array(c, type=t) for n, c, t in zip(names, columns, types, strict=True)}
        )
        if table == "_amend":
            self.con.register("_amend", data)
            try:
                self.con.execute(
                    "UPDATE results SET status = a.status FROM _amend a "
                    "WHERE results.run_id = a.run_id AND results.seq = a.seq"
                )
            finally:
                self.con.unregister("_amend")
            return
        self._load(table, data)

    def _load(self, table: str, data: pa.Table) -> None:
        self.con.register("_batch", data)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _batch")
        finally:
            self.con.unregister("_batch")

    def _start_run(self, record: FileRecord, e: RunStart) -> None:
        self.con.execute(
            """INSERT INTO runs (run_id, file_id, source, format, playbook, clock,
              ansible_version, check_mode, started_at, status, labels, ingested_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)
            ON CONFLICT (run_id) DO NOTHING""",
            [
                e.run_id,
                record.file_id,
                record.path,
                str(e.format),
                e.playbook,
                str(e.clock),
                e.ansible_version,
                e.check_mode,
                e.started_at,
                json.dumps(self.labels, sort_keys=True),
                datetime.now(UTC),
            ],
        )

    def _recap(self, recap: Recap) -> None:
        hosts = list(recap.stats)
        if not hosts:
            return
        cols: dict[str, pa.Array] = {
            "run_id": pa.array([recap.run_id] * len(hosts), type=STR),
            "host": pa.array(hosts, type=STR),
        }
        for key in RECAP_KEYS:
            cols[key] = pa.array([getattr(recap.stats[h], key) for h in hosts], type=INT)
        cols["recap_at"] = pa.array([recap.at] * len(hosts), type=TS)
        cols["seq"] = pa.array([recap.seq] * len(hosts), type=INT)
        self.con.register("_recap", pa.table(cols))
        try:
            self.con.execute("INSERT OR REPLACE INTO host_stats BY NAME SELECT * FROM _recap")
        finally:
            self.con.unregister("_recap")

    def _reopen(self, run_ids: Iterable[str]) -> None:
        """New events for a run stored as interrupted: it was not over after all."""
        ids = list(run_ids)
        if ids:
            self.con.execute(
                "UPDATE runs SET status = 'running', ended_at = NULL "
                "WHERE status = 'interrupted' AND run_id IN (SELECT unnest(?))",
                [ids],
            )

    def _finish_runs(self, run_ids: list[str]) -> None:
        """Totals and counters for runs that ended in this batch."""
        ids = [run_ids]
        self.con.execute(
            """UPDATE runs SET results_total = s.n, hosts_total = s.h FROM (
                SELECT run_id, count(*) AS n, count(DISTINCT host) AS h FROM results
                WHERE run_id IN (SELECT unnest(?)) GROUP BY run_id) s
            WHERE runs.run_id = s.run_id""",
            ids,
        )
        self.con.execute(
            """UPDATE runs SET tasks_total = s.t FROM (
                SELECT run_id, count(DISTINCT task_id) AS t FROM tasks
                WHERE run_id IN (SELECT unnest(?)) GROUP BY run_id) s
            WHERE runs.run_id = s.run_id""",
            ids,
        )
        sums = ", ".join(f"{k} = s.{k}" for k in RECAP_KEYS)
        self.con.execute(
            f"""UPDATE runs SET {sums} FROM (
                SELECT run_id, {", ".join(f"sum({k}) AS {k}" for k in RECAP_KEYS)}
                FROM host_stats WHERE run_id IN (SELECT unnest(?)) GROUP BY run_id) s
            WHERE runs.run_id = s.run_id""",
            ids,
        )
        self.con.execute(
            "UPDATE runs SET results_total = 0, hosts_total = coalesce(hosts_total, 0), "
            "tasks_total = coalesce(tasks_total, 0) "
            "WHERE results_total IS NULL AND run_id IN (SELECT unnest(?))",
            ids,
        )
        rows = self.con.execute(
            "UPDATE runs SET counted = true WHERE NOT counted AND run_id IN (SELECT unnest(?)) "
            "RETURNING run_id, coalesce(playbook, ''), status, duration_s",
            ids,
        ).fetchall()
        if not rows:
            return
        counts: Counter[tuple[str, str, str]] = Counter()
        sums_by: Counter[tuple[str, str, str]] = Counter()
        for _, playbook, status, duration in rows:
            counts[("runs", playbook, "")] += 1
            if status in (RunStatus.FAILED, RunStatus.UNREACHABLE):
                counts[("runs_failed", playbook, "")] += 1
            if status == RunStatus.SUCCESSFUL:
                counts[("runs_successful", playbook, "")] += 1
            if duration is not None:
                for le in DURATION_BUCKETS:
                    if duration <= le:
                        counts[("run_duration_bucket", playbook, str(le))] += 1
                counts[("run_duration_bucket", playbook, "+Inf")] += 1
                sums_by[("run_duration_sum", playbook, "")] += duration
        for playbook, status, n in self.con.execute(
            """SELECT coalesce(r.playbook, ''), x.status, count(*) FROM results x
            JOIN runs r USING (run_id) WHERE x.run_id IN (SELECT unnest(?))
            GROUP BY ALL""",
            [[row[0] for row in rows]],
        ).fetchall():
            counts[("task_results", playbook, status)] += n
        self._add_counters(
            [(m, p, label, float(v)) for (m, p, label), v in counts.items()]
            + [(m, p, label, float(v)) for (m, p, label), v in sums_by.items()]
        )

    def _quarantine(self, record: FileRecord, rejected: list[Rejected]) -> None:
        now = datetime.now(UTC)
        rows = [
            (record.file_id, record.path, r.offset, r.line, r.reason, r.snippet, now)
            for r in rejected
        ]
        self._insert_rows(
            "quarantine",
            rows,
            ["file_id", "path", "offset_bytes", "line", "reason", "snippet", "quarantined_at"],
            [STR, STR, INT, INT, STR, STR, TS],
        )
        errors = Counter(error_reason(r.reason) for r in rejected)
        self._add_counters(
            [
                (f"ingest_errors:{record.format}", "", reason, float(n))
                for reason, n in errors.items()
            ]
        )

    def _add_counters(self, rows: list[tuple[str, str, str, float]]) -> None:
        rows = [r for r in rows if r[3]]
        if not rows:
            return
        self._insert_rows_upsert(rows)

    def _insert_rows_upsert(self, rows: list[tuple[str, str, str, float]]) -> None:
        metric, playbook, label, value = (list(c) for c in zip(*rows, strict=True))
        data = pa.table(
            {
                "metric": pa.array(metric, type=STR),
                "playbook": pa.array(playbook, type=STR),
                "label": pa.array(label, type=STR),
                "value": pa.array(value, type=FLOAT),
            }
        )
        self.con.register("_counts", data)
        try:
            self.con.execute(
                """INSERT INTO counters SELECT metric, playbook, label, sum(value) FROM _counts
                GROUP BY ALL ON CONFLICT (metric, playbook, label)
                DO UPDATE SET value = counters.value + excluded.value"""
            )
        finally:
            self.con.unregister("_counts")
