"""Reading one Ansible result dict (as the json, jsonl and runner callbacks dump it)
into the fields of a ``HostResult``. Shared by the JSON-based formats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ansiscope.parser.events import Status

MAX_MSG = 1000
CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified"


def parse_time(value: Any) -> datetime | None:
    """An Ansible timestamp (``...Z``, ``+00:00`` or naive UTC) as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_delta(value: Any) -> float | None:
    """A module ``delta`` such as ``0:00:01.250000`` in seconds."""
    if not isinstance(value, str):
        return None
    try:
        hours, minutes, seconds = value.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


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
    no_log = bool(result.get("_ansible_no_log")) or "censored" in result
    changed = bool(result.get("changed"))
    items = result.get("results")
    items_total = items_failed = 0
    if isinstance(items, list):
        items_total = len(items)
        items_failed = sum(1 for i in items if isinstance(i, dict) and i.get("failed"))
        changed = changed or any(isinstance(i, dict) and i.get("changed") for i in items)
    if status is Status.OK and changed:
        status = Status.CHANGED
    rc = result.get("rc")
    attempts = result.get("attempts")
    delegated = result.get("_ansible_delegated_vars")
    return {
        "status": status,
        "changed": changed,
        "action": result.get("action") if isinstance(result.get("action"), str) else None,
        "items_total": items_total,
        "items_failed": items_failed,
        "attempts": attempts if isinstance(attempts, int) and attempts > 0 else 1,
        "rc": rc if isinstance(rc, int) and not isinstance(rc, bool) else None,
        "delta_s": parse_delta(result.get("delta")),
        "msg": None if no_log else _message(result, status),
        "delegated_to": delegated.get("ansible_delegated_host")
        if isinstance(delegated, dict)
        else None,
        "no_log": no_log,
    }


def _message(result: dict[str, Any], status: Status) -> str | None:
    msg = result.get("msg")
    if status in (Status.FAILED, Status.UNREACHABLE) and not msg:
        msg = result.get("stderr") or result.get("reason")
    if not msg and status is Status.SKIPPED:
        msg = result.get("skip_reason")
    return short_text(msg)
