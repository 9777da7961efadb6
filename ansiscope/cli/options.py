"""Options shared by several commands: the store, the input format, labels, the ingest
node and the five notification options (``notify``, ``summary``, ``gate``, ``serve``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ansiscope.parser.events import LogFormat

if TYPE_CHECKING:
    from ansiscope.exporters.notify import Notifier

F = TypeVar("F", bound=Callable[..., Any])


def _default_db() -> str:
    from ansiscope.store import default_db  # the store loads only for commands that use it

    return default_db()


db_option = click.option(
    "--db",
    default=_default_db,
    show_default="$ANSISCOPE_DB or ./ansiscope.duckdb",
    help="The store: a DuckDB file (or duckdb:///PATH), clickhouse://USER@HOST:8123/DB, "
    "or chdb:///PATH.",
)
node_option = click.option(
    "--node",
    envvar="ANSISCOPE_NODE",
    default=None,
    metavar="NAME",
    help="This ingest node's stable name where many nodes write one ClickHouse store "
    "[default: $ANSISCOPE_NODE or the hostname].",
)


label_option = click.option(
    "--label", "labels", multiple=True, metavar="KEY=VALUE", help="Label the runs (repeatable)."
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in LogFormat]),
    default=None,
    help="Input format; detected from the first bytes when omitted.",
)


@dataclass(frozen=True)
class NotifyOptions:
    """The values of the five notification options, passed to a command as ``notify``."""

    slack_webhook: str | None
    teams_webhook: str | None
    channel: str | None
    only_on: str
    dashboard_url: str | None

    def notifier(self) -> Notifier:
        """The notifier these options describe (empty: no webhook given)."""
        from ansiscope.exporters import notify as notifier  # pulls in analytics: only when used

        return notifier.Notifier(
            slack=notifier.webhook(self.slack_webhook, "ANSISCOPE_SLACK_WEBHOOK"),
            teams=notifier.webhook(self.teams_webhook, "ANSISCOPE_TEAMS_WEBHOOK"),
            channel=self.channel,
            only_on=self.only_on,
            dashboard_url=self.dashboard_url,
        )


NOTIFY_PARAMS = ("slack_webhook", "teams_webhook", "channel", "only_on", "dashboard_url")


def notify_options(envvars: bool) -> Callable[[F], F]:
    """``--slack-webhook``/``--teams-webhook``/``--channel``/``--only-on``/``--dashboard-url``,
    handed to the command as one ``notify: NotifyOptions`` parameter.

    With ``envvars`` (the notify command) the webhooks default to $ANSISCOPE_SLACK_WEBHOOK /
    $ANSISCOPE_TEAMS_WEBHOOK; elsewhere pass ``env`` to use them (so that setting the
    variable does not make every command post)."""

    def wrap(f: F) -> F:
        @functools.wraps(f)
        def command(**kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in NOTIFY_PARAMS}
            return f(**kwargs, notify=NotifyOptions(**values))

        wrapped: Any = command
        for option in reversed(_notify_click_options(envvars)):
            wrapped = option(wrapped)
        return wrapped  # type: ignore[no-any-return]

    return wrap


def _notify_click_options(envvars: bool) -> list[Callable[[F], F]]:
    how = "URL, @FILE" + ("" if envvars else " or env")
    return [
        click.option(
            "--slack-webhook",
            envvar="ANSISCOPE_SLACK_WEBHOOK" if envvars else None,
            metavar="URL",
            help=f"Post to Slack ({how}).",
        ),
        click.option(
            "--teams-webhook",
            envvar="ANSISCOPE_TEAMS_WEBHOOK" if envvars else None,
            metavar="URL",
            help=f"Post to Teams ({how}).",
        ),
        click.option("--channel", help="Slack channel override."),
        click.option(
            "--only-on",
            type=click.Choice(["failure", "regression", "always"]),
            default="always" if envvars else "failure",
            show_default=True,
            help="When to post.",
        ),
        click.option("--dashboard-url", metavar="URL", help="Link the message to the run's page."),
    ]
