"""The ``ansible.posix.jsonl`` callback: one JSON object per line.

There is no playbook-start event and no run id. Ansible's task and play ids share
a per-process prefix (``xxxxxxxx-xxxx-xxxx-xxxx-`` + a counter), so a change of
prefix (or a ``stats`` event) marks a new run in a file holding several runs; the
playbook comes from the first play's ``path``. Non-JSON lines (``-v`` output,
``2>&1`` noise) are rejected one by one; everything else still parses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from ansiscope.parser.base import (
    MAX_LINE,
    LineParser,
    as_stream,
    iter_line_events,
    playbook_from_path,
    stable_id,
)
from ansiscope.parser.events import Event, HostStats, LogFormat, Status, Warning
from ansiscope.parser.results import parse_time, result_fields

RESULT_EVENTS = {
    "v2_runner_on_ok": Status.OK,
    "v2_runner_on_failed": Status.FAILED,
    "v2_runner_on_skipped": Status.SKIPPED,
    "v2_runner_on_unreachable": Status.UNREACHABLE,
}
TASK_EVENTS = {
    "v2_playbook_on_task_start": False,
    "v2_playbook_on_handler_task_start": True,
    "v2_runner_on_start": False,  # strategy free: one per host and task
}


def id_prefix(ansible_id: str) -> str:
    """The per-process part of an Ansible uuid (everything before the counter)."""
    return ansible_id.rpartition("-")[0]


class JsonlParser(LineParser):
    """Push parser for ``ansible.posix.jsonl`` lines."""

    format = LogFormat.JSONL

    def __init__(self, source: str = "-") -> None:
        super().__init__(source)
        self._prefix: str | None = None
        self._pretty: list[bytes] | None = None  # json_indent > 0 spreads objects
        self._pretty_start = (0, 0)
        self._handlers: set[str] = set()
        self._last: tuple[str, str, str, Any, Any] | None = None  # the task results belong to

    def feed(self, line: bytes, offset: int, line_no: int) -> list[Event]:
        """Parse one line."""
        if self._pretty is not None:
            return self._feed_pretty(line, offset, line_no)
        if line[:1] == b"{" and line[1:2] not in (b"\n", b"\r", b""):
            self._parse_object(line, offset, line_no)  # the common case: one object per line
            return self.emit.drain()
        stripped = line.strip()
        if not stripped:
            return self.emit.drain()
        if stripped == b"{":
            self._pretty, self._pretty_start = [line], (offset, line_no)
            return self.emit.drain()
        self._parse_object(stripped, offset, line_no)
        return self.emit.drain()

    def _feed_pretty(self, line: bytes, offset: int, line_no: int) -> list[Event]:
        assert self._pretty is not None
        self._pretty.append(line)
        if line.rstrip() == b"}":
            data = b"".join(self._pretty)
            self._pretty = None
            self._parse_object(data, *self._pretty_start)
        elif sum(len(p) for p in self._pretty) > MAX_LINE:
            self._pretty = None
            self.reject(self._pretty_start[0], self._pretty_start[1], "object too large", line)
        return self.emit.drain()

    def finish(self, offset: int) -> list[Event]:
        """End of input; a half-written object is rejected."""
        if self._pretty is not None:
            start, line_no = self._pretty_start
            self.reject(start, line_no, "truncated JSON object at end of input", self._pretty[0])
            self._pretty = None
        return super().finish(offset)

    def _parse_object(self, raw: bytes, offset: int, line_no: int) -> None:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raw = raw.strip()
            text = raw[:40]
            if text.startswith((b"[WARNING]", b"[DEPRECATION WARNING]")):
                msg = raw.decode("utf-8", "replace").split(":", 1)[-1].strip()
                self.emit.add(Warning, offset, message=msg)
                return
            reason = "not JSON" if not text.startswith(b"{") else f"malformed JSON: {exc}"
            self.reject(offset, line_no, reason, raw)
            return
        if data.__class__ is not dict or data.get("_event").__class__ is not str:
            self.reject(offset, line_no, "JSON without an '_event' key", raw)
            return
        self._dispatch(data, offset, line_no)

    def _dispatch(self, data: dict[str, Any], offset: int, line_no: int) -> None:
        event = data["_event"]
        status = RESULT_EVENTS.get(event)
        if status is not None:
            self._result(data, status, offset)
        elif event in TASK_EVENTS:
            task = _dict(data.get("task"))
            self._ensure_run(str(task.get("id", "")), data, offset)
            handler = TASK_EVENTS[event] or str(task.get("id")) in self._handlers
            if TASK_EVENTS[event]:
                self._handlers.add(str(task.get("id")))
            self._task(task, offset, handler)
            self._last = None
        elif event == "v2_playbook_on_play_start":
            play = _dict(data.get("play"))
            play_id = str(play.get("id", ""))
            self._ensure_run(play_id, data, offset, new_play_path=play.get("path"))
            start = parse_time(_dict(play.get("duration")).get("start"))
            self.emit.play(offset, play_id, str(play.get("name", "")), play.get("path"), start)
            self._last = None
        elif event == "v2_playbook_on_stats":
            stats = _dict(data.get("stats"))
            at = parse_time(data.get("_timestamp"))
            if self.emit.run is None:
                self.emit.start_run(
                    stable_id(self.source, offset), offset, playbook=None, started_at=at
                )
            recap = {str(h): HostStats.from_mapping(_dict(s)) for h, s in stats.items()}
            self.emit.recap(offset, recap, at)
            self._prefix = None

    def _ensure_run(
        self, ansible_id: str, data: dict[str, Any], offset: int, new_play_path: Any = None
    ) -> None:
        prefix = id_prefix(ansible_id)
        if self.emit.run is not None and prefix == self._prefix:
            return
        at = parse_time(data.get("_timestamp"))
        self._prefix = prefix
        self._handlers.clear()
        path = new_play_path if isinstance(new_play_path, str) else None
        self.emit.start_run(
            stable_id("ansible", prefix, data.get("_timestamp")),
            offset,
            playbook=playbook_from_path(path),
            started_at=at,
        )

    def _task(self, task: dict[str, Any], offset: int, handler: bool) -> None:
        start = parse_time(_dict(task.get("duration")).get("start"))
        self.emit.task(
            offset,
            str(task.get("id", "")),
            str(task.get("name", "")),
            path=task.get("path") if isinstance(task.get("path"), str) else None,
            handler=handler,
            at=start,
        )

    def _result(self, data: dict[str, Any], status: Status, offset: int) -> None:
        hosts = data.get("hosts")
        task = data.get("task")
        if not isinstance(task, dict) or not isinstance(hosts, dict):
            task, hosts = _dict(task), _dict(hosts)
        task_id = str(task.get("id", ""))
        duration = task.get("duration") or {}
        last = self._last
        if last is None or last[0] != task_id or self.emit.run is None:
            # first result of this task: check the run, announce the task (results of
            # one task come in a row, so the rest take the short path)
            if (
                self._prefix is None
                or self.emit.run is None
                or not task_id.startswith(self._prefix)
            ):
                self._ensure_run(task_id, data, offset)
            self._task(task, offset, task_id in self._handlers)
            last = self._last = (
                task_id,
                str(task.get("name", "")),
                self.emit.current_play(),
                duration.get("start"),
                parse_time(duration.get("start")),
            )
        _, name, play_id, raw_start, start = last
        if duration.get("start") != raw_start:  # strategy free: a start per host
            start = parse_time(duration.get("start"))
        end = parse_time(duration.get("end")) or parse_time(data.get("_timestamp"))
        elapsed = (end - start).total_seconds() if start and end else None
        if elapsed is not None and elapsed < 0:
            elapsed = 0.0
        result = self.emit.result
        for host, res in hosts.items():
            fields = result_fields(res if res.__class__ is dict else {}, status)
            result(offset, play_id, task_id, name, str(host), start, end, elapsed, fields)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def iter_events(stream: BinaryIO, source: str = "-") -> Iterator[Event]:
    """Yield canonical events from an ``ansible.posix.jsonl`` stream."""
    return iter_line_events(JsonlParser(source), stream)


def parse_string(text: str | bytes, source: str = "<string>") -> list[Event]:
    """Parse a whole jsonl document held in memory (tests, small inputs)."""
    return list(iter_events(as_stream(text), source))
