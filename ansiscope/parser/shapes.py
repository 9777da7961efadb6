"""The shapes ansiscope decodes Ansible's JSON into (``msgspec`` Structs).

Typed decoding builds only the fields the model uses and skips the rest (module
output, ``invocation``) without building it. These classes live apart from the
parsing code because that code may be compiled (see ``native.py``) and compiled
modules cannot define ``msgspec.Struct`` classes.
"""

from __future__ import annotations

from typing import Any

import msgspec


class Item(msgspec.Struct):
    """One loop item of a result (only what the roll-up needs)."""

    failed: Any = None
    changed: Any = None


class ResultDoc(msgspec.Struct):
    """The parts of a module result the model uses; decoding skips everything else
    (stdout, invocation, ...) without building it, which is what makes jsonl fast."""

    changed: Any = None
    action: Any = None
    rc: Any = None
    attempts: Any = None
    delta: Any = None
    msg: Any = None
    stderr: Any = None
    reason: Any = None
    skip_reason: Any = None
    results: list[Item] | None = None
    censored: Any = None
    no_log: Any = msgspec.field(default=None, name="_ansible_no_log")
    delegated: Any = msgspec.field(default=None, name="_ansible_delegated_vars")


class DurationDoc(msgspec.Struct):
    """A task's ``duration``: start and end stamps, as written."""

    start: Any = None
    end: Any = None


class TaskDoc(msgspec.Struct):
    """A task as the callback writes it: id, name, path and duration."""

    id: Any = None
    name: Any = None
    path: Any = None
    duration: DurationDoc | None = None


class LineDoc(msgspec.Struct):
    """One callback line, decoded straight into what the parser uses (typed decoding
    skips module output without building it: faster than ``orjson.loads``)."""

    event: str | None = msgspec.field(default=None, name="_event")
    timestamp: Any = msgspec.field(default=None, name="_timestamp")
    hosts: dict[str, ResultDoc] | None = None
    task: TaskDoc | None = None
    play: Any = None
    stats: Any = None
    ansiscope: Any = None  # the ansiscope callback's header (identity.HEADER_EVENT)
