"""The compiled column reader gives the same Arrow table as the generic one."""

from __future__ import annotations

import pyarrow as pa

from ansiscope.parser import open_input
from ansiscope.parser.columns import PLAIN, REPEATING, result_columns
from ansiscope.parser.events import HostResult
from ansiscope.store.rows import RESULT_COLUMNS, columns_table, table
from tests.conftest import sample_paths


def test_result_table_equals_the_generic_table_for_every_sample() -> None:
    results: list[HostResult] = []
    for path in sample_paths():
        with open_input(str(path)) as source:
            results += [e for e in source.events if isinstance(e, HostResult)]
    assert any(r.started_at is None for r in results)  # text without timestamps
    assert any(r.started_at is not None for r in results)
    fast, generic = columns_table(result_columns(results)), table(results, RESULT_COLUMNS)
    assert fast.column_names == generic.column_names
    assert sorted(REPEATING + PLAIN) == sorted(RESULT_COLUMNS)
    for name in fast.column_names:
        kind = fast.schema.field(name).type
        if name in REPEATING:
            assert pa.types.is_dictionary(kind) and kind.value_type == RESULT_COLUMNS[name]
        else:
            assert kind == generic.schema.field(name).type
    assert fast.to_pylist() == generic.to_pylist()
    assert fast.num_rows == len(results) > 1000
