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
from ansiscope.cli_store import db_option
from ansiscope.errors import ParseError, UsageError
from ansiscope.exporters import notify as notifier
from ansiscope.exporters.report import (
    History,
    load_stored,
    render,
)
from ansiscope.ingest.schema import connect
from ansiscope.parser import open_input
from ansiscope.redact import HostPseudonyms


def load_run(source: str, db: str) -> tuple[RunTree, GateResult | None, History]:
    """The run to report on, its gate verdict and the slowest tasks' history (stored runs)."""
    if Path(source).exists():
        with open_input(source) as inp:
            runs, _ = assemble(inp.events)
        if not runs:
            raise ParseError(source, "no Ansible run found")
        return runs[-1], None, {}
    if not Path(db).exists():
        raise UsageError(f"{source}: no such file, and no store at {db} to look it up in")
    con = connect(db, read_only=True)
    try:
        return load_stored(con, source)
    finally:
        con.close()


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
@click.option(
    "--slack-webhook",
    envvar="ANSISCOPE_SLACK_WEBHOOK",
    metavar="URL",
    help="Slack incoming webhook (or $ANSISCOPE_SLACK_WEBHOOK, or @FILE).",
)
@click.option(
    "--teams-webhook",
    envvar="ANSISCOPE_TEAMS_WEBHOOK",
    metavar="URL",
    help="Teams incoming webhook / Workflows URL (or $ANSISCOPE_TEAMS_WEBHOOK, or @FILE).",
)
@click.option("--channel", help="Slack channel override.")
@click.option(
    "--only-on",
    type=click.Choice(["failure", "regression", "always"]),
    default="always",
    show_default=True,
)
@click.option("--dashboard-url", metavar="URL", help="Link the message to the run's page.")
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
    if not slack_webhook and not teams_webhook:
        raise UsageError(
            "give --slack-webhook or --teams-webhook (or set ANSISCOPE_SLACK_WEBHOOK / ANSISCOPE_TEAMS_WEBHOOK)"
        )
    run, result, _ = load_run(source, db)
    if not notifier.should_notify(only_on, run, result):
        click.echo(f"not notifying: run {run.run_id} does not match --only-on {only_on}", err=True)
        return
    targets = []
    if slack_webhook:
        targets.append(
            (
                "Slack",
                _secret(slack_webhook),
                notifier.slack_payload(run, result, dashboard_url, channel),
            )
        )
    if teams_webhook:
        targets.append(
            ("Teams", _secret(teams_webhook), notifier.teams_payload(run, result, dashboard_url))
        )
    for name, url, payload in targets:
        warning = notifier.deliver(url, payload)
        click.echo(
            f"warning: {name} {warning}" if warning else f"{name}: notified about run {run.run_id}",
            err=True,
        )


def _secret(value: str) -> str:
    """A webhook from ``@FILE`` (first line) or as given."""
    if value.startswith("@"):
        try:
            return Path(value[1:]).read_text().strip().splitlines()[0]
        except (OSError, IndexError):
            raise UsageError(f"{value[1:]}: cannot read the webhook URL") from None
    return value
