"""Synthetic run history written as real ansible.posix.jsonl files (one per run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

HOSTS = ("h1", "h2")
TASKS = {"Build the release": 10.0, "Restart the service": 5.0, "Check the banner": 0.2}


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_run(
    folder: Path,
    index: int,
    *,
    slower: dict[str, float] | None = None,
    fail: set[str] | None = None,
    noise: float = 0.02,
    invocation: dict[str, object] | None = None,
) -> Path:
    """Run ``index`` of playbook ``/srv/deploy.yml``: each task takes its base time
    (× ``slower[name]``) with a deterministic ±``noise``; tasks in ``fail`` fail on h2."""
    slower, fail = slower or {}, fail or set()
    prefix = f"{index:08x}-0001-6e72-2971-"
    start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=index)
    lines = [
        {
            "_event": "v2_playbook_on_play_start",
            "_timestamp": _ts(start),
            "play": {
                "id": prefix + "000000000001",
                "name": "Deploy",
                "path": "/srv/deploy.yml:1",
                "duration": {"start": _ts(start)},
            },
        }
    ]
    if invocation is not None:  # as the ansiscope callback writes it
        header = {
            "run_id": f"{index:08x}-0000-4000-8000-000000000000",
            "playbook": {"path": "/srv/deploy.yml", "relative": "deploy.yml"},
            "invocation": {"tags": [], "skip_tags": [], "limit": None, **invocation},
        }
        lines.insert(
            0, {"_event": "ansiscope_run_start", "_timestamp": _ts(start), "ansiscope": header}
        )
    cursor = start
    stats = {
        h: {
            "ok": 0,
            "changed": 0,
            "failures": 0,
            "unreachable": 0,
            "skipped": 0,
            "rescued": 0,
            "ignored": 0,
        }
        for h in HOSTS
    }
    for t_no, (name, base) in enumerate(TASKS.items(), start=2):
        task = {
            "id": f"{prefix}{t_no:012d}",
            "name": name,
            "path": f"/srv/deploy.yml:{t_no * 3}",
            "duration": {"start": _ts(cursor)},
        }
        lines.append(
            {
                "_event": "v2_playbook_on_task_start",
                "_timestamp": _ts(cursor),
                "task": task,
                "hosts": {},
            }
        )
        end_max = cursor
        for h_no, host in enumerate(HOSTS):
            wobble = 1 + noise * (((index * 7 + t_no * 3 + h_no * 5) % 11) - 5) / 5
            end = cursor + timedelta(seconds=base * slower.get(name, 1.0) * wobble)
            end_max = max(end_max, end)
            failed = name in fail and host == "h2"
            lines.append(
                {
                    "_event": "v2_runner_on_failed" if failed else "v2_runner_on_ok",
                    "_timestamp": _ts(end),
                    "task": dict(task, duration={"start": _ts(cursor), "end": _ts(end)}),
                    "hosts": {host: {"changed": False, "rc": 1 if failed else 0, "failed": failed}},
                }
            )
            stats[host]["failures" if failed else "ok"] += 1
        cursor = end_max
    lines.append({"_event": "v2_playbook_on_stats", "_timestamp": _ts(cursor), "stats": stats})
    path = folder / f"run-{index:03d}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path
