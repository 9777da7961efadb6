"""The CLI in-process: exact exit codes, detected format, JSON contract, Markdown, live stdin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clirun import run_cli
from tests.conftest import CANARY, SAMPLES, sample_paths

RECAP_KEYS = ["ok", "changed", "unreachable", "failures", "skipped", "rescued", "ignored"]


def test_failed_run_exits_1_and_json_contract(capsys, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    result = run_cli(
        capsys, "summary", str(SAMPLES / "jsonl/site-2.19.jsonl"), "--json", str(out), "--no-tree"
    )
    assert result.code == 1
    assert "detected ansible.posix.jsonl" in result.err
    assert "Failed hosts: app04" in result.out
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == 1
    (run,) = doc["runs"]
    assert run["format"] == "jsonl" and run["status"] == "failed"
    assert run["playbook"].endswith("site.yml")
    assert run["plays_total"] == 4 and run["hosts_total"] == 13
    assert run["failed_hosts"] == ["app04"] and run["unreachable_hosts"] == ["edge-down"]
    assert run["stats_source"] == "recap"
    assert all(list(s) == RECAP_KEYS for s in run["stats"].values())
    assert run["stats"]["db02"]["rescued"] == 1 and run["stats"]["web02"]["ignored"] == 1
    assert run["started_at"].endswith("Z") and run["duration_s"] > 0
    assert 0 < run["success_rate"] < 1
    slowest = run["slowest_tasks"]
    assert 1 <= len(slowest) <= 10
    assert set(slowest[0]) == {"name", "play", "duration_s", "slowest_host"}
    assert [s["duration_s"] for s in slowest] == sorted(
        (s["duration_s"] for s in slowest), reverse=True
    )


def test_successful_run_exits_0(capsys) -> None:
    result = run_cli(capsys, "summary", str(SAMPLES / "jsonl/deploy-check-2.19.jsonl"), "-q")
    assert result.code == 0
    assert result.out.strip().endswith("successful; failed hosts: -; unreachable: -")


def test_ignored_and_rescued_do_not_fail_the_exit_code(capsys, tmp_path: Path) -> None:
    # only keep the hosts whose failures were ignored or rescued
    keep = {"web02", "app03", "db02"}
    lines = []
    for line in (SAMPLES / "jsonl/site-2.19.jsonl").read_text().splitlines():
        data = json.loads(line)
        if "hosts" in data and data["hosts"] and not set(data["hosts"]) & keep:
            continue
        if "stats" in data:
            data["stats"] = {h: s for h, s in data["stats"].items() if h in keep}
        lines.append(json.dumps(data))
    path = tmp_path / "partial.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run_cli(capsys, "summary", str(path), "--json", "-", "-q")
    assert result.code == 0
    run = json.loads(result.out)["runs"][0]
    assert (
        run["counts"]["ignored"] == 2
        and run["counts"]["rescued"] == 1
        and run["counts"]["failed"] == 0
    )


def test_markdown_report(capsys, tmp_path: Path) -> None:
    md = tmp_path / "s.md"
    result = run_cli(
        capsys, "summary", str(SAMPLES / "runner/site-2.19"), "--markdown", str(md), "-q"
    )
    assert result.code == 1  # app04 failed
    text = md.read_text()
    assert text.startswith("## site.yml — failed")
    assert "| app04 | 6 | 1 | 0 | 1 | 3 | 0 | 0 |" in text
    assert "### Slowest tasks" in text and "### Failures" in text


def test_tree_and_performance(capsys) -> None:
    result = run_cli(
        capsys, "summary", str(SAMPLES / "text/site-profile-2.19.txt"), "--performance"
    )
    assert result.code == 1
    assert "PLAY Base configuration" in result.out
    assert "HANDLER Restart fake service" in result.out
    assert "included" in result.out
    assert "Slowest tasks" in result.out


def test_parse_prints_events_as_json_lines(capsys) -> None:
    result = run_cli(capsys, "parse", str(SAMPLES / "runner/site-2.19"))
    assert result.code == 0
    events = [json.loads(line) for line in result.out.splitlines()]
    assert events[0]["kind"] == "run_start" and events[-1]["kind"] == "run_end"
    assert sum(e["kind"] == "host_result" for e in events) == 260
    assert "detected ansible-runner job events" in result.err


def test_format_override(capsys) -> None:
    result = run_cli(
        capsys, "parse", str(SAMPLES / "jsonl/two-runs-2.19.jsonl"), "--format", "text"
    )
    assert result.code == 2  # read as text, there is nothing in it
    assert "reading as ansible-playbook text" in result.err


def test_live_stdin_text_uses_arrival_clock(capsys) -> None:
    data = (SAMPLES / "text/two-runs-2.19.txt").read_bytes()
    result = run_cli(capsys, "summary", "-", "--json", "-", stdin=data)
    assert result.code == 0
    runs = json.loads(result.out)["runs"]
    assert len(runs) == 2 and {r["clock"] for r in runs} == {"arrival"}
    assert all(r["duration_s"] is not None for r in runs)
    assert "PLAY Quick ping" in result.err  # events printed as they arrived


def test_stdin_jsonl(capsys) -> None:
    data = (SAMPLES / "jsonl/deploy-check-2.19.jsonl").read_bytes()
    result = run_cli(capsys, "summary", "-", "-q", stdin=data)
    assert result.code == 0 and "successful" in result.out


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_log_canary_never_leaves(capsys, tmp_path: Path, path: Path) -> None:
    # the canary is in the no_log task's arguments of the playbook that made every sample
    assert CANARY in (SAMPLES / "playbooks/site.yml").read_text()
    parsed = run_cli(capsys, "parse", str(path))
    summary = run_cli(
        capsys,
        "summary",
        str(path),
        "--json",
        str(tmp_path / "s.json"),
        "--markdown",
        str(tmp_path / "s.md"),
        "--performance",
    )
    # 1 where a sample's run has a failed host; never 2 (the canary test reads every sample)
    assert parsed.code == 0 and summary.code in (0, 1), summary.err
    for text in (
        parsed.out,
        parsed.err,
        summary.out,
        summary.err,
        (tmp_path / "s.json").read_text(),
        (tmp_path / "s.md").read_text(),
    ):
        assert CANARY not in text


def _failed_result_line(host_result: dict) -> str:
    """One jsonl ``v2_runner_on_failed`` line for host h1 with the given result."""
    task = {
        "id": "aaaa-bbbb-cccc-dddd-000000000002",
        "name": "t",
        "duration": {"start": "2026-01-01T00:00:00Z"},
    }
    line = {
        "_event": "v2_runner_on_failed",
        "_timestamp": "2026-01-01T00:00:01Z",
        "hosts": {"h1": {"failed": True, **host_result}},
        "task": task,
    }
    return json.dumps(line) + "\n"


def test_no_log_result_content_is_never_printed(capsys, tmp_path: Path) -> None:
    # Even if a callback let a no_log result's values through, nothing of it is output.
    leaky = _failed_result_line(
        {
            "_ansible_no_log": True,
            "msg": CANARY,
            "stderr": CANARY,
            "invocation": {"module_args": {"password": CANARY}},
        }
    )
    stats = {
        "_event": "v2_playbook_on_stats",
        "_timestamp": "2026-01-01T00:00:02Z",
        "stats": {"h1": {"failures": 1}},
    }
    path = tmp_path / "leak.jsonl"
    path.write_text(leaky + json.dumps(stats) + "\n")
    outputs = [
        run_cli(capsys, "parse", str(path)),
        run_cli(capsys, "summary", str(path), "--json", "-"),
    ]
    assert outputs[0].code == 0 and outputs[1].code == 1
    for result in outputs:
        assert CANARY not in result.out + result.err


def test_secrets_in_messages_are_redacted(capsys, tmp_path: Path) -> None:
    path = tmp_path / "secret.jsonl"
    path.write_text(
        _failed_result_line({"msg": "login failed: password=hunter2 url https://u:pw@x.example/"})
    )
    result = run_cli(capsys, "summary", str(path), "--json", "-")
    assert result.code == 1  # the result failed
    assert "hunter2" not in result.out and ":pw@" not in result.out
    assert "password=********" in result.out
