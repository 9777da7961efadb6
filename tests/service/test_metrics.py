"""The metrics collector on its own registry, an exact exposition, and promtool."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from ansiscope.exporters.metrics import Findings, StoreCollector, playbook_label
from ansiscope.store import Store, open_store
from ansiscope.store.duckdb.store import DuckDBStore
from tests.analytics.history import write_run
from tests.conftest import sample_paths
from tests.ingest.helpers import ingest, open_duckdb


@pytest.fixture
def samples_store(tmp_path: Path) -> Iterator[DuckDBStore]:
    store = open_duckdb(tmp_path / "m.duckdb")
    ingest(store, *sample_paths())
    yield store
    store.close()


def registry(store: Store, top_n: int = 100) -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(StoreCollector(store.reader, top_n=top_n))
    return reg


def test_counts_match_the_store(samples_store: DuckDBStore) -> None:
    reg = registry(samples_store)
    per_playbook = samples_store.con.execute(
        "SELECT coalesce(playbook, ''), count(*), count(*) FILTER (WHERE status IN ('failed', 'unreachable')) "
        "FROM runs WHERE status <> 'running' GROUP BY 1"
    ).fetchall()
    merged: dict[str, list[int]] = {}
    for playbook, runs, failed in per_playbook:
        m = merged.setdefault(playbook_label(playbook), [0, 0])
        m[0] += runs
        m[1] += failed
    for label, (runs, failed) in merged.items():
        assert reg.get_sample_value("ansible_playbook_runs_total", {"playbook": label}) == runs
        assert (
            reg.get_sample_value("ansible_playbook_runs_failed_total", {"playbook": label}) or 0
        ) == failed
    changed = samples_store.con.execute(
        "SELECT coalesce(r.playbook, ''), count(*) FROM results x JOIN runs r USING (run_id) "
        "WHERE x.status = 'changed' AND r.status <> 'running' GROUP BY 1"
    ).fetchall()
    site_changed = sum(n for playbook, n in changed if playbook_label(playbook) == "site.yml")
    assert (
        reg.get_sample_value(
            "ansible_task_results_total", {"playbook": "site.yml", "status": "changed"}
        )
        == site_changed
    )
    timed = samples_store.con.execute(
        "SELECT coalesce(playbook, '') FROM runs WHERE status <> 'running' AND duration_s IS NOT NULL"
    ).fetchall()
    site_timed = sum(1 for (playbook,) in timed if playbook_label(playbook) == "site.yml")
    assert site_timed < merged["site.yml"][0]  # text runs without a clock have no duration
    assert (
        reg.get_sample_value(
            "ansible_playbook_run_duration_seconds_count", {"playbook": "site.yml"}
        )
        == site_timed
    )
    # labels are stored names: the callback's sub-folder name is its own label value
    sub = {"playbook": "sample_logs/playbooks/site.yml"}
    assert (reg.get_sample_value("ansible_playbook_runs_total", sub) or 0) > 0
    assert playbook_label("playbooks/site.yml") == "playbooks/site.yml"
    assert reg.get_sample_value("ansiscope_up") == 1.0
    assert (reg.get_sample_value("ansiscope_db_size_bytes") or 0) > 0
    assert (reg.get_sample_value("ansiscope_ingested_events_total", {"source": "jsonl"}) or 0) > 0
    assert (
        reg.get_sample_value("ansible_hosts_unreachable_last_run", {"playbook": "site.yml"}) == 1.0
    )


def test_no_high_cardinality_labels(samples_store: DuckDBStore) -> None:
    text = generate_latest(registry(samples_store)).decode()
    for forbidden in ("host=", "task=", "run_id=", "web01", "app04"):
        assert forbidden not in text


def test_top_n_folds_the_rest_into_other(samples_store: DuckDBStore) -> None:
    reg = registry(samples_store, top_n=1)
    assert (reg.get_sample_value("ansible_playbook_runs_total", {"playbook": "other"}) or 0) > 0
    labels = {
        s.labels["playbook"] for m in reg.collect() for s in m.samples if "playbook" in s.labels
    }
    assert len(labels) == 2


def test_exact_exposition(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    store = open_store(tmp_path / "x.duckdb")
    ingest(store, write_run(logs, 0), write_run(logs, 1, fail={"Check the banner"}))
    text = generate_latest(registry(store)).decode()
    store.close()
    expected = """# HELP ansible_playbook_runs_total Finished playbook runs.
# TYPE ansible_playbook_runs_total counter
ansible_playbook_runs_total{playbook="deploy.yml"} 2.0
# HELP ansible_playbook_runs_failed_total Finished runs that failed (a task failed or a host was unreachable).
# TYPE ansible_playbook_runs_failed_total counter
ansible_playbook_runs_failed_total{playbook="deploy.yml"} 1.0
# HELP ansible_task_results_total Host results of finished runs, by final status.
# TYPE ansible_task_results_total counter
ansible_task_results_total{playbook="deploy.yml",status="failed"} 1.0
ansible_task_results_total{playbook="deploy.yml",status="ok"} 11.0
"""
    assert text.startswith(expected)
    assert (
        'ansible_playbook_run_duration_seconds_bucket{le="15.0",playbook="deploy.yml"} 0.0\n'
        in text
    )
    assert (
        'ansible_playbook_run_duration_seconds_bucket{le="30.0",playbook="deploy.yml"} 2.0\n'
        in text
    )
    assert 'ansible_playbook_run_duration_seconds_count{playbook="deploy.yml"} 2.0\n' in text
    assert 'ansible_hosts_failed_last_run{playbook="deploy.yml"} 1.0\n' in text


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian prometheus) not installed"
)
def test_promtool_accepts_the_exposition(samples_store: DuckDBStore) -> None:
    text = generate_latest(registry(samples_store))
    check = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip() == b"" and check.stderr.strip() == b""


def test_regression_and_flaky_gauges(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    store = open_store(tmp_path / "f.duckdb")
    paths = [
        write_run(logs, i, fail={"Check the banner"} if i in (3, 4) else None) for i in range(14)
    ]
    # a step the gate confirms: three slow runs in a row (one slow run is only a suspect);
    # the 0.2 s task's step to 0.6 s is a regression too, under the 1 s the gauge counts
    slower = {"Restart the service": 3.0, "Check the banner": 3.0}
    paths += [write_run(logs, i, slower=slower) for i in (14, 15, 16)]
    ingest(store, *paths)
    findings = Findings()
    reg = CollectorRegistry()
    reg.register(StoreCollector(store.reader, findings=findings))
    assert (
        reg.get_sample_value("ansible_task_duration_regressions", {"playbook": "deploy.yml"})
        is None
    )
    findings.refresh(store)
    reg2 = CollectorRegistry()
    reg2.register(StoreCollector(store.reader, findings=findings))
    assert (
        reg2.get_sample_value("ansible_task_duration_regressions", {"playbook": "deploy.yml"})
        == 1.0
    )
    assert reg2.get_sample_value("ansible_flaky_tasks", {"playbook": "deploy.yml"}) == 1.0
    store.close()


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian prometheus) not installed"
)
def test_example_alert_rules_are_valid() -> None:
    rules = Path(__file__).resolve().parents[2] / "deploy" / "alerts.yml"
    check = subprocess.run(
        ["promtool", "check", "rules", str(rules)], capture_output=True, timeout=60
    )
    assert check.returncode == 0 and b"SUCCESS: 7 rules found" in check.stdout
