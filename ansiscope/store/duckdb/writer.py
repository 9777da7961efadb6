"""All writes to the store: a batch of events and its file checkpoint, in one transaction.

Rows go in through Arrow tables (DuckDB takes millions of rows/s that way against a
few thousand through ``executemany``). The batch, the file's new offset and the
monotonic counters commit together, so a crash leaves either all of them or none:
that, with the parser being deterministic, is what makes ingest exactly-once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from ansiscope.parser.events import (
    AnsibleWarning,
    Event,
    Include,
    PlayStart,
    Recap,
    Rejected,
    RunEnd,
    RunStart,
    StatusAmended,
    TaskStart,
    TaskTiming,
)
from ansiscope.store.batch import Batch, batch_of
from ansiscope.store.counters import CounterKey, Increment
from ansiscope.store.duckdb import roots as project_roots
from ansiscope.store.duckdb import run_updates
from ansiscope.store.duckdb.load import load, scan
from ansiscope.store.duckdb.schema import transaction
from ansiscope.store.naming import roots_taught
from ansiscope.store.records import FileRecord, Written
from ansiscope.store.rows import (
    INT,
    PLAY_COLUMNS,
    STR,
    TASK_COLUMNS,
    TIMING_COLUMNS,
    TS,
    table,
)
from ansiscope.store.tally import Tallies


class Writer:
    """Writes batches of one input's events, with its checkpoint, atomically."""

    overlaps = False  # (one core, one batch in memory: the ingest targets)

    def __init__(self, con: duckdb.DuckDBPyConnection, labels: dict[str, str] | None = None):
        self.con = con
        self.labels = dict(labels or {})
        self.tallies = Tallies()

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
        with transaction(self.con):
            self._upsert_file(record)

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

    def count(self, key: CounterKey, value: float) -> None:
        """Add to a monotonic counter outside a batch (e.g. a detected truncation)."""
        with transaction(self.con):
            self._add_counters([(key, value)])

    def forget_file(self, file_id: str) -> None:
        """Delete what was stored from one input (before storing it again, whole). The
        run rows stay, so a run stored again keeps ``counted`` and the counters (metrics
        that only go up) do not count it twice; storing it again updates the rest."""
        with transaction(self.con):
            runs = "(SELECT run_id FROM runs WHERE file_id = ?)"
            for table in ("results", "plays", "tasks", "host_stats", "task_timings", "notes"):
                self.con.execute(f"DELETE FROM {table} WHERE run_id IN {runs}", [file_id])
            self.con.execute("DELETE FROM quarantine WHERE file_id = ?", [file_id])

    # -- batches ----------------------------------------------------------------
    def commit(self, record: FileRecord, events: Batch | Sequence[Event]) -> Written:
        """Store ``events`` and ``record``'s new offset in one transaction."""
        batch = events if isinstance(events, Batch) else batch_of(events)
        batch.seal()
        written = Written(events=len(batch))
        with transaction(self.con):
            self._drop_duplicate_runs(record, batch, written)
            self._write(record, batch, written)
            self._upsert_file(record)
        return written

    def _drop_duplicate_runs(self, record: FileRecord, batch: Batch, written: Written) -> None:
        """A run stored from another input (a copy of a file) is not stored twice."""
        if not batch.run_ids:
            return
        owned = self.con.execute(
            "SELECT run_id FROM runs WHERE run_id IN (SELECT unnest(?)) AND file_id <> ?",
            [list(batch.run_ids), record.file_id],
        ).fetchall()
        if owned:
            written.skipped_duplicate = batch.drop_runs({row[0] for row in owned})

    def _write(self, record: FileRecord, batch: Batch, written: Written) -> None:
        results = batch.result_table()
        by_type: dict[type[Event], list[Any]] = defaultdict(list)
        for e in batch.events:
            by_type[e.__class__].append(e)
        tasks: list[TaskStart] = by_type[TaskStart]
        starts: list[RunStart] = by_type[RunStart]
        ends: list[RunEnd] = by_type[RunEnd]
        rejected: list[Rejected] = by_type[Rejected]
        recaps: list[Recap] = by_type[Recap]
        amended = [(e.run_id, e.result_seq, str(e.status)) for e in by_type[StatusAmended]]
        notes: list[tuple[Any, ...]] = [
            (e.run_id, e.seq, "include", e.play_id, e.task_id, e.path, list(e.hosts))
            for e in by_type[Include]
        ] + [
            (e.run_id, e.seq, "warning", None, None, e.message, None)
            for e in by_type[AnsibleWarning]
        ]
        if starts:
            self._start(record, starts)
        self.tallies.add_results(batch.statuses, batch.hosts)
        self.tallies.add_tasks(tasks)
        for e in by_type[StatusAmended]:
            self.tallies.amend(e.run_id, str(e.status), str(e.was))
        if results is not None:
            load(self.con, "results", results)
            del results
            batch.tables.clear()  # DuckDB has its copy: the batch's columns can go
        self._insert("plays", by_type[PlayStart], PLAY_COLUMNS)
        self._insert("tasks", tasks, TASK_COLUMNS)
        self._insert("task_timings", by_type[TaskTiming], TIMING_COLUMNS)
        if notes:
            self._insert_rows(
                "notes",
                notes,
                ["run_id", "seq", "kind", "play_id", "task_id", "text", "hosts"],
                [STR, INT, STR, STR, STR, STR, pa.list_(STR)],
            )
        if amended:
            self._amend(amended)
        if recaps:
            run_updates.recaps(self.con, recaps)
        run_updates.reopen(self.con, batch.run_ids - {e.run_id for e in ends})
        if ends:
            run_updates.end_runs(self.con, ends)
            self._add_counters(
                run_updates.finish_runs(self.con, [e.run_id for e in ends], self.tallies)
            )
        if rejected:
            self._quarantine(record, rejected)
        written.results = batch.results
        written.runs_started = len(starts)
        written.runs_ended = len(ends)
        written.ended_run_ids = [e.run_id for e in ends]
        written.quarantined = len(rejected)
        self._add_counters([(CounterKey("ingested_events", source=record.format), len(batch))])

    def _start(self, record: FileRecord, starts: list[RunStart]) -> None:
        """Rows for the runs that begin: the roots they teach learned first (renaming
        runs stored before, moving their counts), then each named with every root."""
        roots = project_roots.learn(self.con, roots_taught(starts))
        run_updates.start_runs(self.con, record, starts, self.labels, roots)
        self.tallies.start(e.run_id for e in starts)

    def _insert(self, target: str, rows: Sequence[Event], columns: dict[str, pa.DataType]) -> None:
        if rows:
            load(self.con, target, table(rows, columns))

    def _insert_rows(
        self, target: str, rows: list[tuple[Any, ...]], names: list[str], types: list[pa.DataType]
    ) -> None:
        columns = list(zip(*rows, strict=True))
        data = pa.table(
            {n: pa.array(c, type=t) for n, c, t in zip(names, columns, types, strict=True)}
        )
        load(self.con, target, data)

    def _amend(self, amended: list[tuple[str, int, str]]) -> None:
        run_id, seq, status = (list(c) for c in zip(*amended, strict=True))
        data = pa.table(
            {
                "run_id": pa.array(run_id, type=STR),
                "seq": pa.array(seq, type=INT),
                "status": pa.array(status, type=STR),
            }
        )
        with scan(self.con, "_amend", data):
            self.con.execute(
                "UPDATE results SET status = a.status FROM _amend a "
                "WHERE results.run_id = a.run_id AND results.seq = a.seq"
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
        errors = Counter(r.code for r in rejected)
        self._add_counters(
            [
                (CounterKey("ingest_errors", source=record.format, reason=str(code)), n)
                for code, n in errors.items()
            ]
        )

    def _add_counters(self, increments: list[Increment]) -> None:
        run_updates.add_counters(self.con, increments)


__all__ = ["FileRecord", "Writer", "Written"]
