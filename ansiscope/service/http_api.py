"""The service's HTTP surface: routing, basic auth, JSON errors. Whatever offers the
``Api`` protocol (``core.Service``) does the work; it knows nothing of HTTP."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse

import orjson

from ansiscope.errors import AnsiscopeError
from ansiscope.store import RunNotFound


class Api(Protocol):
    """What the handler asks of the service."""

    auth: Callable[[str, str], bool] | None
    max_upload: int

    def log(self, message: str) -> None: ...
    def health(self) -> tuple[int, dict[str, Any]]: ...
    def exposition(self, accept: str) -> tuple[bytes, str]: ...
    def runs(self, query: dict[str, list[str]]) -> list[dict[str, Any]]: ...
    def run_document(self, ref: str) -> dict[str, Any]: ...
    def report(self, ref: str, fmt: str) -> tuple[bytes, str]: ...
    def gate(self, ref: str, fail_on: str, fmt: str) -> tuple[str, bytes, str]: ...
    def upload(self, data: bytes, name: str) -> dict[str, Any]: ...


class BadRequest(Exception):
    """A 400 with a reason."""


def one(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def count(query: dict[str, list[str]], key: str, default: int, maximum: int) -> int:
    """A whole number from 1 to ``maximum`` (``default`` when absent); else a 400."""
    text = one(query, key)
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise BadRequest(f"{key}={text!r}: expected a whole number from 1 to {maximum}")
    return int(text)


def choice(query: dict[str, list[str]], key: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first when absent); else a 400 naming them."""
    text = one(query, key)
    if text is None:
        return choices[0]
    if text not in choices:
        raise BadRequest(f"{key}={text!r}: expected one of {', '.join(choices)}")
    return text


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError


class ApiHandler(BaseHTTPRequestHandler):
    service: Api
    server_version = "ansiscope"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: a scrape every 15 s is not news

    def _authorised(self) -> bool:
        auth = self.service.auth
        if auth is None:
            return True
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user = password = ""
            if auth(user, password):
                return True
        self.send_response(HTTPStatus.UNAUTHORIZED)
        self.send_header("WWW-Authenticate", 'Basic realm="ansiscope"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(
            status,
            orjson.dumps(data, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY),
            "application/json",
        )

    def _error(self, status: int, reason: str) -> None:
        self._json(status, {"error": reason})

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/healthz":
            status, body = self.service.health()
            self._json(status, body)
            return
        if not self._authorised():
            return
        try:
            if url.path == "/metrics":
                exposition, content_type = self.service.exposition(self.headers.get("Accept", ""))
                self._send(200, exposition, content_type)
            elif url.path == "/api/runs":
                self._json(200, self.service.runs(query))
            elif url.path.startswith("/api/runs/"):
                self._json(200, self.service.run_document(url.path.rsplit("/", 1)[1]))
            elif url.path == "/api/report":
                fmt = choice(query, "format", ("json", "html", "markdown", "junit"))
                report, content_type = self.service.report(one(query, "run") or "latest", fmt)
                self._send(200, report, content_type)
            elif url.path == "/api/gate":
                ref = one(query, "run") or "latest"
                fail_on = choice(query, "fail_on", ("regression", "suspect", "never"))
                fmt = choice(query, "format", ("json", "markdown", "junit"))
                verdict, report, content_type = self.service.gate(ref, fail_on, fmt)
                self._send(200, report, content_type, {"X-Ansiscope-Verdict": verdict})
            else:
                self._error(404, f"no such endpoint: {url.path}")
        except RunNotFound as exc:
            self._error(404, str(exc))
        except (AnsiscopeError, BadRequest) as exc:
            self._error(400, str(exc))
        except Exception as exc:  # a bug: say so (and log it) rather than drop the connection
            self._internal_error(exc)

    def _internal_error(self, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
        self.service.log(f"error: {self.command} {self.path}: {reason}")
        self._error(500, f"internal error ({reason})")

    def do_HEAD(self) -> None:
        """As GET, without the body (load balancers' health checks)."""
        self.do_GET()

    def do_POST(self) -> None:
        url = urlparse(self.path)
        if not self._authorised():
            return
        if url.path != "/api/runs":
            self._error(404, f"no such endpoint: {url.path}")
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._error(411, "Content-Length required")
            return
        if int(length) > self.service.max_upload:
            self._error(
                413, f"upload of {length} bytes is over the limit of {self.service.max_upload}"
            )
            return
        data = self.rfile.read(int(length))
        name = one(parse_qs(url.query), "name") or "upload.log"
        try:
            self._json(201, self.service.upload(data, name))
        except BadRequest as exc:
            self._error(400, str(exc))
        except Exception as exc:
            self._internal_error(exc)
