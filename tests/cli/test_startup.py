"""The CLI loads each command's module only when the command is used."""

from __future__ import annotations

import subprocess
import sys

import click

from ansiscope.cli import LAZY_COMMANDS, cli
from tests.conftest import ROOT


def test_every_lazy_command_resolves_to_itself() -> None:
    ctx = click.Context(cli)
    for name in LAZY_COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
    assert set(LAZY_COMMANDS) <= set(cli.list_commands(ctx))
    assert {"parse", "summary"} <= set(cli.list_commands(ctx))


def test_ingesting_does_not_load_pandas_plotly_or_the_service() -> None:
    script = (
        "import sys\n"
        "from ansiscope.cli import cli\n"
        "import click\n"
        "cli.get_command(click.Context(cli), 'ingest')\n"
        "print(sorted(m for m in ('pandas', 'plotly', 'streamlit', 'ansiscope.service.core')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
