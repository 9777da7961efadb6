"""The run summary as data: the documented ``summary --json`` contract, and the
Markdown report built from the same dict. Messages are redacted on the way out.

Contract (``schema_version`` 1): ``{"schema_version", "runs": [run, …]}``; each run
has ``run_id``, ``source``, ``format``, ``playbook``, ``started_at``/``ended_at``
(ISO 8601 UTC or null), ``duration_s`` (null when unknown), ``status``, ``clock``,
``plays_total``, ``tasks_total``, ``hosts_total``, ``results_total``, ``counts``
(results per status), ``success_rate`` (0..1), ``stats`` (host → Ansible's recap
keys), ``stats_source`` (``recap`` or ``results``), ``failed_hosts``,
``unreachable_hosts``, ``slowest_tasks`` (≤10: ``name``, ``duration_s``,
``slowest_host``), ``warnings``, ``rejected_lines`` and ``plays`` (the tree).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ansiscope.analytics.runtree import RunTree, TaskNode
from ansiscope.redact import redact

SCHEMA_VERSION = 1
MARKDOWN_LIMIT = 64 * 1024


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, or ``None``."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def seconds(value: float | None) -> float | None:
    """Seconds rounded to milliseconds, or ``None``."""
    return None if value is None else round(value, 3)


def run_summary(run: RunTree, *, tree: bool = True) -> dict[str, Any]:
    """One run as the contract's dict."""
    results = list(run.results())
    out: dict[str, Any] = {
        "run_id": run.run_id,
        "source": run.source,
        "format": run.format.value,
        "playbook": run.name,
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "duration_s": seconds(run.duration_s),
        "status": run.status.value,
        "clock": run.clock.value,
        "ansible_version": run.ansible_version,
        "plays_total": len(run.plays),
        "tasks_total": run.tasks_total,
        "hosts_total": len(run.hosts),
        "results_total": len(results),
        "counts": run.status_counts(),
        "success_rate": run.success_rate,
        "stats": {h: s.as_dict() for h, s in sorted(run.stats.items())},
        "stats_source": run.stats_source,
        "failed_hosts": run.failed_hosts,
        "unreachable_hosts": run.unreachable_hosts,
        "slowest_tasks": [
            {
                "name": task.name,
                "play": play.name,
                "duration_s": seconds(task.duration_s),
                "slowest_host": task.slowest.host if task.slowest else None,
            }
            for play, task in run.slowest_tasks(10)
        ],
        "warnings": [redact(w) for w in run.warnings],
        "rejected_lines": [r.message() for r in run.rejected],
    }
    if tree:
        out["plays"] = [
            {
                "name": play.name,
                "path": play.path,
                "batches": play.batches,
                "tasks": [_task(task) for task in play.tasks.values()],
            }
            for play in run.plays.values()
        ]
    return out


def _task(task: TaskNode) -> dict[str, Any]:
    return {
        "name": task.name,
        "role": task.role,
        "action": task.action,
        "path": task.path,
        "handler": task.handler,
        "duration_s": seconds(task.duration_s),
        "includes": [{"path": i.path, "hosts": list(i.hosts)} for i in task.includes],
        "results": [
            {
                "host": r.host,
                "status": r.status.value,
                "changed": r.changed,
                "duration_s": seconds(r.duration_s),
                "items": r.items_total,
                "items_failed": r.items_failed,
                "attempts": r.attempts,
                "rc": r.rc,
                "delegated_to": r.delegated_to,
                "no_log": r.no_log,
                "msg": None if r.no_log else redact(r.msg),
            }
            for r in task.results
        ],
    }


def summary_document(runs: list[RunTree], *, tree: bool = True) -> dict[str, Any]:
    """The whole ``summary --json`` document."""
    return {"schema_version": SCHEMA_VERSION, "runs": [run_summary(r, tree=tree) for r in runs]}


def fmt_seconds(value: float | None) -> str:
    """``12.3 s`` / ``4m 05s`` / ``unknown``."""
    if value is None:
        return "unknown"
    if round(value) < 60:
        return f"{value:.1f} s" if round(value, 1) < 10 else f"{value:.0f} s"
    minutes, secs = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def fmt_rate(value: float | None) -> str:
    """A 0..1 rate as a percentage."""
    return "n/a" if value is None else f"{value * 100:.1f}%"


def markdown(runs: list[RunTree], limit: int = MARKDOWN_LIMIT) -> str:
    """The summary as Markdown tables (under ``limit`` bytes; truncation is noted)."""
    parts: list[str] = []
    for run in runs:
        doc = run_summary(run, tree=False)
        parts += _md_overview(doc)
        parts += _md_recap(doc["stats"])
        parts += _md_slowest(doc["slowest_tasks"])
        parts += _md_failures(run)
        parts.append("")
    text = "\n".join(parts)
    if len(text.encode()) > limit:
        cut = text.encode()[: limit - 200].decode("utf-8", "ignore")
        text = cut.rsplit("\n", 1)[0] + "\n\n*…truncated to stay under 64 KB.*\n"
    return text


def _md_overview(doc: dict[str, Any]) -> list[str]:
    """A run's heading, its one-row table, the result counts and the failed hosts."""
    counts = doc["counts"]
    no_recap = doc["stats_source"] == "results"
    parts = [
        f"## {_md(doc['playbook'])} — {doc['status']}\n",
        "| run | format | started | duration | plays | tasks | hosts | success |",
        "|---|---|---|---|---|---|---|---|",
        f"| `{doc['run_id']}` | {doc['format']} | {doc['started_at'] or 'unknown'} | "
        f"{fmt_seconds(doc['duration_s'])} | {doc['plays_total']} | {doc['tasks_total']} | "
        f"{doc['hosts_total']} | {fmt_rate(doc['success_rate'])} |\n",
        "Results: "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        + (" (stats counted from results: the log has no recap)" if no_recap else "")
        + "\n",
    ]
    if doc["failed_hosts"] or doc["unreachable_hosts"]:
        parts.append(f"**Failed hosts:** {', '.join(doc['failed_hosts']) or 'none'}  ")
        parts.append(f"**Unreachable hosts:** {', '.join(doc['unreachable_hosts']) or 'none'}\n")
    return parts


def _md_recap(stats: dict[str, dict[str, int]]) -> list[str]:
    """The recap table, one row per host."""
    return [
        "### Recap\n",
        "| host | ok | changed | unreachable | failed | skipped | rescued | ignored |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {_md(host)} | {s['ok']} | {s['changed']} | {s['unreachable']} | {s['failures']} "
            f"| {s['skipped']} | {s['rescued']} | {s['ignored']} |"
            for host, s in stats.items()
        ),
    ]


def _md_slowest(slowest: list[dict[str, Any]]) -> list[str]:
    """The slowest tasks' table (nothing when no task has a duration)."""
    if not slowest:
        return []
    return [
        "\n### Slowest tasks\n",
        "| task | duration | slowest host |",
        "|---|---|---|",
        *(
            f"| {_md(t['name'])} | {fmt_seconds(t['duration_s'])} | {t['slowest_host'] or '—'} |"
            for t in slowest
        ),
    ]


def _md_failures(run: RunTree) -> list[str]:
    """The failed and unreachable results with their (redacted, cut) messages."""
    rows = [
        f"| {_md(task.name)} | {r.host} | {r.status.value} | "
        + ("(no_log)" if r.no_log else _md(redact(r.msg) or "")[:300])
        + " |"
        for _, task in run.tasks()
        for r in task.results
        if r.status.value in ("failed", "unreachable")
    ]
    if not rows:
        return []
    return ["\n### Failures\n", "| task | host | status | message |", "|---|---|---|---|", *rows]


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")
