"""The shared backend: a ClickHouse server (or chDB, its engine in this process).

Many ingest nodes write one store, each under its own name (``--node``), and any number
of readers (``serve`` replicas, the dashboard, the gate in CI) read it directly: no
process owns it, so ``publish()`` has nothing to publish. Exactly-once without
transactions is the writer's business (``writer``); readers see collapsed rows.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ansiscope.store.base import StoreError
from ansiscope.store.clickhouse import history, metrics, queries, roots
from ansiscope.store.clickhouse.connection import Db, Target, client, parse_url
from ansiscope.store.clickhouse.queries import micros
from ansiscope.store.clickhouse.schema import META, MIGRATIONS, RUN_TABLES, SCHEMA_VERSION
from ansiscope.store.clickhouse.writer import Writer
from ansiscope.store.retention import Pruned

if TYPE_CHECKING:
    import pandas as pd

    from ansiscope.parser.events import Event
    from ansiscope.store.base import CounterRow, Reader


class ClickHouseReader:
    """The named reads over one client."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def resolve_run(self, ref: str) -> str:
        return queries.resolve_run(self.db, ref)

    def latest_run_of(self, playbook: str) -> str | None:
        return queries.latest_run_of(self.db, playbook)

    def last_run_from(self, path: str) -> str | None:
        return queries.last_run_from(self.db, path)

    def run_count(self) -> int:
        return queries.run_count(self.db)

    def list_runs(
        self,
        *,
        playbook: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        return queries.list_runs(
            self.db, playbook=playbook, status=status, since=since, limit=limit
        )

    def run_events(self, run_id: str) -> list[Event]:
        return queries.run_events(self.db, run_id)

    def run_partition(self, run_id: str) -> dict[str, Any]:
        return queries.run_partition(self.db, run_id)

    def partition_runs(self, partition: dict[str, Any], limit: int) -> pd.DataFrame:
        return queries.partition_runs(self.db, partition, limit)

    def task_rows(self, run_ids: list[str]) -> pd.DataFrame:
        return queries.task_rows(self.db, run_ids)

    def host_rows(self, run_ids: list[str]) -> pd.DataFrame:
        return queries.host_rows(self.db, run_ids)

    def runs_frame(self, since: datetime | None = None) -> pd.DataFrame:
        return history.runs_frame(self.db, since)

    def host_frame(self, since: datetime | None = None) -> pd.DataFrame:
        return history.host_frame(self.db, since)

    def task_history_frame(self, playbook: str, limit: int = 200) -> pd.DataFrame:
        return history.task_history_frame(self.db, playbook, limit)

    def run_hosts(self, run_ids: list[str]) -> pd.DataFrame:
        return history.run_hosts(self.db, run_ids)

    def latest_runs(self) -> list[tuple[str, str]]:
        return history.latest_runs(self.db)

    def host_task_durations(self, host: str, limit: int = 50) -> pd.DataFrame:
        return history.host_task_durations(self.db, host, limit)

    def ingest_state(self) -> dict[str, object]:
        return history.ingest_state(self.db)

    def counters(self) -> list[CounterRow]:
        return metrics.counters(self.db)

    def running(self) -> list[tuple[str, int, datetime | None]]:
        return metrics.running(self.db)

    def last_runs(self) -> list[tuple[str, datetime | None, datetime | None, int, int]]:
        return metrics.last_runs(self.db)

    def last_durations(self) -> list[tuple[str, str, float]]:
        return metrics.last_durations(self.db)

    def size_bytes(self) -> int:
        return metrics.size_bytes(self.db)

    def backend(self) -> tuple[str, str]:
        rows = self.db.rows("SELECT version()")
        name = "chdb" if self.db.target.chdb_path is not None else "clickhouse"
        return name, str(rows[0][0]) if rows else ""


class ClickHouseStore(ClickHouseReader):
    """A ClickHouse database holding one store, shared by every node and reader."""

    def __init__(self, target: Target, *, read_only: bool, node: str) -> None:
        super().__init__(Db(target, client(target)))
        self.target = target
        self.url = target.url
        self.read_only = read_only
        self.node = node
        self._local = threading.local()
        self._clients: list[Db] = []
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, url: str, *, read_only: bool = False, create: bool = True, node: str | None = None
    ) -> ClickHouseStore:
        """Open (creating and migrating) the store at ``url``."""
        target = parse_url(url)
        _ensure_database(target, create=create and not read_only)
        store = cls(target, read_only=read_only, node=node or socket.gethostname())
        try:
            _migrate(store.db, read_only)
        except BaseException:
            store.close()
            raise
        return store

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        """A reader on this thread's own client (a client runs one query at a time)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = Db(self.target, client(self.target))
            self._local.db = db
            with self._lock:
                self._clients.append(db)
        yield ClickHouseReader(db)

    def writer(self, labels: dict[str, str] | None = None) -> Writer:
        if self.read_only:
            raise StoreError(f"{self.url}: opened read-only")
        return Writer(self.db, self.node, labels)

    def delete_before(self, cutoff: datetime) -> int:
        """Delete runs that started before ``cutoff`` (lightweight deletes); counters
        stay."""
        ids = [
            r[0]
            for r in self.db.rows(
                "SELECT run_id FROM runs WHERE "
                f"toUnixTimestamp64Micro({queries.RUN_AT}) < {{c:Int64}}",
                {"c": micros(cutoff)},
            )
        ]
        if ids:
            for table in (*RUN_TABLES, "runs"):
                self.db.command(
                    f"DELETE FROM {table} WHERE run_id IN {{ids:Array(String)}}", {"ids": ids}
                )
        return len(ids)

    def prune(self, cutoff: datetime, *, compact: bool = True) -> Pruned:
        """Delete old runs; with ``compact``, merge the tables so the space comes back."""
        before = self.size_bytes()
        deleted = self.delete_before(cutoff)
        if compact and deleted:
            for table in (*RUN_TABLES, "runs"):
                self.db.command(f"OPTIMIZE TABLE {table} FINAL")
        return Pruned(deleted, before, self.size_bytes())

    def publish(self) -> None:
        """Readers in other processes open the store itself: nothing to publish. chDB is
        the exception: its engine lives in this process and no other may open its
        folder, so there is nothing other processes could read."""
        if self.db.target.chdb_path is not None:
            raise StoreError(
                f"{self.url}: chDB runs inside one process; other processes (the dashboard) "
                "cannot read it: use a ClickHouse server (clickhouse://) or a DuckDB file"
            )
        return None

    def close(self) -> None:
        with self._lock:
            for db in self._clients:
                db.close()
            self._clients.clear()
        self.db.close()


def _ensure_database(target: Target, *, create: bool) -> None:
    boot = Db(target, client(target, database="default"))
    try:
        exists = boot.rows(
            "SELECT count() FROM system.databases WHERE name = {d:String}",
            {"d": target.database},
        )[0][0]
        if not exists:
            if not create:
                raise StoreError(
                    f"{target.label()}: no such store (ingest something first: "
                    "ansiscope ingest FILE --db URL)"
                )
            boot.command(f"CREATE DATABASE IF NOT EXISTS `{target.database}`")
    finally:
        boot.close()


# Version -> what rewrites an existing store's rows once that version's DDL has run
# (idempotent, like the statements: two nodes may run it at once).
UPGRADES: dict[int, Callable[[Db], None]] = {4: roots.learn_from_stored}


def _migrate(db: Db, read_only: bool) -> None:
    """Bring the schema to ``SCHEMA_VERSION`` (statements are idempotent: two nodes may
    run them at once); refuse a newer schema."""
    has_meta = db.rows("EXISTS TABLE meta")[0][0]
    version = 0
    if has_meta:
        rows = db.rows("SELECT max(toUInt32OrZero(value)) FROM meta FINAL WHERE key = 'schema'")
        version = int(rows[0][0] or 0) if rows else 0
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{db.target.label()}: the store has schema version {version}, this ansiscope "
            f"knows up to {SCHEMA_VERSION}; upgrade ansiscope to open it"
        )
    if version == SCHEMA_VERSION:
        return
    if read_only:
        raise StoreError(
            f"{db.target.label()}: the store needs a schema upgrade; open it once read-write"
        )
    db.command(META)
    for number, statements in enumerate(MIGRATIONS[version:], version + 1):
        for sql in statements:
            db.command(sql)
        if version and number in UPGRADES:  # rows to rewrite in an existing store
            UPGRADES[number](db)
    db.command(
        "INSERT INTO meta VALUES ('schema', {v:String}, {n:UInt64})",
        {"v": str(SCHEMA_VERSION), "n": SCHEMA_VERSION},
    )
