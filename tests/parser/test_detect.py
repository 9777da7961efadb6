"""Format detection from the first bytes, and the runner event stream form."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from ansiscope.parser import open_input, runner
from ansiscope.parser.detect import Unknown, sniff
from ansiscope.parser.events import LogFormat
from tests.conftest import SAMPLES, runs_of, sample_paths

FOLDER_FORMAT = {
    "jsonl": "jsonl",
    "json": "json",
    "text": "text",
    "runner": "runner",
    "callback": "jsonl",
}


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_is_detected_as_its_format(path: Path) -> None:
    with open_input(str(path)) as source:
        assert source.format.value == FOLDER_FORMAT[path.parent.name]
        assert source.detected


def test_pretty_printed_jsonl_and_json() -> None:
    line = json.loads((SAMPLES / "jsonl/two-runs-2.19.jsonl").read_text().splitlines()[0])
    assert sniff(json.dumps(line, indent=4, sort_keys=True).encode()) is LogFormat.JSONL
    assert sniff(b'{\n    "custom_stats": {},\n    "plays": []\n}') is LogFormat.JSON


def test_pretty_printed_jsonl_parses(tmp_path: Path) -> None:
    lines = (SAMPLES / "jsonl/two-runs-2.19.jsonl").read_text().splitlines()
    pretty = "\n".join(json.dumps(json.loads(x), indent=4, sort_keys=True) for x in lines) + "\n"
    path = tmp_path / "pretty.jsonl"
    path.write_text(pretty)
    compact = runs_of(SAMPLES / "jsonl/two-runs-2.19.jsonl")
    assert [r.stats for r in runs_of(path)] == [r.stats for r in compact]


def test_verbose_noise_before_jsonl() -> None:
    body = (
        b"Using /etc/ansible.cfg as config file\n"
        + (SAMPLES / "jsonl/two-runs-2.19.jsonl").read_bytes()
    )
    assert sniff(body) is LogFormat.JSONL


def test_colour_codes_in_text() -> None:
    assert sniff(b"\x1b[0;32mPLAY [x] ****\x1b[0m\n") is LogFormat.TEXT


@pytest.mark.parametrize("data", [b"", b"  \n", b"\x00\x01\x02", b"just words\n"])
def test_unknown(data: bytes) -> None:
    with pytest.raises(Unknown):
        sniff(data)


def test_binary_without_nul_bytes_is_called_binary(capsys: pytest.CaptureFixture[str]) -> None:
    """Random bytes (a short first line, no NUL in it: what standard input sniffs) are
    binary, not "an unknown format"; coloured text is not binary."""
    import random

    from tests.clirun import run_cli

    rng = random.Random(7)
    junk = bytes(rng.randrange(1, 256) for _ in range(3000))
    with pytest.raises(Unknown, match="binary data"):
        sniff(junk)
    result = run_cli(capsys, "summary", "-", stdin=junk)
    assert result.code == 2 and "binary data, not an Ansible log" in result.err
    assert sniff((SAMPLES / "text/ping-color-2.19.txt").read_bytes()) is LogFormat.TEXT


def test_runner_events_as_json_lines_equal_the_folder(tmp_path: Path) -> None:
    folder = SAMPLES / "runner/site-2.19"
    stream = b"".join(
        orjson.dumps(orjson.loads(f.read_bytes())) + b"\n" for _, f in runner.event_files(folder)
    )
    path = tmp_path / "events.jsonl"
    path.write_bytes(stream)
    with open_input(str(path)) as source:
        assert source.format is LogFormat.RUNNER
    (from_lines,) = runs_of(path)
    (from_dir,) = runs_of(folder)
    assert from_lines.stats == from_dir.stats
    assert [r.status for r in from_lines.results()] == [r.status for r in from_dir.results()]


@pytest.mark.parametrize(
    ("asset", "reason"),
    [
        ("ansible-error-2.19.txt", "YAML parsing failed"),
        ("ansible-error-2.16.txt", "We were unable to read either as JSON nor YAML"),
        ("list-tasks-2.19.txt", "no play ran"),
    ],
)
def test_ansible_output_without_a_run_says_why(asset: str, reason: str) -> None:
    """Real ansible-playbook output of a playbook that never ran (a YAML error; the
    ERROR! of ansible-core 2.16; --list-tasks) is named as such, not as unknown."""
    head = (Path(__file__).parent / "assets" / asset).read_bytes()
    with pytest.raises(Unknown, match=reason) as caught:
        sniff(head)
    assert "ansible-playbook" in str(caught.value)
    assert "\n" not in str(caught.value)
