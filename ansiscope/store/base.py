"""The store seam: what every backend (DuckDB embedded, ClickHouse shared) offers.

Everything above the store — ingest, analytics, exporters, the service, the dashboard
and the CLI — talks to a ``Store`` (or a ``Reader``), never to a database connection.
A backend owns its SQL, its schema and its migrations; the names and shapes of the
reads below are the contract (``tests/store/test_contract.py`` holds every backend to it).

- ``Reader``: the named reads, returning records or DataFrames. One reader is used by
  one thread at a time; ``Store.reader()`` gives another thread its own.
- ``BatchWriter``: the ingest path. ``commit`` stores a batch of one input's events
  together with that input's checkpoint (its offset), exactly once: a replayed batch
  (after a crash) changes nothing.
- ``Store``: a reader that also opens writers, forgets, prunes and publishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ansiscope.errors import AnsiscopeError
from ansiscope.store.counters import CounterKey, Increment

if TYPE_CHECKING:
    import pandas as pd

    from ansiscope.parser.events import Event
    from ansiscope.store.batch import Batch
    from ansiscope.store.records import FileRecord, Written
    from ansiscope.store.retention import Pruned

MAX_RUNS = 1_000_000  # the most runs one listing returns

# (which counter, its value): the rows of the monotonic counters
CounterRow = Increment


class StoreError(AnsiscopeError):
    """The store cannot be opened or used."""


class StoreLocked(StoreError):
    """Another process holds the store (DuckDB allows one writer per file)."""


class RunNotFound(AnsiscopeError):
    """No stored run matches the reference."""


class Reader(Protocol):
    """The named reads: every question analytics, pages, metrics and the CLI ask."""

    # -- runs -----------------------------------------------------------------
    def resolve_run(self, ref: str) -> str:
        """A run id from ``latest``, a full id or a unique prefix (``RunNotFound``)."""
        ...

    def latest_run_of(self, playbook: str) -> str | None:
        """The latest finished run of a playbook (path, file name or stem)."""
        ...

    def last_run_from(self, path: str) -> str | None:
        """The latest run stored from the input at ``path``."""
        ...

    def run_count(self) -> int:
        """How many runs the store holds."""
        ...

    def list_runs(
        self,
        *,
        playbook: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Stored runs, newest first, in the ``runs --format json`` shape."""
        ...

    def run_events(self, run_id: str) -> list[Event]:
        """A stored run as the canonical events a parser emits, in order."""
        ...

    # -- the gate -------------------------------------------------------------
    def run_partition(self, run_id: str) -> dict[str, Any]:
        """What makes runs comparable (playbook, check mode, hosts) and the run's times."""
        ...

    def partition_runs(self, partition: dict[str, Any], limit: int) -> pd.DataFrame:
        """The ``limit`` runs of a partition up to the given one, oldest first."""
        ...

    def task_rows(self, run_ids: list[str]) -> pd.DataFrame:
        """Per run and task: identity, wall time, changed, failed, hosts."""
        ...

    def host_rows(self, run_ids: list[str]) -> pd.DataFrame:
        """Per run, task and host: duration and whether it changed."""
        ...

    # -- history --------------------------------------------------------------
    def runs_frame(self, since: datetime | None = None) -> pd.DataFrame:
        """One row per run: playbook, status, times, change/failure counts."""
        ...

    def host_frame(self, since: datetime | None = None) -> pd.DataFrame:
        """Per host and run: its recap counts and when."""
        ...

    def task_history_frame(self, playbook: str, limit: int = 200) -> pd.DataFrame:
        """Per run and task of a playbook's last ``limit`` runs: wall time, failure, hosts."""
        ...

    def run_hosts(self, run_ids: list[str]) -> pd.DataFrame:
        """Which hosts each run touched."""
        ...

    def latest_runs(self) -> list[tuple[str, str]]:
        """(playbook, run id) of each playbook's latest finished run."""
        ...

    def host_task_durations(self, host: str, limit: int = 50) -> pd.DataFrame:
        """The slowest tasks on one host (median of its results)."""
        ...

    def ingest_state(self) -> dict[str, object]:
        """Quarantined lines, followed inputs and when the store last took events."""
        ...

    # -- metrics --------------------------------------------------------------
    def counters(self) -> list[CounterRow]:
        """The monotonic counters."""
        ...

    def running(self) -> list[tuple[str, int, datetime | None]]:
        """Per playbook: runs still running and the oldest one's start."""
        ...

    def last_runs(self) -> list[tuple[str, datetime | None, datetime | None, int, int]]:
        """Per playbook: last start, last successful start, failed and unreachable hosts."""
        ...

    def last_durations(self) -> list[tuple[str, str, float]]:
        """Per playbook: the latest finished run with a duration (histogram exemplars)."""
        ...

    def size_bytes(self) -> int:
        """Bytes the store takes (0 when the backend cannot tell)."""
        ...

    def backend(self) -> tuple[str, str]:
        """The backend's name and its engine's version (``ansiscope_build``)."""
        ...


class BatchWriter(Protocol):
    """One ingest path's writes: inputs' checkpoints and their batches of events."""

    # Whether the ingester may read the next batch while this one commits (the commit
    # runs on a thread of its own, one at a time, in order): a store whose commit is
    # mostly waiting on its engine (ClickHouse, chDB) gains the parse time; DuckDB's
    # stays on the reading thread (one core, one batch in memory).
    overlaps: bool

    def file_records(self) -> list[FileRecord]:
        """Every known input, for resuming."""
        ...

    def save_file(self, record: FileRecord) -> None:
        """Store an input's record on its own (a state change, no events)."""
        ...

    def count(self, key: CounterKey, value: float) -> None:
        """Add to a monotonic counter outside a batch: an event about the input record
        saved just before (a detected truncation). A backend without transactions may
        count it once per such record, so that a replay does not count it again."""
        ...

    def forget_file(self, file_id: str) -> None:
        """One input is about to be stored again whole: once it has been, the store
        holds exactly what the input holds (DuckDB deletes its rows now; ClickHouse lets
        the rows written again, under the same keys, replace them). Its runs stay
        counted: the counters do not count them twice."""
        ...

    def commit(self, record: FileRecord, events: Batch | Sequence[Event]) -> Written:
        """Store ``events`` with ``record``'s new offset, exactly once."""
        ...


class Store(Reader, Protocol):
    """A backend: the reads, plus writers, retention and publishing."""

    url: str

    def reader(self) -> AbstractContextManager[Reader]:
        """A reader for another thread, released when the block ends."""
        ...

    def writer(self, labels: dict[str, str] | None = None) -> BatchWriter:
        """The writer of one ingest path (``--label`` values go on its runs)."""
        ...

    def delete_before(self, cutoff: datetime) -> int:
        """Delete runs that started before ``cutoff``; counters stay."""
        ...

    def prune(self, cutoff: datetime, *, compact: bool = True) -> Pruned:
        """Delete old runs and give the space back where the backend can."""
        ...

    def publish(self) -> str | None:
        """Make what is stored visible to readers in other processes; returns the URL
        they should open (a snapshot), or ``None`` when they open the store itself."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...
