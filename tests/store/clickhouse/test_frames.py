"""ClickHouse results convert to the DataFrames DuckDB would give: pyarrow's fast path is
taken only for columns where the two conversions agree."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from ansiscope.store.clickhouse.frames import _duckdb_frame, plain, to_frame

UTC = dt.UTC
WHEN = dt.datetime(2026, 12, 4, 18, 0, tzinfo=UTC)

# each type with (values without NULL, values with a NULL, all NULL)
TYPES: dict[str, tuple[pa.DataType, list, list, list]] = {
    "string": (pa.string(), ["a", "b"], ["a", None], [None, None]),
    "large_string": (pa.large_string(), ["a", "b"], [None, "b"], [None, None]),
    "float": (pa.float64(), [1.5, 2.0], [1.5, None], [None, None]),
    "int64": (pa.int64(), [1, 2], [1, None], [None, None]),
    "int32": (pa.int32(), [1, 2], [None, 2], [None, None]),
    "uint64": (pa.uint64(), [1, 2], [1, None], [None, None]),
    "uint8": (pa.uint8(), [1, 2], [1, None], [None, None]),
    "bool": (pa.bool_(), [True, False], [True, None], [None, None]),
    "timestamp": (pa.timestamp("us", tz="UTC"), [WHEN, WHEN], [WHEN, None], [None, None]),
    "list": (pa.list_(pa.string()), [["a"], []], [["a"], None], [None, None]),
    "map": (pa.map_(pa.string(), pa.float64()), [[("a", 1.0)], []], [None, []], [None, None]),
}


def _table(rows: int) -> pa.Table:
    columns = {}
    for name, (kind, full, some, none) in TYPES.items():
        for pattern, values in (("full", full), ("some", some), ("none", none)):
            columns[f"{name}_{pattern}"] = pa.array(values[:rows], type=kind)
    return pa.table(columns)


@pytest.mark.parametrize("rows", [2, 1, 0])
def test_every_type_and_null_pattern_converts_as_duckdb_does(rows: int) -> None:
    data = _table(rows)
    fast, slow = to_frame(data), _duckdb_frame(data)
    assert list(fast.columns) == list(data.column_names)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    # the fast path was taken where it could be (not everything through DuckDB)
    if rows:
        assert str(fast["string_full"].dtype) == str(slow["string_full"].dtype)


def test_dictionary_columns_convert_as_their_values() -> None:
    data = pa.table({"host": pa.array(["a", "b", "a"]).dictionary_encode(), "n": [1, 2, 3]})
    pd.testing.assert_frame_equal(to_frame(plain(data)), _duckdb_frame(plain(data)))
    assert list(to_frame(plain(data))["host"]) == ["a", "b", "a"]
