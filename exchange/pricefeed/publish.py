"""The latest mark, index and funding per contract in Redis, and the mark price events.

Futures keys and channels carry their own prefix (``fmd:``, ``fmd-stream:``) so a
contract never shares a name with the spot market of the same symbol (``md:``).

* ``mark_key(SYMBOL)``: the contract's ``MarkFigures`` (``exchange.futures.marks``),
  replaced every second, which clearing and the futures surfaces read;
* a ``MarkPriceEvent`` (``exchange.events.futures_market``) on the contract's
  ``mark_price`` topic every second and ``mark_price_3s`` every third second, and
  every contract's events as one list on ``mark_prices_channel()`` /
  ``mark_prices_3s_channel()`` (the WebSocket adapter renders Binance's
  ``markPriceUpdate`` from them).
"""

from __future__ import annotations

import json
from decimal import Decimal

from exchange.core.money import MONEY_CONTEXT, format_money
from exchange.core.redis import get_redis
from exchange.events.futures_market import (
    MarkPriceEvent,
    futures_market_channel,
    mark_prices_3s_channel,
    mark_prices_channel,
)
from exchange.futures.marks import MarkFigures, mark_key
from exchange.pricefeed.pricer import PriceTick

EVERY_3S_MS = 3_000
PRICE_DECIMALS = Decimal("1e-8")


def _price(value: Decimal) -> str:
    """A price with at most 8 decimals, as Binance shows index prices."""
    return format_money(value.quantize(PRICE_DECIMALS, context=MONEY_CONTEXT))


def mark_figures(symbol: str, tick: PriceTick, interest_rate: Decimal) -> MarkFigures:
    return {
        "symbol": symbol,
        "mark_price": _price(tick.mark),
        "index_price": _price(tick.index),
        "estimated_settle_price": _price(tick.index),
        "funding_rate": f"{tick.funding_estimate:.8f}",
        "interest_rate": f"{interest_rate:.8f}",
        "next_funding_time": tick.next_funding_ms,
        "time": tick.time_ms,
    }


def _every_3s(time_ms: int) -> bool:
    return time_ms // 1000 % (EVERY_3S_MS // 1000) == 0


def publish_mark(symbol: str, tick: PriceTick, interest_rate: Decimal) -> str:
    """Replace the latest figures and send this second's event; return the event's text."""
    figures = mark_figures(symbol, tick, interest_rate)
    event: MarkPriceEvent = {
        "kind": "mark_price",
        "symbol": symbol,
        "time": tick.time_ms,
        "mark_price": figures["mark_price"],
        "index_price": figures["index_price"],
        "estimated_settle_price": figures["estimated_settle_price"],
        "funding_rate": figures["funding_rate"],
        "next_funding_time": tick.next_funding_ms,
    }
    text = json.dumps(event, separators=(",", ":"))
    args = [json.dumps(figures), futures_market_channel(symbol, "mark_price"), text]
    if _every_3s(tick.time_ms):
        args += [futures_market_channel(symbol, "mark_price_3s"), text]
    # One script, as market data publishes: a pipelined PUBLISH is refused on a cluster.
    get_redis().register_script(_PUBLISH_LUA)(keys=[mark_key(symbol)], args=args)
    return text


def publish_mark_array(events: list[str], time_ms: int) -> None:
    """Every contract's event of this second as one list (Binance's ``!markPrice@arr``)."""
    if not events:
        return
    text = "[" + ",".join(events) + "]"
    client = get_redis()
    client.publish(mark_prices_channel(), text)
    if _every_3s(time_ms):
        client.publish(mark_prices_3s_channel(), text)


_PUBLISH_LUA = """
redis.call('SET', KEYS[1], ARGV[1])
for i = 2, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end
return 0
"""
