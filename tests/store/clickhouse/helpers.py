"""What a ClickHouse store holds, for exactly-once checks (in this process, or printed as
JSON by ``python -m tests.store.clickhouse.helpers URL`` for a chDB path this process
may not open)."""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from ansiscope.parser import open_input
from ansiscope.store import open_store
from ansiscope.store.clickhouse.store import ClickHouseStore
from tests.ingest.helpers import expected_results


def snapshot(url: str) -> dict[str, Any]:
    """Stored results (with duplicates visible), counters, runs and their totals."""
    store = open_store(url, read_only=True)
    assert isinstance(store, ClickHouseStore)
    try:
        results = Counter(
            f"{r[0]}|{r[1]}|{r[2]}|{r[3]}"
            for r in store.db.rows("SELECT run_id, seq, host, status FROM results")
        )
        counters: defaultdict[str, float] = defaultdict(float)
        for key, value in store.counters():
            counters[
                key.metric if key.metric != "task_results" else f"task_results:{key.status}"
            ] += value
        wrong = store.db.rows(
            """SELECT r.run_id FROM runs r LEFT JOIN
               (SELECT run_id, count() AS n FROM results GROUP BY run_id) x ON x.run_id = r.run_id
               WHERE r.status != 'running' AND r.results_total != ifNull(x.n, 0)"""
        )
        runs = store.db.rows("SELECT count(), uniqExact(run_id) FROM runs")[0]
        return {
            "results": dict(results),
            "counters": dict(counters),
            "runs": list(runs),
            "wrong_totals": [r[0] for r in wrong],
        }
    finally:
        store.close()


def expected(paths: list[Path]) -> dict[str, Any]:
    """What storing ``paths`` once each must give."""
    results: Counter[str] = Counter()
    events = 0
    for path in paths:
        results.update(f"{r}|{s}|{h}|{st}" for (r, s, h, st) in expected_results(path))
        with open_input(str(path)) as inp:
            events += sum(1 for _ in inp.events)
    statuses: Counter[str] = Counter()
    for key, n in results.items():
        statuses[f"task_results:{key.rsplit('|', 1)[1]}"] += n
    return {"results": dict(results), "events": events, "statuses": dict(statuses)}


def assert_exact(got: dict[str, Any], want: dict[str, Any], runs: int) -> None:
    """Nothing lost, nothing doubled, counters included."""
    stored, wanted = Counter(got["results"]), Counter(want["results"])
    assert sum(stored.values()) == sum(wanted.values()) > 0
    assert stored - wanted == Counter(), "stored twice or never in the input"
    assert wanted - stored == Counter(), "lost"
    assert got["runs"] == [runs, runs]
    assert got["wrong_totals"] == []
    counters = got["counters"]
    assert counters["ingested_events"] == want["events"]
    assert counters["runs"] == runs
    statuses = {k: v for k, v in counters.items() if k.startswith("task_results:")}
    assert statuses == want["statuses"], (statuses, want["statuses"])


if __name__ == "__main__":
    print(json.dumps(snapshot(sys.argv[1])))
