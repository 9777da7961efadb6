"""``ansiscope report`` and ``ansiscope notify``: a run as HTML/Markdown/JSON/JUnit, and
as a Slack or Teams message. A run is a stored run (RUN_ID or ``latest``, with the
gate's verdict and history) or a log FILE (its last run)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ansiscope import client
from ansiscope.analytics.gate import GateResult
from ansiscope.analytics.runtree import RunTree, assemble
from ansiscope.cli import cli
from ansiscope.cli_notify import notifier_from, notify_options
from ansiscope.cli_store import db_option
from ansiscope.errors import ParseError, UsageError
from ansiscope.exporters.report import (
    History,
    load_stored,
    render,
)
from ansiscope.parser import open_input
from ansiscope.redact import HostPseudonyms
from ansiscope.store import duckdb_path, is_file_store, open_store


def load_run(source: str, db: str) -> tuple[RunTree, GateResult | None, History]:
    """The run to report on, its gate verdict and the slowest tasks' history (stored runs)."""
    if Path(source).exists():
        with open_input(source) as inp:
            runs, _ = assemble(inp.events)
        if not runs:
            raise ParseError(source, "no Ansible run found")
        return runs[-1], None, {}
    if is_file_store(db) and not duckdb_path(db).exists():
        raise UsageError(f"{source}: no such file, and no store at {db} to look it up in")
    store = open_store(db, read_only=True)
    try:
        return load_stored(store, source)
    finally:
        store.close()


@cli.command()
@click.argument("source", metavar="RUN_ID|latest|FILE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown", "json", "junit"]),
    default="html",
    show_default=True,
)
@click.option("--output", "-o", metavar="FILE", help="Write here instead of stdout.")
@db_option
@click.option(
    "--redact-hosts",
    is_flag=True,
    help="Replace hostnames and IP addresses with pseudonyms (for publishing).",
)
@click.option("--server", metavar="URL", help="Ask a running 'ansiscope serve' for a stored run.")
def report(
    source: str, fmt: str, output: str | None, db: str, redact_hosts: bool, server: str | None
) -> None:
    """A report of one run: a self-contained HTML page, Markdown, JSON or JUnit XML."""
    if server and not Path(source).exists():
        if redact_hosts:
            raise UsageError("--redact-hosts needs the run itself: report where the store is")
        _emit(client.report(server, source, fmt), output, f"{fmt} report of run {source}")
        return
    run, result, history = load_run(source, db)
    data = render(fmt, run, result, history)
    if redact_hosts:
        hosts = list(run.hosts) + [r.delegated_to for r in run.results() if r.delegated_to]
        data = HostPseudonyms(hosts).apply(data.decode()).encode()
    _emit(data, output, f"{fmt} report of run {run.run_id}")


def _emit(data: bytes, output: str | None, what: str) -> None:
    if output:
        Path(output).write_bytes(data)
        click.echo(f"{output}: {what}", err=True)
    else:
        sys.stdout.buffer.write(data)


@cli.command()
@click.argument("source", metavar="RUN_ID|latest|FILE")
@db_option
@notify_options(envvars=True)
def notify(
    source: str,
    db: str,
    slack_webhook: str | None,
    teams_webhook: str | None,
    channel: str | None,
    only_on: str,
    dashboard_url: str | None,
) -> None:
    """Post a run to Slack and/or Teams. Delivery problems are warnings, not failures."""
    target = notifier_from(slack_webhook, teams_webhook, channel, only_on, dashboard_url)
    if not target:
        raise UsageError(
            "give --slack-webhook or --teams-webhook (or set ANSISCOPE_SLACK_WEBHOOK / ANSISCOPE_TEAMS_WEBHOOK)"
        )
    run, result, _ = load_run(source, db)
    for line in target.notify(run, result):
        click.echo(line, err=True)
