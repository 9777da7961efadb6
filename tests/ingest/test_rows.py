"""The compiled column reader gives the same Arrow table as the generic one."""

from __future__ import annotations

from ansiscope.ingest.rows import RESULT_COLUMNS, columns_table, table
from ansiscope.parser import open_input
from ansiscope.parser.columns import result_columns
from ansiscope.parser.events import HostResult
from tests.conftest import sample_paths


def test_result_table_equals_the_generic_table_for_every_sample() -> None:
    results: list[HostResult] = []
    for path in sample_paths():
        with open_input(str(path)) as source:
            results += [e for e in source.events if isinstance(e, HostResult)]
    assert any(r.started_at is None for r in results)  # text without timestamps
    assert any(r.started_at is not None for r in results)
    fast, generic = columns_table(result_columns(results)), table(results, RESULT_COLUMNS)
    assert fast.schema == generic.schema
    assert fast.equals(generic)
    assert fast.num_rows == len(results) > 1000
