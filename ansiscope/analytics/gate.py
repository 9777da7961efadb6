"""``ansiscope gate``: one stored run judged against its playbook's history.

Series: the playbook's total time; each task's wall time; each task × host duration;
each task's failure rate. Baselines come from the last ``window`` successful runs of
the same partition (playbook, check mode, host count, and shape: a run narrowed by
``--tags``/``--skip-tags``/``--limit`` is compared only with runs narrowed the same
way), and ok-vs-changed results are
separate series. Only the total, tasks holding a real share of the time, and failure
rates can fail the gate; everything else is reported.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from enum import StrEnum
from typing import Any

import pandas as pd

from ansiscope.analytics.acks import Ack, acknowledge
from ansiscope.analytics.baselines import Baseline
from ansiscope.analytics.detector import Params, Test, Verdict
from ansiscope.analytics.detector_batch import evaluate_many
from ansiscope.analytics.failrate import judge_failures
from ansiscope.analytics.gate_rules import clears_gate, gated_tasks
from ansiscope.analytics.taskkey import key_column
from ansiscope.errors import UsageError
from ansiscope.store.base import Reader
from ansiscope.store.invocation import describe

SCHEMA_VERSION = 1


class FailOn(StrEnum):
    """What fails the gate (``--fail-on``, the API's ``fail_on=``)."""

    REGRESSION = "regression"  # a regression (the default)
    SUSPECT = "suspect"  # a regression or a suspect
    NEVER = "never"  # nothing: report only


class FindingKind(StrEnum):
    """What a finding judged."""

    TOTAL = "total"  # the run's wall time
    TASK = "task"  # a task's time (one series per ok/changed)
    TASK_HOST = "task_host"  # a task's time on one host (never gating)
    FAILURE_RATE = "failure_rate"  # how often a task fails


# the verdicts of gating findings that fail the gate, per FailOn
FAILING_VERDICTS: dict[FailOn, frozenset[Verdict]] = {
    FailOn.REGRESSION: frozenset({Verdict.REGRESSION}),
    FailOn.SUSPECT: frozenset({Verdict.REGRESSION, Verdict.SUSPECT}),
    FailOn.NEVER: frozenset(),
}


@dataclasses.dataclass
class Finding:
    """One evaluated series."""

    kind: FindingKind
    verdict: Verdict
    gating: bool
    task: str | None = None
    host: str | None = None
    series: str | None = None  # ok / changed: results that changed are their own series
    baseline: Baseline | None = None
    value: float | None = None
    delta_s: float | None = None
    delta_rel: float | None = None
    z: float | None = None
    consecutive: int = 0  # runs at the new level (``held``), 1 for a lone suspect
    reason: str | None = None
    since_run: str | None = None  # the first run of a confirmed step (or absorbed level)
    held: int = 0  # runs the step has held, this one included
    clears_gate: bool = True  # big enough to fail the gate (``MIN_GATE_S``); else reported

    @property
    def can_fail(self) -> bool:
        """Whether this finding may fail the gate: its series gates and its change clears
        the gate's floor."""
        return self.gating and self.clears_gate

    def as_dict(self) -> dict[str, Any]:
        """The finding as a JSON-ready dict (the verdict as its string)."""
        out = dataclasses.asdict(self)
        out["kind"] = str(self.kind)
        out["verdict"] = str(self.verdict)
        out["baseline"] = self.baseline.as_dict() if self.baseline else None
        return out


@dataclasses.dataclass
class GateResult:
    """The gate's answer for one run: its findings against the history compared."""

    run_id: str
    playbook: str | None
    params: Params
    findings: list[Finding]
    history_runs: int
    shape: str = ""  # the runs compared had this shape (store.invocation): "" is full runs

    @property
    def counts(self) -> dict[str, int]:
        """How many findings there are of each verdict (every verdict present)."""
        counted = Counter(str(f.verdict) for f in self.findings)
        return {str(v): counted.get(str(v), 0) for v in Verdict}

    def failing(self, fail_on: FailOn = FailOn.REGRESSION) -> list[Finding]:
        """The gating findings that fail the gate under ``fail_on``."""
        bad = FAILING_VERDICTS[FailOn(fail_on)]
        return [f for f in self.findings if f.can_fail and f.verdict in bad]

    def verdict(self, fail_on: FailOn = FailOn.REGRESSION) -> str:
        """``regression`` when a finding fails the gate under ``fail_on``, else ``pass``."""
        return "regression" if self.failing(fail_on) else "pass"

    def document(self, fail_on: FailOn = FailOn.REGRESSION) -> dict[str, Any]:
        """The JSON contract (schema_version 1)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "playbook": self.playbook,
            "run_id": self.run_id,
            "verdict": self.verdict(fail_on),
            "params": {**dataclasses.asdict(self.params), "fail_on": FailOn(fail_on).value},
            "history_runs": self.history_runs,
            "baseline": {"shape": self.shape, "described": describe(self.shape)},
            "counts": self.counts,
            "findings": [f.as_dict() for f in self.findings],
        }


def gate_target(store: Reader, ref: str, playbook: str | None = None) -> str:
    """The stored run ``ansiscope gate --run REF`` judges: REF (an id, a unique prefix or
    ``latest``), or with ``playbook`` and ``latest`` the latest run of that playbook."""
    if ref == "latest" and playbook:
        run_id = store.latest_run_of(playbook)
        if run_id is None:
            raise UsageError(f"no stored run of playbook {playbook!r}")
        return run_id
    return store.resolve_run(ref)


def gate(
    store: Reader,
    run_id: str,
    params: Params | None = None,
    acks: list[Ack] | None = None,
) -> GateResult:
    """Judge stored run ``run_id`` against the history before it."""
    params = params or Params()
    part = store.run_partition(run_id)
    runs = store.partition_runs(part, params.window + params.sustained_runs + 25)
    order = list(runs["run_id"])
    if run_id not in order:  # (same timestamp as others: keep it last)
        order.append(run_id)
    else:
        order.remove(run_id)
        order.append(run_id)
    ok_runs = set(runs.loc[runs["status"] == "successful", "run_id"]) - {run_id}
    tasks = store.task_rows(order)
    hosts = store.host_rows(order)
    keyed = _key_tasks(tasks, order, part["playbook"])
    findings: list[Finding] = []
    durations = dict(zip(runs["run_id"], runs["duration_s"], strict=True))
    total_ids = [r for r in order[:-1] if r in ok_runs and pd.notna(durations[r])]
    total_history = [durations[r] for r in total_ids]
    total_value = part["duration_s"]
    if total_value is not None:
        total = _Series(total_history, float(total_value), [*total_ids, run_id], gating=True)
        findings += _judge(FindingKind.TOTAL, [total], params)
    findings += _task_findings(keyed, order, ok_runs, run_id, params, total_history)
    findings += _host_findings(keyed, hosts, order, ok_runs, run_id, params)
    findings += _failure_findings(keyed, order, run_id)
    if acks:
        acknowledge(findings, acks, run_id)
    return GateResult(
        run_id, part["playbook"], params, findings, len(total_history), part.get("shape") or ""
    )


def _key_tasks(tasks: pd.DataFrame, order: list[str], playbook: str | None) -> pd.DataFrame:
    if tasks.empty:
        return tasks.assign(key=pd.Series(dtype=str), label=pd.Series(dtype=str))
    rank = {r: i for i, r in enumerate(order)}
    tasks = tasks.assign(_rank=tasks["run_id"].map(rank)).sort_values(["_rank", "task_id"])
    tasks["key"] = key_column(tasks, playbook)
    tasks["label"] = tasks["name"].astype(str)
    return tasks


@dataclasses.dataclass
class _Series:
    """One series to judge: its history, the judged value, the runs naming ``history``
    and then the judged run, whether it gates, and the finding's identity fields."""

    history: list[float]
    value: float
    run_ids: list[str]
    gating: bool
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)


def _judge(kind: FindingKind, series: list[_Series], params: Params) -> list[Finding]:
    """Each series' latest value after replaying its history through the detector (all
    at once: ``evaluate_many``), so a confirmed step is reported on every run until it
    reverts or is absorbed."""
    tests = evaluate_many([(s.history, s.value) for s in series], params)
    return [_finding(kind, s, test) for s, test in zip(series, tests, strict=True)]


def _finding(kind: FindingKind, series: _Series, test: Test) -> Finding:
    since_run = None
    if test.since is not None and test.since < len(series.run_ids):
        since_run = series.run_ids[test.since]
    held = test.consecutive if test.since is not None and test.reason != "absorbed" else 0
    return Finding(
        kind,
        test.verdict,
        series.gating,
        baseline=test.baseline,
        value=series.value,
        delta_s=test.delta_s,
        delta_rel=test.delta_rel,
        z=test.z,
        consecutive=test.consecutive,
        reason=_reason(test, since_run),
        since_run=since_run,
        held=held,
        clears_gate=clears_gate(test),
        **series.fields,
    )


def _reason(test: Test, since_run: str | None) -> str | None:
    """``regressed since run 3f2a9c1e, 4 runs, +12.3 s`` and the like."""
    run = f"run {since_run[:12]}" if since_run else "an earlier run"
    if test.reason in ("confirmed", "held") and test.delta_s is not None:
        word = "regressed" if test.verdict is Verdict.REGRESSION else "improved"
        return f"{word} since {run}, {test.consecutive} runs, {test.delta_s:+.1f} s"
    if test.reason == "absorbed":
        return f"new normal since {run}: the baseline moved to it"
    return test.reason


def _task_findings(
    keyed: pd.DataFrame,
    order: list[str],
    ok_runs: set[str],
    run_id: str,
    params: Params,
    total_history: list[float],
) -> list[Finding]:
    if keyed.empty:
        return []
    keyed = keyed.assign(series=keyed["changed"].map({True: "changed", False: "ok"}))
    sums = keyed.groupby(["key", "series", "run_id"], sort=False)["wall_s"].sum(min_count=1)
    walls: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for (key, series, rid), wall in sums.items():
        if pd.notna(wall):
            walls[(key, series)][rid] = float(wall)
    labels = keyed.groupby("key")["label"].last()
    current = keyed[keyed["run_id"] == run_id]
    medians: dict[tuple[str, str], float] = {}
    series_values: dict[tuple[str, str], list[float]] = {}
    series_ids: dict[tuple[str, str], list[str]] = {}
    for key, series in current[["key", "series"]].drop_duplicates().itertuples(index=False):
        per_run = walls.get((key, series), {})
        ids = [r for r in order[:-1] if r in ok_runs and r in per_run]
        history = [per_run[r] for r in ids]
        series_values[(key, series)] = history
        series_ids[(key, series)] = [*ids, run_id]
        if history:
            medians[(key, series)] = float(pd.Series(history).median())
    total_median = float(pd.Series(total_history).median()) if total_history else 0.0
    gated = gated_tasks(medians, total_median)
    out = []
    for (key, series), history in series_values.items():
        value = walls.get((key, series), {}).get(run_id)
        if value is None:
            continue
        fields = {"task": str(labels[key]), "series": series}
        gating = (key, series) in gated
        out.append(_Series(history, value, series_ids[(key, series)], gating, fields))
    return _judge(FindingKind.TASK, out, params)


def _host_findings(
    keyed: pd.DataFrame,
    hosts: pd.DataFrame,
    order: list[str],
    ok_runs: set[str],
    run_id: str,
    params: Params,
) -> list[Finding]:
    if keyed.empty or hosts.empty:
        return []
    joined = hosts.merge(keyed[["run_id", "task_id", "key", "label"]], on=["run_id", "task_id"])
    joined["series"] = joined["changed"].map({True: "changed", False: "ok"})
    rank = {r: i for i, r in enumerate(order)}
    joined["_rank"] = joined["run_id"].map(rank)
    current = joined[joined["run_id"] == run_id]
    history = joined[joined["run_id"].isin(ok_runs)].sort_values("_rank")
    grouped: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    grouped_ids: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for key, host, series, duration, rid in history[
        ["key", "host", "series", "duration_s", "run_id"]
    ].itertuples(index=False):
        grouped[(key, host, series)].append(float(duration))
        grouped_ids[(key, host, series)].append(str(rid))
    out = []
    for key, host, series, duration, label in current[
        ["key", "host", "series", "duration_s", "label"]
    ].itertuples(index=False):
        ids = [*grouped_ids.get((key, host, series), []), run_id]
        fields = {"task": str(label), "host": str(host), "series": series}
        history = grouped.get((key, host, series), [])
        out.append(_Series(history, float(duration), ids, False, fields))
    return _judge(FindingKind.TASK_HOST, out, params)


def _failure_findings(keyed: pd.DataFrame, order: list[str], run_id: str) -> list[Finding]:
    if keyed.empty:
        return []
    failed: dict[str, dict[str, bool]] = defaultdict(dict)
    for (key, rid), value in keyed.groupby(["key", "run_id"], sort=False)["failed"].any().items():
        failed[key][rid] = bool(value)
    labels = keyed.groupby("key")["label"].last()
    out = []
    for key in keyed.loc[keyed["run_id"] == run_id, "key"].unique():
        per_run = failed[key]
        history = [per_run[r] for r in order[:-1] if r in per_run]
        test = judge_failures(history, per_run.get(run_id, False))
        if test.regression:
            verdict = Verdict.REGRESSION
        else:
            verdict = Verdict.INSUFFICIENT if len(history) < 10 else Verdict.OK
        out.append(
            Finding(
                FindingKind.FAILURE_RATE,
                verdict,
                True,
                task=str(labels[key]),
                value=test.recent_rate,
                delta_rel=test.recent_rate - test.baseline_rate,
                reason=test.reason,
            )
        )
    return out
