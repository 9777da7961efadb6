"""ansible-runner job events: an ``artifacts/<ident>`` folder, its ``job_events/``
folder of ``N-uuid.json`` files, or a stream of job events one JSON object per
line (what ``ansible-runner`` workers emit).

Events are ordered by ``counter`` (file names sort wrongly). Runner tells what the
other formats do not: per-host start/end, ``ignore_errors`` on failures, and the
playbook's own uuid as a run identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import orjson

from ansiscope.errors import ParseError
from ansiscope.parser.base import LineParser, as_stream, iter_line_events, stable_id
from ansiscope.parser.events import (
    AnsibleWarning,
    Event,
    HostStats,
    Include,
    LogFormat,
    RejectReason,
    Status,
)
from ansiscope.parser.identity import playbook_name
from ansiscope.parser.results import host_result, parse_time, result_doc, text_or_none

RESULT_EVENTS = {
    "runner_on_ok": Status.OK,
    "runner_on_failed": Status.FAILED,
    "runner_on_skipped": Status.SKIPPED,
    "runner_on_unreachable": Status.UNREACHABLE,
}
STATS_KEYS = {
    "ok": "ok",
    "changed": "changed",
    "dark": "unreachable",
    "failures": "failures",
    "skipped": "skipped",
    "rescued": "rescued",
    "ignored": "ignored",
}
ITEM_EVENTS = {
    "runner_item_on_ok": False,
    "runner_item_on_failed": True,
    "runner_item_on_skipped": False,
}
BATCH_SUFFIX = re.compile(r"_\d+$")
EVENT_FILE = re.compile(r"^(\d+)-.+\.json$")


class RunnerParser(LineParser):
    """Push parser for runner job events (one decoded event at a time)."""

    format: ClassVar[LogFormat] = LogFormat.RUNNER

    def __init__(self, source: str = "-") -> None:
        super().__init__(source)
        # (task, host) -> [items, failed items] from item events: a no_log loop's
        # final result is censored whole, its item list included
        self._items: dict[tuple[str, str], list[int]] = {}

    def feed(self, line: bytes, offset: int, line_no: int) -> list[Event]:
        """Parse one job event serialised on one line."""
        if not line.strip():
            return self.emit.drain()
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            self.reject(
                offset, line_no, RejectReason.MALFORMED_JSON, f"malformed JSON: {exc}", line
            )
            return self.emit.drain()
        return self.feed_event(data, offset, line_no, line)

    def feed_event(self, data: Any, offset: int, line_no: int | None, raw: bytes) -> list[Event]:
        """Consume one decoded job event."""
        if not isinstance(data, dict) or not isinstance(data.get("event"), str):
            self.reject(
                offset, line_no, RejectReason.NOT_AN_EVENT, "not an ansible-runner job event", raw
            )
            return self.emit.drain()
        self._dispatch(data, offset)
        return self.emit.drain()

    def _dispatch(self, data: dict[str, Any], offset: int) -> None:
        event = data["event"]
        ed = _dict(data.get("event_data"))
        at = parse_time(data.get("created"))
        if event == "playbook_on_start":
            self._start(ed, offset, at)
            return
        if self.emit.run is None and event != "playbook_on_stats":
            self._start(ed, offset, at)
        if event == "playbook_on_play_start":
            play_id = BATCH_SUFFIX.sub("", str(ed.get("play_uuid") or ed.get("uuid") or ""))
            self.emit.play(offset, play_id, str(ed.get("play") or ed.get("name") or ""), None, at)
        elif event in ("playbook_on_task_start", "playbook_on_handler_task_start"):
            handler = event == "playbook_on_handler_task_start" or bool(ed.get("is_conditional"))
            self._task(ed, offset, at, handler)
        elif event in RESULT_EVENTS:
            self._result(ed, RESULT_EVENTS[event], offset, at, str(data.get("stdout") or ""))
        elif event in ITEM_EVENTS:
            key = (str(ed.get("task_uuid") or ""), str(ed.get("host", "")))
            items = self._items.setdefault(key, [0, 0])
            items[0] += 1
            items[1] += ITEM_EVENTS[event]
        elif event == "playbook_on_include":
            self.emit.add(
                Include,
                offset,
                play_id=self.emit.current_play(),
                task_id=text_or_none(ed.get("task_uuid")),
                path=str(ed.get("included_file", "")),
                hosts=tuple(ed["hosts"]) if isinstance(ed.get("hosts"), list) else (),
            )
        elif event in ("warning", "deprecated"):
            text = str(data.get("stdout") or "").replace("\r\n", "\n").strip()
            self.emit.add(AnsibleWarning, offset, message=text.removeprefix("[WARNING]:").strip())
        elif event == "playbook_on_stats":
            self._stats(ed, offset, at)

    def _start(self, ed: dict[str, Any], offset: int, at: Any) -> None:
        uuid = ed.get("playbook_uuid") or ed.get("uuid")
        book = text_or_none(ed.get("playbook"))  # as given, relative to the runner project
        self.emit.start_run(
            stable_id("runner", uuid) if uuid else stable_id(self.source, offset),
            offset,
            playbook=playbook_name(book),
            started_at=at,
            about={"playbook_path": book} if book else None,
        )

    def _task(self, ed: dict[str, Any], offset: int, at: Any, handler: bool) -> None:
        name = str(ed.get("name") or ed.get("task") or "")
        self.emit.task(
            offset,
            str(ed.get("task_uuid") or ed.get("uuid") or ""),
            name,
            path=text_or_none(ed.get("task_path")),
            handler=handler,
            at=at,
            action=text_or_none(ed.get("task_action")),
        )

    def _result(
        self, ed: dict[str, Any], status: Status, offset: int, at: Any, stdout: str
    ) -> None:
        task_id = str(ed.get("task_uuid") or "")
        name = str(ed.get("task") or "")
        if ed.get("role") and " : " not in name:
            name = f"{ed['role']} : {name}"
        self.emit.task(
            offset,
            task_id,
            name,
            path=text_or_none(ed.get("task_path")),
            handler=False,
            at=at,
        )
        duration = ed.get("duration")
        result = host_result(
            result_doc(ed.get("res")),
            status,
            offset,
            self.emit.current_play(),
            task_id,
            name,
            str(ed.get("host", "")),
            parse_time(ed.get("start")),
            parse_time(ed.get("end")) or at,
            max(0.0, float(duration)) if isinstance(duration, (int, float)) else None,
        )
        if result.no_log and status is Status.OK and stdout.lstrip().startswith("changed"):
            result.status, result.changed = Status.CHANGED, True  # res is censored whole
        if status is Status.FAILED and ed.get("ignore_errors"):
            result.status = Status.IGNORED
        if result.action is None and isinstance(ed.get("task_action"), str):
            result.action = ed["task_action"]
        items = self._items.pop((task_id, result.host), None)
        if items is not None and not result.items_total:
            result.items_total, result.items_failed = items
        self.emit.add_result(result)

    def _stats(self, ed: dict[str, Any], offset: int, at: Any) -> None:
        hosts: dict[str, dict[str, int]] = {}
        for key, name in STATS_KEYS.items():
            for host, count in _dict(ed.get(key)).items():
                hosts.setdefault(str(host), {})[name] = count
        for host in _dict(ed.get("processed")):
            hosts.setdefault(str(host), {})
        self.emit.recap(offset, {h: HostStats.from_mapping(s) for h, s in hosts.items()}, at)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def event_files(path: Path) -> list[tuple[int, Path]]:
    """The job event files under an artifacts folder (or ``job_events/`` itself), by counter."""
    folder = path / "job_events" if (path / "job_events").is_dir() else path
    files = []
    for entry in folder.iterdir():
        match = EVENT_FILE.match(entry.name)
        if match and entry.is_file():
            files.append((int(match.group(1)), entry))
    if not files:
        raise ParseError(str(path), "no ansible-runner job events (N-uuid.json files) found")
    files.sort()
    return files


def is_runner_dir(path: Path) -> bool:
    """Whether ``path`` is an ansible-runner artifacts folder or a ``job_events/`` folder."""
    if (path / "job_events").is_dir():
        return True
    return path.is_dir() and any(EVENT_FILE.match(p.name) for p in path.glob("*.json"))


def reject_event_file(parser: RunnerParser, counter: int, file: Path, exc: Exception) -> None:
    """Reject an event file that cannot be read (``OSError``) or decoded."""
    code = RejectReason.UNREADABLE if isinstance(exc, OSError) else RejectReason.MALFORMED_JSON
    parser.reject(counter, None, code, f"{file.name}: unreadable job event: {exc}", b"")


def iter_dir(path: Path) -> Iterator[Event]:
    """Yield events from a runner artifacts or ``job_events/`` folder."""
    parser = RunnerParser(str(path))
    for counter, file in event_files(path):
        try:
            raw = file.read_bytes()
            data = orjson.loads(raw)
        except (OSError, orjson.JSONDecodeError) as exc:
            reject_event_file(parser, counter, file, exc)
            yield from parser.emit.drain()
            continue
        yield from parser.feed_event(data, counter, None, raw)
    yield from parser.finish(-1)


def iter_events(stream: BinaryIO, source: str = "-") -> Iterator[Event]:
    """Yield events from a stream of runner job events, one JSON object per line."""
    return iter_line_events(RunnerParser(source), stream)


def parse_string(text: str | bytes, source: str = "<string>") -> list[Event]:
    """Parse runner job events (one per line) held in memory."""
    return list(iter_events(as_stream(text), source))
