"""A realistic ``ansible.posix.jsonl`` generator for the benchmarks.

Runs of TASKS tasks on HOSTS hosts (command-module results with stdout, a failure
now and then), each run with its own Ansible uuid prefix, one after another.
"""

from __future__ import annotations

from pathlib import Path

import orjson

HOSTS = [f"host{i:02d}" for i in range(10)]
TASKS = 100


def _line(obj: dict) -> bytes:
    return orjson.dumps(obj) + b"\n"


def _result(task_no: int, n: int) -> dict:
    res = {
        "action": "ansible.builtin.command",
        "changed": task_no % 3 == 0,
        "cmd": ["echo", "x"],
        "delta": "0:00:00.004218",
        "end": "2026-11-29 02:56:42.767322",
        "rc": 0,
        "msg": "",
        "start": "2026-11-29 02:56:42.763104",
        "stderr": "",
        "stderr_lines": [],
        "stdout": "configured component " * 8,
        "stdout_lines": ["configured component " * 8],
        "invocation": {
            "module_args": {"_raw_params": "echo x", "_uses_shell": False, "chdir": None}
        },
        "_ansible_no_log": False,
    }
    if n % 997 == 0:
        res["failed"] = True
    return res


def _failed_result(task_no: int, n: int) -> dict:
    """A failure with a long message on every result: the most text a batch can hold."""
    res = _result(task_no, n)
    res["failed"] = True
    res["msg"] = f"non-zero return code ({n}): " + "configuration check failed; " * 40
    res["stderr"] = "error: " * 80
    return res


def _short_result(task_no: int, n: int) -> dict:
    """A small module result (``ping``-like): ~420-byte lines, where per-line work shows most."""
    res = {
        "action": "ansible.builtin.ping",
        "changed": False,
        "ping": "pong",
        "invocation": {"module_args": {"data": "pong"}},
        "_ansible_no_log": False,
    }
    if n % 997 == 0:
        res["failed"] = True
    return res


def generate(
    path: Path,
    results: int,
    *,
    tasks: int = TASKS,
    hosts: list[str] = HOSTS,
    first_run: int = 0,
    short: bool = False,
    failures: bool = False,
) -> int:
    """Write runs totalling ``results`` host results to ``path``; returns its size.
    ``short``: small ``ping``-like results instead of command output; ``failures``:
    every result failed, with a ~1 KB message."""
    make_result = _short_result if short else _failed_result if failures else _result
    n = 0
    run = first_run
    with path.open("wb") as out:
        while n < results:
            run += 1
            prefix = f"02fc{run:04x}-0001-6e72-2971-"
            minute = run % 60
            stamp = f"2026-11-29T{2 + run // 3600 % 20:02d}:{minute:02d}:"
            out.write(
                _line(
                    {
                        "_event": "v2_playbook_on_play_start",
                        "_timestamp": stamp + "00.849380Z",
                        "play": {
                            "duration": {"start": stamp + "00.849359Z"},
                            "id": prefix + "000000000001",
                            "name": "Bench play",
                            "path": "/srv/site.yml:1",
                        },
                        "tasks": [],
                    }
                )
            )
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
                for h in hosts
            }
            for task_no in range(1, tasks + 1):
                if n >= results:
                    break
                second = f"{task_no % 60:02d}.{task_no:06d}Z"
                task = {
                    "duration": {"start": stamp + second},
                    "id": f"{prefix}{task_no + 1:012d}",
                    "name": f"Configure component {task_no}",
                    "path": f"/srv/roles/app/tasks/main.yml:{task_no}",
                }
                out.write(
                    _line(
                        {
                            "_event": "v2_playbook_on_task_start",
                            "_timestamp": stamp + second,
                            "hosts": {},
                            "task": task,
                        }
                    )
                )
                for i, host in enumerate(hosts):
                    if n >= results:
                        break
                    n += 1
                    res = make_result(task_no, n)
                    event = "v2_runner_on_failed" if res.get("failed") else "v2_runner_on_ok"
                    key = (
                        "failures" if res.get("failed") else ("changed" if res["changed"] else "ok")
                    )
                    stats[host][key] += 1
                    if key == "changed":
                        stats[host]["ok"] += 1
                    end = f"{task_no % 60:02d}.{task_no:03d}{i:03d}Z"
                    t = dict(
                        task, duration={"start": task["duration"]["start"], "end": stamp + end}
                    )
                    out.write(
                        _line(
                            {
                                "_event": event,
                                "_timestamp": stamp + end,
                                "hosts": {host: res},
                                "task": t,
                            }
                        )
                    )
            out.write(
                _line(
                    {
                        "_event": "v2_playbook_on_stats",
                        "_timestamp": stamp + "59.000000Z",
                        "stats": stats,
                    }
                )
            )
    return path.stat().st_size
