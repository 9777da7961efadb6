"""Learned project roots in ClickHouse (``store.naming``): the ``project_roots`` table,
and the runs a newly learned root renames.

Without transactions, a rename is made safe to repeat, like a batch (``writer``):
1. each counted run's counters (``counters`` under ``run:<id>``) move: one insert holds,
   for each of its rows under the old name, the same key at zero (it replaces the old
   row: no version, so the last inserted wins under FINAL) and the row under the new
   name, with the old row's input, pass and ledger position, so it counts exactly when
   the old one did. Rows already at zero are moved already: a repeat moves nothing;
2. each run's row gets a new version under the new name whose ``ver`` is one above the
   stored one, so it wins over every version written before;
3. the root is recorded last: a crash before leaves it unknown, and the next run that
   teaches it renames again (what step 1 and 2 did already, they do not redo).
Every version of a run row the writer writes after that is named with the roots known
then (``writer``), so a later replay of an old input cannot bring the old name back.
A run deleted by retention before its root was learned is not renamed: its counts stay
under the name it had.

A writer reads the roots when a batch starts runs (and when it opens). With several
nodes, a run another node stores between this node's scan for runs to rename and its
recording of the root can keep its file name: there is no transaction to close that
window (a few milliseconds); the next root learned under the same project does not
revisit it. Counters are moved at write time, not mapped when read, so ``/metrics``
stays one FINAL query and a run's counts never go back to the old name when retention
deletes the run.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ansiscope.store.clickhouse import runstate
from ansiscope.store.clickhouse.connection import Db
from ansiscope.store.naming import renames, stored_name, taught_root
from ansiscope.store.rows import STR, TS


def known(db: Db) -> set[str]:
    """The roots the store has learned."""
    return {row[0] for row in db.rows("SELECT root FROM project_roots")}


def learn(db: Db, taught: set[str], skip: Collection[str] = ()) -> set[str]:
    """Record the roots in ``taught`` not known yet, first renaming the stored runs they
    name differently (but not the rows of the runs in ``skip``: the batch being written
    writes them, named); returns every known root."""
    roots = known(db)
    new = sorted(taught - roots)
    if not new:
        return roots
    roots |= set(new)
    rows = db.rows(
        "SELECT run_id, playbook, playbook_path, ver FROM runs WHERE "
        "arrayExists(r -> startsWith(ifNull(playbook_path, ''), r), {roots:Array(String)})",
        {"roots": [root + "/" for root in new]},
    )
    renamed = renames([row[:3] for row in rows], roots)
    if renamed:
        _move_counters(db, renamed)
        vers = {row[0]: int(row[3]) for row in rows}
        _rename_runs(db, {i: new for i, _, new in renamed if i not in skip}, vers)
    now = datetime.now(UTC)
    db.insert(
        "project_roots",
        pa.table(
            {
                "root": pa.array(new, type=STR),
                "learned_at": pa.array([now] * len(new), type=TS),
            }
        ),
    )
    return roots


def learn_from_stored(db: Db) -> None:
    """Schema version 4 in a store that has runs: the roots its runs taught (a name
    relative to the project beside the absolute path, as the callback's header gives
    them), learned as a new run would teach them, so both names merge now."""
    rows = db.rows(
        "SELECT DISTINCT playbook, playbook_path FROM runs "
        "WHERE position(ifNull(playbook, ''), '/') > 0 "
        "AND startsWith(ifNull(playbook_path, ''), '/')"
    )
    learn(db, {root for name, path in rows if (root := taught_root(name, path, None))})


def _move_counters(db: Db, renamed: list[tuple[str, str, str]]) -> None:
    names = {f"run:{run_id}": (old, new) for run_id, old, new in renamed}
    stored = db.arrow(
        "SELECT * FROM counters WHERE scope IN {s:Array(String)} AND value != 0",
        {"s": sorted(names)},
    )
    moved: list[dict[str, Any]] = []
    for row in stored.to_pylist():
        old, new = names[row["scope"]]
        if row["playbook"] == old:
            moved += [{**row, "value": 0.0}, {**row, "playbook": new}]
    if moved:
        db.insert("counters", pa.Table.from_pylist(moved, schema=stored.schema))


def _rename_runs(db: Db, names: dict[str, str], vers: dict[str, int]) -> None:
    rows = list(runstate.current(db, set(names)).values())
    if not rows:
        return
    for row in rows:
        row["playbook"] = names[row["run_id"]]
    db.insert("runs", runstate.runs_table(rows, [vers[row["run_id"]] + 1 for row in rows]))


def name(runs: dict[str, dict[str, Any]], roots: Collection[str]) -> None:
    """Name the run rows a batch writes with the learned roots."""
    for row in runs.values():
        row["playbook"] = stored_name(row["playbook"], row["playbook_path"], roots)
