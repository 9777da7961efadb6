"""The gate on a stored history: each exit code, each output's shape, acks, failure rates."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from ansiscope.analytics.detector import Params, Verdict
from ansiscope.analytics.gate import FailOn, Finding, FindingKind, GateResult, gate_target
from ansiscope.analytics.gate import gate as run_gate
from ansiscope.errors import UsageError
from ansiscope.store import open_store
from tests.analytics.history import write_run
from tests.clirun import Result, run_cli, run_ok


@pytest.fixture
def history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(15):
        write_run(logs, i)
    db = str(tmp_path / "g.duckdb")
    assert run_cli(capsys, "ingest", str(logs), "--db", db, "-q").code == 0
    return logs, db


def gate(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> Result:
    return run_cli(capsys, "gate", "--db", db, *args)


def test_unchanged_run_passes_and_json_has_every_series(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    logs, db = history
    result = gate(capsys, db, "--file", str(write_run(logs, 15)), "--format", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["schema_version"] == 1 and doc["verdict"] == "pass"
    assert doc["playbook"] == "deploy.yml" and len(doc["run_id"]) == 16
    kinds = [f["kind"] for f in doc["findings"]]
    assert kinds.count("total") == 1 and kinds.count("task") == 3
    assert kinds.count("task_host") == 6 and kinds.count("failure_rate") == 3
    total = doc["findings"][0]
    assert total["verdict"] == "ok" and total["baseline"]["n"] == 15
    assert set(total["baseline"]) == {"n", "median", "mad", "p10", "p90"}
    assert {"value", "delta_s", "delta_rel", "z", "consecutive", "task", "host", "verdict"} <= set(
        total
    )
    gating = {f["task"] for f in doc["findings"] if f["gating"] and f["kind"] == "task"}
    assert gating == {"Build the release", "Restart the service"}  # not the 0.2 s task
    assert doc["counts"]["regression"] == 0


def test_three_times_slower_task_fails_from_the_third_run_until_absorbed(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    logs, db = history
    slow = {"Restart the service": 3.0}
    codes, since, held = [], [], []
    first_run = ""
    for i in range(15, 29):
        result = gate(
            capsys, db, "--file", str(write_run(logs, i, slower=slow)), "--format", "json"
        )
        codes.append(result.code)
        doc = json.loads(result.out)
        (task,) = [
            f for f in doc["findings"] if f["kind"] == "task" and f["task"] == "Restart the service"
        ]
        since.append(task["since_run"])
        held.append(task["held"])
        if i == 15:
            first_run = doc["run_id"]
    # one slow run never fails; confirmed by the third (the second when the run before
    # was already high), then reported on every run with the same since_run and a growing
    # held, until the 10th run at the new level moves the baseline
    k = next(i for i, s in enumerate(since) if s)
    assert k in (1, 2) and codes[0] == 0 and codes[k:] == [1] * (10 - k) + [0] * 4, codes
    assert since[k:10] == [first_run] * (10 - k) and held[k:10] == list(range(k + 1, 11))
    assert held[10:] == [0] * 4 and since[10] == first_run  # absorbed: "new normal since"
    markdown = gate(capsys, db, "--run", "latest", "--format", "markdown")
    assert (
        markdown.code == 0
        and "| Restart the service | all |" not in markdown.out.split("<details>")[0]
    )


def test_first_slow_run_is_a_suspect_in_markdown(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    logs, db = history
    for i in (15, 16):
        write_run(logs, i, slower={"Restart the service": 3.0})
    result = gate(capsys, db, "--file", str(logs / "run-015.jsonl"), "--format", "markdown")
    assert result.code == 0
    gate(capsys, db, "--file", str(logs / "run-016.jsonl"))
    result = gate(
        capsys,
        db,
        "--file",
        str(write_run(logs, 17, slower={"Restart the service": 3.0})),
        "--format",
        "markdown",
    )
    assert result.code == 1
    first = result.out.splitlines()[0]
    assert first.startswith("### ansiscope gate: FAIL: ") and "regression" in first
    table = result.out.split("<details>")[0]
    assert "| Restart the service | all |" in table
    assert "| regression (regressed since run " in table
    assert "Build the release" not in table
    assert "regressed since run" in result.out
    assert len(result.out.encode()) < 64 * 1024


def test_weak_slowdown_is_suspect_then_regression(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    logs, db = history
    slow = {"Build the release": 1.3}  # +3 s, +30%
    first = gate(capsys, db, "--file", str(write_run(logs, 15, slower=slow)), "--format", "json")
    assert first.code == 0
    verdicts = {
        (f["kind"], f["task"]): f["verdict"]
        for f in json.loads(first.out)["findings"]
        if f["kind"] == "task"
    }
    assert verdicts[("task", "Build the release")] == "suspect"
    assert gate(capsys, db, "--run", "latest", "--fail-on", "suspect").code == 1
    assert gate(capsys, db, "--run", "latest", "--fail-on", "never").code == 0
    gate(capsys, db, "--file", str(write_run(logs, 16, slower=slow)))
    third = gate(capsys, db, "--file", str(write_run(logs, 17, slower=slow)), "--format", "junit")
    assert third.code == 1
    suite = ET.fromstring(third.out).find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["Build the release"].find("failure") is not None
    assert cases["Restart the service"].find("failure") is None
    assert cases["playbook total"].find("failure") is not None  # +3 s of ~15 s: also slower
    assert suite.get("failures") == "2" and int(suite.get("tests") or 0) == len(cases)


def test_ack_turns_a_regression_into_a_pass(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    logs, db = history
    for i in (15, 16, 17):
        write_run(logs, i, slower={"Restart the service": 3.0})
    run_ok(capsys, "ingest", str(logs), "--db", db, "-q")
    acks = tmp_path / "acks.yml"
    acks.write_text(
        '- task: "Restart *"\n  reason: "slower restart accepted in #42"\n  expires: 2999-01-01\n'
        '- task: total\n  reason: "the restart"\n  expires: 2999-01-01\n'
    )
    result = gate(capsys, db, "--run", "latest", "--ack", str(acks), "--format", "json")
    assert result.code == 0
    found = [
        f
        for f in json.loads(result.out)["findings"]
        if f["task"] == "Restart the service" and f["kind"] == "task"
    ]
    assert (
        found[0]["verdict"] == "acknowledged"
        and found[0]["reason"] == "slower restart accepted in #42"
    )
    expired = tmp_path / "old.yml"
    expired.write_text('- task: "Restart *"\n  reason: "old"\n  expires: 2000-01-01\n')
    doc = json.loads(gate(capsys, db, "--run", "latest", "--format", "json").out)
    assert doc["verdict"] == "regression"
    assert gate(capsys, db, "--run", "latest", "--ack", str(expired)).code == 1
    # an ack naming the run where the step began covers the whole episode
    (total,) = [f for f in doc["findings"] if f["kind"] == "total"]
    by_run = tmp_path / "run.yml"
    by_run.write_text(
        f'- task: "*"\n  run: {total["since_run"][:8]}\n  reason: "r"\n  expires: 2999-01-01\n'
    )
    assert gate(capsys, db, "--run", "latest", "--ack", str(by_run)).code == 0


def test_new_failure_after_twenty_clean_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(20):
        write_run(logs, i)
    db = str(tmp_path / "g.duckdb")
    run_ok(capsys, "ingest", str(logs), "--db", db, "-q")
    result = gate(
        capsys,
        db,
        "--file",
        str(write_run(logs, 20, fail={"Check the banner"})),
        "--format",
        "json",
    )
    assert result.code == 1
    rate = [
        f
        for f in json.loads(result.out)["findings"]
        if f["kind"] == "failure_rate" and f["verdict"] == "regression"
    ]
    assert [(f["task"], f["reason"]) for f in rate] == [("Check the banner", "new failure")]


def test_insufficient_history_is_neutral_and_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(5):
        write_run(logs, i)
    db = str(tmp_path / "g.duckdb")
    run_ok(capsys, "ingest", str(logs), "--db", db, "-q")
    result = gate(capsys, db, "--file", str(write_run(logs, 5, slower={"Build the release": 5.0})))
    assert result.code == 0
    assert result.out.startswith(
        "PASS: 0 regressions, 0 suspects, 0 tasks OK, 0 new, 4 with too little history"
    )
    # the table says it in words too; the enum's value is for JSON
    assert "too little history" in result.out.splitlines()[3]
    assert "insufficient_history" not in result.out
    both = gate(capsys, db)
    assert both.code == 2 and "exactly one of --run" in both.err
    missing = gate(capsys, db, "--file", str(tmp_path / "nope.jsonl"))
    assert missing.code == 2 and "nope.jsonl: no such file" in missing.err
    bad_ack = tmp_path / "bad.yml"
    bad_ack.write_text("- task: x\n")
    assert "needs at least" in gate(capsys, db, "--run", "latest", "--ack", str(bad_ack)).err


def test_step_summary_is_written(
    history: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logs, db = history
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert gate(capsys, db, "--file", str(write_run(logs, 15))).code == 0
    assert summary.read_text().startswith("### ansiscope gate: PASS")


def test_gate_target_resolves_a_ref_or_a_playbooks_latest_run(
    history: tuple[Path, str],
) -> None:
    _, db = history
    store = open_store(db, read_only=True)
    try:
        latest = store.resolve_run("latest")
        assert gate_target(store, "latest") == latest
        assert gate_target(store, "latest", "deploy.yml") == latest
        assert gate_target(store, latest[:12], "ignored-unless-latest.yml") == latest
        with pytest.raises(UsageError, match=r"no stored run of playbook 'other\.yml'"):
            gate_target(store, "latest", "other.yml")
    finally:
        store.close()


@pytest.mark.parametrize(
    ("fail_on", "failing"),
    [
        (FailOn.REGRESSION, ["slow"]),
        (FailOn.SUSPECT, ["slow", "maybe"]),
        (FailOn.NEVER, []),
    ],
)
def test_fail_on_decides_which_gating_findings_fail(fail_on: FailOn, failing: list[str]) -> None:
    findings = [
        Finding(FindingKind.TASK, Verdict.REGRESSION, gating=True, task="slow"),
        Finding(FindingKind.TASK, Verdict.SUSPECT, gating=True, task="maybe"),
        Finding(FindingKind.TASK, Verdict.REGRESSION, gating=False, task="not gating"),
        Finding(FindingKind.TASK, Verdict.OK, gating=True, task="fine"),
    ]
    result = GateResult("r1", "deploy.yml", Params(), findings, history_runs=20)
    assert [f.task for f in result.failing(fail_on)] == failing
    assert result.verdict(fail_on) == ("regression" if failing else "pass")
    assert result.document(fail_on)["params"]["fail_on"] == fail_on.value


def test_finding_kinds_in_the_json_contract(history: tuple[Path, str]) -> None:
    _, db = history
    store = open_store(db, read_only=True)
    try:
        result = run_gate(store, store.resolve_run("latest"))
    finally:
        store.close()
    kinds = {f.kind for f in result.findings}
    assert kinds <= set(FindingKind) and FindingKind.TOTAL in kinds
    assert {d["kind"] for d in result.document()["findings"]} == {str(k) for k in kinds}
    assert all(type(d["kind"]) is str for d in result.document()["findings"])


def test_a_regression_that_cannot_fail_the_gate_says_so() -> None:
    """A sub-second task's confirmed step is reported, and the report says it does not
    gate: in the headline's count and on its row (a PASS with "2 regressions" alone
    reads as a contradiction)."""
    from ansiscope.exporters import gate_report

    findings = [
        Finding(FindingKind.TASK, Verdict.REGRESSION, gating=True, task="slow"),
        Finding(FindingKind.TASK, Verdict.REGRESSION, gating=False, task="tiny"),
        Finding(FindingKind.TASK, Verdict.OK, gating=True, task="fine"),
    ]
    result = GateResult("r1", "deploy.yml", Params(), findings, history_runs=20)
    assert gate_report.headline(result).startswith("FAIL: 2 regressions (1 not gated), ")
    rows = {row[0]: row[-1] for row in map(gate_report._row, findings)}
    assert rows == {"slow": "regression", "tiny": "regression, not gated", "fine": "ok"}
    quiet = GateResult("r1", "deploy.yml", Params(), findings[1:], history_runs=20)
    assert gate_report.headline(quiet).startswith("PASS: 1 regression (1 not gated), ")
    assert "not gated" not in gate_report.headline(
        GateResult("r1", "deploy.yml", Params(), findings[:1], history_runs=20)
    )


def test_a_sub_second_step_is_reported_not_gated_and_min_delta_sets_the_floor(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The 0.2 s task at 0.6 s: a regression from the third run on, never failing the
    gate (it holds ~1% of the time); ``--min-delta 1`` keeps it out of the findings."""
    logs, db = history
    slow = {"Check the banner": 3.0}
    for i in range(15, 17):
        assert gate(capsys, db, "--file", str(write_run(logs, i, slower=slow))).code == 0
    result = gate(capsys, db, "--file", str(write_run(logs, 17, slower=slow)), "--format", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    (banner,) = [
        f for f in doc["findings"] if f["kind"] == "task" and f["task"] == "Check the banner"
    ]
    assert banner["verdict"] == "regression" and not banner["gating"] and banner["since_run"]
    assert doc["verdict"] == "pass" and doc["params"]["min_abs_s"] == pytest.approx(0.1)
    text = gate(capsys, db, "--run", "latest")
    assert (
        text.code == 0 and "PASS: 3 regressions (3 not gated)" in text.out
    )  # the task, on each host
    strict = gate(capsys, db, "--run", "latest", "--min-delta", "1", "--format", "json")
    doc = json.loads(strict.out)
    assert strict.code == 0 and doc["counts"]["regression"] == 0
    assert doc["params"]["min_abs_s"] == 1.0
    bad = gate(capsys, db, "--run", "latest", "--min-delta", "-1")
    assert bad.code == 2 and "--min-delta" in bad.err and "Traceback" not in bad.err


@pytest.mark.parametrize(("factor", "fails"), [(1.15, False), (1.3, True)])
def test_a_gated_task_fails_the_gate_only_from_a_one_second_change(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str], factor: float, fails: bool
) -> None:
    """The 5 s task at +15% (+0.75 s) is a regression, reported and not failing (a CI
    machine's load moves a task by that much); at +30% (+1.5 s) it fails the gate."""
    logs, db = history
    slow = {"Restart the service": factor}
    for i in range(15, 17):
        gate(capsys, db, "--file", str(write_run(logs, i, slower=slow)))
    result = gate(capsys, db, "--file", str(write_run(logs, 17, slower=slow)), "--format", "json")
    doc = json.loads(result.out)
    (task,) = [
        f for f in doc["findings"] if f["kind"] == "task" and f["task"] == "Restart the service"
    ]
    assert task["verdict"] == "regression" and task["gating"] and task["since_run"]
    assert task["clears_gate"] is fails and result.code == int(fails), result.out
    assert doc["verdict"] == ("regression" if fails else "pass")
    markdown = gate(capsys, db, "--run", "latest", "--format", "markdown").out
    row = next(line for line in markdown.splitlines() if "| Restart the service | all |" in line)
    assert ("not gated" in row) is not fails


def test_a_bigger_step_inside_a_small_episode_fails_the_gate_at_once(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The 5 s task at +12% (+0.6 s: a regression under the gate's 1 s) for six runs,
    then at ×3: the open episode's level (the median since its start) lags the second
    step, but the task fails the gate within three runs of it and on every run after."""
    logs, db = history
    codes, clears = [], []
    for i in range(15, 27):
        slow = {"Restart the service": 1.12 if i < 21 else 3.0}
        result = gate(
            capsys, db, "--file", str(write_run(logs, i, slower=slow)), "--format", "json"
        )
        (task,) = [
            f
            for f in json.loads(result.out)["findings"]
            if f["kind"] == "task" and f["task"] == "Restart the service"
        ]
        codes.append(result.code)
        clears.append((task["verdict"], task["clears_gate"]))
    assert codes[:6] == [0] * 6 and ("regression", False) in clears[:6], clears
    first = codes.index(1)  # (the total fails too: it holds the step)
    assert 6 <= first <= 8 and codes[first:] == [1] * (12 - first), (codes, clears)
    # the task itself fails the gate within three runs, on every run after
    assert clears[first:] == [("regression", True)] * (12 - first), clears
