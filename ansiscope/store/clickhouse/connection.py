"""Store URLs to clickhouse-connect clients: a server (``clickhouse://``, ``clickhouses://``)
or the in-process engine (``chdb:///PATH``).

- The password never rides in the URL (it would show in ``ps`` and shell history): it
  comes from ``$ANSISCOPE_CLICKHOUSE_PASSWORD`` or the file named by
  ``$ANSISCOPE_CLICKHOUSE_PASSWORD_FILE``.
- chDB allows one data path per process and one process per data path: the engine is
  opened once per path and shared by every store this process opens on it (the service
  and its dashboard cache open a store more than once). Tests isolate by database:
  ``chdb:///PATH?database=NAME``.
- A session-bound client refuses concurrent queries: every client is made without a
  session, so reader threads may each hold one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ansiscope.store.base import StoreError

ENV_PASSWORD = "ANSISCOPE_CLICKHOUSE_PASSWORD"
ENV_PASSWORD_FILE = "ANSISCOPE_CLICKHOUSE_PASSWORD_FILE"
DEFAULT_DATABASE = "ansiscope"
# Every query: SQL NULLs out of LEFT JOINs, like DuckDB; inserts wait for the data to
# be written (a 26.x server defaults to async inserts, which would acknowledge a batch
# before its rows exist and break the data-before-ledger order).
# Reads see rows collapsed (``final``): a replayed batch or a run's older versions never
# show, even before the server merges them.
SETTINGS: dict[str, Any] = {
    "final": 1,
    "join_use_nulls": 1,
    "async_insert": 0,
    "mutations_sync": 1,
}


@dataclasses.dataclass(frozen=True)
class Target:
    """Where a ClickHouse store lives."""

    url: str
    database: str
    chdb_path: str | None = None
    host: str = ""
    port: int = 8123
    user: str = "default"
    secure: bool = False

    def label(self) -> str:
        """How messages name the store (no credentials)."""
        return self.url


def parse_url(url: str) -> Target:
    """A ``clickhouse://``/``clickhouses://``/``chdb://`` URL as a ``Target``."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    database = (query.get("database") or [""])[0]
    if parts.scheme == "chdb":
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise StoreError(f"{url}: expected chdb:///PATH (a folder for the engine's data)")
        return Target(url, database or DEFAULT_DATABASE, chdb_path=path)
    if parts.password is not None:
        raise StoreError(
            f"{parts.scheme}://…: no password in the URL (it would show in ps and shell "
            f"history); set ${ENV_PASSWORD} or ${ENV_PASSWORD_FILE}"
        )
    if not parts.hostname:
        raise StoreError(f"{url}: expected {parts.scheme}://USER@HOST:PORT/DATABASE")
    secure = parts.scheme == "clickhouses"
    try:
        port = parts.port or (8443 if secure else 8123)
    except ValueError as exc:
        raise StoreError(f"{url}: the port is not a number") from exc
    return Target(
        url,
        database or parts.path.strip("/") or DEFAULT_DATABASE,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or "default"),
        secure=secure,
    )


def password(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The server password from the environment (empty: none)."""
    if environ.get(ENV_PASSWORD):
        return environ[ENV_PASSWORD]
    name = environ.get(ENV_PASSWORD_FILE)
    if not name:
        return ""
    try:
        return Path(name).read_text().strip()
    except OSError as exc:
        raise StoreError(f"{name}: cannot read the password file: {exc.strerror}") from exc


def client(target: Target, database: str | None = None) -> Any:
    """A new clickhouse-connect client on ``target`` (``database``: another one, e.g.
    ``default`` to create the store's)."""
    try:
        import clickhouse_connect
        from clickhouse_connect.driver.exceptions import ClickHouseError
    except ImportError as exc:
        raise StoreError(
            f"{target.label()}: ClickHouse support is not installed: "
            "pip install 'ansiscope[clickhouse]'"
        ) from exc
    db = database or target.database
    try:
        if target.chdb_path is not None:
            return _chdb_client(target.chdb_path, db)
        return clickhouse_connect.get_client(
            host=target.host,
            port=target.port,
            username=target.user,
            password=password(),
            database=db,
            secure=target.secure,
            autogenerate_session_id=False,
            settings=dict(SETTINGS),
            tz_mode="aware",
            connect_timeout=10,
            send_receive_timeout=300,
        )
    except ClickHouseError as exc:
        raise StoreError(f"{target.label()}: cannot connect: {first_line(exc)}") from exc


_keepers: dict[str, Any] = {}


def _chdb_client(path: str, database: str) -> Any:
    """A client on this process's engine for ``path`` (clients on one path share it).

    The engine stops when its last client closes, and starting it takes seconds (it
    loads every table): the first client of a path is kept open for the life of the
    process, so stores opened and closed again (CLI calls in tests, the dashboard's
    cache) reuse the running engine."""
    import clickhouse_connect

    Path(path).mkdir(parents=True, exist_ok=True)
    try:
        if path not in _keepers:
            _keepers[path] = clickhouse_connect.get_client(dsn=f"chdb://{path}")
        return clickhouse_connect.get_client(
            dsn=f"chdb://{path}",
            database=database,
            settings=dict(SETTINGS),
            tz_mode="aware",
        )
    except Exception as exc:  # chdb raises its own types (a path locked or already open)
        raise StoreError(f"chdb://{path}: cannot open the engine: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    """An exception's first meaningful line (ClickHouse messages run long)."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


class Db:
    """One client with the store's error handling: every driver error becomes a one-line
    ``StoreError`` naming the store (the cause chained)."""

    def __init__(self, target: Target, raw: Any) -> None:
        self.target = target
        self.raw = raw

    def _error(self, exc: Exception) -> StoreError:
        return StoreError(f"{self.target.label()}: {first_line(exc)}")

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """The result rows of a query."""
        try:
            return list(self.raw.query(sql, parameters=params or {}).result_rows)
        except Exception as exc:
            raise self._error(exc) from exc

    def arrow(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        """A query's result as an Arrow table."""
        try:
            return self.raw.query_arrow(sql, parameters=params or {}, use_strings=True)
        except Exception as exc:
            raise self._error(exc) from exc

    def command(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """A statement with no result."""
        try:
            self.raw.command(sql, parameters=params or {})
        except Exception as exc:
            raise self._error(exc) from exc

    def insert(self, table: str, data: Any, token: str | None = None) -> None:
        """Append an Arrow table (columns by name); ``token``: a retried insert with the
        same token is dropped by the server (tables with a deduplication window)."""
        settings: dict[str, Any] = {}
        if token is not None:
            settings["insert_deduplication_token"] = token
        # a batch's results come in chunks, each with dictionaries of its own: Arrow's
        # IPC stream (how the table travels) takes one dictionary per column
        data = data.unify_dictionaries()
        try:
            self.raw.insert_arrow(table, data, settings=settings)
        except Exception as exc:
            raise self._error(exc) from exc

    def close(self) -> None:
        """Release the client."""
        with contextlib.suppress(Exception):  # a broken connection: nothing to release
            self.raw.close()
