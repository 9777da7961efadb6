"""The ClickHouse store's schema: the DuckDB tables' columns in ReplacingMergeTree tables
keyed by the source, plus the ledger, versioned like DuckDB's.

Exactly-once without transactions rests on three things here:
- every data row has a key derived from its source (``(run_id, seq)``, ``(run_id, host)``,
  ``(file_id, offset, reason)``): a replayed batch writes the same keys and collapses;
- rows that change (a run's status and totals, an amended result, a recap) are new
  versions (``ver``), and readers take the latest (``FINAL``);
- ``ledger``: one row per committed batch (node, input, pass, offset, the input's
  cumulative counters), written after the batch's data with an
  ``insert_deduplication_token``; ``counters`` holds per-run counter increments, which
  count only once a ledger row covers the batch that wrote them.

Migrations are idempotent statements (``IF NOT EXISTS``), so two nodes starting at once
may both run them.
"""

from __future__ import annotations

from ansiscope.store.clickhouse.ledger_keys import SEP

TS = "DateTime64(6, 'UTC')"
N_TS = f"Nullable({TS})"
LC = "LowCardinality(Nullable(String))"
S = "Nullable(String)"
I32, I64, F64, B = "Nullable(Int32)", "Nullable(Int64)", "Nullable(Float64)", "Nullable(Bool)"
RECAP = ", ".join(
    f"{k} {I64}"
    for k in ("ok", "changed", "unreachable", "failures", "skipped", "rescued", "ignored")
)
DEDUP = "non_replicated_deduplication_window = 10000"

MIGRATIONS: list[list[str]] = [
    # version 1
    [
        f"""CREATE TABLE IF NOT EXISTS runs (
            run_id String, file_id {S}, source {S}, format {LC}, playbook {S},
            clock {LC}, ansible_version {LC}, check_mode {B}, controller {S}, user_name {S},
            started_at {N_TS}, ended_at {N_TS}, duration_s {F64},
            status LowCardinality(String), hosts_total {I32}, tasks_total {I32},
            results_total {I64}, {RECAP}, labels {S}, ingested_at {N_TS}, ver UInt64
        ) ENGINE = ReplacingMergeTree(ver) ORDER BY run_id""",
        f"""CREATE TABLE IF NOT EXISTS plays (
            run_id String, seq Int64, play_id {S}, name {S}, path {S}, started_at {N_TS},
            batch {I32}
        ) ENGINE = ReplacingMergeTree ORDER BY (run_id, seq)""",
        f"""CREATE TABLE IF NOT EXISTS tasks (
            run_id String, seq Int64, play_id {S}, task_id {S}, name {S}, role {S}, path {S},
            handler {B}, started_at {N_TS}, action {LC}
        ) ENGINE = ReplacingMergeTree ORDER BY (run_id, seq)""",
        f"""CREATE TABLE IF NOT EXISTS results (
            run_id String, seq Int64, play_id {S}, task_id {S}, task_name {S}, host {LC},
            status {LC}, changed {B}, started_at {N_TS}, ended_at {N_TS}, duration_s {F64},
            action {LC}, items_total {I32}, items_failed {I32}, attempts {I32}, rc {I32},
            delta_s {F64}, msg {S}, delegated_to {S}, no_log {B}, ver UInt64
        ) ENGINE = ReplacingMergeTree(ver) ORDER BY (run_id, seq)""",
        f"""CREATE TABLE IF NOT EXISTS host_stats (
            run_id String, host LowCardinality(String), {RECAP}, recap_at {N_TS}, seq {I64},
            ver UInt64
        ) ENGINE = ReplacingMergeTree(ver) ORDER BY (run_id, host)""",
        f"""CREATE TABLE IF NOT EXISTS task_timings (
            run_id String, seq Int64, task_id {S}, started_at {N_TS}, ended_at {N_TS},
            duration_s {F64}
        ) ENGINE = ReplacingMergeTree ORDER BY (run_id, seq)""",
        f"""CREATE TABLE IF NOT EXISTS notes (
            run_id String, seq Int64, kind LowCardinality(String), play_id {S}, task_id {S},
            text {S}, hosts Array(String)
        ) ENGINE = ReplacingMergeTree ORDER BY (run_id, seq)""",
        f"""CREATE TABLE IF NOT EXISTS quarantine (
            file_id String, path {S}, offset_bytes Int64, line {I64}, reason String,
            snippet {S}, quarantined_at {N_TS}
        ) ENGINE = ReplacingMergeTree ORDER BY (file_id, offset_bytes, reason)""",
        f"""CREATE TABLE IF NOT EXISTS ledger (
            node LowCardinality(String), file_id String, pass UInt32, path String,
            source_name String, fingerprint String, generation Int32,
            format LowCardinality(String), offset_bytes Int64, lines Int64,
            state LowCardinality(String), inode {I64}, head_len Int64, head_hash String,
            counts Map(String, Float64), updated_at {TS}, ver UInt64
        ) ENGINE = ReplacingMergeTree(ver) ORDER BY (node, file_id, pass)
        SETTINGS {DEDUP}""",
        f"""CREATE TABLE IF NOT EXISTS counts (
            scope String, metric LowCardinality(String), playbook String,
            label LowCardinality(String), value Float64, file_id String, pass UInt32,
            ledger_ver UInt64
        ) ENGINE = ReplacingMergeTree ORDER BY (scope, metric, playbook, label)
        SETTINGS {DEDUP}""",
    ],
    # version 2 (as DuckDB's): the playbook's path as the log gave it, the invocation
    # record and the run's shape (the gate's partition)
    [
        f"ALTER TABLE runs ADD COLUMN IF NOT EXISTS playbook_path {S}",
        f"ALTER TABLE runs ADD COLUMN IF NOT EXISTS invocation {S}",
        "ALTER TABLE runs ADD COLUMN IF NOT EXISTS shape String DEFAULT ''",
    ],
    # version 3 (as DuckDB's): a column per kind of counter label, where ``label`` meant
    # a status, a format or a bucket by metric and ``ingest_errors:<format>`` carried the
    # format in the metric's name: ``counters`` replaces ``counts`` (a sorting key cannot
    # change in place; ``counts`` is left behind, unread), and the ledger's keys hold the
    # same fields (``ledger_keys``). Nodes still on version 2 must stop before the upgrade:
    # what they write to ``counts`` afterwards is not read.
    [
        f"""CREATE TABLE IF NOT EXISTS counters (
            scope String, metric LowCardinality(String), playbook String,
            source LowCardinality(String), status LowCardinality(String),
            reason LowCardinality(String), le LowCardinality(String), value Float64,
            file_id String, pass UInt32, ledger_ver UInt64
        ) ENGINE = ReplacingMergeTree
        ORDER BY (scope, metric, playbook, source, status, reason, le)
        SETTINGS {DEDUP}""",
        # copied once: not when another node has migrated (and maybe counted) already
        """INSERT INTO counters
        SELECT scope, if(errors, 'ingest_errors', metric), playbook,
            multiIf(errors, substring(metric, 15),
                    metric IN ('ingested_events', 'truncations'), label, ''),
            if(metric = 'task_results', label, ''), if(errors, label, ''),
            if(metric = 'run_duration_bucket', label, ''), value, file_id, pass, ledger_ver
        FROM (SELECT *, startsWith(metric, 'ingest_errors:') AS errors FROM counts FINAL)
        WHERE (SELECT count() FROM counters) = 0
        SETTINGS insert_deduplication_token = 'schema-3-counters'""",
        # keys of three fields (metric, playbook, label) become keys of six
        f"""ALTER TABLE ledger UPDATE counts = mapApply((k, v) -> (if(
            length(splitByChar({SEP!r}, k)) != 3, k, arrayStringConcat(if(
                startsWith(splitByChar({SEP!r}, k)[1], 'ingest_errors:'),
                ['ingest_errors', splitByChar({SEP!r}, k)[2],
                 substring(splitByChar({SEP!r}, k)[1], 15), '',
                 splitByChar({SEP!r}, k)[3], ''],
                [splitByChar({SEP!r}, k)[1], splitByChar({SEP!r}, k)[2],
                 splitByChar({SEP!r}, k)[3], '', '', '']), {SEP!r})), v), counts)
        WHERE arrayExists(k -> length(splitByChar({SEP!r}, k)) = 3, mapKeys(counts))
        SETTINGS mutations_sync = 2""",
    ],
    # version 4 (as DuckDB's): the project roots runs taught (``store.naming``). Nothing
    # to learn yet: the first run that teaches a root renames the runs stored before it.
    [
        f"""CREATE TABLE IF NOT EXISTS project_roots (root String, learned_at {TS})
        ENGINE = ReplacingMergeTree ORDER BY root""",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)

META = """CREATE TABLE IF NOT EXISTS meta (key String, value String, ver UInt64)
ENGINE = ReplacingMergeTree(ver) ORDER BY key"""

# The tables holding a run's rows (retention deletes from each).
RUN_TABLES = ("results", "plays", "tasks", "host_stats", "task_timings", "notes")
