"""A local HTTP price endpoint for the price feed's external source (no internet in tests)."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that died mid-request (a SIGKILLed feed) is no error of the server."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class PriceServer:
    """Serves ``body`` as JSON with ``status`` at every path, until ``stop()``.

    Runs in the test process on a free loopback port, so a test moves the index by
    assigning ``body`` (``serve``) while the feed process reads it.
    """

    def __init__(self) -> None:
        self.body: object = {"symbol": "BTCUSDT", "price": "60000"}
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = json.dumps(owner.body).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v3/ticker/price"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, price: object, *, time_ms: int | None = None, status: int = 200) -> None:
        """Answer ``price`` from now on; ``time_ms`` dates it (the source's own time)."""
        body: dict[str, object] = {"symbol": "BTCUSDT", "price": str(price)}
        if time_ms is not None:
            body["time"] = time_ms
        self.body, self.status = body, status

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()
