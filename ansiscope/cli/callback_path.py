"""``ansiscope callback-path``: where the Ansible callback plugin lives."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("callback-path")
def callback_path() -> None:
    """Print the folder holding ansiscope's Ansible callback plugin.

    export ANSIBLE_CALLBACK_PLUGINS=$(ansiscope callback-path)
    ANSIBLE_CALLBACKS_ENABLED=ansiscope ANSISCOPE_LOG_DIR=DIR ansible-playbook ...
    """
    click.echo(Path(__file__).resolve().parent.parent / "ansible_plugins" / "callback")
