"""``ansiscope gate``: fail a CI job when a run regressed against its history.

Exit codes: 0 pass (suspects and too-little-history included, unless
``--fail-on suspect``), 1 a regression or failure-rate regression, 2 usage or input error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ansiscope import client
from ansiscope.analytics.acks import Ack, load_acks
from ansiscope.analytics.detector import Params
from ansiscope.analytics.gate import FailOn, GateResult, gate_target
from ansiscope.analytics.gate import gate as run_gate
from ansiscope.analytics.runtree import RunTree
from ansiscope.analytics.views import run_tree
from ansiscope.cli.options import NotifyOptions, db_option, label_option, notify_options
from ansiscope.errors import ParseError, UsageError
from ansiscope.exporters import gate_report
from ansiscope.exporters.formats import GATE_FORMATS, ReportFormat, first, render_gate
from ansiscope.ingest.files import ingest_last_run
from ansiscope.ingest.labels import run_labels
from ansiscope.store import open_store
from ansiscope.store.invocation import describe


@click.command()
@db_option
@click.option("--run", "run_ref", metavar="RUN_ID|latest", help="A stored run.")
@click.option(
    "--file", "log", metavar="RUN_LOG", help="Ingest this log first, then gate its last run."
)
@click.option("--playbook", help="With --run latest: the latest run of this playbook.")
@click.option("--window", default=30, show_default=True, help="Successful runs in the baseline.")
@click.option(
    "--min-delta",
    type=click.FloatRange(min=0.0),
    default=Params().min_abs_s,
    show_default=True,
    metavar="SECONDS",
    help="The smallest slowdown that counts (and ≥10%); 1 keeps sub-second steps out.",
)
@click.option(
    "--fail-on",
    type=click.Choice([f.value for f in FailOn]),
    default=FailOn.REGRESSION.value,
    show_default=True,
)
@click.option(
    "--ack", "ack_file", metavar="acks.yml", help="Known regressions: reported, not failed."
)
@click.option(
    "--format",
    "out_fmt",
    type=click.Choice(["text", *first(ReportFormat.JSON, GATE_FORMATS)]),
    default="text",
)
@click.option("--output", metavar="FILE", help="Write the report here instead of stdout.")
@click.option(
    "--server", metavar="URL", help="Ask a running 'ansiscope serve' instead of opening the store."
)
@label_option
@notify_options(envvars=False)
def gate(
    db: str,
    run_ref: str | None,
    log: str | None,
    playbook: str | None,
    window: int,
    min_delta: float,
    fail_on: str,
    ack_file: str | None,
    out_fmt: str,
    output: str | None,
    server: str | None,
    labels: tuple[str, ...],
    notify: NotifyOptions,
) -> None:
    """Judge a run against its playbook's history; exit 1 on a regression.

    Writes a Markdown summary to $GITHUB_STEP_SUMMARY when that is set.
    """
    if (run_ref is None) == (log is None):
        raise UsageError("give exactly one of --run RUN_ID|latest or --file RUN_LOG")
    params = Params(window=window, min_abs_s=min_delta)
    acks = load_acks(ack_file) if ack_file else None
    if server:
        if notify.notifier():
            raise UsageError(
                "--slack-webhook/--teams-webhook cannot be used with --server: the service "
                "gates there; post from where the store is ('ansiscope notify') or gate "
                "without --server"
            )
        if labels:
            raise UsageError(
                "--label cannot be used with --server: label the run where it is stored"
            )
        _remote(server, run_ref, log, playbook, acks, fail_on, out_fmt, output, params)
        return
    failing = FailOn(fail_on)
    store = open_store(db, create=log is not None)  # --run on a missing store: create nothing
    try:
        if log:
            run_id = ingest_last_run(store, log, run_labels(labels))
        else:
            run_id = gate_target(store, run_ref or "latest", playbook)
        result = run_gate(store, run_id, params, acks)
        target = notify.notifier()
        tree: RunTree | None = run_tree(store, run_id) if target else None
    finally:
        store.close()
    if tree is not None:
        for line in target.notify(tree, result):
            click.echo(line, err=True)
    _write_report(result, failing, out_fmt, output)
    _append_step_summary(gate_report.markdown(result, failing))
    sys.exit(1 if result.failing(failing) else 0)


def _write_report(result: GateResult, fail_on: FailOn, out_fmt: str, output: str | None) -> None:
    if out_fmt == "text":
        _print_text(result, fail_on, output)
        return
    _write(render_gate(out_fmt, result, fail_on), output)


def _write(data: bytes, output: str | None) -> None:
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)


def _append_step_summary(markdown: str) -> None:
    """GitHub Actions shows $GITHUB_STEP_SUMMARY on the job's page."""
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as f:
            f.write(markdown + "\n")


def _print_text(result: GateResult, fail_on: FailOn, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            _render(Console(file=fh, width=160, highlight=False), result, fail_on)
    else:
        width = None if sys.stdout.isatty() else 160
        _render(Console(width=width, highlight=False), result, fail_on)


def _render(console: Console, result: GateResult, fail_on: FailOn) -> None:
    console.print(gate_report.headline(result, fail_on))
    console.print(
        f"run {result.run_id} of {result.playbook or '?'}; "
        f"baseline: {result.history_runs} earlier successful runs of the same shape "
        f"({describe(result.shape)})"
    )
    rows = gate_report.text_rows(result)
    if rows:
        table = Table(box=None, pad_edge=False)
        for column in gate_report.HEADER:
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        console.print(table)


def _remote(
    server: str,
    run_ref: str | None,
    log: str | None,
    playbook: str | None,
    acks: list[Ack] | None,
    fail_on: str,
    out_fmt: str,
    output: str | None,
    params: Params,
) -> None:
    """The usual CI setup: a central service, and the gate asked over HTTP (the
    baseline window, the floor, the playbook and the acks travel with the question)."""
    run = run_ref or "latest"
    if log:
        path = Path(log)
        if not path.exists():
            raise ParseError(log, "no such file")
        run = client.upload(server, path)[-1]
    fmt = "markdown" if out_fmt == "text" else out_fmt
    verdict, body = client.gate(server, run, fail_on, fmt, params, None if log else playbook, acks)
    _write(body, output)
    if fmt == "markdown":
        _append_step_summary(body.decode())
    sys.exit(1 if verdict == "regression" else 0)
