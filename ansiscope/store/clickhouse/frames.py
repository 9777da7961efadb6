"""Query results as the same pandas DataFrames the DuckDB backend returns.

DuckDB's conversion decides dtypes from the data (an integer column with a NULL is
``Int64``, without one ``int64``; strings are ``str``; timestamps
``datetime64[us, UTC]``), and analytics and pages are written against it. So results
come from ClickHouse as Arrow and go through that same conversion: the frames are equal
by construction, not by a table of special cases.

Except where pyarrow's own conversion is known to give the same column (strings
holding a value, floats, timestamps, integers and booleans without a NULL): those
columns skip DuckDB, which builds a Python object per string (120-190 ms for the
gate's 122,000 host rows, against 3 ms). ``tests/store/clickhouse/test_frames.py``
holds the two conversions equal for every type and NULL pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ansiscope.store.clickhouse.connection import Db

if TYPE_CHECKING:
    import pandas as pd


def plain(table: pa.Table) -> pa.Table:
    """Dictionary (LowCardinality) columns as plain values."""
    columns = [
        c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def frame(db: Db, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """The result of ``sql`` as a DataFrame converted the way DuckDB converts it."""
    return to_frame(plain(db.arrow(sql, params)))


def _direct(column: pa.ChunkedArray) -> bool:
    """Whether pyarrow converts ``column`` exactly as DuckDB does."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return bool(column.null_count < len(column))  # all NULL: DuckDB gives objects (None)
    if pa.types.is_floating(kind) or pa.types.is_timestamp(kind):
        return True
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return bool(column.null_count == 0)  # with a NULL: DuckDB's masked Int64/boolean
    return False


def to_frame(data: pa.Table) -> pd.DataFrame:
    """``data`` as DuckDB's ``.df()`` would convert it."""
    direct = [
        name for name, col in zip(data.column_names, data.columns, strict=True) if _direct(col)
    ]
    if len(direct) == data.num_columns and data.num_rows:
        return data.to_pandas()
    if not direct or not data.num_rows:
        return _duckdb_frame(data)
    out = data.select(direct).to_pandas()
    rest = _duckdb_frame(data.drop_columns(direct))
    for name in rest.columns:
        out[name] = rest[name]
    return out[data.column_names]


def _duckdb_frame(data: pa.Table) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.from_arrow(data).df()
    finally:
        con.close()
