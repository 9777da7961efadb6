"""Slack (Block Kit) and Microsoft Teams (Adaptive Card) notifications of a run.

Delivery retries with backoff on 429 and 5xx (honouring Retry-After), times out, and
never raises: a failure comes back as a one-line warning for the caller to print,
and never changes the main command's exit code. Webhook URLs are secrets: they are
never part of a message.
"""

from __future__ import annotations

import dataclasses
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import orjson

from ansiscope.analytics.detector import Verdict
from ansiscope.analytics.gate import GateResult
from ansiscope.analytics.runtree import RunTree
from ansiscope.exporters.summary import fmt_rate, fmt_seconds
from ansiscope.redact import redact

ICON = {
    "successful": ":large_green_circle:",
    "failed": ":red_circle:",
    "unreachable": ":large_purple_circle:",
    "interrupted": ":white_circle:",
    "running": ":large_blue_circle:",
}


def should_notify(only_on: str, run: RunTree, gate: GateResult | None) -> bool:
    """``always``, ``failure`` (the run failed) or ``regression`` (the gate found one)."""
    if only_on == "always":
        return True
    if only_on == "failure":
        return run.status.value in ("failed", "unreachable", "interrupted")
    return bool(gate and gate.failing())


def _facts(run: RunTree, gate: GateResult | None) -> dict[str, Any]:
    counts = run.status_counts()
    regressions = sorted(  # the ones that fail the gate first, then the biggest
        (f for f in (gate.findings if gate else []) if f.verdict is Verdict.REGRESSION),
        key=lambda f: (not f.can_fail, -(f.delta_s or 0.0)),
    )
    return {
        "playbook": run.name,
        "status": run.status.value,
        "duration": fmt_seconds(run.duration_s),
        "hosts": len(run.hosts),
        "counts": ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "no results",
        "success": fmt_rate(run.success_rate),
        "failed_hosts": run.failed_hosts,
        "unreachable_hosts": run.unreachable_hosts,
        "slowest": [(t.name, fmt_seconds(t.duration_s)) for _, t in run.slowest_tasks(3)],
        "regressions": [(f.task or "playbook total", f.delta_rel) for f in regressions][:5],
    }


def slack_payload(
    run: RunTree,
    gate: GateResult | None = None,
    dashboard_url: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """A Slack message (Block Kit) about a run and its gate result."""
    f = _facts(run, gate)
    lines = [
        f"*Duration* {f['duration']} · *Hosts* {f['hosts']} · *Success* {f['success']}",
        f"*Results* {f['counts']}",
    ]
    if f["failed_hosts"]:
        lines.append(f"*Failed hosts* {', '.join(f['failed_hosts'])}")
    if f["unreachable_hosts"]:
        lines.append(f"*Unreachable* {', '.join(f['unreachable_hosts'])}")
    if f["slowest"]:
        lines.append("*Slowest tasks* " + "; ".join(f"{n} ({d})" for n, d in f["slowest"]))
    if f["regressions"]:
        lines.append(
            "*Regressions* "
            + "; ".join(f"{n} ({(r or 0) * 100:+.0f}%)" for n, r in f["regressions"])
        )
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{f['playbook']}: {f['status']}"[:150]},
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{ICON.get(f['status'], '')} " + (redact("\n".join(lines)) or ""),
            },
        },
    ]
    if dashboard_url:
        url = f"{dashboard_url.rstrip('/')}/run?run={run.run_id}"
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the run"},
                        "url": url,
                    }
                ],
            }
        )
    payload: dict[str, Any] = {"text": f"{f['playbook']}: {f['status']}", "blocks": blocks}
    if channel:
        payload["channel"] = channel
    return payload


def teams_payload(
    run: RunTree, gate: GateResult | None = None, dashboard_url: str | None = None
) -> dict[str, Any]:
    """A Microsoft Teams message (adaptive card) about a run and its gate result."""
    f = _facts(run, gate)
    facts = [
        {"title": "Status", "value": f["status"]},
        {"title": "Duration", "value": f["duration"]},
        {"title": "Hosts", "value": str(f["hosts"])},
        {"title": "Results", "value": f["counts"]},
        {"title": "Failed hosts", "value": ", ".join(f["failed_hosts"]) or "none"},
        {"title": "Unreachable", "value": ", ".join(f["unreachable_hosts"]) or "none"},
    ]
    if f["regressions"]:
        facts.append(
            {
                "title": "Regressions",
                "value": "; ".join(f"{n} ({(r or 0) * 100:+.0f}%)" for n, r in f["regressions"]),
            }
        )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "size": "Large",
                "weight": "Bolder",
                "text": f"{f['playbook']}: {f['status']}",
                "wrap": True,
            },
            {
                "type": "FactSet",
                "facts": [{"title": x["title"], "value": redact(x["value"]) or ""} for x in facts],
            },
        ],
    }
    if f["slowest"]:
        card["body"].append(
            {
                "type": "TextBlock",
                "text": "Slowest: " + "; ".join(f"{n} ({d})" for n, d in f["slowest"]),
                "wrap": True,
            }
        )
    if dashboard_url:
        card["actions"] = [
            {
                "type": "Action.OpenUrl",
                "title": "Open the run",
                "url": f"{dashboard_url.rstrip('/')}/run?run={run.run_id}",
            }
        ]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def deliver(
    url: str,
    payload: dict[str, Any],
    *,
    attempts: int = 4,
    timeout: float = 10.0,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """POST ``payload``; ``None`` on success, else a warning that does not name the URL."""
    body = orjson.dumps(payload)
    problem = "no attempt made"
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return None
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
            if exc.code != 429 and exc.code < 500:
                return f"webhook delivery failed: {problem} (not retried)"
            wait = _retry_after(exc.headers.get("Retry-After"), backoff * 2 ** (attempt - 1))
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            problem = (
                "timed out"
                if isinstance(reason, TimeoutError) or "timed out" in str(reason)
                else "connection failed"
            )
            wait = backoff * 2 ** (attempt - 1)
        if attempt < attempts:
            sleep(min(wait, 30.0))
    return f"webhook delivery failed: {problem} after {attempts} attempts"


def _retry_after(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


@dataclasses.dataclass(frozen=True)
class Notifier:
    """Where and when to post runs (the ``--slack-webhook``/``--teams-webhook`` options)."""

    slack: str | None = None
    teams: str | None = None
    channel: str | None = None
    only_on: str = "always"
    dashboard_url: str | None = None

    def __bool__(self) -> bool:
        return bool(self.slack or self.teams)

    def notify(self, run: RunTree, gate: GateResult | None) -> list[str]:
        """Post ``run`` if it matches ``only_on``; one line per outcome (never the URL)."""
        if not should_notify(self.only_on, run, gate):
            return [f"not notifying: run {run.run_id} does not match --only-on {self.only_on}"]
        out = []
        if self.slack:
            warning = deliver(
                self.slack, slack_payload(run, gate, self.dashboard_url, self.channel)
            )
            out.append(
                f"warning: Slack {warning}"
                if warning
                else f"Slack: notified about run {run.run_id}"
            )
        if self.teams:
            warning = deliver(self.teams, teams_payload(run, gate, self.dashboard_url))
            out.append(
                f"warning: Teams {warning}"
                if warning
                else f"Teams: notified about run {run.run_id}"
            )
        return out


def webhook(value: str | None, env: str) -> str | None:
    """A webhook URL from ``env`` (the word), ``@FILE`` (its first line) or as given."""
    if not value:
        return None
    if value == "env":
        return os.environ.get(env) or None
    if value.startswith("@"):
        try:
            with open(value[1:], encoding="utf-8") as f:
                return f.readline().strip() or None
        except OSError:
            return None
    return value
