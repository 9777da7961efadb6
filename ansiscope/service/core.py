"""``ansiscope serve``: one process that owns its store, follows folders, and answers
HTTP — ``/metrics`` for Prometheus, ``/healthz``, and a JSON API the CLI uses with
``--server`` (DuckDB lets one process hold the file, so others go through this one).

Writes (the watcher, uploads, retention) take one lock; reads use their own reader.
HTTP lives in ``http_api`` (the app) and ``server`` (uvicorn); this module knows
nothing of requests.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from ansiscope.analytics.acks import Ack
from ansiscope.analytics.detector import Params
from ansiscope.analytics.gate import FailOn, gate, gate_target
from ansiscope.analytics.runtree import assemble
from ansiscope.analytics.views import run_tree
from ansiscope.errors import AnsiscopeError
from ansiscope.exporters.formats import content_type, render_gate, render_run
from ansiscope.exporters.metrics import Findings, ServiceState, StoreCollector
from ansiscope.exporters.notify import Notifier
from ansiscope.exporters.report import load_stored
from ansiscope.exporters.summary import run_summary
from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.watch import Watcher
from ansiscope.parser import open_input
from ansiscope.service.answers import Answers
from ansiscope.service.http_api import BadRequest, count, one
from ansiscope.service.server import HttpServer
from ansiscope.service.webconfig import Check
from ansiscope.store import MAX_RUNS, Store, backend_errors, is_file_store, retention
from ansiscope.store.records import Written

MAX_UPLOAD = 256 * 1024 * 1024
STUCK_S = 300.0
SNAPSHOT_EVERY_S = 10.0
DASHBOARD_APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
ANALYSIS_EVERY_S = 60.0
# at rest, what was rendered or analysed is reused until something is stored here; a
# shared store (ClickHouse) may be written by others, so it is looked at again anyway
# after this long
STALE_S = 60.0
ANALYSIS_STALE_S = 600.0


class Service:
    """The store's owner: watcher thread, HTTP server, retention."""

    def __init__(
        self,
        store: Store,
        *,
        watch: list[Path] | None = None,
        poll: bool = False,
        labels: dict[str, str] | None = None,
        auth: Check | None = None,
        max_upload: int = MAX_UPLOAD,
        retention_age: str | None = None,
        top_n: int = 100,
        metrics_cache_s: float = 5.0,
        dashboard_port: int = 0,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        # what a read may raise that is no bug: reported, and the service goes on
        self.expected: tuple[type[Exception], ...] = (AnsiscopeError, OSError, *backend_errors())
        self.notifier = notifier
        self.ended: queue.Queue[str] = queue.Queue()
        self.dashboard_port = dashboard_port
        self.dashboard: subprocess.Popen[bytes] | None = None
        self._published: float | None = -1.0
        self.db = store.url
        self.lock = threading.Lock()
        self.ingester = Ingester(store, labels, on_run_end=self._run_ended if notifier else None)
        self.state = ServiceState()
        self.watcher = Watcher(self.ingester, watch, poll=poll, report=self.log) if watch else None
        self.auth = auth
        self.max_upload = max_upload
        self.retention_age = retention_age
        self.uploads = Path(tempfile.mkdtemp(prefix="ansiscope-uploads-"))
        self.metrics_cache_s = metrics_cache_s
        self._rendered: dict[str, tuple[float, tuple[object, ...], bytes]] = {}
        self._deleted = 0  # runs deleted by retention: a change to what is stored
        self._render_lock = threading.Lock()
        # a DuckDB file is written by this process only (it holds the lock)
        self._listings: Answers[list[dict[str, Any]]] = Answers(
            self.stored_version, sole_writer=is_file_store(store.url)
        )
        self.registry = CollectorRegistry()
        self.findings = Findings()
        self.registry.register(
            StoreCollector(
                self.store.reader,
                self.state,
                top_n=top_n,
                cache_s=0.0,  # ``exposition`` caches, and knows when what is stored changed
                findings=self.findings,
            )
        )
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.http: HttpServer | None = None

    def log(self, message: str) -> None:
        """One line to stdout, flushed."""
        print(message, flush=True)

    # -- lifecycle ----------------------------------------------------------------
    def start(self, bind: str, port: int, tls: tuple[str, str] | None = None) -> int:
        """Start serving in background threads; returns the bound port."""
        self.http = HttpServer(self, bind, port, tls)
        self.http.start()
        if self.watcher is not None:
            self._spawn(self._follow)
        if self.retention_age:
            self._spawn(self._retain)
        self._spawn(self._analyse)
        if self.metrics_cache_s > 0:
            self._spawn(self._prerender)
        if self.notifier:
            self._spawn(self._notify)
        if self.dashboard_port:
            self._start_dashboard(bind)
        return self.http.port

    def _start_dashboard(self, bind: str) -> None:
        """The Streamlit dashboard in its own process, reading what ``publish`` gives it
        (not started, with a warning, when the store cannot be read from elsewhere)."""
        try:
            readers_url = self.publish_snapshot() or self.db
        except self.expected as exc:
            self.log(f"warning: the dashboard is not started: {exc}")
            return
        self._spawn(self._publish)
        self.dashboard = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(DASHBOARD_APP),
                "--server.port",
                str(self.dashboard_port),
                "--server.address",
                bind,
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--",
                "--db",
                readers_url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def publish_snapshot(self) -> str | None:
        """Let the dashboard's process see what is stored (for DuckDB a snapshot copy:
        its writer lock keeps every other process out of the file); returns the URL
        readers open, or ``None`` when they open the store itself."""
        if self._published == self.state.last_ingest:
            return None
        with self.lock:
            url = self.store.publish()
            self._published = self.state.last_ingest
        return url

    def _publish(self) -> None:
        while not self.stop.wait(SNAPSHOT_EVERY_S):
            try:
                self.publish_snapshot()
            except self.expected as exc:
                self.log(f"warning: dashboard snapshot failed: {exc}")

    def _spawn(self, target: Any) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _follow(self) -> None:
        assert self.watcher is not None
        try:
            self.watcher.stop = self.stop
            self.watcher.run(self.lock, self._after_step)
        except Exception as exc:
            self.state.up = False
            self.log(f"error: the watcher stopped: {exc}")

    def _after_step(self, written: Written) -> None:
        if written.events:
            self.state.last_ingest = time.time()
        self.state.files_tracked = len(self.ingester.feeds)
        self.state.lag_s = self._lag()

    def _lag(self) -> float:
        """Age of the oldest input not stored yet. A feed read to its end whose signal
        has settled is passed by: when it changes, the watcher hears of it and reads it
        in its next step (this is called after each)."""
        now, lag = time.time(), 0.0
        for feed in list(self.ingester.feeds.values()):
            if feed.seen is not None:
                continue
            try:
                lag = max(lag, feed.lag(now))
            except (OSError, AnsiscopeError):
                continue
        return lag

    def stored_version(self) -> tuple[int, ...]:
        """Moves whenever this process changes what is stored (ingest, upload,
        retention); analyses and renderings of the store are redone only then."""
        t = self.ingester.totals
        return (
            t.events,
            t.results,
            t.runs_started,
            t.runs_ended,
            t.quarantined,
            self.ingester.truncations,
            self._deleted,
        )

    def _exposition_key(self) -> tuple[object, ...]:
        s = self.state
        return (self.stored_version(), self.findings.updated, s.files_tracked, s.lag_s, s.up)

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """``/metrics`` bytes for this Accept header. Rendered at most every
        ``metrics_cache_s`` and otherwise served as is, so that a scrape while the
        watcher parses (and holds the GIL) does not wait for a whole collection; at
        rest (nothing stored, nothing the service reports moved) not rendered again
        for ``STALE_S``."""
        encoder, content_type = choose_encoder(accept)
        if self._fresh(self._rendered.get(content_type)):
            return self._rendered[content_type][2], content_type
        with self._render_lock:
            cached = self._rendered.get(content_type)
            if not self._fresh(cached):
                key = self._exposition_key()
                cached = (time.monotonic(), key, encoder(self.registry))
                self._rendered[content_type] = cached
        assert cached is not None
        return cached[2], content_type

    def _fresh(self, cached: tuple[float, tuple[object, ...], bytes] | None) -> bool:
        if cached is None:
            return False
        age = time.monotonic() - cached[0]
        if age <= self.metrics_cache_s:
            return True
        return age <= STALE_S and cached[1] == self._exposition_key()

    def _prerender(self) -> None:
        """Keep the common expositions fresh in the background."""
        while not self.stop.wait(max(self.metrics_cache_s, 0.5) / 2):
            for accept in ("", "application/openmetrics-text; version=1.0.0"):
                try:
                    self.exposition(accept)
                except self.expected as exc:
                    self.log(f"warning: collecting metrics failed: {exc}")

    def _run_ended(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            self.ended.put(run_id)

    def _notify(self) -> None:
        """Post each run that ends (per the notifier's rule), off the ingest path."""
        assert self.notifier is not None
        while not self.stop.is_set():
            try:
                run_id = self.ended.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                with self.store.reader() as store:
                    tree = run_tree(store, run_id)
                    result = gate(store, run_id)
            except self.expected as exc:
                self.log(f"warning: cannot notify about run {run_id}: {exc}")
                continue
            for line in self.notifier.notify(tree, result):
                self.log(line)

    def _analyse(self) -> None:
        """Refresh the per-playbook regression and flaky-task counts every minute when
        something was stored since the last refresh (else every ``ANALYSIS_STALE_S``)."""
        analysed: tuple[int, ...] | None = None
        at = 0.0
        while not self.stop.is_set():
            version = self.stored_version()
            if version != analysed or time.monotonic() - at >= ANALYSIS_STALE_S:
                analysed, at = version, time.monotonic()
                try:
                    with self.store.reader() as store:
                        self.findings.refresh(store)
                except self.expected as exc:
                    self.log(f"warning: analysis for /metrics failed: {exc}")
            self.stop.wait(ANALYSIS_EVERY_S)

    def _retain(self) -> None:
        assert self.retention_age
        while not self.stop.wait(3600):
            cutoff = retention.parse_since(self.retention_age)
            assert cutoff is not None
            with self.lock:
                deleted = self.store.delete_before(cutoff)
            self._deleted += deleted
            if deleted:
                self.log(f"retention: {deleted} runs older than {self.retention_age} deleted")

    def shutdown(self) -> None:
        """Finish the current batch, stop answering, close the store."""
        self.stop.set()
        if self.watcher is not None:
            self.watcher.wake.set()
        if self.http is not None:
            self.http.stop()
        for thread in self._threads:
            thread.join(timeout=30)
        if self.dashboard is not None:
            self.dashboard.terminate()
            try:
                self.dashboard.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.dashboard.kill()
        with self.lock:
            self.store.close()
        shutil.rmtree(self.uploads, ignore_errors=True)

    # -- API ----------------------------------------------------------------------
    def upload(self, data: bytes, name: str) -> dict[str, Any]:
        """Store an uploaded log; refuse (store untouched) if it holds no run."""
        path = self.uploads / f"{int(time.time() * 1000)}-{Path(name).name or 'upload.log'}"
        path.write_bytes(data)
        try:
            with open_input(str(path)) as inp:
                runs, _ = assemble(inp.events)
        except AnsiscopeError as exc:
            path.unlink(missing_ok=True)
            raise BadRequest(str(exc).replace(str(path), name)) from exc
        if not runs:
            path.unlink(missing_ok=True)
            raise BadRequest(f"{name}: no Ansible run found")
        try:
            with self.lock:
                self.ingester.backfill(path)
        finally:
            path.unlink(missing_ok=True)  # stored (or refused): the copy has done its job
        self.state.last_ingest = time.time()
        return {
            "run_ids": [r.run_id for r in runs],
            "runs": [run_summary(r, tree=False) for r in runs],
        }

    def run_document(self, ref: str) -> dict[str, Any]:
        """The summary of a run, as the API's JSON."""
        with self.store.reader() as store:
            return run_summary(run_tree(store, store.resolve_run(ref)))

    def gate(
        self,
        ref: str,
        fail_on: FailOn,
        fmt: str,
        params: Params | None = None,
        playbook: str | None = None,
        acks: list[Ack] | None = None,
    ) -> tuple[str, bytes, str]:
        """Gate a run (``latest`` with ``playbook``: that playbook's latest), ``acks``
        applied: its verdict, the report in ``fmt`` and its content type."""
        with self.store.reader() as store:
            result = gate(store, gate_target(store, ref, playbook), params, acks)
        return result.verdict(fail_on), render_gate(fmt, result, fail_on), content_type(fmt)

    def report(self, ref: str, fmt: str) -> tuple[bytes, str]:
        """A stored run's report (``ansiscope report --server``)."""
        with self.store.reader() as store:
            run, result, history = load_stored(store, ref)
        return render_run(fmt, run, result, history), content_type(fmt)

    def runs(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        """The runs matching an API query (playbook, status, limit, ...); the same query
        is answered again from memory until something is stored."""
        playbook, status, since = one(query, "playbook"), one(query, "status"), one(query, "since")
        limit = count(query, "limit", 50, MAX_RUNS)

        def listing() -> list[dict[str, Any]]:
            with self.store.reader() as store:
                return store.list_runs(
                    playbook=playbook,
                    status=status,
                    since=retention.parse_since(since),
                    limit=limit,
                )

        return self._listings.get((playbook, status, since, limit), listing)

    def health(self) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body of ``/healthz``."""
        alive = all(t.is_alive() for t in self._threads) and (
            self.http is None or self.http.alive()
        )
        stuck = self.state.lag_s > STUCK_S
        ok = alive and self.state.up and not stuck
        body = {
            "status": "ok" if ok else ("stuck" if stuck else "down"),
            "db": self.db,
            "ingest_lag_seconds": round(self.state.lag_s, 3),
            "files_tracked": self.state.files_tracked,
            "last_ingest": self.state.last_ingest,
            "watching": self.watcher is not None,
        }
        return (200 if ok else 503), body


__all__ = ["BadRequest", "Service"]
