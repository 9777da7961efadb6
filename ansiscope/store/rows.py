"""Events as Arrow columns: the row layout every backend stores (its column names and types)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ansiscope.parser.columns import ResultColumns
from ansiscope.parser.events import Event

TS = pa.timestamp("us", tz="UTC")
STR, INT, FLOAT, BOOL = pa.string(), pa.int64(), pa.float64(), pa.bool_()

RESULT_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "play_id": STR,
    "task_id": STR,
    "task_name": STR,
    "host": STR,
    "status": STR,
    "changed": BOOL,
    "started_at": TS,
    "ended_at": TS,
    "duration_s": FLOAT,
    "action": STR,
    "items_total": INT,
    "items_failed": INT,
    "attempts": INT,
    "rc": INT,
    "delta_s": FLOAT,
    "msg": STR,
    "delegated_to": STR,
    "no_log": BOOL,
}
PLAY_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "play_id": STR,
    "name": STR,
    "path": STR,
    "started_at": TS,
    "batch": INT,
}
TASK_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "play_id": STR,
    "task_id": STR,
    "name": STR,
    "role": STR,
    "path": STR,
    "handler": BOOL,
    "started_at": TS,
    "action": STR,
}
TIMING_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "task_id": STR,
    "started_at": TS,
    "ended_at": TS,
    "duration_s": FLOAT,
}


def table(events: Sequence[Event], columns: dict[str, pa.DataType]) -> pa.Table:
    """One Arrow column per event attribute named in ``columns``."""
    return pa.table(
        {
            name: (timestamps if kind == TS else _plain(kind))(list(map(attrgetter(name), events)))
            for name, kind in columns.items()
        }
    )


def columns_table(columns: ResultColumns) -> pa.Table:
    """The results table from ``parser.columns.result_columns``: the values of
    ``table(results, RESULT_COLUMNS)``, faster, repeating strings as dictionaries."""
    arrays: dict[str, pa.Array] = {}
    dictionaries, plain = columns.repeating(), columns.plain()
    for name, kind in RESULT_COLUMNS.items():
        repeating = dictionaries.get(name)
        if repeating is not None:
            arrays[name] = pa.DictionaryArray.from_arrays(
                pa.array(repeating.indices, type=pa.int32()), pa.array(repeating.values, type=kind)
            )
        elif kind == TS:
            arrays[name] = seconds_to_timestamps(plain[name])
        else:
            arrays[name] = pa.array(plain[name], type=kind)
    return pa.table(arrays)


def _plain(kind: pa.DataType) -> Callable[[list[Any]], pa.Array]:
    return lambda values: pa.array(values, type=kind)


def timestamps(values: list[datetime | None]) -> pa.Array:
    """Aware datetimes as a UTC timestamp column. pyarrow converts aware datetimes one
    utcoffset() call at a time (~0.9 µs each); going through epoch seconds is 5× faster
    and exact to the microsecond (float64 resolves 0.25 µs at today's epoch)."""
    return seconds_to_timestamps([None if v is None else v.timestamp() for v in values])


def seconds_to_timestamps(values: list[float | None]) -> pa.Array:
    """POSIX seconds as a UTC timestamp column (rounded to the microsecond)."""
    micros = pc.round(pc.multiply(pa.array(values, type=FLOAT), 1e6))
    return micros.cast(pa.int64()).cast(TS)
