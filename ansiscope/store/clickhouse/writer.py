"""All writes to a ClickHouse store: a batch's rows, then its ledger row.

ClickHouse has no multi-statement transactions, so a batch is made safe to repeat
instead of atomic (see ``schema``): its rows carry keys from the source and collapse
when written again, run-level changes are versions ranked by the batch's position in
its input, and the ledger row naming the input's new offset is written last. A crash
anywhere before the ledger row leaves the offset where it was: the restarted node
replays the input from there (the parser is deterministic) and writes the same rows
again, which collapse. A crash after it has nothing to redo.

Counters: an input's own (events stored, lines rejected) ride in its ledger rows as
running totals for the current pass over it; a run's go into ``counters`` under the run's
key, and count only once a ledger row covers the batch that wrote them (``metrics``).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

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
from ansiscope.store.clickhouse import roots as project_roots
from ansiscope.store.clickhouse import runstate
from ansiscope.store.clickhouse.connection import Db
from ansiscope.store.clickhouse.ledger_keys import SEP, decode, encode
from ansiscope.store.counters import CounterKey
from ansiscope.store.naming import roots_taught
from ansiscope.store.records import FileRecord, Written
from ansiscope.store.rows import INT, PLAY_COLUMNS, STR, TASK_COLUMNS, TIMING_COLUMNS, TS, table
from ansiscope.store.tally import Tallies

# A record's state, as the lowest bits of its position: finishing an input moves it on
# without moving its offset.
STATE_RANK = {"following": 0, "done": 1, "deleted": 1, "truncated": 2}
PASS_SHIFT = 46  # offsets below 2**44 (16 TiB) fit beside the state
KEY = CounterKey._fields  # the counters table's key columns


def position(pass_: int, record: FileRecord) -> int:
    """Where a batch ends in its input, as a version: later batches rank higher."""
    return (pass_ << PASS_SHIFT) | (max(record.offset, 0) << 2) | STATE_RANK.get(record.state, 3)


class Writer:
    """Writes batches of one input's events, then the input's ledger row."""

    overlaps = True  # (the engine works while the next batch is parsed)

    def __init__(self, db: Db, node: str, labels: dict[str, str] | None = None) -> None:
        self.db = db
        self.node = node
        self.labels = dict(labels or {})
        self.tallies = Tallies()
        self.passes: dict[str, int] = {}  # file_id -> the pass over it being stored
        self.totals: dict[str, dict[CounterKey, float]] = {}  # file_id -> its counters this pass
        self.last_file: tuple[str, int] | None = None  # (file_id, pass) saved last
        self.roots: set[str] | None = None  # the learned project roots (``store.naming``)
        # test hook: called with "ledger" just before a batch's ledger row is written
        self.fault: Callable[[str], None] | None = None

    # -- files ------------------------------------------------------------------
    def file_records(self) -> list[FileRecord]:
        """This node's inputs, each as its latest ledger row says (for resuming)."""
        rows = self.db.rows(
            "SELECT file_id, path, source_name, fingerprint, generation, format, offset_bytes, "
            "lines, state, inode, head_len, head_hash, pass, counts FROM ledger FINAL "
            "WHERE node = {node:String} ORDER BY file_id, pass",
            {"node": self.node},
        )
        latest = {row[0]: row for row in rows}  # the last pass of each input
        records = []
        for row in latest.values():
            records.append(FileRecord(*row[:12]))
            self.passes[row[0]] = int(row[12])
            self.totals[row[0]] = decode(dict(row[13]))
        return records

    def save_file(self, record: FileRecord) -> None:
        """Store an input's record on its own (a state change, no events)."""
        self._ledger(record)

    def count(self, key: CounterKey, value: float) -> None:
        """Add to a counter outside a batch (a truncation): keyed by the input saved
        last and its position, so repeating it changes nothing."""
        if self.last_file is None or not value:
            return
        file_id, pass_ = self.last_file
        data: dict[str, list[Any]] = {"scope": [f"file:{file_id}:{pass_}"]}
        data.update({name: [field] for name, field in zip(KEY, key, strict=True)})
        data.update({"value": [float(value)], "file_id": [file_id], "pass": [pass_]})
        data["ledger_ver"] = [0]
        self.db.insert("counters", pa.table(data))

    def forget_file(self, file_id: str) -> None:
        """Before an input is stored again whole: a new pass over it. Its rows are
        written again under the same keys (they collapse); its runs stay counted."""
        self.passes[file_id] = self.passes.get(file_id, 0) + 1
        self.totals[file_id] = {}
        self.db.command("DELETE FROM quarantine WHERE file_id = {f:String}", {"f": file_id})

    # -- batches ----------------------------------------------------------------
    def commit(self, record: FileRecord, events: Batch | Sequence[Event]) -> Written:
        """Store ``events``, then the ledger row with ``record``'s new offset."""
        batch = events if isinstance(events, Batch) else batch_of(events)
        batch.seal()
        written = Written(events=len(batch))
        self._drop_duplicate_runs(record, batch, written)
        # the input's running totals change in memory only once its ledger row is in
        totals = dict(self.totals.get(record.file_id, {}))
        key = CounterKey("ingested_events", source=record.format)
        totals[key] = totals.get(key, 0.0) + float(len(batch))
        self._write(record, batch, written, totals)
        if self.fault is not None:
            self.fault("ledger")
        self._ledger(record, totals)
        return written

    def _ledger(self, record: FileRecord, totals: dict[CounterKey, float] | None = None) -> None:
        pass_ = self.passes.get(record.file_id, 0)
        ver = position(pass_, record)
        counts = self.totals.get(record.file_id, {}) if totals is None else totals
        row = {
            "node": [self.node], "file_id": [record.file_id], "pass": [pass_],
            "path": [record.path], "source_name": [record.source_name],
            "fingerprint": [record.fingerprint], "generation": [record.generation],
            "format": [record.format], "offset_bytes": [record.offset], "lines": [record.lines],
            "state": [record.state], "inode": [record.inode], "head_len": [record.head_len],
            "head_hash": [record.head_hash], "updated_at": [datetime.now(UTC)], "ver": [ver],
        }  # fmt: skip
        data = pa.table(row).append_column(
            "counts", pa.array([encode(counts)], type=pa.map_(STR, pa.float64()))
        )
        self.db.insert("ledger", data, token=self._token(record, pass_, ver, counts))
        self.totals[record.file_id] = counts
        self.last_file = (record.file_id, pass_)

    def _token(
        self, record: FileRecord, pass_: int, ver: int, counts: dict[CounterKey, float]
    ) -> str:
        """The ledger insert's deduplication token: the node, input and position (and
        what else the row says), so a retried insert of this row is dropped."""
        text = "|".join(
            map(str, (self.node, record.file_id, pass_, ver, record.path, encode(counts)))
        )
        return "ledger-" + hashlib.sha1(text.encode()).hexdigest()

    def _drop_duplicate_runs(self, record: FileRecord, batch: Batch, written: Written) -> None:
        """A run stored from another input (a copy of a file) is not stored twice."""
        if not batch.run_ids:
            return
        owned = self.db.rows(
            "SELECT run_id FROM runs FINAL WHERE run_id IN {ids:Array(String)} "
            "AND file_id != {f:String}",
            {"ids": sorted(batch.run_ids), "f": record.file_id},
        )
        if owned:
            written.skipped_duplicate = batch.drop_runs({row[0] for row in owned})

    def _write(
        self,
        record: FileRecord,
        batch: Batch,
        written: Written,
        totals: dict[CounterKey, float],
    ) -> None:
        pass_ = self.passes.get(record.file_id, 0)
        ver = position(pass_, record)
        by_type: dict[type[Event], list[Any]] = defaultdict(list)
        for e in batch.events:
            by_type[e.__class__].append(e)
        starts: list[RunStart] = by_type[RunStart]
        ends: list[RunEnd] = by_type[RunEnd]
        tasks: list[TaskStart] = by_type[TaskStart]
        if starts or self.roots is None:
            self.roots = project_roots.learn(self.db, roots_taught(starts), batch.run_ids)
        runs = runstate.current(self.db, batch.run_ids)
        runstate.start(runs, record, starts, self.labels)
        project_roots.name(runs, self.roots)
        if starts:
            self.tallies.start(e.run_id for e in starts)
        self.tallies.add_results(batch.statuses, batch.hosts)
        self.tallies.add_tasks(tasks)
        amended = [(e.run_id, e.result_seq, str(e.status)) for e in by_type[StatusAmended]]
        for e in by_type[StatusAmended]:
            self.tallies.amend(e.run_id, str(e.status), str(e.was))
        self._rows(batch, by_type, ver)
        if amended:
            self._amend(amended, 2 * ver + 1)
        recaps = runstate.recap_table(by_type[Recap], ver)
        if recaps is not None:
            self.db.insert("host_stats", recaps)
        runstate.reopen(runs, batch.run_ids - {e.run_id for e in ends})
        runstate.end(runs, ends)
        if ends:
            increments, _ = runstate.finish(self.db, runs, [e.run_id for e in ends], self.tallies)
            self._run_counts(record, pass_, ver, increments)
        touched = [runs[i] for i in sorted(batch.run_ids) if i in runs]
        if touched:
            self.db.insert("runs", runstate.runs_table(touched, ver))
        rejected: list[Rejected] = by_type[Rejected]
        if rejected:
            self._quarantine(record, rejected, totals)
        written.results = batch.results
        written.runs_started = len(starts)
        written.runs_ended = len(ends)
        written.ended_run_ids = [e.run_id for e in ends]
        written.quarantined = len(rejected)

    def _rows(self, batch: Batch, by_type: dict[type[Event], list[Any]], ver: int) -> None:
        """The batch's data rows: results, plays, tasks, timings, notes."""
        results = batch.result_table()
        if results is not None:
            column = pa.array([2 * ver] * results.num_rows, type=pa.uint64())
            self.db.insert("results", results.append_column("ver", column))
            del results
            batch.tables.clear()
        for target, cls, columns in (
            ("plays", PlayStart, PLAY_COLUMNS),
            ("tasks", TaskStart, TASK_COLUMNS),
            ("task_timings", TaskTiming, TIMING_COLUMNS),
        ):
            if by_type[cls]:
                self.db.insert(target, table(by_type[cls], columns))
        notes: list[tuple[Any, ...]] = [
            (e.run_id, e.seq, "include", e.play_id, e.task_id, e.path, list(e.hosts))
            for e in by_type[Include]
        ] + [
            (e.run_id, e.seq, "warning", None, None, e.message, []) for e in by_type[AnsibleWarning]
        ]
        if notes:
            names = ["run_id", "seq", "kind", "play_id", "task_id", "text", "hosts"]
            types = [STR, INT, STR, STR, STR, STR, pa.list_(STR)]
            values = list(zip(*notes, strict=True))
            self.db.insert(
                "notes",
                pa.table(
                    {n: pa.array(c, type=t) for n, c, t in zip(names, values, types, strict=True)}
                ),
            )

    def _amend(self, amended: list[tuple[str, int, str]], ver: int) -> None:
        """Failures re-read as ignored or rescued: new versions of those results."""
        keys = [f"{run_id}{SEP}{seq}" for run_id, seq, _ in amended]
        status = {key: s for key, (_, _, s) in zip(keys, amended, strict=True)}
        stored = self.db.arrow(
            "SELECT * EXCEPT ver FROM results FINAL WHERE run_id IN {ids:Array(String)} "
            "AND concat(run_id, {sep:String}, toString(seq)) IN {keys:Array(String)}",
            {"ids": sorted({a[0] for a in amended}), "keys": keys, "sep": SEP},
        )
        if not stored.num_rows:
            return
        rows = stored.to_pylist()
        for row in rows:
            row["status"] = status[f"{row['run_id']}{SEP}{row['seq']}"]
        data = pa.Table.from_pylist(rows, schema=stored.schema)
        self.db.insert(
            "results", data.append_column("ver", pa.array([ver] * len(rows), type=pa.uint64()))
        )

    def _run_counts(self, record: FileRecord, pass_: int, ver: int, increments: list[Any]) -> None:
        """Counter increments of runs counted now, each under its run's key."""
        if not increments:
            return
        run_ids, keys, values = (list(c) for c in zip(*increments, strict=True))
        n = len(increments)
        data: dict[str, list[Any]] = {"scope": [f"run:{i}" for i in run_ids]}
        data.update(zip(KEY, (list(c) for c in zip(*keys, strict=True)), strict=True))
        data.update({"value": values, "file_id": [record.file_id] * n, "pass": [pass_] * n})
        data["ledger_ver"] = [ver] * n
        self.db.insert("counters", pa.table(data))

    def _quarantine(
        self, record: FileRecord, rejected: list[Rejected], totals: dict[CounterKey, float]
    ) -> None:
        now = datetime.now(UTC)
        names = ["file_id", "path", "offset_bytes", "line", "reason", "snippet", "quarantined_at"]
        types = [STR, STR, INT, INT, STR, STR, TS]
        rows = [
            (record.file_id, record.path, r.offset, r.line, r.reason, r.snippet, now)
            for r in rejected
        ]
        columns = list(zip(*rows, strict=True))
        self.db.insert(
            "quarantine",
            pa.table(
                {n: pa.array(c, type=t) for n, c, t in zip(names, columns, types, strict=True)}
            ),
        )
        for code, n in Counter(r.code for r in rejected).items():
            key = CounterKey("ingest_errors", source=record.format, reason=str(code))
            totals[key] = totals.get(key, 0.0) + float(n)
