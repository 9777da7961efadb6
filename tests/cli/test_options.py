"""The shared options: the five notification options arrive as one NotifyOptions."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from ansiscope.cli.options import NotifyOptions, notify_options


def _command(envvars: bool, seen: list[NotifyOptions]) -> click.Command:
    @click.command()
    @click.argument("source")
    @notify_options(envvars=envvars)
    def post(source: str, notify: NotifyOptions) -> None:
        """Post SOURCE."""
        assert source == "latest"
        seen.append(notify)

    return post


def test_the_five_options_arrive_as_one_value() -> None:
    seen: list[NotifyOptions] = []
    args = ["latest", "--slack-webhook", "https://hooks.example/s", "--channel", "#ops"]
    result = CliRunner().invoke(_command(False, seen), [*args, "--only-on", "regression"])
    assert result.exit_code == 0, result.output
    assert seen == [NotifyOptions("https://hooks.example/s", None, "#ops", "regression", None)]


@pytest.mark.parametrize(
    ("envvars", "slack", "only_on"), [(True, "from-env", "always"), (False, None, "failure")]
)
def test_only_notify_reads_the_webhook_variables(
    monkeypatch: pytest.MonkeyPatch, envvars: bool, slack: str | None, only_on: str
) -> None:
    monkeypatch.setenv("ANSISCOPE_SLACK_WEBHOOK", "from-env")
    seen: list[NotifyOptions] = []
    result = CliRunner().invoke(_command(envvars, seen), ["latest"])
    assert result.exit_code == 0, result.output
    assert (seen[0].slack_webhook, seen[0].only_on) == (slack, only_on)
    assert not NotifyOptions(None, None, None, "always", None).notifier()
