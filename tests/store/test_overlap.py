"""Commits that overlap the next batch's parse (``BatchWriter.overlaps``): in order, one
at a time, each with the offset its batch ended at, and a failed one surfaces."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from ansiscope.ingest import feeds
from ansiscope.ingest.ingester import Ingester
from ansiscope.store import Store, batch
from tests.conftest import SAMPLES

LOG = SAMPLES / "jsonl" / "loops-2.19.jsonl"


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "BATCH_RESULTS", 40)
    monkeypatch.setattr(batch, "BATCH_EVENTS", 15)
    monkeypatch.setattr(feeds, "FEED_LINES", 8)


class Boom(Exception):
    """A commit failing (the store went away)."""


def _watched(ingester: Ingester, fail_at: int | None = None) -> list[tuple[str, int, bool]]:
    """Record each commit (its thread, its record's offset, whether another was running)."""
    seen: list[tuple[str, int, bool]] = []
    running = threading.Lock()
    commit = ingester.writer.commit

    def watched(record: Any, events: Any) -> Any:
        overlapped = not running.acquire(blocking=False)
        try:
            seen.append((threading.current_thread().name, record.offset, overlapped))
            if fail_at is not None and len(seen) == fail_at:
                raise Boom
            return commit(record, events)
        finally:
            if not overlapped:
                running.release()

    ingester.writer.commit = watched  # type: ignore[method-assign]
    return seen


def test_commits_run_in_order_one_at_a_time(new_store: Callable[[str], Store]) -> None:
    store = new_store("overlap")
    ingester = Ingester(store)
    seen = _watched(ingester)
    assert ingester.backfill(LOG)
    offsets = [offset for _, offset, _ in seen]
    assert len(seen) >= 5
    assert offsets == sorted(offsets)
    assert offsets[-1] == LOG.stat().st_size
    assert not any(overlapped for _, _, overlapped in seen)
    threads = {name for name, _, _ in seen[:-1]}  # (the last: finalize, on the caller)
    on_caller = threading.current_thread().name
    assert threads == ({"ansiscope-commit_0"} if ingester.writer.overlaps else {on_caller})
    assert store.run_count() >= 1
    assert _counted(store) == _counted(_clean(new_store))


def test_a_failed_commit_surfaces_and_the_rest_follows_on_restart(
    new_store: Callable[[str], Store],
) -> None:
    store = new_store("overlap_fail")
    ingester = Ingester(store)
    seen = _watched(ingester, fail_at=4)
    with pytest.raises(Boom):
        ingester.backfill(LOG)
    assert len(seen) == 4  # nothing committed after the failure
    assert Ingester(store).backfill(LOG)  # a restart goes on from the last commit
    assert _counted(store) == _counted(_clean(new_store))


def _clean(new_store: Callable[[str], Store]) -> Store:
    """The log stored by one plain backfill."""
    store = new_store("clean")
    assert Ingester(store).backfill(LOG)
    return store


def _counted(store: Store) -> dict[tuple[str, str | None], float]:
    """Runs, events and results by status as the counters (``/metrics``) give them."""
    out: dict[tuple[str, str | None], float] = {}
    for key, value in store.counters():
        if key.metric in ("runs", "ingested_events", "task_results"):
            out[(key.metric, key.status)] = out.get((key.metric, key.status), 0.0) + value
    return out
