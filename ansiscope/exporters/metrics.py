"""``/metrics``: a prometheus_client collector over the store.

Domain metrics are ``ansible_*``, the service's own ``ansiscope_*``. Labels are the
``playbook`` (file name; the 100 with most runs, the rest ``other``) and small fixed
enums — never hosts, tasks, run ids or timestamps. Counters come from the counter
table the ingester keeps in its transactions (monotonic across restarts and pruning);
gauges are computed at scrape time and cached a few seconds.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pandas as pd
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar

from ansiscope import __version__
from ansiscope.analytics.health import WINDOWS, recovery_times
from ansiscope.store.base import Reader
from ansiscope.store.counters import DURATION_BUCKETS, Increment


class CounterFamily(NamedTuple):
    """How a stored counter is published: its family's name and help, and which
    ``CounterKey`` columns are its labels (a label is named as its column)."""

    name: str
    doc: str
    labels: tuple[str, ...]


# Stored counter (``CounterKey.metric``) -> its family, in exposition order. The run
# duration histogram is built from two of them (buckets and sum) apart from these.
COUNTER_FAMILIES = {
    "runs": CounterFamily("ansible_playbook_runs", "Finished playbook runs.", ("playbook",)),
    "runs_failed": CounterFamily(
        "ansible_playbook_runs_failed",
        "Finished runs that failed (a task failed or a host was unreachable).",
        ("playbook",),
    ),
    "task_results": CounterFamily(
        "ansible_task_results",
        "Host results of finished runs, by final status.",
        ("playbook", "status"),
    ),
    "ingested_events": CounterFamily(
        "ansiscope_ingested_events", "Events stored, by input format.", ("source",)
    ),
    "ingest_errors": CounterFamily(
        "ansiscope_ingest_errors",
        "Input lines quarantined, by format and reason.",
        ("source", "reason"),
    ),
    "truncations": CounterFamily(
        "ansiscope_truncations",
        "Followed files found truncated in place (copytruncate).",
        ("source",),
    ),
}
DURATION_AFTER = "task_results"  # the duration histogram's place among the families

RECOVERY_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200)
OTHER = "other"


def playbook_label(name: str) -> str:
    """The label value for a stored playbook: its name, the one ``runs`` and the pages
    show (``site.yml``, or ``playbooks/site.yml`` relative to its project: two playbooks
    of one file name in different folders are two label values)."""
    return name or "unknown"


class ServiceState:
    """What the service knows about itself (the watcher fills it in)."""

    def __init__(self) -> None:
        self.started = time.time()
        self.last_ingest: float | None = None
        self.files_tracked = 0
        self.lag_s = 0.0
        self.up = True


class Findings:
    """Per playbook: tasks regressed in its latest run, and flaky tasks. Computing them
    takes a gate per playbook, so a background thread refreshes them (``refresh``)
    and scrapes read the last result."""

    def __init__(self) -> None:
        self.regressions: dict[str, int] = {}
        self.flaky: dict[str, int] = {}
        self.updated: float | None = None

    def refresh(self, store: Reader) -> None:
        """Gate the latest run of every playbook and count its regressions and flaky tasks."""
        from ansiscope.analytics.detector import Verdict
        from ansiscope.analytics.gate import gate
        from ansiscope.analytics.health import flaky_tasks

        latest = store.latest_runs()
        regressions: Counter[str] = Counter()
        flaky: Counter[str] = Counter()
        for playbook, run_id in latest:
            result = gate(store, run_id)
            regressions[playbook_label(playbook)] += sum(
                1  # by ≥1 s (the gate's floor): a template task's +0.3 s pages no one
                for f in result.findings
                if f.kind == "task" and f.verdict is Verdict.REGRESSION and f.clears_gate
            )
            flaky[playbook_label(playbook)] += len(flaky_tasks(store, playbook))
        self.regressions, self.flaky, self.updated = dict(regressions), dict(flaky), time.time()


def _duration_family(
    buckets: dict[str, dict[str, float]],
    dsum: dict[str, float],
    latest: dict[str, tuple[str, float]],
) -> HistogramMetricFamily:
    """The run duration histogram per playbook, the latest run as its bucket's exemplar."""
    duration = HistogramMetricFamily(
        "ansible_playbook_run_duration_seconds",
        "Wall time of finished runs.",
        labels=["playbook"],
    )
    for pb in sorted(buckets):
        bounds = [*(float(le) for le in DURATION_BUCKETS), float("inf")]
        names = [*(str(float(le)) for le in DURATION_BUCKETS), "+Inf"]
        keys = [*(str(le) for le in DURATION_BUCKETS), "+Inf"]
        hit = next((i for i, b in enumerate(bounds) if pb in latest and latest[pb][1] <= b), None)
        cumulative: list[Any] = []
        for i, (name, bucket_key) in enumerate(zip(names, keys, strict=True)):
            value = buckets[pb].get(bucket_key, 0.0)
            if i == hit:  # the latest run, as an exemplar (shown with OpenMetrics only)
                run_id, seconds = latest[pb]
                cumulative.append((name, value, Exemplar({"run_id": run_id}, seconds)))
            else:
                cumulative.append((name, value))
        duration.add_metric([pb], cumulative, dsum[pb])
    return duration


class StoreCollector(Collector):
    """Collects everything from the store's readers; caches results for ``cache_s``."""

    def __init__(
        self,
        reader: Callable[[], AbstractContextManager[Reader]],
        state: ServiceState | None = None,
        *,
        top_n: int = 100,
        cache_s: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        findings: Findings | None = None,
    ) -> None:
        self.findings = findings or Findings()
        self.reader = reader
        self.state = state or ServiceState()
        self.top_n = top_n
        self.cache_s = cache_s
        self.clock = clock
        self._cache: tuple[float, list[Metric]] | None = None
        self.backend = ("", "")  # (store, its version): known after the first collection
        self._lock = threading.Lock()

    def collect(self) -> Iterable[Metric]:
        """The metric families, from the cache when it is fresh enough."""
        with self._lock:
            if self._cache is None or time.monotonic() - self._cache[0] > self.cache_s:
                started = time.perf_counter()
                metrics = self._collect()
                took = GaugeMetricFamily(
                    "ansiscope_collect_duration_seconds",
                    "Time the last collection of store metrics took.",
                )
                took.add_metric([], time.perf_counter() - started)
                metrics.append(took)
                self._cache = (time.monotonic(), metrics)
            return list(self._cache[1]) + self._service()

    # -- the store --------------------------------------------------------------
    def _collect(self) -> list[Metric]:
        with self.reader() as store:
            counts = store.counters()
            running = store.running()
            last = store.last_runs()
            runs = store.runs_frame()
            exemplars = store.last_durations()
            size = store.size_bytes()
            backend = store.backend()
        self.backend = backend
        label = self._labeller(counts)
        out: list[Metric] = []
        out += self._counters(counts, label, exemplars)
        out += self._running(running, label)
        out += self._last(last, label)
        out += self._ratios(runs, label)
        out += self._findings(label)
        size_metric = GaugeMetricFamily("ansiscope_db_size_bytes", "Size of the store on disk.")
        size_metric.add_metric([], size)
        out.append(size_metric)
        return out

    def _labeller(self, counts: list[Increment]) -> Callable[[str], str]:
        totals: Counter[str] = Counter()
        for key, value in counts:
            if key.metric == "runs":
                totals[playbook_label(key.playbook)] += int(value)
        keep = {name for name, _ in totals.most_common(self.top_n)}
        return lambda path: (
            name if (name := playbook_label(path)) in keep or len(totals) <= self.top_n else OTHER
        )

    def _counters(
        self,
        counts: list[Increment],
        label: Callable[[str], str],
        exemplars: list[tuple[str, str, float]] | None = None,
    ) -> list[Metric]:
        """The stored counters as their families (``COUNTER_FAMILIES``), and the run
        duration histogram (placed after ``DURATION_AFTER``)."""
        sums: dict[tuple[str, tuple[str, ...]], float] = defaultdict(float)
        buckets: dict[str, dict[str, float]] = defaultdict(dict)
        dsum: dict[str, float] = defaultdict(float)
        for key, value in counts:
            key = key._replace(playbook=label(key.playbook))
            if key.metric == "run_duration_bucket":
                buckets[key.playbook][key.le] = buckets[key.playbook].get(key.le, 0.0) + value
            elif key.metric == "run_duration_sum":
                dsum[key.playbook] += value
            elif key.metric in COUNTER_FAMILIES:
                columns = COUNTER_FAMILIES[key.metric].labels
                sums[(key.metric, tuple(getattr(key, c) for c in columns))] += value
        families = {
            metric: CounterMetricFamily(f.name, f.doc, labels=list(f.labels))
            for metric, f in COUNTER_FAMILIES.items()
        }
        for (metric, values), value in sorted(sums.items()):
            families[metric].add_metric(list(values), value)
        latest = {label(playbook): (run_id, value) for playbook, run_id, value in exemplars or []}
        out: list[Metric] = []
        for metric, family in families.items():
            out.append(family)
            if metric == DURATION_AFTER:
                out.append(_duration_family(buckets, dsum, latest))
        return out

    def _running(
        self, running: list[tuple[str, int, datetime | None]], label: Callable[[str], str]
    ) -> list[Metric]:
        count = GaugeMetricFamily(
            "ansible_playbook_runs_in_progress", "Runs with status running.", labels=["playbook"]
        )
        oldest = GaugeMetricFamily(
            "ansible_playbook_oldest_running_start_timestamp_seconds",
            "Start of the oldest run still running.",
            labels=["playbook"],
        )
        merged: dict[str, list[float]] = defaultdict(list)
        counts: Counter[str] = Counter()
        for playbook, n, started in running:
            counts[label(playbook)] += n
            if started is not None:
                merged[label(playbook)].append(started.timestamp())
        for pb in sorted(counts):
            count.add_metric([pb], counts[pb])
            if merged[pb]:
                oldest.add_metric([pb], min(merged[pb]))
        return [count, oldest]

    def _last(
        self,
        last: list[tuple[str, datetime | None, datetime | None, int, int]],
        label: Callable[[str], str],
    ) -> list[Metric]:
        last_run = GaugeMetricFamily(
            "ansible_playbook_last_run_timestamp_seconds",
            "Start of the last finished run.",
            labels=["playbook"],
        )
        last_ok = GaugeMetricFamily(
            "ansible_playbook_last_success_timestamp_seconds",
            "Start of the last successful run.",
            labels=["playbook"],
        )
        failed = GaugeMetricFamily(
            "ansible_hosts_failed_last_run",
            "Hosts with a failed task in the last finished run.",
            labels=["playbook"],
        )
        unreachable = GaugeMetricFamily(
            "ansible_hosts_unreachable_last_run",
            "Hosts unreachable in the last finished run.",
            labels=["playbook"],
        )
        best: dict[str, tuple[float, float | None, int, int]] = {}
        for playbook, at, ok, n_failed, n_unreachable in last:
            pb = label(playbook)
            stamp = at.timestamp() if at else 0.0
            ok_stamp = ok.timestamp() if ok else None
            prev = best.get(pb)
            if prev is None or stamp > prev[0]:
                keep_ok = max(filter(None, [ok_stamp, prev[1] if prev else None]), default=None)
                best[pb] = (stamp, keep_ok, n_failed, n_unreachable)
        for pb, (stamp, ok_stamp, n_failed, n_unreachable) in sorted(best.items()):
            last_run.add_metric([pb], stamp)
            if ok_stamp is not None:
                last_ok.add_metric([pb], ok_stamp)
            failed.add_metric([pb], n_failed)
            unreachable.add_metric([pb], n_unreachable)
        return [last_run, last_ok, failed, unreachable]

    def _ratios(self, runs: pd.DataFrame, label: Callable[[str], str]) -> list[Metric]:
        success = GaugeMetricFamily(
            "ansible_playbook_success_ratio",
            "Share of finished runs that succeeded, per window.",
            labels=["playbook", "window"],
        )
        cfr = GaugeMetricFamily(
            "ansible_playbook_change_failure_ratio",
            "Share of runs that changed something and failed (30 days).",
            labels=["playbook"],
        )
        recovery = HistogramMetricFamily(
            "ansible_playbook_recovery_duration_seconds",
            "First failed run to the next successful run (DORA time to restore).",
            labels=["playbook"],
        )
        done = runs[runs["status"] != "running"].copy()
        if done.empty:
            return [success, cfr, recovery]
        done["pb"] = done["playbook"].map(label)
        now = self.clock()
        for pb, group in done.groupby("pb", sort=True):
            for name, span in WINDOWS.items():
                recent = group[group["started_at"] >= now - span]
                if len(recent):
                    success.add_metric(
                        [str(pb), name], float((recent["status"] == "successful").mean())
                    )
            month = group[(group["started_at"] >= now - WINDOWS["30d"]) & (group["changed"] > 0)]
            if len(month):
                cfr.add_metric(
                    [str(pb)], float(month["status"].isin(("failed", "unreachable")).mean())
                )
            times = recovery_times(group.sort_values("started_at"))
            if times:
                cumulative = [
                    (str(float(le)), float(sum(1 for t in times if t <= le)))
                    for le in RECOVERY_BUCKETS
                ]
                cumulative.append(("+Inf", float(len(times))))
                recovery.add_metric([str(pb)], cumulative, float(sum(times)))
        return [success, cfr, recovery]

    def _findings(self, label: Callable[[str], str]) -> list[Metric]:
        regressions = GaugeMetricFamily(
            "ansible_task_duration_regressions",
            "Tasks that regressed by 1 s or more in the playbook's latest run (ansiscope gate).",
            labels=["playbook"],
        )
        flaky = GaugeMetricFamily(
            "ansible_flaky_tasks",
            "Tasks that fail then pass, or fail on a minority of runs.",
            labels=["playbook"],
        )
        if self.findings.updated is None:
            return [regressions, flaky]
        for source, family in (
            (self.findings.regressions, regressions),
            (self.findings.flaky, flaky),
        ):
            merged: Counter[str] = Counter()
            for name, value in source.items():
                merged[label(name)] += value
            for pb in sorted(merged):
                family.add_metric([pb], merged[pb])
        return [regressions, flaky]

    # -- the service ------------------------------------------------------------
    def _service(self) -> list[Metric]:
        s = self.state
        up = GaugeMetricFamily("ansiscope_up", "1 while the service and its watcher work.")
        up.add_metric([], 1.0 if s.up else 0.0)
        lag = GaugeMetricFamily(
            "ansiscope_ingest_lag_seconds", "Age of the oldest input written but not yet stored."
        )
        lag.add_metric([], s.lag_s)
        files = GaugeMetricFamily("ansiscope_files_tracked", "Inputs being followed.")
        files.add_metric([], s.files_tracked)
        out: list[Metric] = [up, lag, files]
        if s.last_ingest is not None:
            last = GaugeMetricFamily(
                "ansiscope_last_ingest_timestamp_seconds", "When events were last stored."
            )
            last.add_metric([], s.last_ingest)
            out.append(last)
        info = InfoMetricFamily("ansiscope_build", "Version of ansiscope and of its store.")
        store, store_version = self.backend
        info.add_metric(
            [], {"version": __version__, "store": store, "store_version": store_version}
        )
        out.append(info)
        return out
