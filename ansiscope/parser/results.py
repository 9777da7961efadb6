"""Reading one Ansible result dict (as the json, jsonl and runner callbacks dump it)
into the fields of a ``HostResult``. Shared by the JSON-based formats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import msgspec

from ansiscope.parser.events import INT_MAX, HostResult, Status
from ansiscope.parser.shapes import ResultDoc

MAX_MSG = 1000
MAX_SECONDS: Final = 1e9  # ~31 years: a longer duration is not one

# ``ResultDoc`` read as one tuple: a compiled module reads a Struct's fields through
# the generic attribute lookup (~20 ns each); ``astuple`` reads them all in C at once.
fields_of: Final = msgspec.structs.astuple  # (the jsonl parser reads its docs this way too)
_RESULT_FIELDS: Final = ResultDoc.__struct_fields__  # the tuple's order
CHANGED: Final = _RESULT_FIELDS.index("changed")
ACTION: Final = _RESULT_FIELDS.index("action")
RC: Final = _RESULT_FIELDS.index("rc")
ATTEMPTS: Final = _RESULT_FIELDS.index("attempts")
DELTA: Final = _RESULT_FIELDS.index("delta")
MSG: Final = _RESULT_FIELDS.index("msg")
RESULTS: Final = _RESULT_FIELDS.index("results")
CENSORED: Final = _RESULT_FIELDS.index("censored")
NO_LOG: Final = _RESULT_FIELDS.index("no_log")
DELEGATED: Final = _RESULT_FIELDS.index("delegated")


def result_doc(value: Any) -> ResultDoc:
    """A result dict (runner, json callback) as a ``ResultDoc``; odd shapes are tolerated."""
    if not isinstance(value, dict):
        return ResultDoc()
    try:
        return msgspec.convert(value, ResultDoc)
    except msgspec.ValidationError:
        items = value.get("results")
        clean = {k: v for k, v in value.items() if isinstance(k, str) and k != "results"}
        if isinstance(items, list):
            clean["results"] = [i for i in items if isinstance(i, dict)]
        return msgspec.convert(clean, ResultDoc)


_TIMES: dict[str, datetime | None] = {}  # a task's start repeats on every host's result


def parse_time(value: Any) -> datetime | None:
    """An Ansible timestamp (``...Z``, ``+00:00`` or naive UTC) as an aware UTC datetime.

    Cached: a task's start repeats on every host's result."""
    if value.__class__ is not str:
        return None
    parsed = _TIMES.get(value, False)
    if parsed is not False:
        return parsed  # type: ignore[return-value]
    parsed = parse_time_once(value)
    if len(_TIMES) >= 4096:
        _TIMES.clear()
    _TIMES[value] = parsed
    return parsed


def parse_time_once(value: Any) -> datetime | None:
    """``parse_time`` without the cache, for timestamps that do not repeat (a host's end)."""
    if value.__class__ is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    tz = parsed.tzinfo
    if tz is None:
        return parsed.replace(tzinfo=UTC)
    if tz is not UTC:  # ``Z`` and ``+00:00`` already give the UTC singleton
        return parsed.astimezone(UTC)
    return parsed


_DELTAS: dict[str, float | None] = {}


def parse_delta(value: Any) -> float | None:
    """A module ``delta`` such as ``0:00:01.250000`` in seconds."""
    if value.__class__ is not str:
        return None
    seconds = _DELTAS.get(value, -1.0)
    if seconds != -1.0:
        return seconds
    try:
        hours, minutes, rest = value.split(":")
        seconds = int(hours) * 3600 + int(minutes) * 60 + float(rest)
    except (ValueError, OverflowError):
        seconds = None
    if seconds is not None and not 0.0 <= seconds <= MAX_SECONDS:  # nan, inf, negative
        seconds = None
    if len(_DELTAS) > 4096:
        _DELTAS.clear()
    _DELTAS[value] = seconds
    return seconds


def text_or_none(value: Any) -> str | None:
    """A string field of Ansible's JSON, or ``None`` when it holds anything else."""
    return value if isinstance(value, str) else None


def short_text(value: Any, limit: int = MAX_MSG) -> str | None:
    """A message cut to ``limit`` characters (with a marker), or ``None``."""
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return text[:limit] + f"… [{len(text) - limit} more characters]"
    return text


_EXPLAINED: Final = frozenset((Status.FAILED, Status.UNREACHABLE, Status.SKIPPED))
OK: Final = Status.OK  # read directly by compiled code (``Status.OK`` is a lookup)
CHANGED_STATUS: Final = Status.CHANGED


def host_result(
    result: ResultDoc,
    status: Status,
    offset: int,
    play_id: str,
    task_id: str,
    task_name: str,
    host: str,
    started_at: datetime | None,
    ended_at: datetime | None,
    duration_s: float | None,
) -> HostResult:
    """A ``HostResult`` from a module result; ``Emitter.add_result`` gives it its run.

    Never copies ``invocation``/module args or stdout of a ``no_log`` result: those
    fields are not part of the model at all.
    """
    fields: tuple[Any, ...] = fields_of(result)
    no_log = bool(fields[NO_LOG]) or fields[CENSORED] is not None
    changed = bool(fields[CHANGED])
    items = fields[RESULTS]
    items_total = items_failed = 0
    if items is not None:
        items_total = len(items)
        items_failed = sum(1 for i in items if i.failed)
        changed = changed or any(i.changed for i in items)
    if changed and status is OK:
        status = CHANGED_STATUS
    rc = fields[RC]
    attempts = fields[ATTEMPTS]
    delegated = fields[DELEGATED]
    action = fields[ACTION]
    delta = fields[DELTA]
    # an ok/changed result's empty msg is the common case: no lookup for it
    explained = not no_log and (bool(fields[MSG]) or status in _EXPLAINED)
    msg = _message(result, status) if explained else None
    return HostResult(  # by position, in field order (see HostResult)
        "",  # run_id, seq: given by Emitter.add_result
        -1,
        offset,
        play_id,
        task_id,
        task_name,
        host,
        status,
        changed,
        started_at,
        ended_at,
        duration_s,
        action if action.__class__ is str else None,
        items_total,
        items_failed,
        attempts if attempts.__class__ is int and 0 < attempts <= INT_MAX else 1,
        rc if rc.__class__ is int and -INT_MAX <= rc <= INT_MAX else None,
        None if delta is None else parse_delta(delta),
        msg,
        _delegated_host(delegated) if delegated else None,
        no_log,
    )


def _message(result: ResultDoc, status: Status) -> str | None:
    msg = result.msg
    if status in (Status.FAILED, Status.UNREACHABLE) and not msg:
        msg = result.stderr or result.reason
    if not msg and status is Status.SKIPPED:
        msg = result.skip_reason
    return short_text(msg)


def _delegated_host(delegated: Any) -> str | None:
    """The inventory name of the delegate (2.16 ``ansible_delegated_host``), or its address."""
    if not isinstance(delegated, dict):
        return None
    host = delegated.get("ansible_delegated_host") or delegated.get("ansible_host")
    return str(host) if host else None
