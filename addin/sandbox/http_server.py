"""The HTTP server each emulator runs on: cheroot (CherryPy's WSGI server), because the
vendors keep connections open (HTTP/1.1 keep-alive) and Werkzeug's development server
closes every one, so each sandbox call paid a new TLS handshake. A thread pool serves
requests; idle keep-alive connections wait in cheroot's selector, not in a thread."""

from __future__ import annotations

import logging
import ssl
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

log = logging.getLogger(__name__)
THREADS = 32  # concurrent requests per emulator (a webhook delivery may wait on the product)


def _starting(environ: Any, start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


class EmulatorServer:
    """One origin: bound at construction (so its port is known before its app is built),
    serving whatever ``app`` holds when a request arrives."""

    def __init__(self, host: str, port: int, *, cert_path: str | None = None,
                 key_path: str | None = None):
        self.app: Any = _starting
        self._server = wsgi.Server((host, port), self._dispatch, numthreads=THREADS,
                                   server_name="sandbox", timeout=30, shutdown_timeout=1)
        if cert_path and key_path:
            adapter = BuiltinSSLAdapter(cert_path, key_path)
            adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
            self._server.ssl_adapter = adapter
        self._server.prepare()  # binds and listens
        self.server_port = int(self._server.bind_addr[1])

    def _dispatch(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)

    def serve_forever(self) -> None:
        self._server.serve()

    def shutdown(self) -> None:
        self._server.stop()

    def server_close(self) -> None:
        """Nothing more to do: ``shutdown`` closed the socket."""
