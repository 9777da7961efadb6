"""Reading a log for ``parse`` and ``summary``: opening it (saying what was detected) and
warning about rejected lines on stderr; plus writing an output file or stdout."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ansiscope.errors import AnsiscopeError
from ansiscope.parser import Input, open_input
from ansiscope.parser.events import Event, LogFormat, Rejected

FORMAT_NAMES = {
    LogFormat.JSONL: "ansible.posix.jsonl",
    LogFormat.JSON: "ansible.posix.json",
    LogFormat.RUNNER: "ansible-runner job events",
    LogFormat.TEXT: "ansible-playbook text",
}
MAX_WARNINGS = 10


class RejectReporter:
    """Prints rejected input as one-line warnings on stderr (the first few, then a count)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, event: Rejected) -> None:
        """Warn about ``event`` (while under the limit) and count it."""
        self.count += 1
        if self.count <= MAX_WARNINGS:
            click.echo(f"warning: {event.message()}", err=True)

    def watch(self, events: Iterator[Event]) -> Iterator[Event]:
        """The events, reporting each rejected one as it passes."""
        for event in events:
            if isinstance(event, Rejected):
                self(event)
            yield event

    def close(self) -> None:
        """Say how many more were not printed."""
        if self.count > MAX_WARNINGS:
            click.echo(f"warning: … and {self.count - MAX_WARNINGS} more rejected lines", err=True)


def open_log(path: str, fmt: str | None, *, live: bool, quiet: bool) -> Input:
    """Open PATH (a file, a runner folder or -), saying on stderr how it is read."""
    source = open_input(path, LogFormat(fmt) if fmt else None, live=live)
    if not quiet:
        how = "detected" if source.detected else "reading as"
        click.echo(f"{source.name}: {how} {FORMAT_NAMES[source.format]}", err=True)
    return source


def write_output(target: str, data: bytes) -> None:
    """Write ``data`` to the file ``target`` (``-``: stdout)."""
    if target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(target).write_bytes(data)
    except OSError as exc:
        raise AnsiscopeError(f"{target}: cannot write: {exc.strerror or exc}") from exc
