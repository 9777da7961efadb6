"""``ansiscope notify``: post a run (a stored run or a log FILE) to Slack and/or Teams."""

from __future__ import annotations

import click

from ansiscope.cli.options import NotifyOptions, db_option, notify_options
from ansiscope.errors import UsageError
from ansiscope.exporters.report import load_run


@click.command()
@click.argument("source", metavar="RUN_ID|latest|FILE")
@db_option
@notify_options(envvars=True)
def notify(source: str, db: str, notify: NotifyOptions) -> None:
    """Post a run to Slack and/or Teams. Delivery problems are warnings, not failures."""
    target = notify.notifier()
    if not target:
        raise UsageError(
            "give --slack-webhook or --teams-webhook (or set ANSISCOPE_SLACK_WEBHOOK / ANSISCOPE_TEAMS_WEBHOOK)"
        )
    run, result, _ = load_run(source, db)
    for line in target.notify(run, result):
        click.echo(line, err=True)
