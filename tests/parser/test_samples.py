"""Every real sample log parses into runs whose results agree with Ansible's recap."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ansiscope.parser.events import RunStatus, Status
from tests.conftest import SAMPLES, runs_of, sample_paths

INCLUDE_ROLE = {"include_role", "ansible.builtin.include_role"}


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_results_agree_with_recap(path: Path) -> None:
    runs = runs_of(path)
    assert runs, f"no run in {path}"
    for run in runs:
        if run.recap is None:
            assert run.status is RunStatus.INTERRUPTED
            continue
        counted = run.counted_stats()
        # ansible-core 2.16 emits an ok result for include_role that its recap does not count
        extra_ok: Counter[str] = Counter()
        if "2.16" in path.name:
            for _, task in run.tasks():
                for r in task.results:
                    if task.action in INCLUDE_ROLE:
                        extra_ok[r.host] += 1
        # Ansible does not count a skipped meta task; a text log does not name actions
        uncounted_skips: Counter[str] = Counter()
        if path.parent.name == "text":
            meta = meta_tasks(path)
            for _, task in run.tasks():
                for r in task.results:
                    if task.name in meta and r.status is Status.SKIPPED:
                        uncounted_skips[r.host] += 1
        assert set(counted) <= set(run.recap), f"{path.name}: results of hosts not in the recap"
        for host, recap in run.recap.items():
            got = counted.get(host)
            assert got is not None, f"{host} has a recap line but no results"
            got_d = got.as_dict()
            got_d["ok"] -= extra_ok[host]
            got_d["skipped"] -= uncounted_skips[host]
            assert got_d == recap.as_dict(), f"{path.name} {host}"


def meta_tasks(text_log: Path) -> set[str]:
    """The ``meta`` tasks of a text log's playbook, named by the jsonl log of the same
    playbook and version (text does not say what a task's action is)."""
    name = text_log.name.replace("-profile", "").replace("-verbose", "")
    jsonl = SAMPLES / "jsonl" / name.replace(".txt", ".jsonl")
    if not jsonl.exists():
        return set()
    return {
        task.name
        for run in runs_of(jsonl)
        for _, task in run.tasks()
        if (task.action or "").rpartition(".")[2] == "meta"
    }


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_durations_are_sane(path: Path) -> None:
    for run in runs_of(path):
        if run.duration_s is not None:
            assert run.duration_s >= 0
        for _, task in run.tasks():
            if task.duration_s is not None:
                assert task.duration_s >= 0
                if run.duration_s is not None:
                    assert task.duration_s <= run.duration_s + 1.0
            for r in task.results:
                if r.duration_s is not None:
                    assert r.duration_s >= 0
                if r.started_at and run.started_at:
                    assert r.started_at >= run.started_at - _slack()
                if r.ended_at and run.ended_at:
                    assert r.ended_at <= run.ended_at + _slack()


def _slack():  # profile_tasks prints whole seconds
    from datetime import timedelta

    return timedelta(seconds=1)


def final_statuses(path: Path) -> dict[tuple[str, str, str], str]:
    (run,) = runs_of(path)
    out = {}
    for play, task in run.tasks():
        if "2.16" in path.name and task.name == "Apply the motd role":
            continue  # 2.16: an ok event in json/jsonl/runner, nothing in text or the recap
        for r in task.results:
            out[(play.name, task.name, r.host)] = r.status.value
    return out


def task_results(
    path: Path, censored: set[str]
) -> list[tuple[str, str, tuple[tuple[str, str, int | None], ...]]]:
    """Each task in order, with its (host, status, items) results: tasks of the same
    name stay apart. The items of ``censored`` (no_log) loops go uncounted: how much of
    those each format shows differs between Ansible versions."""
    (run,) = runs_of(path)
    out = []
    for play, task in run.tasks():
        hidden = task.name in censored
        results = sorted(
            (r.host, r.status.value, None if hidden else r.items_total) for r in task.results
        )
        if results:
            out.append((play.name, task.name, tuple(results)))
    return out


@pytest.mark.parametrize("version", ["2.16", "2.19"])
def test_same_run_in_every_format_gives_same_results(version: str) -> None:
    reference = final_statuses(SAMPLES / f"jsonl/site-{version}.jsonl")
    assert len(reference) > 200
    for other in (
        f"json/site-{version}.json",
        f"runner/site-{version}",
        f"text/site-{version}.txt",
        f"text/site-profile-{version}.txt",
        f"text/site-verbose-{version}.txt",
    ):
        assert final_statuses(SAMPLES / other) == reference, other


@pytest.mark.parametrize("version", ["2.16", "2.17", "2.18", "2.19"])
def test_loops_run_in_every_format_gives_same_tasks_and_results(version: str) -> None:
    """Tasks of one name included once per loop item stay two tasks, an include
    looped over items is one result per host, ignored unreachable results read as
    ignored: the same in every format."""
    (run,) = runs_of(SAMPLES / f"jsonl/loops-{version}.jsonl")
    censored = {t.name for _, t in run.tasks() if any(r.no_log for r in t.results)}
    assert censored == {"Secret loop"}
    reference = task_results(SAMPLES / f"jsonl/loops-{version}.jsonl", censored)
    names = [name for _, name, _ in reference]
    assert names.count("Assert the item") == 2
    for other in (
        f"json/loops-{version}.json",
        f"runner/loops-{version}",
        f"text/loops-{version}.txt",
        f"text/loops-profile-{version}.txt",
    ):
        assert task_results(SAMPLES / other, censored) == reference, other
    (run,) = runs_of(SAMPLES / f"text/loops-{version}.txt")
    hosts = {r.host for r in run.results()}
    assert hosts == set(run.recap or {})  # no "host => (item=a)" from "included:" lines
    down = [r.status for r in run.results() if r.host == "edge-down"]
    assert Status.IGNORED in down and Status.UNREACHABLE not in down


def test_site_run_has_every_status() -> None:
    (run,) = runs_of(SAMPLES / "jsonl/site-2.19.jsonl")
    statuses = {r.status for r in run.results()}
    assert statuses == set(Status)
    assert run.failed_hosts == ["app04"]
    assert run.unreachable_hosts == ["edge-down"]
    assert run.playbook and run.playbook.endswith("site.yml")
    by_task = {t.name: t for _, t in run.tasks()}
    assert by_task["Restart fake service"].handler
    install = {r.host: r for r in by_task["Install packages"].results}
    assert install["app04"].items_total == 3 and install["app04"].items_failed == 1
    assert {
        r.attempts for r in by_task["Wait until the marker appears"].results if r.host == "web01"
    } == {2}
    assert all(r.no_log and r.msg is None for r in by_task["Use a secret"].results)
    (announce,) = by_task["Announce once via db01"].results
    assert announce.delegated_to == "db01"


@pytest.mark.parametrize(
    "fmt", ["jsonl/killed-2.19.jsonl", "text/killed-2.19.txt", "runner/killed-2.19"]
)
def test_killed_run_is_interrupted(fmt: str) -> None:
    (run,) = runs_of(SAMPLES / fmt)
    assert run.status is RunStatus.INTERRUPTED
    assert run.recap is None and run.stats_source == "results"
    assert {t.name for _, t in run.tasks()} >= {"Quick step", "Slow step one"}


@pytest.mark.parametrize("fmt", ["jsonl/two-runs-2.19.jsonl", "text/two-runs-2.19.txt"])
def test_several_runs_in_one_file(fmt: str) -> None:
    runs = runs_of(SAMPLES / fmt)
    assert len(runs) == 2
    assert runs[0].run_id != runs[1].run_id
    assert all(r.status is RunStatus.SUCCESSFUL for r in runs)
    assert all(sorted(r.stats) == ["db01", "db02", "db03"] for r in runs)


def test_profile_tasks_gives_real_durations_and_plain_text_none() -> None:
    (timed,) = runs_of(SAMPLES / "text/site-profile-2.19.txt")
    (plain,) = runs_of(SAMPLES / "text/site-2.19.txt")
    assert timed.duration_s and timed.duration_s > 10
    assert timed.started_at is not None
    install = next(t for _, t in timed.tasks() if t.name == "Install packages")
    assert install.duration_s and install.duration_s > 1
    assert plain.duration_s is None and plain.started_at is None
    assert all(t.duration_s is None for _, t in plain.tasks())


def test_runner_has_per_host_times_and_explicit_ignores() -> None:
    (run,) = runs_of(SAMPLES / "runner/site-2.19")
    timed = [r for r in run.results() if r.duration_s is not None]
    assert len(timed) == len(list(run.results()))
    assert run.playbook == "site.yml"
