"""Bad input: one clear line naming file and position, exit 2 when nothing is usable,
and every valid event around a bad line still parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansiscope.parser import jsondoc, jsonl, open_input
from ansiscope.parser.events import HostResult, Recap, Rejected, RunStatus
from tests.clirun import run_cli, run_ok
from tests.conftest import SAMPLES, runs_of

ASSETS = Path(__file__).parent / "assets"


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        ("binary.bin", r"binary\.bin \(byte 0\): binary data, not an Ansible log"),
        ("empty.jsonl", r"empty\.jsonl \(byte 0\): empty input"),
        ("unknown.txt", r"unknown\.txt \(byte 0\): not ansible\.posix\.jsonl"),
    ],
)
def test_unusable_files_exit_2_with_one_line(capsys, asset: str, message: str) -> None:
    result = run_cli(capsys, "summary", str(ASSETS / asset))
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert __import__("re").search(message, lines[0])
    assert "Traceback" not in result.err


def test_missing_path_and_directory(capsys, tmp_path: Path) -> None:
    missing = run_cli(capsys, "summary", str(tmp_path / "nope.jsonl"))
    assert missing.code == 2 and "nope.jsonl: no such file" in missing.err
    folder = run_cli(capsys, "parse", str(tmp_path))
    assert folder.code == 2 and "is a directory" in folder.err


def test_bad_line_in_the_middle_loses_nothing(capsys) -> None:
    path = ASSETS / "malformed-line.jsonl"
    runs = runs_of(path)
    assert len(runs) == 2  # both runs, before and after the bad lines
    assert all(r.status is RunStatus.SUCCESSFUL for r in runs)
    assert sum(len(list(r.results())) for r in runs) == 12
    rejected = runs[0].rejected
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [(6, "malformed JSON")]
    # line 7 ("Using ... as config file", -v output) is expected noise: a warning
    assert [w for w in runs[0].warnings if "other output" in w] == [
        "1 line of other output than jsonl events (verbose output, warnings or stderr) "
        "skipped, the first at line 7"
    ]
    result = run_cli(capsys, "summary", str(path), "-q")
    assert result.code == 0
    assert f"warning: {path}:6 (byte " in result.err
    assert "malformed JSON" in result.err and "Traceback" not in result.err


def test_truncated_last_line_keeps_what_came_before() -> None:
    (run,) = runs_of(ASSETS / "truncated-line.jsonl")
    assert run.status is RunStatus.INTERRUPTED
    assert len(run.rejected) == 1 and run.rejected[0].reason.startswith("malformed JSON")
    assert len(list(run.results())) > 0


def test_truncated_json_document(capsys) -> None:
    (run,) = runs_of(ASSETS / "truncated.json")
    assert run.status is RunStatus.INTERRUPTED
    assert len(list(run.results())) > 10
    assert "truncated JSON document" in run.rejected[0].reason
    result = run_cli(capsys, "summary", str(ASSETS / "truncated.json"), "-q")
    assert "truncated JSON document" in result.err and result.code == 1  # edge-down unreachable


def test_malformed_json_document_is_rejected_not_raised() -> None:
    events = jsondoc.parse_string((ASSETS / "malformed.json").read_bytes(), "m.json")
    rejected = [e for e in events if isinstance(e, Rejected)]
    assert len(rejected) == 1 and "malformed JSON document" in rejected[0].reason
    assert any(e.kind == "host_result" for e in events)


def test_huge_line_parses(tmp_path: Path) -> None:
    big = "x" * (50 * 1024 * 1024)
    line = {
        "_event": "v2_runner_on_ok",
        "_timestamp": "2026-01-01T00:00:01Z",
        "hosts": {"h1": {"changed": False, "stdout": big, "msg": "done"}},
        "task": {
            "id": "aaaa-bbbb-cccc-dddd-000000000001",
            "name": "big",
            "duration": {"start": "2026-01-01T00:00:00Z"},
        },
    }
    path = tmp_path / "huge.jsonl"
    path.write_bytes(json.dumps(line).encode() + b"\n")
    with open_input(str(path)) as source:
        events = list(source.events)
    results = [e for e in events if isinstance(e, HostResult)]
    assert len(results) == 1 and results[0].msg == "done" and results[0].duration_s == 1.0


def test_oversized_line_is_skipped_and_reported(monkeypatch) -> None:
    from ansiscope.parser import base, lines

    monkeypatch.setattr(lines, "MAX_LINE", 1000)
    monkeypatch.setattr(base, "MAX_LINE", 1000)  # its message
    good = b'{"_event": "v2_playbook_on_stats", "_timestamp": "2026-01-01T00:00:01Z", "stats": {"h": {"ok": 1}}}\n'
    events = jsonl.parse_string(b"{" + b"x" * 5000 + b"}\n" + good, "s.jsonl")
    kinds = [e.kind for e in events]
    assert "recap" in kinds
    (rejected,) = [e for e in events if isinstance(e, Rejected)]
    assert rejected.line == 1 and "longer than 1000 bytes" in rejected.reason


def _line(event: object, hosts: object = None, **extra: object) -> bytes:
    doc = {
        "_event": event,
        "_timestamp": "2026-01-01T00:00:02Z",
        "task": {
            "id": "aaaa-bbbb-cccc-dddd-000000000001",
            "name": "odd",
            "duration": {"start": "2026-01-01T00:00:01Z"},
        },
        **extra,
    }
    if hosts is not None:
        doc["hosts"] = hosts
    return json.dumps(doc).encode() + b"\n"


def test_values_of_the_wrong_type_or_out_of_range(capsys, tmp_path: Path) -> None:
    """Odd values (an ``_event`` that is a number, integers beyond 64 bits, a delta
    of 1e400 seconds) are rejected or dropped one by one: the parser (compiled, which
    checks types) does not crash, and the store, reports and gate take what is left."""
    huge = 2**70
    path = tmp_path / "odd.jsonl"
    path.write_bytes(
        _line(0)
        + _line(["v2_runner_on_ok"])
        + _line(
            "v2_runner_on_ok",
            {
                "h1": {"rc": huge, "attempts": huge, "delta": "0:00:1e400", "changed": True},
                "h2": {"rc": -3, "attempts": 2, "delta": "-1:00:00"},
            },
        )
        + _line("v2_playbook_on_stats", stats={"h1": {"ok": huge, "changed": 1}, "h2": {"ok": 1}})
    )
    events = jsonl.parse_string(path.read_bytes(), str(path))
    assert [(e.line, e.reason) for e in events if isinstance(e, Rejected)] == [
        (1, "JSON without an '_event' key"),
        (2, "JSON without an '_event' key"),
    ]
    results = {e.host: e for e in events if isinstance(e, HostResult)}
    assert (results["h1"].rc, results["h1"].attempts, results["h1"].delta_s) == (None, 1, None)
    assert (results["h2"].rc, results["h2"].attempts, results["h2"].delta_s) == (-3, 2, None)
    (recap,) = [e for e in events if isinstance(e, Recap)]
    assert recap.stats["h1"].ok == 0 and recap.stats["h1"].changed == 1

    db = str(tmp_path / "s.duckdb")
    assert run_cli(capsys, "ingest", str(path), "--db", db).code == 0
    listed = run_ok(capsys, "runs", "--db", db, "--format", "json")
    (run,) = json.loads(listed.out)
    assert run["results_total"] == 2 and run["stats"]["h1"]["ok"] == 0
    for fmt in ("html", "markdown", "json", "junit"):
        shown = run_cli(capsys, "report", run["run_id"], "--db", db, "--format", fmt)
        assert shown.code == 0 and "Traceback" not in shown.err, shown.err
    assert run_cli(capsys, "gate", "--db", db, "--run", "latest").code in (0, 1)


def test_deeply_nested_json_is_dropped_not_fatal(tmp_path: Path) -> None:
    """A value nested 100k levels deep (hostile or broken input): the jsonl line is
    rejected and the next one kept; in a json document only the deep value is dropped
    (streamed with bounded memory, where the path prefixes once grew with the square
    of the depth) and every result around it is kept."""
    deep = "[" * 100_000 + "]" * 100_000
    ok = _line("v2_runner_on_ok", {"h2": {"changed": False}})
    bad = ok.replace(b'"changed": false', b'"changed": false, "x": ' + deep.encode())
    events = jsonl.parse_string(bad + ok, "deep.jsonl")
    assert [(e.line, e.reason) for e in events if isinstance(e, Rejected)] == [
        (1, "JSON nested too deeply")
    ]
    assert [e.host for e in events if isinstance(e, HostResult)] == ["h2"]

    sample = json.loads((SAMPLES / "json/site-2.19.json").read_bytes())
    entry = sample["plays"][0]["tasks"][0]
    host = next(iter(entry["hosts"]))
    entry["hosts"][host]["stdout"] = "DEEP"
    doc = json.dumps(sample).replace('"DEEP"', deep).encode()
    events = jsondoc.parse_string(doc, "deep.json")
    (rejected,) = [e for e in events if isinstance(e, Rejected)]
    assert "nested over 512 levels dropped" in rejected.reason
    results = [e for e in events if isinstance(e, HostResult)]
    assert len(results) == len(
        [e for e in jsondoc.parse_string(json.dumps(sample), "x") if isinstance(e, HostResult)]
    )
    assert any(r.host == host for r in results)
