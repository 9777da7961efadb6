"""The DuckDB store's schema: tables in ARA's vocabulary, versioned, and how to open them.

DuckDB allows one read-write process per file (and then no readers in other
processes): ``connect`` turns the lock conflict into a one-line ``StoreLocked``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ansiscope.parser.identity import playbook_name
from ansiscope.store.base import StoreError, StoreLocked
from ansiscope.store.duckdb.roots import learn_from_stored

MIGRATIONS: list[str] = [
    # version 1
    """
    CREATE TABLE files (
        file_id VARCHAR PRIMARY KEY,
        path VARCHAR NOT NULL,          -- where it is now (renames follow it)
        source_name VARCHAR NOT NULL,   -- the name runs were derived from (stable)
        fingerprint VARCHAR NOT NULL,   -- sha1 of the first complete line
        generation INTEGER NOT NULL,    -- bumped when a file is truncated in place
        format VARCHAR NOT NULL,
        offset_bytes BIGINT NOT NULL,   -- input consumed and stored (events committed)
        lines BIGINT NOT NULL,
        state VARCHAR NOT NULL,         -- following / done / deleted / truncated
        inode BIGINT,                   -- tells a rename (same inode) from a copy
        head_len BIGINT NOT NULL,       -- the first head_len bytes hash to head_hash:
        head_hash VARCHAR NOT NULL,     -- the content's identity (see identity.py)
        first_seen TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        file_id VARCHAR,
        source VARCHAR,
        format VARCHAR,
        playbook VARCHAR,
        clock VARCHAR,
        ansible_version VARCHAR,
        check_mode BOOLEAN,
        controller VARCHAR,
        user_name VARCHAR,
        started_at TIMESTAMPTZ,
        ended_at TIMESTAMPTZ,
        duration_s DOUBLE,
        status VARCHAR NOT NULL,
        hosts_total INTEGER,
        tasks_total INTEGER,
        results_total BIGINT,
        ok BIGINT, changed BIGINT, unreachable BIGINT, failures BIGINT,
        skipped BIGINT, rescued BIGINT, ignored BIGINT,
        labels JSON,
        ingested_at TIMESTAMPTZ,
        counted BOOLEAN DEFAULT false   -- already in the run counters
    );
    CREATE TABLE plays (
        run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, play_id VARCHAR, name VARCHAR,
        path VARCHAR, started_at TIMESTAMPTZ, batch INTEGER
    );
    CREATE TABLE tasks (
        run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, play_id VARCHAR, task_id VARCHAR,
        name VARCHAR, role VARCHAR, path VARCHAR, handler BOOLEAN, started_at TIMESTAMPTZ,
        action VARCHAR
    );
    CREATE TABLE results (
        run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, play_id VARCHAR, task_id VARCHAR,
        task_name VARCHAR, host VARCHAR, status VARCHAR, changed BOOLEAN,
        started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, duration_s DOUBLE, action VARCHAR,
        items_total INTEGER, items_failed INTEGER, attempts INTEGER, rc INTEGER,
        delta_s DOUBLE, msg VARCHAR, delegated_to VARCHAR, no_log BOOLEAN
    );
    CREATE TABLE host_stats (
        run_id VARCHAR NOT NULL, host VARCHAR NOT NULL,
        ok BIGINT, changed BIGINT, unreachable BIGINT, failures BIGINT,
        skipped BIGINT, rescued BIGINT, ignored BIGINT,
        recap_at TIMESTAMPTZ, seq BIGINT,
        PRIMARY KEY (run_id, host)
    );
    CREATE TABLE task_timings (
        run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, task_id VARCHAR,
        started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, duration_s DOUBLE
    );
    CREATE TABLE notes (   -- includes and warnings
        run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, kind VARCHAR NOT NULL,
        play_id VARCHAR, task_id VARCHAR, text VARCHAR, hosts VARCHAR[]
    );
    CREATE TABLE quarantine (
        file_id VARCHAR, path VARCHAR, offset_bytes BIGINT, line BIGINT,
        reason VARCHAR, snippet VARCHAR, quarantined_at TIMESTAMPTZ
    );
    CREATE TABLE counters (  -- monotonic, updated in the ingest transaction
        metric VARCHAR NOT NULL, playbook VARCHAR NOT NULL, label VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        PRIMARY KEY (metric, playbook, label)
    );
    """,
    # version 2: one name per playbook (the path as the log gave it kept beside it),
    # how each run was invoked, and its shape (the gate's partition)
    """
    ALTER TABLE runs ADD COLUMN playbook_path VARCHAR;
    ALTER TABLE runs ADD COLUMN invocation JSON;
    ALTER TABLE runs ADD COLUMN shape VARCHAR DEFAULT '';
    """,
    # version 3: a column per kind of counter label, where one ``label`` column meant
    # a status, a format or a bucket by metric, and ``ingest_errors:<format>`` carried
    # the format in the metric's name
    """
    CREATE TABLE counters_v3 (
        metric VARCHAR NOT NULL, playbook VARCHAR NOT NULL, source VARCHAR NOT NULL,
        status VARCHAR NOT NULL, reason VARCHAR NOT NULL, le VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        PRIMARY KEY (metric, playbook, source, status, reason, le)
    );
    INSERT INTO counters_v3
    SELECT CASE WHEN errors THEN 'ingest_errors' ELSE metric END,
        playbook,
        CASE WHEN errors THEN substr(metric, 15)
             WHEN metric IN ('ingested_events', 'truncations') THEN label ELSE '' END,
        CASE WHEN metric = 'task_results' THEN label ELSE '' END,
        CASE WHEN errors THEN label ELSE '' END,
        CASE WHEN metric = 'run_duration_bucket' THEN label ELSE '' END,
        sum(value)
    FROM (SELECT *, starts_with(metric, 'ingest_errors:') AS errors FROM counters)
    GROUP BY ALL;
    DROP TABLE counters;
    ALTER TABLE counters_v3 RENAME TO counters;
    """,
    # version 4: the project roots runs taught (``store.naming``): a playbook in a
    # sub-folder has one name in every format. A store with runs learns the roots they
    # taught (``duckdb.roots``); after that, each run that teaches a new root renames the
    # runs stored before it.
    """
    CREATE TABLE project_roots (
        root VARCHAR PRIMARY KEY,       -- absolute, normalised, no trailing slash
        learned_at TIMESTAMPTZ NOT NULL
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

_SETTINGS = {
    # Only extensions built into the wheel; never reach for the network.
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def connect(
    path: str | Path, *, read_only: bool = False, create: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the store, creating or migrating its schema; refuse a newer schema."""
    path = Path(path)
    if not path.exists():
        if read_only or not create:
            raise StoreError(
                f"{path}: no such store (ingest something first: ansiscope ingest FILE)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=dict(_SETTINGS))
    except duckdb.IOException as exc:
        raise _open_error(path, exc) from exc
    except duckdb.Error as exc:
        raise StoreError(f"{path}: cannot open the store: {_first_line(exc)}") from exc
    try:
        con.execute("SET TimeZone = 'UTC'")  # timestamps come back in UTC, wherever we run
        _migrate(con, path, read_only)
    except BaseException:
        con.close()
        raise
    return con


WRITER_MEMORY = "48MB"


def tune_for_ingest(con: duckdb.DuckDBPyConnection, memory: str = WRITER_MEMORY) -> None:
    """Settings for a process that only writes (``ansiscope ingest``, ``watch``).

    - DuckDB's buffer pool capped: by default it keeps written blocks cached up to
      80% of RAM (a 1 GB backfill peaked at ~365 MB RSS; ~275 MB with this and
      ``staging.BATCH_*``), for a few % of its speed.
    - No row-group vacuum at checkpoints: each transaction of a backfill leaves one
      small row group (its rows beyond whole row groups), and the vacuum rewrote the
      full ones around it to merge them: ~5% of the backfill, 9 MB of its peak
      (bench/ingest.py 1000000). Deleted rows are still reclaimed by ``prune`` and
      ``serve``, which keep the default.
    Not for ``serve``: its queries need the memory.
    """
    con.execute(f"SET memory_limit = '{memory}'")
    con.execute("SET max_vacuum_tasks = 0")


def _open_error(path: Path, exc: Exception) -> StoreError:
    text = str(exc)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        who = f"process {pid.group(1)}" if pid else "another process"
        return StoreLocked(
            f"{path}: the store is in use by {who} (DuckDB allows one writer); "
            "stop it, or ask the running service with --server URL"
        )
    return StoreError(f"{path}: cannot open the store: {_first_line(exc)}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT, or ROLLBACK when the block raises (anything, even a signal)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version stored in the file (0 for an empty file)."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()
    if not has_meta or not has_meta[0]:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _migrate(con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
    version = schema_version(con)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: the store has schema version {version}, this ansiscope knows up to "
            f"{SCHEMA_VERSION}; upgrade ansiscope to open it"
        )
    if version == SCHEMA_VERSION:
        return
    if read_only:
        raise StoreError(f"{path}: the store needs a schema upgrade; open it read-write once")
    con.execute("BEGIN")
    try:
        if version == 0:
            con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        for number, ddl in enumerate(MIGRATIONS[version:], version + 1):
            con.execute(ddl)
            if version and number in UPGRADES:  # rows to rewrite in an existing store
                UPGRADES[number](con)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _rename_playbooks(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2: runs stored before it are named as the parser names them now (the
    file name of an absolute path; see ``parser.identity``), their stored path kept
    as ``playbook_path``; counters of names that merge are added together."""
    names = {
        path: playbook_name(path) or ""
        for (path,) in con.execute(
            "SELECT DISTINCT playbook FROM runs WHERE playbook IS NOT NULL"
        ).fetchall()
    }
    for path, name in names.items():
        con.execute(
            "UPDATE runs SET playbook_path = playbook, playbook = ? WHERE playbook = ?",
            [name or None, path],
        )
    rows = con.execute("SELECT metric, playbook, label, value FROM counters").fetchall()
    merged: dict[tuple[str, str, str], float] = {}
    for metric, playbook, label, value in rows:
        key = (metric, (playbook_name(playbook) or "") if playbook else "", label)
        merged[key] = merged.get(key, 0.0) + value
    con.execute("DELETE FROM counters")
    if merged:
        con.executemany(
            "INSERT INTO counters VALUES (?, ?, ?, ?)",
            [[*key, value] for key, value in merged.items()],
        )


# Version -> what rewrites an existing store's rows once that version's DDL has run.
UPGRADES: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    2: _rename_playbooks,
    4: learn_from_stored,
}
