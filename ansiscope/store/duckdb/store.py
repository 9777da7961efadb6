"""The embedded backend: one DuckDB file, owned by one process.

DuckDB lets one process hold a file read-write (and then no other process may read
it), so one long-running process owns it; other threads of that process read
through cursors (``reader()``), and other processes read a snapshot the owner
publishes (``publish()``: CHECKPOINT, copy, atomic rename).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ansiscope.store.duckdb import history, metrics, queries, retention
from ansiscope.store.duckdb.schema import connect, tune_for_ingest
from ansiscope.store.duckdb.writer import Writer
from ansiscope.store.retention import Pruned

if TYPE_CHECKING:
    import pandas as pd

    from ansiscope.parser.events import Event
    from ansiscope.store.base import CounterRow, Reader


class DuckDBReader:
    """The named reads over one DuckDB connection or cursor."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def resolve_run(self, ref: str) -> str:
        return queries.resolve_run(self.con, ref)

    def latest_run_of(self, playbook: str) -> str | None:
        return queries.latest_run_of(self.con, playbook)

    def last_run_from(self, path: str) -> str | None:
        return queries.last_run_from(self.con, path)

    def run_count(self) -> int:
        return queries.run_count(self.con)

    def list_runs(
        self,
        *,
        playbook: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        return queries.list_runs(
            self.con, playbook=playbook, status=status, since=since, limit=limit
        )

    def run_events(self, run_id: str) -> list[Event]:
        return queries.run_events(self.con, run_id)

    def run_partition(self, run_id: str) -> dict[str, Any]:
        return queries.run_partition(self.con, run_id)

    def partition_runs(self, partition: dict[str, Any], limit: int) -> pd.DataFrame:
        return queries.partition_runs(self.con, partition, limit)

    def task_rows(self, run_ids: list[str]) -> pd.DataFrame:
        return queries.task_rows(self.con, run_ids)

    def host_rows(self, run_ids: list[str]) -> pd.DataFrame:
        return queries.host_rows(self.con, run_ids)

    def runs_frame(self, since: datetime | None = None) -> pd.DataFrame:
        return history.runs_frame(self.con, since)

    def host_frame(self, since: datetime | None = None) -> pd.DataFrame:
        return history.host_frame(self.con, since)

    def task_history_frame(self, playbook: str, limit: int = 200) -> pd.DataFrame:
        return history.task_history_frame(self.con, playbook, limit)

    def run_hosts(self, run_ids: list[str]) -> pd.DataFrame:
        return history.run_hosts(self.con, run_ids)

    def latest_runs(self) -> list[tuple[str, str]]:
        return history.latest_runs(self.con)

    def host_task_durations(self, host: str, limit: int = 50) -> pd.DataFrame:
        return history.host_task_durations(self.con, host, limit)

    def ingest_state(self) -> dict[str, object]:
        return history.ingest_state(self.con)

    def counters(self) -> list[CounterRow]:
        return metrics.counters(self.con)

    def running(self) -> list[tuple[str, int, datetime | None]]:
        return metrics.running(self.con)

    def last_runs(self) -> list[tuple[str, datetime | None, datetime | None, int, int]]:
        return metrics.last_runs(self.con)

    def last_durations(self) -> list[tuple[str, str, float]]:
        return metrics.last_durations(self.con)

    def size_bytes(self) -> int:
        return metrics.db_size(self.con)

    def backend(self) -> tuple[str, str]:
        return "duckdb", duckdb.__version__


class DuckDBStore(DuckDBReader):
    """A DuckDB store file opened by this process."""

    def __init__(
        self, path: Path, *, read_only: bool = False, create: bool = True, ingest: bool = False
    ) -> None:
        super().__init__(connect(path, read_only=read_only, create=create))
        self.path = path
        self.url = str(path)
        self.read_only = read_only
        self.snapshot = Path(f"{path}.snapshot")
        if ingest:
            tune_for_ingest(self.con)

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        cursor = self.con.cursor()
        try:
            yield DuckDBReader(cursor)
        finally:
            cursor.close()

    def writer(self, labels: dict[str, str] | None = None) -> Writer:
        return Writer(self.con, labels)

    def delete_before(self, cutoff: datetime) -> int:
        return retention.delete_before(self.con, cutoff)

    def prune(self, cutoff: datetime, *, compact: bool = True) -> Pruned:
        """Delete old runs and rewrite the file to give the space back (the store is
        closed for the rewrite and reopened after it)."""
        self.con.close()
        try:
            return retention.prune(self.path, cutoff, compact=compact)
        finally:
            self.con = connect(self.path, read_only=self.read_only)

    def publish(self) -> str:
        """A read-only copy for other processes: DuckDB's writer lock keeps every other
        process out of the file itself."""
        tmp = self.snapshot.with_name(self.snapshot.name + ".tmp")
        self.con.execute("CHECKPOINT")
        shutil.copyfile(self.path, tmp)
        os.replace(tmp, self.snapshot)
        return str(self.snapshot)

    def close(self) -> None:
        self.con.close()
