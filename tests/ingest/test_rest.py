"""A follower at rest: finished inputs are not listed, opened or hashed again unless a
``stat`` signal (or inotify) says they changed; changed ones are still picked up."""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from watchdog.events import FileModifiedEvent

from ansiscope.ingest import ingester as ingester_module
from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.watch import Watcher
from ansiscope.parser import runner
from ansiscope.store.duckdb.store import DuckDBStore
from tests.conftest import SAMPLES
from tests.ingest.helpers import expected_results, stored_results

JSONL = SAMPLES / "jsonl/site-2.19.jsonl"
TWO_RUNS = SAMPLES / "jsonl/two-runs-2.19.jsonl"
RUNNER = SAMPLES / "runner/killed-2.19"


def backdate(*paths: Path) -> None:
    """Old enough that an unchanged mtime is trusted (``signals.SETTLE_NS``)."""
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    logs = tmp_path / "logs"
    (logs / "sub").mkdir(parents=True)
    shutil.copy(JSONL, logs / "sub" / "site.jsonl")
    shutil.copytree(RUNNER, logs / "runner")
    backdate(logs / "sub" / "site.jsonl", logs / "runner" / "job_events", logs / "sub", logs)
    return logs


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts head reads and runner folder listings."""
    counts: Counter[str] = Counter()

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    for name in ("first_line", "head_matches"):
        monkeypatch.setattr(ingester_module, name, counting(name, getattr(ingester_module, name)))
    monkeypatch.setattr(runner, "event_files", counting("event_files", runner.event_files))
    return counts


def test_finished_inputs_are_not_read_again_until_they_change(
    store: DuckDBStore, logs: Path, calls: Counter[str]
) -> None:
    w = Watcher(Ingester(store), [logs], rescan_s=0)  # every step a full rescan
    w.step()
    assert stored_results(store) == expected_results(JSONL, str(logs / "sub" / "site.jsonl")) + (
        expected_results(RUNNER, str(logs / "runner"))
    )
    assert calls["first_line"] >= 2 and calls["event_files"] >= 1
    for feed in list(w.ingester.feeds.values()):
        w.ingester.finalize(feed)  # finished: as after ``ansiscope ingest``
    w.step()  # the feeds' last signals are recorded
    calls.clear()
    listed = w.catalog.listed
    for _ in range(3):
        w.step()
    assert calls == Counter() and w.catalog.listed == listed  # nothing opened, listed, hashed
    target = logs / "sub" / "site.jsonl"
    with target.open("ab") as f:
        f.write(TWO_RUNS.read_bytes())
    w.step()
    assert calls["first_line"] == 1 and w.catalog.listed == listed  # the one that grew
    assert stored_results(store) == expected_results(target) + expected_results(
        RUNNER, str(logs / "runner")
    )


def test_a_new_job_event_is_picked_up(store: DuckDBStore, logs: Path) -> None:
    events = logs / "runner" / "job_events"
    last = max(events.iterdir(), key=lambda p: int(p.name.split("-", 1)[0]))
    held = last.read_bytes()
    last.unlink()
    backdate(events)
    w = Watcher(Ingester(store), [logs], rescan_s=0)
    w.step()
    before = store.con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()
    w.step()
    last.write_bytes(held)  # the folder's mtime moves
    w.step()
    assert before == (1,)
    assert stored_results(store) == expected_results(
        JSONL, str(logs / "sub" / "site.jsonl")
    ) + expected_results(RUNNER, str(logs / "runner"))


def test_inotify_names_what_changed_and_the_rescan_is_the_safety_net(
    store: DuckDBStore, logs: Path, calls: Counter[str]
) -> None:
    w = Watcher(Ingester(store), [logs], rescan_s=3600)
    w.step()
    for feed in list(w.ingester.feeds.values()):
        w.ingester.finalize(feed)
    target = logs / "sub" / "site.jsonl"
    stored = stored_results(store)
    with target.open("ab") as f:
        f.write(TWO_RUNS.read_bytes())
    calls.clear()
    w.step()  # no event, no rescan due: not looked at
    assert calls == Counter() and stored_results(store) == stored
    w.events.on_any_event(FileModifiedEvent(str(target)))
    w.step()
    assert calls["first_line"] == 1  # only the named input
    assert stored_results(store) == expected_results(target) + expected_results(
        RUNNER, str(logs / "runner")
    )
    for feed in list(w.ingester.feeds.values()):
        w.ingester.finalize(feed)
    with target.open("ab") as f:
        f.write((SAMPLES / "jsonl/loops-2.19.jsonl").read_bytes())
    backdate(target)
    w.step()
    assert stored_results(store) != expected_results(target) + expected_results(
        RUNNER, str(logs / "runner")
    )
    w._last_scan = -float("inf")  # the rescan is due (the event was missed)
    w.step()
    w.step()
    assert stored_results(store) == expected_results(target) + expected_results(
        RUNNER, str(logs / "runner")
    )


def test_a_settled_feed_is_not_read_or_hashed(
    store: DuckDBStore, logs: Path, calls: Counter[str]
) -> None:
    ingester = Ingester(store)
    target = logs / "sub" / "site.jsonl"
    feed = ingester.track(target)
    assert feed is not None
    ingester.pump(feed)
    assert feed.seen is not None  # read to its end, mtime old enough to trust
    calls.clear()
    reads = Counter[str]()
    original = feed.read
    feed.read = lambda final=False: reads.update(["read"]) or original(final)  # type: ignore[method-assign]
    ingester.pump(feed)
    assert reads == Counter() and calls == Counter()
    with target.open("ab") as f:
        f.write(TWO_RUNS.read_bytes()[:10])  # a half line: read, and waited for
    ingester.pump(feed)
    assert reads["read"] == 1 and calls["head_matches"] == 1
    assert feed.seen is None  # written just now: too fresh to trust as unchanged


def test_the_rescan_keeps_to_its_share_of_a_core(store: DuckDBStore, logs: Path) -> None:
    """The safety-net rescan's pace follows its cost: at most ``RESCAN_BUDGET`` of a core
    (a folder of 100,000 inputs is not stat-ed every 10 s), never more often than
    ``rescan_s``; ``rescan_s=0`` still rescans on every step."""
    from ansiscope.ingest import watch

    w = Watcher(Ingester(store), [logs], rescan_s=10)
    w.step()  # the first step is a full rescan, and is timed
    assert 0 < w._scan_cost < 10 * watch.RESCAN_BUDGET  # a few inputs: the 10 s pace holds
    assert w._rescan_every() == 10
    w._scan_cost = 0.6  # as 100,000 inputs would take
    assert w._rescan_every() == pytest.approx(0.6 / watch.RESCAN_BUDGET)
    w._last_scan = time.monotonic() - 60  # due at 10 s, not at 120 s
    w.step()
    assert w._scan_cost == 0.6  # no full rescan happened
    always = Watcher(Ingester(store), [logs], rescan_s=0)
    always._scan_cost = 5.0
    assert always._rescan_every() == 0.0
