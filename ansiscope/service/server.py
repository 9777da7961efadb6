"""The HTTP server the service answers on: uvicorn (asyncio, h11 or httptools) running
the ASGI app of ``http_api`` in a thread of the service's process.

Why uvicorn rather than the standard library's ``http.server`` (which its own
documentation calls unfit for production): an event loop holds idle and slow
connections without a thread each, keep-alive connections time out, the number of
concurrent connections is bounded, malformed requests are refused by a maintained
HTTP parser, and TLS is built in. The blocking work runs on the app's bounded pool.
"""

from __future__ import annotations

import socket
import threading

import uvicorn

from ansiscope.service.http_api import Api, ApiApp

MAX_CONNECTIONS = 1024  # beyond this, new requests get a 503 rather than a thread each
KEEP_ALIVE_S = 15
BACKLOG = 2048


class HttpServer:
    """Serves an ``Api`` on ``bind:port`` (0: any free port) until ``stop()``."""

    def __init__(self, service: Api, bind: str, port: int, tls: tuple[str, str] | None) -> None:
        self.app = ApiApp(service)
        self.config = uvicorn.Config(
            self.app,
            host=bind,
            port=port,
            ssl_certfile=tls[0] if tls else None,
            ssl_keyfile=tls[1] if tls else None,
            lifespan="off",
            access_log=False,
            log_level="warning",
            server_header=False,
            limit_concurrency=MAX_CONNECTIONS,
            timeout_keep_alive=KEEP_ALIVE_S,
        )
        self.server = uvicorn.Server(self.config)
        # bound here, so that a port in use fails the start and port 0 is known at once
        self.socket: socket.socket = self.config.bind_socket()
        self.socket.listen(BACKLOG)  # connections wait in the backlog until the loop runs
        self.port = int(self.socket.getsockname()[1])
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Answer in a background thread (signals stay with the main thread)."""
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self._thread.start()

    def alive(self) -> bool:
        """Whether the server thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop accepting, finish the requests under way, release the port."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.socket.close()
        self.app.pool.shutdown(wait=False, cancel_futures=True)
