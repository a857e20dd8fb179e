"""``!ticker@arr`` / ``!miniTicker@arr``: every changed market's ticker, at most once a second.

Binance sends the all-market ticker streams as one array of the markets whose
ticker changed, once per second, not one array per market per batch. The
market threads offer their latest tickers here after each batch with trades;
a flusher thread publishes the arrays every ``INTERVAL_S`` when something
changed (a market's entry is its latest ticker; markets in symbol order).
Like the other stream texts this is fire-and-forget pub/sub; the arrays are
not part of a market's atomic snapshot script because they span markets.
"""

from __future__ import annotations

import json
import threading

from exchange.core.redis import get_redis

INTERVAL_S = 1.0
TICKER_CHANNEL = "md-stream:!ticker@arr"
MINI_CHANNEL = "md-stream:!miniTicker@arr"


class TickerArrays:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.changed: dict[str, tuple[dict[str, object], dict[str, object]]] = {}

    def offer(self, symbol: str, full: dict[str, object], mini: dict[str, object]) -> None:
        """Record ``symbol``'s latest ticker and mini ticker (called from market threads)."""
        with self.lock:
            self.changed[symbol] = (full, mini)

    def flush(self) -> bool:
        """Publish the changed markets' tickers as one array per stream; False if none."""
        with self.lock:
            changed, self.changed = self.changed, {}
        if not changed:
            return False
        entries = [changed[symbol] for symbol in sorted(changed)]
        client = get_redis()  # two commands: a Redis Cluster refuses a pipelined PUBLISH
        client.publish(TICKER_CHANNEL, _dumps([full for full, _ in entries]))
        client.publish(MINI_CHANNEL, _dumps([mini for _, mini in entries]))
        return True

    def run(self, stop: threading.Event) -> None:
        """Flush every ``INTERVAL_S`` until ``stop`` is set."""
        while not stop.wait(INTERVAL_S):
            self.flush()


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
