"""Query results as the same pandas DataFrames the DuckDB backend returns.

DuckDB's conversion decides dtypes from the data (an integer column with a NULL is
``Int64``, without one ``int64``; strings are ``str``; timestamps
``datetime64[us, UTC]``), and analytics and pages are written against it. So results
come from ClickHouse as Arrow and go through that same conversion: the frames are equal
by construction, not by a table of special cases.
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
    import duckdb

    data = plain(db.arrow(sql, params))
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.from_arrow(data).df()
    finally:
        con.close()
