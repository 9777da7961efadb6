"""The service's HTTP surface: routing, basic auth, JSON errors, as an ASGI app
(served by uvicorn, ``server.py``). Whatever offers the ``Api`` protocol
(``core.Service``) does the work; it knows nothing of HTTP.

The service's calls block (store queries, bcrypt, uploads), so they run on a bounded
thread pool; the event loop only parses requests and writes answers, and a slow or
idle client holds no thread.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs

import orjson

from ansiscope.analytics.acks import Ack, parse_acks
from ansiscope.analytics.detector import Params
from ansiscope.analytics.gate import FailOn
from ansiscope.errors import AnsiscopeError, UsageError
from ansiscope.exporters.formats import GATE_FORMATS, REPORT_FORMATS, ReportFormat, first
from ansiscope.store import RunNotFound


class Api(Protocol):
    """What the handler asks of the service."""

    auth: Callable[[str, str], bool] | None
    max_upload: int

    def log(self, message: str) -> None:
        """Write one line to the service's log."""

    def health(self) -> tuple[int, dict[str, Any]]:
        """The status and body of ``/healthz``."""

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The ``/metrics`` exposition in the format ``accept`` asks for, and its type."""

    def runs(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        """The runs matching a ``/api/runs`` query."""

    def run_document(self, ref: str) -> dict[str, Any]:
        """One run's summary (``/api/runs/REF``)."""

    def report(self, ref: str, fmt: str) -> tuple[bytes, str]:
        """One run's report in ``fmt``, and its content type."""

    def gate(
        self,
        ref: str,
        fail_on: FailOn,
        fmt: str,
        params: Params,
        playbook: str | None = None,
        acks: list[Ack] | None = None,
    ) -> tuple[str, bytes, str]:
        """Gate one run (``latest`` with ``playbook``: that playbook's latest), ``acks``
        applied: the verdict, the report in ``fmt`` and its content type."""

    def upload(self, data: bytes, name: str) -> dict[str, Any]:
        """Store an uploaded log; what was stored."""


class BadRequest(AnsiscopeError):
    """A 400 with a reason."""


MAX_WINDOW = 1000  # runs in a gate's baseline asked over HTTP
MAX_GATE_BODY = 1 << 20  # a gate's POSTed acks


def acks_body(body: bytes) -> list[Ack]:
    """The acks of a POSTed gate question, ``{"acks": [...]}``; else a 400."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"request body: not valid JSON ({exc})") from exc
    acks = doc.get("acks", []) if isinstance(doc, dict) else None
    if not isinstance(acks, list):
        raise BadRequest('request body: expected {"acks": [...]}')
    try:
        return parse_acks(acks, "request body")
    except UsageError as exc:
        raise BadRequest(str(exc)) from exc


def one(query: dict[str, list[str]], key: str) -> str | None:
    """The first value of ``key`` in a query string, if any."""
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


def seconds(query: dict[str, list[str]], key: str, default: float) -> float:
    """A duration in seconds, ≥ 0 (``default`` when absent); else a 400."""
    text = one(query, key)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise BadRequest(f"{key}={text!r}: expected seconds (a number ≥ 0)")
    return value


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


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
T = TypeVar("T")
WORKERS = 8  # concurrent service calls; DuckDB and bcrypt release the GIL while they work


class Answer(Exception):
    """An answer decided early (401, 404, 411, 413): raised, then sent (control flow
    inside the handler, never shown to a user, so not an ``AnsiscopeError``)."""

    def __init__(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers


def json_body(data: Any) -> bytes:
    """``data`` as JSON bytes (numpy values included)."""
    return orjson.dumps(data, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY)


def error(status: int, reason: str) -> Answer:
    """A JSON error answer with ``status``."""
    return Answer(status, json_body({"error": reason}), [(b"Content-Type", b"application/json")])


class ApiApp:
    """The ASGI app: ``/healthz``, ``/metrics``, ``/api/...`` over an ``Api``. Header names
    keep their usual case (h11 and httptools send them as given)."""

    def __init__(self, service: Api, workers: int = WORKERS) -> None:
        self.service = service
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="ansiscope-http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (other scopes are ignored)."""
        if scope["type"] != "http":
            return  # lifespan is off; websockets are not offered
        method = scope["method"]
        try:
            status, body, headers = await self._route(scope, receive)
        except Answer as answer:
            status, body, headers = answer.status, answer.body, answer.headers
        except Exception as exc:  # a bug: say so (and log it) rather than drop the connection
            status, body, headers = self._internal_error(scope, exc)
        headers = [*headers, (b"Content-Length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking service call on the pool."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, partial(fn, *args))

    async def _route(
        self, scope: Scope, receive: Receive
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        path = scope["path"]
        query = parse_qs(scope["query_string"].decode("latin-1"))
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        if method in ("GET", "HEAD") and path == "/healthz":
            status, doc = self.service.health()
            return status, json_body(doc), [(b"Content-Type", b"application/json")]
        await self._authorise(headers)
        if method == "POST" and path == "/api/gate":
            return await self._answer(self._gate(query, await self._body(headers, receive)))
        if method == "POST":
            return await self._upload(path, query, headers, receive)
        if method not in ("GET", "HEAD"):
            raise error(405, f"method {method} not allowed")
        return await self._answer(self._get(path, query, headers))

    async def _answer(
        self, work: Awaitable[tuple[int, bytes, list[tuple[bytes, bytes]]]]
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """``work``'s answer, a missing run a 404 and any other user error a 400."""
        try:
            return await work
        except RunNotFound as exc:
            raise error(404, str(exc)) from exc
        except AnsiscopeError as exc:
            raise error(400, str(exc)) from exc

    async def _get(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        service = self.service
        if path == "/metrics":
            body, content_type = await self.call(service.exposition, headers.get("accept", ""))
            return 200, body, [(b"Content-Type", content_type.encode())]
        if path == "/api/runs":
            body = json_body(await self.call(service.runs, query))
            return 200, body, [(b"Content-Type", b"application/json")]
        if path.startswith("/api/runs/"):
            body = json_body(await self.call(service.run_document, path.rsplit("/", 1)[1]))
            return 200, body, [(b"Content-Type", b"application/json")]
        if path == "/api/report":
            fmt = choice(query, "format", first(ReportFormat.JSON, REPORT_FORMATS))
            ref = one(query, "run") or "latest"
            body, content_type = await self.call(service.report, ref, fmt)
            return 200, body, [(b"Content-Type", content_type.encode())]
        if path == "/api/gate":
            return await self._gate(query, None)
        raise error(404, f"no such endpoint: {path}")

    async def _gate(
        self, query: dict[str, list[str]], body: bytes | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """``/api/gate``: GET, or POST with the acks to apply as a JSON body."""
        ref = one(query, "run") or "latest"
        fail_on = FailOn(choice(query, "fail_on", tuple(FailOn)))
        fmt = choice(query, "format", first(ReportFormat.JSON, GATE_FORMATS))
        params = Params(
            window=count(query, "window", Params().window, MAX_WINDOW),
            min_abs_s=seconds(query, "min_delta", Params().min_abs_s),
        )
        acks = None if body is None else acks_body(body)
        verdict, report, content_type = await self.call(
            self.service.gate, ref, fail_on, fmt, params, one(query, "playbook"), acks
        )
        headers = [
            (b"Content-Type", content_type.encode()),
            (b"X-Ansiscope-Verdict", verdict.encode()),
        ]
        return 200, report, headers

    async def _body(
        self, headers: dict[str, str], receive: Receive, limit: int = MAX_GATE_BODY
    ) -> bytes:
        """A request's body, up to ``limit`` bytes: 411 without a length, 413 over the
        limit, 400 when the client leaves mid-way."""
        length = headers.get("content-length")
        if length is None or not length.isdigit():
            raise error(411, "Content-Length required")
        if int(length) > limit:
            raise error(413, f"upload of {length} bytes is over the limit of {limit}")
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise error(400, "the client went away mid-upload")
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def _authorise(self, headers: dict[str, str]) -> None:
        auth = self.service.auth
        if auth is None:
            return
        header = headers.get("authorization", "")
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user = password = ""
            if await self.call(auth, user, password):
                return
        raise Answer(401, b"", [(b"WWW-Authenticate", b'Basic realm="ansiscope"')])

    async def _upload(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str], receive: Receive
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        if path != "/api/runs":
            raise error(404, f"no such endpoint: {path}")
        data = await self._body(headers, receive, self.service.max_upload)
        name = one(query, "name") or "upload.log"
        try:
            doc = await self.call(self.service.upload, data, name)
        except BadRequest as exc:
            raise error(400, str(exc)) from exc
        return 201, json_body(doc), [(b"Content-Type", b"application/json")]

    def _internal_error(
        self, scope: Scope, exc: Exception
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
        target = scope["path"] + (
            f"?{scope['query_string'].decode()}" if scope["query_string"] else ""
        )
        self.service.log(f"error: {scope['method']} {target}: {reason}")
        answer = error(500, f"internal error ({reason})")
        return answer.status, answer.body, answer.headers
