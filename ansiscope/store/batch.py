"""A store transaction's worth of events, gathered before it is written.

Host results (nearly every event) are turned into Arrow columns a few thousand at a
time as they arrive (``CHUNK_RESULTS``): a result weighs ~110 bytes there, repeating
strings dictionary-encoded, against ~1 KB as an event object, and the objects die
young, in memory the allocator still holds. So a transaction can hold more than a
DuckDB row group (122,880 rows), which DuckDB then writes straight into the file,
compressed, instead of through the WAL and a checkpoint. Measured with
``bench/ingest.py 1000000``: 60k-event transactions of event objects ran at ~135k
results/s and 280 MB; these at ~150–180k/s and 274 MB.
Everything else (runs, plays, tasks, recaps: about one event in ten) stays as events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from ansiscope.parser.columns import result_columns, split_results
from ansiscope.parser.events import Event, HostResult, Rejected
from ansiscope.store.rows import RESULT_COLUMNS, columns_table

# A transaction while catching up holds at most BATCH_RESULTS host results (two DuckDB
# row groups), BATCH_EVENTS other events, or results whose messages add up to
# BATCH_TEXT characters (what bounds memory when every result carries a long message).
BATCH_RESULTS = 2 * 122_880
BATCH_EVENTS = 60_000
BATCH_TEXT = 16_000_000
CHUNK_RESULTS = 4096  # results converted to columns at a time


class Batch:
    """Events waiting for one transaction: results as Arrow tables, the rest as events."""

    def __init__(self) -> None:
        self.events: list[Event] = []  # everything but host results, in order
        self.tables: list[pa.Table] = []  # host results, converted
        self.pending: list[HostResult] = []  # host results not converted yet
        self.count = 0  # events added, host results included
        self.results = 0
        self.text = 0  # characters of result messages
        self.run_ids: set[str] = set()  # the runs the events belong to; complete once sealed
        self._ids_seen = 0  # events whose run is in run_ids
        self.statuses: Counter[tuple[str, str]] = Counter()  # (run_id, status) -> results
        self.hosts: set[tuple[str, str]] = set()  # (run_id, host) pairs seen

    def __len__(self) -> int:
        return self.count

    def add(self, events: list[Event]) -> None:
        """Take events in source order."""
        self.count += len(events)
        split_results(events, self.pending, self.events)
        if len(self.pending) >= CHUNK_RESULTS:
            self.seal()

    def full(self) -> bool:
        """Whether the transaction should be written before more is read."""
        return (
            self.results + len(self.pending) >= BATCH_RESULTS
            or len(self.events) >= BATCH_EVENTS
            or self.text >= BATCH_TEXT
        )

    def seal(self) -> None:
        """Convert the results not converted yet (``run_ids`` and the counts are then
        complete)."""
        results, self.pending = self.pending, []
        self.run_ids.update(e.run_id for e in self.events[self._ids_seen :] if e.run_id)
        self._ids_seen = len(self.events)
        if not results:
            return
        columns = result_columns(results)
        del results  # the objects go before their table is built: a lower peak
        run, status, host = columns.run_id, columns.status, columns.host
        runs, statuses, hosts = run.values, status.values, host.values
        self.run_ids.update(runs)
        for (r, s), n in Counter(zip(run.indices, status.indices, strict=True)).items():
            self.statuses[(runs[r], statuses[s])] += n  # type: ignore[index]
        self.hosts.update(
            (runs[r], hosts[h])  # type: ignore[index]
            for r, h in set(zip(run.indices, host.indices, strict=True))
        )
        self.text += columns.text
        table = columns_table(columns)
        self.results += table.num_rows
        self.tables.append(table)

    def result_table(self) -> pa.Table | None:
        """All host results as one table (its chunks are not copied)."""
        self.seal()
        if not self.tables:
            return None
        if len(self.tables) == 1:
            return self.tables[0]
        return pa.Table.from_batches(
            [b for t in self.tables for b in t.to_batches()], schema=self.tables[0].schema
        )

    def drop_runs(self, run_ids: set[str]) -> int:
        """Leave out every event of these runs (stored from another input already),
        except rejected lines; returns how many runs were dropped."""
        self.seal()
        self.events = [e for e in self.events if e.run_id not in run_ids or isinstance(e, Rejected)]
        self._ids_seen = len(self.events)
        skip = pa.array(sorted(run_ids), type=RESULT_COLUMNS["run_id"])
        kept = [t.filter(pc.invert(pc.is_in(t["run_id"], value_set=skip))) for t in self.tables]
        self.tables = [t for t in kept if t.num_rows]
        self.results = sum(t.num_rows for t in self.tables)
        self.statuses = Counter({k: n for k, n in self.statuses.items() if k[0] not in run_ids})
        self.hosts = {k for k in self.hosts if k[0] not in run_ids}
        self.run_ids -= run_ids
        return len(run_ids)


def batch_of(events: Iterable[Event]) -> Batch:
    """A batch holding ``events``."""
    batch = Batch()
    batch.add(list(events))
    return batch
