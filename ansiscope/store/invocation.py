"""How a run was invoked, as stored: the ``invocation`` record and the run's *shape*.

The shape is what makes two runs of one playbook comparable beyond check mode and
host count: the tags, skipped tags and host limit it ran with (``--tags``,
``--skip-tags``, ``--limit``). A run narrowed by any of them is only ever compared
with runs narrowed the same way; a full run, or one whose log does not say (plain
jsonl, text without a command line), has the empty shape — today's rule — so a
narrowed run never drags the baseline of the full runs down.
"""

from __future__ import annotations

import json
from typing import Any

from ansiscope.parser.events import RunStart

# The keys of ``runs --format json``'s ``invocation`` (null where the log does not say).
INVOCATION_KEYS = (
    "tags",
    "skip_tags",
    "limit",
    "check_mode",
    "diff",
    "forks",
    "become",
    "inventory",
    "extra_vars_keys",
    "git_commit",
    "git_dirty",
    "controller",
    "user",
)
# Ansible's own defaults: selecting these is selecting nothing.
DEFAULT_TAGS = frozenset({"all"})
DEFAULT_SKIP_TAGS = frozenset({"never"})


def invocation(start: RunStart) -> dict[str, Any] | None:
    """The run's invocation record, or ``None`` when the log says nothing of it."""
    record: dict[str, Any] = {}
    for key in INVOCATION_KEYS:
        value = getattr(start, key, None)
        record[key] = list(value) if isinstance(value, tuple) else value
    known = {k: v for k, v in record.items() if v is not None and k != "check_mode"}
    return record if known else None


def shape(start: RunStart) -> str:
    """The run's shape key: ``""`` for a full run (or one whose selection is unknown),
    else e.g. ``tags=deploy,web;limit=web*``."""
    tags = sorted(set(getattr(start, "tags", None) or ()) - DEFAULT_TAGS)
    skip = sorted(set(getattr(start, "skip_tags", None) or ()) - DEFAULT_SKIP_TAGS)
    limit = getattr(start, "limit", None)
    parts = []
    if tags:
        parts.append("tags=" + ",".join(tags))
    if skip:
        parts.append("skip_tags=" + ",".join(skip))
    if limit and limit != "all":
        parts.append(f"limit={limit}")
    return ";".join(parts)


def describe(shape_key: str) -> str:
    """The shape in words, for a gate report: ``all tasks and hosts`` or its selectors."""
    return shape_key.replace(";", ", ") if shape_key else "all tasks and hosts"


def invocation_of(stored: str | None, check_mode: bool | None) -> dict[str, Any]:
    """``runs --format json``'s ``invocation`` from the stored record: every key, null
    where unknown (check mode is known from more logs than the rest)."""
    record = json.loads(stored) if stored else {}
    out = {key: record.get(key) for key in INVOCATION_KEYS}
    out["check_mode"] = check_mode
    return out


def start_fields(playbook_path: str | None, stored: str | None) -> dict[str, Any]:
    """The ``RunStart`` fields a stored run gives back (its path and invocation)."""
    fields: dict[str, Any] = {"playbook_path": playbook_path}
    for key, value in (json.loads(stored) if stored else {}).items():
        if key in INVOCATION_KEYS and key != "check_mode":
            fields[key] = tuple(value) if isinstance(value, list) else value
    return fields
