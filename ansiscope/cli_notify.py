"""The notification options shared by ``notify``, ``summary``, ``gate`` and ``serve``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ansiscope.exporters.notify import Notifier

F = TypeVar("F", bound=Callable[..., Any])


def notify_options(envvars: bool) -> Callable[[F], F]:
    """``--slack-webhook``/``--teams-webhook``/``--channel``/``--only-on``/``--dashboard-url``.

    With ``envvars`` (the notify command) the webhooks default to $ANSISCOPE_SLACK_WEBHOOK /
    $ANSISCOPE_TEAMS_WEBHOOK; elsewhere pass ``env`` to use them (so that setting the
    variable does not make every command post)."""

    def wrap(f: F) -> F:
        how = "URL, @FILE" + ("" if envvars else " or env")
        for option in reversed(
            [
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
                click.option(
                    "--dashboard-url", metavar="URL", help="Link the message to the run's page."
                ),
            ]
        ):
            f = option(f)
        return f

    return wrap


def notifier_from(
    slack_webhook: str | None,
    teams_webhook: str | None,
    channel: str | None,
    only_on: str,
    dashboard_url: str | None,
) -> Notifier:
    from ansiscope.exporters import notify as notifier  # pulls in analytics: only when used

    return notifier.Notifier(
        slack=notifier.webhook(slack_webhook, "ANSISCOPE_SLACK_WEBHOOK"),
        teams=notifier.webhook(teams_webhook, "ANSISCOPE_TEAMS_WEBHOOK"),
        channel=channel,
        only_on=only_on,
        dashboard_url=dashboard_url,
    )
