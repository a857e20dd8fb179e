"""The all-market ticker list: every changed market's ticker, at most once a second.

Clients of the all-market streams (Binance's ``!ticker@arr`` /
``!miniTicker@arr``) get one list of the markets whose ticker changed, once
per second, not one list per market per batch. The market threads offer
their latest tickers here after each batch with trades; a flusher thread
publishes the list on ``tickers_channel()`` every ``INTERVAL_S`` when something
changed (a market's entry is its latest ticker; markets in symbol order).
Like the other stream texts this is fire-and-forget pub/sub; the list is
not part of a market's atomic snapshot script because it spans markets.
"""

from __future__ import annotations

import json
import threading

from exchange.core.redis import get_redis
from exchange.events.market import TickerEvent, tickers_channel

INTERVAL_S = 1.0


class TickerArrays:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.changed: dict[str, TickerEvent] = {}

    def offer(self, symbol: str, ticker: TickerEvent) -> None:
        """Record ``symbol``'s latest ticker (called from market threads)."""
        with self.lock:
            self.changed[symbol] = ticker

    def flush(self) -> bool:
        """Publish the changed markets' tickers as one list; False if none."""
        with self.lock:
            changed, self.changed = self.changed, {}
        if not changed:
            return False
        get_redis().publish(tickers_channel(), _dumps([changed[s] for s in sorted(changed)]))
        return True

    def run(self, stop: threading.Event) -> None:
        """Flush every ``INTERVAL_S`` until ``stop`` is set."""
        while not stop.wait(INTERVAL_S):
            self.flush()


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
