"""Parsers for every common Ansible output, all emitting the canonical event model.

``open_input(path)`` is the entry point: it opens a file, folder or ``-`` (stdin),
detects (or takes) the format and streams events. Each format module also offers
``iter_events(stream, source)`` and ``parse_string(text)``.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ansiscope.errors import ParseError
from ansiscope.parser import native

native.install_guard()  # before any compiled module loads: stale ones are skipped

from ansiscope.parser import jsondoc, jsonl, runner, text  # noqa: E402
from ansiscope.parser.detect import SNIFF_BYTES, Unknown, sniff  # noqa: E402
from ansiscope.parser.events import Event, LogFormat  # noqa: E402

PARSERS: dict[LogFormat, Callable[[BinaryIO, str], Iterator[Event]]] = {
    LogFormat.JSONL: jsonl.iter_events,
    LogFormat.JSON: jsondoc.iter_events,
    LogFormat.RUNNER: runner.iter_events,
    LogFormat.TEXT: text.iter_events,
}


@dataclass
class Input:
    """An opened input: its name, detected format and event stream."""

    name: str
    format: LogFormat
    events: Iterator[Event]
    detected: bool = True
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Release the underlying file."""
        for close in self._closers:
            close()

    def __enter__(self) -> Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Prefixed(io.RawIOBase):
    """A stream that replays bytes already read for sniffing, then the rest."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = (
            self._rest.read1(len(buffer))
            if hasattr(self._rest, "read1")
            else self._rest.read(len(buffer))
        )
        buffer[: len(data)] = data
        return len(data)


def open_input(path: str, fmt: LogFormat | None = None, *, live: bool = False) -> Input:
    """Open ``path`` (a file, a runner artifacts folder, or ``-``) and stream its events.

    ``live`` (stdin only): text without timestamps is timed by line arrival.
    Raises ``ParseError`` naming the path when it cannot be read or recognised.
    """
    if path == "-":
        return _open_stdin(fmt, live)
    p = Path(path)
    if p.is_dir():
        if fmt in (None, LogFormat.RUNNER) and runner.is_runner_dir(p):
            return Input(path, LogFormat.RUNNER, runner.iter_dir(p), fmt is None)
        raise ParseError(
            path, "is a directory", hint="give a log file or an ansible-runner artifacts folder"
        )
    try:
        handle = p.open("rb")
    except FileNotFoundError as exc:
        raise ParseError(path, "no such file") from exc
    except OSError as exc:
        raise ParseError(path, f"cannot open: {exc.strerror or exc}") from exc
    detected = fmt is None
    if fmt is None:
        try:
            head = handle.read(SNIFF_BYTES)
            handle.seek(0)
            fmt = sniff(head)
        except Unknown as exc:
            handle.close()
            raise ParseError(path, str(exc), offset=0) from exc
        except OSError as exc:
            handle.close()
            raise ParseError(path, f"cannot read: {exc.strerror or exc}") from exc
    stream: BinaryIO = io.BufferedReader(handle, buffer_size=1 << 20)
    return Input(path, fmt, PARSERS[fmt](stream, path), detected, [handle.close])


def _open_stdin(fmt: LogFormat | None, live: bool) -> Input:
    raw: BinaryIO = sys.stdin.buffer
    head = b""
    detected = fmt is None
    if fmt is None:
        # Read whole lines only, so a live pipe is not held up waiting for 64 KB.
        while not head.strip():
            line = raw.readline()
            if not line:
                break
            head += line
        try:
            fmt = sniff(head)
        except Unknown as exc:
            raise ParseError("<stdin>", str(exc), offset=0) from exc
    stream = io.BufferedReader(_Prefixed(head, raw))
    if fmt is LogFormat.TEXT and live:
        events = text.iter_events(stream, "<stdin>", arrival_clock=lambda: datetime.now(UTC))
    else:
        events = PARSERS[fmt](stream, "<stdin>")
    return Input("<stdin>", fmt, events, detected)


__all__ = ["PARSERS", "Input", "LogFormat", "ParseError", "open_input"]
