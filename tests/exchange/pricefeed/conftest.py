"""A local HTTP price endpoint (no internet in tests) and the example contract."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from exchange.pricefeed.contracts import FeedContract


class PriceServer:
    """Serves ``body`` as JSON with ``status`` at every path, until ``stop()``."""

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

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v3/ticker/price"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()


@pytest.fixture
def price_server() -> Iterator[PriceServer]:
    server = PriceServer()
    yield server
    server.stop()


def example_contract(**changes: object) -> FeedContract:
    """BTCUSDT as in docs/futures.md: tick 0.1, lot 0.001, 125x, 0.01 % interest, 0.75 % cap."""
    spec: dict[str, object] = {
        "symbol": "BTCUSDT",
        "group": "USDT",
        "engine_id": 1,
        "tick_size": Decimal("0.1"),
        "step_size": Decimal("0.001"),
        "index_symbol": None,
        "funding_interval_seconds": 8 * 3600,
        "interest_rate": Decimal("0.0001"),
        "funding_cap": Decimal("0.0075"),
        "max_leverage": 125,
    }
    spec.update(changes)
    return FeedContract(**spec)  # type: ignore[arg-type]
