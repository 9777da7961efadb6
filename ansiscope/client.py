"""Talking to a running ``ansiscope serve`` (``--server URL``) instead of opening the file."""

from __future__ import annotations

import base64
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from ansiscope.analytics.acks import Ack, ack_document
from ansiscope.analytics.detector import Params
from ansiscope.errors import AnsiscopeError
from ansiscope.service.webconfig import read_password

TIMEOUT_S = 120


class ServerError(AnsiscopeError):
    """The service answered with an error, or not at all."""


def _request(url: str, data: bytes | None = None) -> tuple[bytes, dict[str, str]]:
    """GET ``url`` (POST ``data``), with basic auth when the environment gives it: the body
    and the headers; an HTTP error's message is the service's ``error`` field."""
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    user = os.environ.get("ANSISCOPE_AUTH_USER")
    password = read_password(os.environ.get("ANSISCOPE_AUTH_PASSWORD_FILE"))
    if user and password is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        try:
            reason = orjson.loads(exc.read()).get("error", exc.reason)
        except orjson.JSONDecodeError:
            reason = exc.reason
        raise ServerError(f"{url.split('?')[0]}: HTTP {exc.code}: {reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ServerError(
            f"{url.split('?')[0]}: cannot reach the service: {getattr(exc, 'reason', exc)}"
        ) from exc


def upload(server: str, path: Path) -> list[str]:
    """Send a log to the service; returns the ids of the runs it held."""
    name = urllib.parse.quote(path.name)
    body, _ = _request(f"{server.rstrip('/')}/api/runs?name={name}", path.read_bytes())
    doc: dict[str, Any] = orjson.loads(body)
    return list(doc["run_ids"])


def gate(
    server: str,
    run: str,
    fail_on: str,
    fmt: str,
    params: Params,
    playbook: str | None = None,
    acks: list[Ack] | None = None,
) -> tuple[str, bytes]:
    """The service's gate verdict and report for a stored run (with ``playbook`` and
    ``latest``: that playbook's latest run), the baseline window and floor as ``params``
    say, ``acks`` applied (sent as the JSON body of a POST)."""
    fields = {"run": run, "fail_on": fail_on, "format": fmt, "window": params.window}
    fields |= {"min_delta": params.min_abs_s} | ({"playbook": playbook} if playbook else {})
    url = f"{server.rstrip('/')}/api/gate?{urllib.parse.urlencode(fields)}"
    data = None if acks is None else orjson.dumps({"acks": [ack_document(a) for a in acks]})
    body, headers = _request(url, data)
    verdict = next((v for k, v in headers.items() if k.lower() == "x-ansiscope-verdict"), "error")
    return verdict, body


def runs(server: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The service's stored runs matching ``params`` (``None`` values left out)."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    body, _ = _request(f"{server.rstrip('/')}/api/runs?{query}")
    return list(orjson.loads(body))


def report(server: str, run: str, fmt: str) -> bytes:
    """A stored run's report, rendered by the service."""
    query = urllib.parse.urlencode({"run": run, "format": fmt})
    body, _ = _request(f"{server.rstrip('/')}/api/report?{query}")
    return body
