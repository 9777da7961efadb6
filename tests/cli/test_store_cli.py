"""The store commands in-process: exact exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clirun import run_cli, run_ok
from tests.conftest import CANARY, SAMPLES, runs_of


def test_ingest_runs_summary_roundtrip(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "s.duckdb")
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    first = run_cli(
        capsys, "ingest", str(SAMPLES / "jsonl"), "--db", db, "--label", "team=sre", "-q"
    )
    assert first.code == 0
    files = sorted((SAMPLES / "jsonl").glob("*.jsonl"))
    expected_runs = sum(len(runs_of(f)) for f in files)
    assert first.out.startswith(f"{db}: {expected_runs} runs, ")
    again = run_cli(capsys, "ingest", str(SAMPLES / "jsonl"), "--db", db, "-q")
    assert again.code == 0
    assert f"0 runs, 0 host results stored, {len(files)} files unchanged" in again.out
    listed = run_ok(capsys, "runs", "--db", db, "--format", "json", "--limit", "100")
    runs = json.loads(listed.out)
    assert len(runs) == expected_runs
    assert all(r["labels"] == {"ci.github.run_id": "4242", "team": "sre"} for r in runs)
    failed = [r for r in runs if r["status"] == "failed"]
    # loops.yml's first play is imported from stats.yml: jsonl names no other playbook
    assert {Path(r["playbook"]).name for r in failed} == {"site.yml", "stats.yml"}
    failed = [r for r in failed if r["playbook"].endswith("site.yml")]
    table = run_cli(capsys, "runs", "--db", db, "--playbook", "ping")
    pings = sum(1 for r in runs if r["playbook"].endswith("ping.yml"))
    assert table.code == 0 and table.out.count("ping.yml") == pings == 2 * len(
        list((SAMPLES / "jsonl").glob("two-runs-*"))
    ) + len(list((SAMPLES / "jsonl").glob("ping-vvv-*")))
    summary = run_cli(capsys, "summary", failed[0]["run_id"][:8], "--db", db, "-q")
    assert summary.code == 1 and "failed hosts: app04" in summary.out
    as_json = run_cli(capsys, "summary", "latest", "--db", db, "--json", "-")
    assert as_json.code in (0, 1), as_json.err
    assert CANARY not in as_json.out


def test_ingest_exit_codes_and_messages(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    missing = run_cli(capsys, "ingest", str(tmp_path / "nope.jsonl"), "--db", db, "-q")
    assert missing.code == 2 and "nope.jsonl: no such file or folder" in missing.err
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02" * 100)
    binary = run_cli(capsys, "ingest", str(junk), "--db", db, "-q")
    assert binary.code == 2 and "junk.bin (byte 0): binary data" in binary.err
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    nothing = run_cli(capsys, "ingest", str(empty), "--db", db, "-q")
    assert nothing.code == 2 and "empty.jsonl: empty file" in nothing.err
    unknown = run_cli(capsys, "summary", "feedface", "--db", db)
    assert unknown.code == 2 and "no stored run with id 'feedface'" in unknown.err
    bad_label = run_cli(capsys, "ingest", str(SAMPLES / "jsonl"), "--db", db, "--label", "oops")
    assert bad_label.code == 2 and "expected KEY=VALUE" in bad_label.err


def test_ingest_odd_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A device or an empty folder says why nothing was read; a symlink back up the
    tree is followed once, not until the kernel gives up (which stored nothing twice,
    but read every file again 40 levels deep)."""
    db = str(tmp_path / "s.duckdb")
    device = run_cli(capsys, "ingest", "/dev/null", "--db", db, "-q")
    assert device.code == 2 and "/dev/null: not a file or folder" in device.err
    (tmp_path / "empty").mkdir()
    empty = run_cli(capsys, "ingest", str(tmp_path / "empty"), "--db", db, "-q")
    assert empty.code == 2 and "empty: no files in this folder" in empty.err
    logs = tmp_path / "logs"
    (logs / "sub").mkdir(parents=True)
    (logs / "sub" / "up").symlink_to("..")
    (logs / "run.jsonl").write_bytes((SAMPLES / "jsonl/site-2.19.jsonl").read_bytes())
    looped = run_cli(capsys, "ingest", str(logs), "--db", db, "-q")
    assert looped.code == 0 and "1 runs, 260 host results stored; 0 lines" in looped.out


def test_ingest_from_stdin(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    data = (SAMPLES / "jsonl/two-runs-2.19.jsonl").read_bytes()
    result = run_cli(capsys, "ingest", "-", "--db", db, "-q", stdin=data)
    assert result.code == 0 and "2 runs, 12 host results stored" in result.out
    runs = json.loads(run_ok(capsys, "runs", "--db", db, "--format", "json").out)
    assert [r["source"] for r in runs] == ["<stdin>", "<stdin>"]


def test_prune_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    run_ok(capsys, "ingest", str(SAMPLES / "jsonl"), "--db", db, "-q")
    kept = run_cli(capsys, "prune", "--older-than", "3650d", "--db", db)
    assert kept.code == 0 and "0 runs older than" in kept.out
    bad = run_cli(capsys, "prune", "--older-than", "soon", "--db", db)
    assert bad.code == 2 and "expected an age" in bad.err


def test_ingest_of_a_followed_file_read_to_its_end_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file ``watch`` read to its end (every run over, the file not closed yet: the
    watcher was stopped) adds no event when ``ingest`` finishes it: that is no failure."""
    from ansiscope.ingest.ingester import Ingester
    from ansiscope.store import open_store

    db = str(tmp_path / "s.duckdb")
    log = SAMPLES / "jsonl" / "site-2.19.jsonl"
    store = open_store(db)
    ingester = Ingester(store)
    feed = ingester.track(log)
    assert feed is not None
    ingester.pump(feed)  # as watch does: read, not finished
    (record,) = store.writer().file_records()
    assert record.state == "following" and record.offset == log.stat().st_size
    store.close()
    result = run_cli(capsys, "ingest", str(log), "--db", db, "-q")
    assert result.code == 0, result.err
    store = open_store(db)
    assert [r.state for r in store.writer().file_records()] == ["done"]
    assert len(store.list_runs()) == len(runs_of(log))
    store.close()


def test_runs_table_shows_the_stored_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A playbook in a sub-folder of its project is listed by its whole name, not its
    file name (two ``site.yml`` of one project are two playbooks)."""
    db = str(tmp_path / "s.duckdb")
    run_ok(capsys, "ingest", str(SAMPLES / "callback" / "site-2.19.jsonl"), "--db", db, "-q")
    table = run_ok(capsys, "runs", "--db", db)
    assert "sample_logs/playbooks/site.yml" in table.out
