"""Where the index gets its prices: the platform's own spot book, and external HTTP endpoints.

Each source answers ``quote(now_ms)`` with the underlying's price and the time it was
true, or None when it has nothing it can vouch for. The feed drops quotes older than
its maximum age, so a source that stops answering ages out of the index instead of
pinning it to an old price.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from exchange.core.redis import get_redis
from exchange.marketdata.snapshots import depth_key, ticker_key
from exchange.marketdata.store import published_key
from exchange.pricefeed.formulas import Quote, median
from matching_client import entry_ms, output_stream, stats_key

logger = logging.getLogger(__name__)


class IndexSource(Protocol):
    name: str

    def quote(self, now_ms: int) -> Quote | None:
        """The latest price this source can vouch for, or None."""
        ...


def _decimal(text: Any) -> Decimal | None:
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value > 0 else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


class SpotBookSource:
    """The spot market's price as market data last published it: median(best bid, best ask, last).

    Only while the spot pipeline is live: the engine reported within ``max_age_ms`` and
    market data has published up to its last output (or within ``max_age_ms`` of it).
    A quiet book is fresh; a frozen one (engine or market data down) is not.
    """

    def __init__(self, symbol: str, *, weight: Decimal, max_age_ms: int) -> None:
        self.name = f"spot:{symbol}"
        self.symbol = symbol
        self.weight = weight
        self.max_age_ms = max_age_ms

    def quote(self, now_ms: int) -> Quote | None:
        pipe = get_redis().pipeline(transaction=False)
        pipe.get(depth_key(self.symbol))
        pipe.get(ticker_key(self.symbol))
        pipe.get(published_key(self.symbol))
        pipe.xrevrange(output_stream(self.symbol), count=1)
        pipe.hget(stats_key(self.symbol), "updated_ms")
        depth, ticker, published, last_out, reported = pipe.execute()
        reported_ms = int(reported) if reported else 0
        if now_ms - reported_ms > self.max_age_ms:
            return None
        if last_out:
            behind = entry_ms(_text(last_out[0][0]) or "0-0") - (
                entry_ms(published_id) if (published_id := _text(published)) else 0
            )
            if behind > self.max_age_ms:
                return None
        prices = []
        if depth:
            book = json.loads(depth)
            prices += [_decimal(side[0][0]) for side in (book["bids"], book["asks"]) if side]
        if ticker:
            prices.append(_decimal(json.loads(ticker).get("last_price")))
        known = [p for p in prices if p is not None]
        if not known:
            return None
        return Quote(self.name, median(known), self.weight, now_ms)


class HttpJsonSource:
    """An external price from an HTTP endpoint answering ``{"price": "60000.1"}``.

    That is the shape of Binance's ``GET /api/v3/ticker/price?symbol=...`` (ours too),
    so any such venue plugs in by URL. An optional integer ``time`` (ms) is the price's
    own time; otherwise the time of the answer. A failed request keeps the last good
    quote, with its old time, so it ages out rather than vanishing at the first blip.
    """

    def __init__(self, name: str, url: str, *, weight: Decimal, timeout_s: float = 0.5) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{name}: only http(s) URLs, got {url!r}")
        self.name = name
        self.url = url
        self.weight = weight
        self.timeout_s = timeout_s
        self.last: Quote | None = None
        self.failing = False

    def _failed(self, why: object) -> Quote | None:
        if not self.failing:  # once per outage, not once a second
            logger.warning("price source %s failing: %s", self.name, why)
            self.failing = True
        return self.last

    def quote(self, now_ms: int) -> Quote | None:
        try:
            # The scheme is checked in __init__; the URL is operator configuration.
            with urllib.request.urlopen(self.url, timeout=self.timeout_s) as answer:  # noqa: S310
                body = json.loads(answer.read())
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            return self._failed(exc)
        price = _decimal(body.get("price")) if isinstance(body, dict) else None
        if price is None:
            return self._failed(f"no usable price in {body!r}")
        if self.failing:
            logger.warning("price source %s answers again", self.name)
            self.failing = False
        at = body.get("time")
        self.last = Quote(self.name, price, self.weight, at if isinstance(at, int) else now_ms)
        return self.last


def is_fresh(quote: Quote, now_ms: int, max_age_ms: int) -> bool:
    return now_ms - quote.time_ms <= max_age_ms


def configured_sources(
    *,
    index_symbol: str | None,
    external: list[dict[str, str]],
    spot_weight: Decimal,
    max_age_ms: int,
) -> list[IndexSource]:
    """The contract's spot market (if it has one) plus its configured HTTP sources."""
    sources: list[IndexSource] = []
    if index_symbol:
        sources.append(SpotBookSource(index_symbol, weight=spot_weight, max_age_ms=max_age_ms))
    sources += [
        HttpJsonSource(s["name"], s["url"], weight=Decimal(str(s.get("weight", "1"))))
        for s in external
    ]
    return sources
