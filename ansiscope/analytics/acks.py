"""Acknowledged regressions (``--ack acks.yml``): a known slowdown is reported, not failed.

```yaml
- task: "Deploy *"          # glob on the task name ("total" for the playbook total)
  host: "web*"              # optional glob on the host
  run: 3f2a9c1e             # optional: only this run, or the step that began in it (a prefix)
  since: 2026-11-01         # optional: only runs judged from this date
  expires: 2026-12-31       # required: after this date the ack no longer applies
  reason: "bigger artefact since v2.3, accepted in PR #123"
```
"""

from __future__ import annotations

import dataclasses
import fnmatch
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ansiscope.analytics.detector import Verdict
from ansiscope.errors import UsageError

if TYPE_CHECKING:
    from ansiscope.analytics.gate import Finding


@dataclasses.dataclass(frozen=True)
class Ack:
    """An acknowledged finding: a task (or host, or run) the gate lets pass until ``expires``."""

    task: str
    reason: str
    expires: date
    host: str | None = None
    run: str | None = None
    since: date | None = None

    def matches(self, finding: Finding, run_id: str, today: date) -> bool:
        """Whether this ack covers ``finding`` of run ``run_id`` on ``today``."""
        if today > self.expires or (self.since and today < self.since):
            return False
        since = getattr(finding, "since_run", None) or ""
        if self.run and not (run_id.startswith(self.run) or since.startswith(self.run)):
            return False  # ``run``: this run, or a step that started in it
        name = finding.task if finding.task is not None else "total"
        if not fnmatch.fnmatchcase(name, self.task):
            return False
        return self.host is None or fnmatch.fnmatchcase(finding.host or "", self.host)


def load_acks(path: str | Path) -> list[Ack]:
    """Read an acks file; a malformed one is a usage error naming the entry."""
    try:
        data = yaml.safe_load(Path(path).read_text()) or []
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from exc
    return parse_acks(data, str(path))


def parse_acks(data: Any, source: str) -> list[Ack]:
    """Acks from their YAML (or JSON) document, a list of mappings; a malformed one is a
    usage error naming ``source`` and the entry."""
    if not isinstance(data, list):
        raise UsageError(f"{source}: expected a list of acks")
    return [_ack(source, i, entry) for i, entry in enumerate(data, start=1)]


def ack_document(ack: Ack) -> dict[str, str]:
    """An ack as ``parse_acks`` reads it back (dates in ISO form): how ``gate --server``
    sends the CI's acks file to the service."""
    doc = {k: v for k, v in dataclasses.asdict(ack).items() if v is not None}
    return {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in doc.items()}


def _ack(path: str | Path, i: int, entry: Any) -> Ack:
    if not isinstance(entry, dict) or not entry.get("task") or not entry.get("reason"):
        raise UsageError(f"{path}: ack #{i}: needs at least 'task', 'reason' and 'expires'")
    try:
        return Ack(
            task=str(entry["task"]),
            reason=str(entry["reason"]),
            expires=_date(entry["expires"]),
            host=str(entry["host"]) if entry.get("host") else None,
            run=str(entry["run"]) if entry.get("run") else None,
            since=_date(entry["since"]) if entry.get("since") else None,
        )
    except (KeyError, ValueError) as exc:
        raise UsageError(f"{path}: ack #{i}: bad or missing date ({exc})") from exc


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def acknowledge(
    findings: list[Finding], acks: list[Ack], run_id: str, today: date | None = None
) -> None:
    """Turn matching regressions and suspects into acknowledged findings."""
    today = today or datetime.now(UTC).date()
    for finding in findings:
        if finding.verdict not in (Verdict.REGRESSION, Verdict.SUSPECT):
            continue
        for ack in acks:
            if ack.matches(finding, run_id, today):
                finding.verdict = Verdict.ACKNOWLEDGED
                finding.reason = ack.reason
                break
