"""``ansiscope parse``: a log's canonical events as JSON lines."""

from __future__ import annotations

import dataclasses
import sys

import click
import orjson

from ansiscope.cli.inputs import RejectReporter, open_log
from ansiscope.cli.options import format_option
from ansiscope.errors import ParseError
from ansiscope.parser.events import AnsibleWarning, Event, HostResult, Rejected
from ansiscope.redact import redact


@click.command()
@click.argument("path")
@format_option
def parse(path: str, fmt: str | None) -> None:
    """Print the canonical events of PATH (a file, a runner folder or -) as JSON lines."""
    report = RejectReporter()
    out = sys.stdout.buffer
    useful = 0
    with open_log(path, fmt, live=False, quiet=False) as source:
        for event in report.watch(source.events):
            useful += not isinstance(event, Rejected)
            out.write(orjson.dumps(public_event(event).to_dict()) + b"\n")
    out.flush()
    report.close()
    if useful == 0:
        raise ParseError(path, "no Ansible events found")


def public_event(event: Event) -> Event:
    """The event as it may leave the process: messages redacted, no_log kept censored."""
    if isinstance(event, HostResult) and (event.msg or event.no_log):
        return dataclasses.replace(event, msg=None if event.no_log else redact(event.msg))
    if isinstance(event, AnsibleWarning):
        return dataclasses.replace(event, message=redact(event.message) or "")
    return event
