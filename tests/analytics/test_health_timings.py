"""Health, flaky tasks, host health, task percentiles with change points, critical path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ansiscope.analytics.health import flaky_tasks, host_health, playbook_health, recovery_times
from ansiscope.analytics.timings import critical_path, straggler_savings, task_stats
from ansiscope.store.duckdb.store import DuckDBStore
from tests.analytics.history import write_run
from tests.conftest import SAMPLES, runs_of
from tests.ingest.helpers import ingest, open_duckdb


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(30):
        slower = {"Build the release": 2.0} if i >= 20 else None
        fail = {"Check the banner"} if i in (5, 12, 13) else None
        write_run(logs, i, slower=slower, fail=fail)
    store = open_duckdb(tmp_path / "h.duckdb")
    ingest(store, *sorted(logs.iterdir()))
    yield store
    store.close()


def test_playbook_health(store: DuckDBStore) -> None:
    now = datetime(2026, 11, 2, 6, tzinfo=UTC)  # runs are hourly from 2026-11-01 00:00
    (row,) = playbook_health(store, now=now).to_dict("records")
    assert row["playbook"] == "deploy.yml" and row["runs"] == 30
    assert row["last_status"] == "successful"
    assert row["success_rate_30d"] == pytest.approx(27 / 30)
    assert row["runs_1d"] == 24  # the last 24 hours hold 24 of the hourly runs
    assert row["recoveries"] == 2
    assert row["mttr_s"] == pytest.approx((3600 + 7200) / 2)  # 5→6 and 12→14
    assert row["meets_success_target"] is False  # 90% < 99%
    assert row["meets_mttr_target"] is False  # 1.5 h > 1 h


def test_recovery_times_order() -> None:
    import pandas as pd

    t = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=10 * i) for i in range(5)]
    frame = pd.DataFrame(
        {"status": ["successful", "failed", "failed", "successful", "failed"], "started_at": t}
    )
    assert recovery_times(frame) == [1200.0]


def test_flaky_and_host_health(store: DuckDBStore) -> None:
    flaky = flaky_tasks(store, "deploy")
    assert list(flaky["task"]) == ["Check the banner"]
    assert flaky.iloc[0]["failures"] == 3 and flaky.iloc[0]["flips"] == 2
    hosts = host_health(store).set_index("host")
    assert hosts.loc["h2", "failure_rate"] == pytest.approx(3 / 30)
    assert hosts.loc["h1", "failure_rate"] == 0 and hosts.loc["h1", "runs"] == 30


def test_task_stats_and_change_points(store: DuckDBStore) -> None:
    stats = task_stats(store, "deploy.yml")
    assert list(stats["task"]) == ["Build the release", "Restart the service", "Check the banner"]
    build = stats.iloc[0]
    assert 10 <= build["p50_s"] <= 20.5 and build["p95_s"] >= 19.5 and build["runs"] == 30
    (cp,) = build["change_points"]
    assert abs(cp["index"] - 20) <= 1 and cp["after_s"] == pytest.approx(
        2 * cp["before_s"], rel=0.1
    )
    assert stats.iloc[1]["change_points"] == []
    assert 0 < build["share"] < 1


def test_critical_path_names_the_straggler() -> None:
    run = runs_of(SAMPLES / "jsonl/site-2.19.jsonl")[0]
    path = critical_path(run)
    assert {"play", "task", "wall_s", "straggler", "waited_s", "retry_lost_s"} <= set(path.columns)
    assert (path["waited_s"] >= 0).all() and path["waited_s"].is_monotonic_decreasing
    assert path.iloc[0]["straggler"] in run.hosts
    savings = straggler_savings(run)
    assert sum(savings.values()) == pytest.approx(path["waited_s"].sum())
