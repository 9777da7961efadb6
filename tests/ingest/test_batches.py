"""A feed's transactions are bounded by results, events and message text, and lose nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansiscope.ingest import feeds, ingester
from ansiscope.ingest.feeds import LineFeed
from ansiscope.parser import open_input
from ansiscope.parser.events import HostResult
from ansiscope.store import batch as staging
from ansiscope.store.records import FileRecord
from tests.conftest import SAMPLES

SAMPLE = SAMPLES / "jsonl" / "site-2.19.jsonl"  # failures and skips: results with messages


def _key(e: object) -> str:
    return f"{e.kind}{e.seq}{e.run_id}"  # type: ignore[attr-defined]


def _batches(path: Path) -> list[list[str]]:
    """What each transaction would hold, as the ingester fills them."""
    feed = LineFeed(FileRecord("f", str(path), path.name, "x", 0, "jsonl"))
    out = []
    while True:
        batch = staging.Batch()
        more = ingester._fill(batch, feed, final=True)
        table = batch.result_table()
        rows = table.to_pylist() if table is not None else []
        results = [f"host_result{r['seq']}{r['run_id']}" for r in rows]
        out.append(sorted(results + [_key(e) for e in batch.events]))
        if not more:
            out.append(sorted(_key(e) for e in feed.finish()))
            return out


def _whole(path: Path) -> list[str]:
    with open_input(str(path)) as source:
        return sorted(_key(e) for e in source.events)


@pytest.mark.parametrize("limit", ["BATCH_TEXT", "BATCH_EVENTS", "BATCH_RESULTS"])
def test_small_budgets_split_the_input_and_lose_nothing(
    monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    with open_input(str(SAMPLE)) as source:
        assert any(isinstance(e, HostResult) and e.msg for e in source.events)
    whole = _whole(SAMPLE)
    assert len(_batches(SAMPLE)) == 2  # one batch (and the end) by default
    monkeypatch.setattr(staging, limit, 1)
    monkeypatch.setattr(staging, "CHUNK_RESULTS", 1)  # results counted as they come
    monkeypatch.setattr(feeds, "FEED_LINES", 1)  # read a line at a time
    batches = _batches(SAMPLE)
    assert len(batches) > 3
    assert sorted(e for batch in batches for e in batch) == whole


def test_a_batch_converts_results_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staging, "CHUNK_RESULTS", 5)
    with open_input(str(SAMPLE)) as source:
        events = list(source.events)
    results = [e for e in events if isinstance(e, HostResult)]
    batch = staging.Batch()
    for event in events:
        batch.add([event])
    assert len(batch.tables) == len(results) // 5  # converted as they came
    assert len(batch.pending) == len(results) % 5
    table = batch.result_table()
    assert table is not None and not batch.pending
    assert table.column("seq").to_pylist() == [r.seq for r in results]
    assert table.column("msg").to_pylist() == [r.msg for r in results]
    assert batch.results == len(results) and len(batch) == len(events)
    assert batch.text == sum(len(r.msg) for r in results if r.msg)


def test_progress_is_reported_as_the_input_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ansiscope.store import open_store

    monkeypatch.setattr(feeds, "FEED_LINES", 10)
    store = open_store(tmp_path / "s.duckdb")
    ingest = ingester.Ingester(store)
    seen: list[int] = []
    ingest.on_progress = lambda record: seen.append(record.offset)
    assert ingest.backfill(SAMPLE)
    lines = SAMPLE.read_bytes().count(b"\n")
    assert len(seen) >= lines // 10  # every 10 lines, within the one transaction
    assert seen == sorted(seen) and seen[-1] == SAMPLE.stat().st_size
    store.close()


def test_a_stop_ends_the_batch_being_read_and_the_rest_follows_later(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A SIGTERM mid-batch stores what was read (with its offset) instead of reading
    on to the batch's end; the next start goes on from there, nothing lost or doubled."""
    import threading

    from tests.ingest.helpers import expected_results, open_duckdb, stored_results

    monkeypatch.setattr(feeds, "FEED_LINES", 10)
    store = open_duckdb(tmp_path / "s.duckdb")
    ingest = ingester.Ingester(store)
    stop = threading.Event()
    ingest.on_progress = lambda record: stop.set()  # asked to stop after the first chunk
    feed = ingest.track(SAMPLE)
    assert feed is not None
    ingest.pump(feed, stop=stop)
    offset = store.con.execute("SELECT offset_bytes FROM files").fetchone()
    assert offset is not None and 0 < offset[0] < SAMPLE.stat().st_size
    assert 0 < sum(stored_results(store).values()) < sum(expected_results(SAMPLE).values())
    store.close()
    store = open_duckdb(tmp_path / "s.duckdb")  # the next start
    assert ingester.Ingester(store).backfill(SAMPLE)
    assert stored_results(store) == expected_results(SAMPLE)
    store.close()
