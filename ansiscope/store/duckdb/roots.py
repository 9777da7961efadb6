"""Learned project roots in DuckDB (``store.naming``): the ``project_roots`` table, and
the runs a newly learned root renames, in the ingest transaction.

Renaming a run that was counted moves its counter increments from the old name to the
new one (subtracted, then added: the merged counter is the sum of the two, and a
counter left at zero is dropped), recomputed from the run's row and its results as
``run_updates`` counted them. A run deleted by retention before its root was learned
is not there to rename: its counts stay under the name it had.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from ansiscope.store.counters import Increment, run_increments
from ansiscope.store.duckdb.load import scan
from ansiscope.store.duckdb.run_updates import add_counters
from ansiscope.store.naming import renames, taught_root
from ansiscope.store.rows import STR

# a counter this close to zero after its runs moved away is gone (float sums of
# durations, subtracted, leave rounding dust)
EMPTY = 1e-9


def known(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The roots the store has learned."""
    return {row[0] for row in con.execute("SELECT root FROM project_roots").fetchall()}


def learn(con: duckdb.DuckDBPyConnection, taught: set[str]) -> set[str]:
    """Record the roots in ``taught`` not known yet, rename the stored runs they name
    differently and move their counts; returns every known root."""
    roots = known(con)
    new = sorted(taught - roots)
    if not new:
        return roots
    roots = roots | set(new)
    con.executemany(
        "INSERT INTO project_roots VALUES (?, ?) ON CONFLICT DO NOTHING",
        [[root, datetime.now(UTC)] for root in new],
    )
    under = " OR ".join(["starts_with(playbook_path, ?)"] * len(new))
    rows = con.execute(
        f"SELECT run_id, playbook, playbook_path FROM runs WHERE {under}",
        [root + "/" for root in new],
    ).fetchall()
    renamed = renames(rows, roots)
    if not renamed:
        return roots
    data = pa.table(
        {
            "run_id": pa.array([r[0] for r in renamed], type=STR),
            "playbook": pa.array([r[2] for r in renamed], type=STR),
        }
    )
    with scan(con, "_renamed", data):
        updated = con.execute(
            "UPDATE runs SET playbook = r.playbook FROM _renamed r WHERE runs.run_id = r.run_id "
            "RETURNING runs.run_id, runs.counted, runs.status, runs.duration_s"
        ).fetchall()
    counted = [(run_id, status, duration) for run_id, done, status, duration in updated if done]
    moves = _moves(con, renamed, counted)
    add_counters(con, moves)
    _drop_empty(con, moves)
    return roots


def learn_from_stored(con: duckdb.DuckDBPyConnection) -> None:
    """Schema version 4 in a store that has runs: the roots its runs taught (a name
    relative to the project beside the absolute path, as the callback's header gives
    them), learned as a new run would teach them, so both names merge now."""
    rows = con.execute(
        "SELECT DISTINCT playbook, playbook_path FROM runs "
        "WHERE contains(playbook, '/') AND starts_with(playbook_path, '/')"
    ).fetchall()
    learn(con, {root for name, path in rows if (root := taught_root(name, path, None))})


def _moves(
    con: duckdb.DuckDBPyConnection,
    renamed: list[tuple[str, str, str]],
    counted: list[tuple[str, str, float | None]],
) -> list[Increment]:
    """The counter increments of the counted runs renamed, taken from the old name and
    given to the new one."""
    if not counted:
        return []
    names = {run_id: (old, new) for run_id, old, new in renamed}
    statuses: dict[str, Counter[str]] = {}
    for run_id, status, n in con.execute(
        "SELECT run_id, status, count(*) FROM results WHERE run_id IN (SELECT unnest(?)) "
        "GROUP BY ALL",
        [[row[0] for row in counted]],
    ).fetchall():
        statuses.setdefault(run_id, Counter())[status] += n
    pairs: dict[tuple[str, str], list[tuple[str, str, str, float | None]]] = {}
    for run_id, status, duration in counted:
        old, new = names[run_id]
        pairs.setdefault((old, new), []).append((run_id, old, status, duration))
    moves: list[Increment] = []
    for (_, new), rows in pairs.items():  # counted once per pair of names
        for key, value in run_increments(rows, statuses):
            moves += [(key, -value), (key._replace(playbook=new), value)]
    return moves


def _drop_empty(con: duckdb.DuckDBPyConnection, moves: list[Increment]) -> None:
    """Drop the counters the moves left at zero (every run of that name renamed)."""
    names = sorted({key.playbook for key, value in moves if value < 0})
    if names:
        con.execute(
            "DELETE FROM counters WHERE playbook IN (SELECT unnest(?)) AND abs(value) < ?",
            [names, EMPTY],
        )
