"""Every ``RejectReason`` comes from real bad input of its kind, set by the parser where
it rejects (never read back from the message)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ansiscope.parser import base, jsondoc, jsonl, lines, runner, text
from ansiscope.parser.events import Event, Rejected, RejectReason

ASSETS = Path(__file__).parent / "assets"
GOOD = json.dumps({"_event": "v2_playbook_on_stats", "stats": {"h": {"ok": 1}}}).encode() + b"\n"
DEEP = b"[" * 100_000 + b"]" * 100_000


def _deep_document() -> bytes:
    doc = {"plays": [{"play": {"id": "p", "name": "p"}, "tasks": []}], "stats": {}}
    return (
        json.dumps(doc)
        .replace('"tasks": []', '"tasks": [], "x": DEEP')
        .replace("DEEP", DEEP.decode())
        .encode()
    )


def _runner_dir(tmp_path: Path, content: bytes) -> list[Event]:
    folder = tmp_path / "job_events"
    folder.mkdir()
    (folder / "1-aaaa.json").write_bytes(content)
    return list(runner.iter_dir(tmp_path))


CASES: list[tuple[str, RejectReason, Callable[[Path], list[Event]]]] = [
    ("jsonl line", RejectReason.MALFORMED_JSON, lambda _: jsonl.parse_string(
        (ASSETS / "malformed-line.jsonl").read_bytes())),
    ("json document", RejectReason.MALFORMED_JSON, lambda _: jsondoc.parse_string(
        (ASSETS / "malformed.json").read_bytes())),
    ("runner line", RejectReason.MALFORMED_JSON, lambda _: runner.parse_string(b'{"event": \n')),
    ("runner file", RejectReason.MALFORMED_JSON, lambda tmp: _runner_dir(tmp, b'{"event": "x"')),
    ("json document", RejectReason.TRUNCATED, lambda _: jsondoc.parse_string(
        (ASSETS / "truncated.json").read_bytes())),
    ("pretty jsonl", RejectReason.TRUNCATED, lambda _: jsonl.parse_string(
        b'{\n  "_event": "v2_playbook_on_stats",\n')),
    ("jsonl line", RejectReason.TOO_DEEP, lambda _: jsonl.parse_string(
        b'{"_event": "v2_runner_on_ok", "x": ' + DEEP + b"}\n")),
    ("json document", RejectReason.TOO_DEEP, lambda _: jsondoc.parse_string(_deep_document())),
    ("jsonl line", RejectReason.NOT_AN_EVENT, lambda _: jsonl.parse_string(b'{"x": 1}\n')),
    ("runner line", RejectReason.NOT_AN_EVENT, lambda _: runner.parse_string(b'{"x": 1}\n')),
    ("text line", RejectReason.BINARY, lambda _: text.parse_string(
        b"PLAY [all] ***\n\x00\x01\x02junk\n")),
]  # fmt: skip


def _codes(events: list[Event]) -> list[RejectReason]:
    return [e.code for e in events if isinstance(e, Rejected)]


@pytest.mark.parametrize(("where", "code", "parse"), CASES, ids=[f"{c[1]}-{c[0]}" for c in CASES])
def test_bad_input_is_rejected_with_its_reason(
    where: str, code: RejectReason, parse: Callable[[Path], list[Event]], tmp_path: Path
) -> None:
    codes = _codes(parse(tmp_path))
    assert codes and set(codes) == {code}, where


def test_too_long_line_and_pretty_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "MAX_LINE", 1000)
    monkeypatch.setattr(base, "MAX_LINE", 1000)
    monkeypatch.setattr(jsonl, "MAX_LINE", 1000)
    line = jsonl.parse_string(b"{" + b"x" * 5000 + b"}\n" + GOOD)
    pretty = jsonl.parse_string(b"{\n" + b'  "x": "y",\n' * 200 + b"}\n" + GOOD)
    assert _codes(line) == [RejectReason.TOO_LONG]
    assert _codes(pretty) == [RejectReason.TOO_LONG]


def test_unreadable_event_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An event file that cannot be read (tests run as root, so the read is made to
    fail: a permission error as an unprivileged service would meet)."""
    read = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "1-aaaa.json":
            raise PermissionError(13, "Permission denied", str(self))
        return read(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    events = _runner_dir(tmp_path, b"{}")
    assert _codes(events) == [RejectReason.UNREADABLE]
    (rejected,) = [e for e in events if isinstance(e, Rejected)]
    assert "unreadable job event" in rejected.reason


def test_every_reason_has_a_case() -> None:
    covered = {code for _, code, _ in CASES} | {RejectReason.TOO_LONG, RejectReason.UNREADABLE}
    assert covered == set(RejectReason)
