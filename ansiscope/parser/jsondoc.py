"""The ``ansible.posix.json`` callback: one JSON document written at the end of a run.

Streamed with ``ijson`` so a huge document never sits in memory: each task entry
(``plays[].tasks[]``) is built on its own and turned into events. The document
keeps one end time per task, not per host, so a task entry with several hosts
gives the task's wall time (``TaskTiming``) and no per-host durations; with
``strategy: free`` each entry holds one host and its times are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO, ClassVar

import ijson

from ansiscope.parser.base import Emitter, as_stream, playbook_from_path, seconds_between, stable_id
from ansiscope.parser.events import (
    Event,
    HostStats,
    LogFormat,
    RejectReason,
    Status,
    TaskTiming,
)
from ansiscope.parser.identity import playbook_name
from ansiscope.parser.jsonl import id_prefix
from ansiscope.parser.results import host_result, parse_time, result_doc, text_or_none

PLAY = "plays.item.play"
TASK = "plays.item.tasks.item"
STATS = "stats"
TARGET_DEPTH = 4  # path components of the deepest of them
MAX_DEPTH = 512  # Ansible's output never nests this far; deeper values are dropped
OPENS = ("start_map", "start_array")
CLOSES = ("end_map", "end_array")


class _CountingReader:
    """Counts bytes handed to the JSON tokenizer, to say where a document broke."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.consumed += len(data)
        return data


class JsonDocParser:
    """Turns the document's plays, task entries and stats into events."""

    format: ClassVar[LogFormat] = LogFormat.JSON

    def __init__(self, source: str = "-") -> None:
        self.source = source
        self.emit = Emitter(source, self.format)
        self.last_end: datetime | None = None

    def iter_events(self, stream: BinaryIO) -> Iterator[Event]:
        """Yield events while the document streams in; a broken document is rejected
        at the byte where it broke, after everything before it."""
        reader = _CountingReader(stream)
        try:
            yield from self._walk(reader)
        except ijson.JSONError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "malformed"
            # ijson says so in words only: its message is the one place that tells
            if "premature EOF" in reason:
                code = RejectReason.TRUNCATED
                reason = "truncated JSON document (the run was probably cut off)"
            else:
                code = RejectReason.MALFORMED_JSON
                reason = f"malformed JSON document: {reason}"
            self.emit.reject(reader.consumed, None, code, reason, b"")
        except (UnicodeDecodeError, ValueError) as exc:
            self.emit.reject(
                reader.consumed,
                None,
                RejectReason.MALFORMED_JSON,
                f"malformed JSON document: {exc}",
                b"",
            )
        yield from self.emit.finish(reader.consumed)

    # one token loop per document, its state in locals: the hot path, kept whole
    def _walk(self, reader: _CountingReader) -> Iterator[Event]:  # noqa: C901
        """Build the plays, task entries and stats one at a time from the tokens.

        The path to the current value is kept here, not by ``ijson.parse``: its prefix
        strings grow with the depth, so a hostile 200k-deep document took memory by the
        square of it. Values nested deeper than ``MAX_DEPTH`` are dropped (``null``)."""
        targets = {PLAY: self._play, TASK: self._task, STATS: self._stats}
        path: list[str] = []  # map key or "item" per open container
        builder: Any = None
        built_at = -1  # len(path) where the object being built opened
        skipping = 0  # depth inside a dropped subtree
        for event, value in ijson.basic_parse(reader, use_float=True):
            if skipping:
                if event in OPENS:
                    skipping += 1
                elif event in CLOSES:
                    skipping -= 1
                continue
            if event == "map_key":
                path[-1] = value
            elif event in OPENS:
                if len(path) >= MAX_DEPTH:
                    skipping = 1
                    self.emit.reject(
                        reader.consumed,
                        None,
                        RejectReason.TOO_DEEP,
                        f"value nested over {MAX_DEPTH} levels dropped",
                        b"",
                    )
                    if builder is not None:
                        builder.event("null", None)
                    continue
                if builder is None and event == "start_map" and len(path) <= TARGET_DEPTH:
                    if ".".join(path) in targets:
                        builder, built_at = ijson.ObjectBuilder(), len(path)
                path.append("" if event == "start_map" else "item")
            elif event in CLOSES:
                path.pop()
            if builder is not None:
                builder.event(event, value)
                if event == "end_map" and len(path) == built_at:
                    targets[".".join(path)](builder.value, reader.consumed)
                    builder = None
                    yield from self.emit.drain()

    def _play(self, play: dict[str, Any], offset: int) -> None:
        play_id = str(play.get("id", ""))
        path = text_or_none(play.get("path"))
        start = parse_time(_dict(play.get("duration")).get("start"))
        if self.emit.run is None:
            book = playbook_from_path(path)
            self.emit.start_run(
                stable_id("ansible", id_prefix(play_id), _dict(play.get("duration")).get("start")),
                offset,
                playbook=playbook_name(book),
                started_at=start,
                about={"playbook_path": book} if book else None,
            )
        self.emit.play(offset, play_id, str(play.get("name", "")), path, start)
        end = parse_time(_dict(play.get("duration")).get("end"))
        self.last_end = end or self.last_end

    def _task(self, entry: dict[str, Any], offset: int) -> None:
        task = _dict(entry.get("task"))
        hosts = _dict(entry.get("hosts"))
        task_id = str(task.get("id", ""))
        name = str(task.get("name", ""))
        duration = _dict(task.get("duration"))
        start, end = parse_time(duration.get("start")), parse_time(duration.get("end"))
        path = text_or_none(task.get("path"))
        self.emit.task(offset, task_id, name, path=path, handler=False, at=start)
        exact = len(hosts) == 1
        for host, result in hosts.items():
            data = _dict(result)
            self.emit.add_result(
                host_result(
                    result_doc(data),
                    _status(data),
                    offset,
                    self.emit.current_play(),
                    task_id,
                    name,
                    str(host),
                    start,
                    end if exact else None,
                    seconds_between(start, end) if exact else None,
                )
            )
        if not exact and start is not None and end is not None:
            self.emit.add(
                TaskTiming,
                offset,
                task_id=task_id,
                started_at=start,
                ended_at=end,
                duration_s=seconds_between(start, end) or 0.0,
            )

    def _stats(self, stats: dict[str, Any], offset: int) -> None:
        if self.emit.run is None:
            self.emit.start_run(
                stable_id(self.source, "stats-only"), offset, playbook=None, started_at=None
            )
        recap = {str(h): HostStats.from_mapping(_dict(s)) for h, s in stats.items()}
        self.emit.recap(offset, recap, self.last_end)


def _status(result: dict[str, Any]) -> Status:
    """A result's status by Ansible's own rules (``TaskResult``): a key missing from a
    loop's result is true if it is true for any item; skipped only if every item was."""
    loop = result.get("results")
    if not isinstance(loop, list):
        loop = []
    items = [i for i in loop if isinstance(i, dict)]
    if _check(result, items, "unreachable"):
        return Status.UNREACHABLE
    failed_key = "failed"
    if "failed_when_result" in result or any("failed_when_result" in i for i in items):
        failed_key = "failed_when_result"
    if _check(result, items, failed_key):
        return Status.FAILED
    if (loop and all(isinstance(i, dict) and i.get("skipped") for i in loop)) or result.get(
        "skipped"
    ):
        return Status.SKIPPED
    return Status.OK


def _check(result: dict[str, Any], items: list[dict[str, Any]], key: str) -> bool:
    if key in result:
        return bool(result[key])
    return any(i.get(key) for i in items)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def iter_events(stream: BinaryIO, source: str = "-") -> Iterator[Event]:
    """Yield canonical events from an ``ansible.posix.json`` document."""
    return JsonDocParser(source).iter_events(stream)


def parse_string(text: str | bytes, source: str = "<string>") -> list[Event]:
    """Parse a whole json document held in memory."""
    return list(iter_events(as_stream(text), source))
