"""``ansiscope serve``: the long-running service (store owner, watcher, /metrics, API)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from ansiscope.cli.options import NotifyOptions, db_option, label_option, notify_options
from ansiscope.errors import UsageError
from ansiscope.ingest.labels import run_labels
from ansiscope.service.core import MAX_UPLOAD, Service
from ansiscope.service.webconfig import auth_and_tls
from ansiscope.store import open_store
from ansiscope.store.retention import parse_age


@click.command()
@db_option
@click.option(
    "--watch",
    "folders",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Follow this folder (repeatable).",
)
@click.option("--poll", is_flag=True, help="Poll the folders (NFS).")
@click.option("--bind", default="127.0.0.1", show_default=True)
@click.option("--port", default=9464, show_default=True, type=int)
@click.option(
    "--dashboard-port",
    default=8501,
    show_default=True,
    type=int,
    help="The Streamlit dashboard's port (0: none).",
)
@click.option("--retention", metavar="AGE", help="Delete runs older than AGE (e.g. 90d), hourly.")
@click.option(
    "--web-config",
    type=click.Path(dir_okay=False),
    help="Exporter-toolkit web config file (TLS, bcrypt basic auth users).",
)
@click.option(
    "--tls-cert", type=click.Path(dir_okay=False), help="Serve HTTPS with this certificate…"
)
@click.option("--tls-key", type=click.Path(dir_okay=False), help="…and this key.")
@click.option(
    "--max-upload", default=MAX_UPLOAD, show_default=True, help="Largest accepted upload (bytes)."
)
@click.option(
    "--top-playbooks",
    default=100,
    show_default=True,
    help="Playbook label values kept in metrics; the rest are 'other'.",
)
@label_option
@notify_options(envvars=False)
def serve(
    db: str,
    folders: tuple[str, ...],
    poll: bool,
    bind: str,
    port: int,
    dashboard_port: int,
    retention: str | None,
    web_config: str | None,
    tls_cert: str | None,
    tls_key: str | None,
    max_upload: int,
    top_playbooks: int,
    labels: tuple[str, ...],
    notify: NotifyOptions,
) -> None:
    """Own the store, follow folders, serve /metrics, /healthz and the JSON API.

    With --slack-webhook/--teams-webhook, every run that ends is posted (per --only-on).

    Basic auth: set ANSISCOPE_AUTH_USER and ANSISCOPE_AUTH_PASSWORD_FILE.
    """
    roots = [Path(f) for f in folders]
    missing = [str(r) for r in roots if not r.is_dir()]
    if missing:
        raise UsageError(f"not a folder: {', '.join(missing)}")
    if retention:
        parse_age(retention)
    checker, tls = auth_and_tls(web_config, tls_cert, tls_key)
    store = open_store(db)
    service = Service(
        store,
        watch=roots,
        poll=poll,
        labels=run_labels(labels),
        auth=checker,
        max_upload=max_upload,
        retention_age=retention,
        top_n=top_playbooks,
        dashboard_port=dashboard_port,
        notifier=notify.notifier() or None,
    )
    done = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)  # before the threads start: a stop is never lost
    signal.signal(signal.SIGINT, _stop)
    bound = service.start(bind, port, tls)
    started = dashboard_port if service.dashboard is not None else 0  # chDB: none
    _announce(db, "https" if tls else "http", bind, bound, started, roots)
    done.wait()
    click.echo("stopping: finishing the current batch…", err=True)
    service.shutdown()
    click.echo("stopped", err=True)


def _announce(
    db: str, scheme: str, bind: str, bound: int, dashboard_port: int, roots: list[Path]
) -> None:
    base = f"{scheme}://{bind}:{bound}"
    click.echo(f"ansiscope serving {db}", err=True)
    click.echo(f"  metrics   {base}/metrics", err=True)
    click.echo(f"  health    {base}/healthz", err=True)
    click.echo(f"  API       {base}/api/runs", err=True)
    if dashboard_port:
        click.echo(
            f"  dashboard {scheme.replace('https', 'http')}://{bind}:{dashboard_port}/", err=True
        )
    if roots:
        click.echo(f"  watching  {', '.join(map(str, roots))}", err=True)
