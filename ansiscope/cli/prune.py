"""``ansiscope prune``: delete old runs and give their space back."""

from __future__ import annotations

import click

from ansiscope.cli.options import db_option
from ansiscope.store import open_store, retention


@click.command()
@db_option
@click.option(
    "--older-than",
    required=True,
    metavar="AGE",
    help="Delete runs started before now minus AGE: 90d, 12h.",
)
@click.option("--no-compact", is_flag=True, help="Do not rewrite the file to give the space back.")
def prune(db: str, older_than: str, no_compact: bool) -> None:
    """Delete old runs and reclaim their space."""
    cutoff = retention.parse_since(older_than)
    assert cutoff is not None
    store = open_store(db, create=False)
    try:
        result = store.prune(cutoff, compact=not no_compact)
    finally:
        store.close()
    click.echo(
        f"{db}: {result.runs} runs older than {cutoff:%Y-%m-%d %H:%M} UTC deleted; "
        f"{result.size_before / 1e6:.1f} MB → {result.size_after / 1e6:.1f} MB"
    )
