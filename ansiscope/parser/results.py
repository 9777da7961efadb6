"""Reading one Ansible result dict (as the json, jsonl and runner callbacks dump it)
into the fields of a ``HostResult``. Shared by the JSON-based formats."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from ansiscope.parser.events import Status

MAX_MSG = 1000
CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified"


def parse_time(value: Any) -> datetime | None:
    """An Ansible timestamp (``...Z``, ``+00:00`` or naive UTC) as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    return _parse_time(value)


@lru_cache(maxsize=4096)  # a task's start repeats on every host's result
def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@lru_cache(maxsize=4096)
def _delta(value: str) -> float | None:
    try:
        hours, minutes, seconds = value.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


def parse_delta(value: Any) -> float | None:
    """A module ``delta`` such as ``0:00:01.250000`` in seconds."""
    return _delta(value) if isinstance(value, str) else None


def short_text(value: Any, limit: int = MAX_MSG) -> str | None:
    """A message cut to ``limit`` characters (with a marker), or ``None``."""
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return text[:limit] + f"… [{len(text) - limit} more characters]"
    return text


def result_fields(result: dict[str, Any], status: Status) -> dict[str, Any]:
    """The ``HostResult`` fields a result dict tells (status, items, rc, msg, …).

    Never copies ``invocation``/module args or stdout of a ``no_log`` result: those
    fields are not part of the model at all.
    """
    get = result.get
    no_log = bool(get("_ansible_no_log")) or "censored" in result
    changed = bool(get("changed"))
    items = get("results")
    items_total = items_failed = 0
    if items.__class__ is list:
        items_total = len(items)
        items_failed = sum(1 for i in items if isinstance(i, dict) and i.get("failed"))
        changed = changed or any(isinstance(i, dict) and i.get("changed") for i in items)
    if changed and status is Status.OK:
        status = Status.CHANGED
    rc = get("rc")
    attempts = get("attempts")
    delegated = get("_ansible_delegated_vars")
    action = get("action")
    delta = get("delta")
    return {
        "status": status,
        "changed": changed,
        "action": action if action.__class__ is str else None,
        "items_total": items_total,
        "items_failed": items_failed,
        "attempts": attempts if attempts.__class__ is int and attempts > 0 else 1,
        "rc": rc if rc.__class__ is int else None,
        "delta_s": None if delta is None else parse_delta(delta),
        "msg": None if no_log else _message(result, status),
        "delegated_to": _delegated_host(delegated) if delegated else None,
        "no_log": no_log,
    }


def _message(result: dict[str, Any], status: Status) -> str | None:
    msg = result.get("msg")
    if status in (Status.FAILED, Status.UNREACHABLE) and not msg:
        msg = result.get("stderr") or result.get("reason")
    if not msg and status is Status.SKIPPED:
        msg = result.get("skip_reason")
    return short_text(msg)


def _delegated_host(delegated: Any) -> str | None:
    """The inventory name of the delegate (2.16 ``ansible_delegated_host``), or its address."""
    if not isinstance(delegated, dict):
        return None
    host = delegated.get("ansible_delegated_host") or delegated.get("ansible_host")
    return str(host) if host else None
