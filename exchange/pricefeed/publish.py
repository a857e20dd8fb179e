"""The latest mark, index and funding per contract in Redis, and the @markPrice stream texts.

Futures keys and channels carry their own prefix (``fmd:``, ``fmd-stream:``) so a
contract never shares a name with the spot market of the same symbol (``md:``).

* ``fmd:{SYMBOL}:mark``: Binance's premiumIndex fields (markPrice, indexPrice,
  estimatedSettlePrice, lastFundingRate = the estimate for the coming funding,
  interestRate, nextFundingTime, time), replaced every second;
* channel ``fmd-stream:<symbol>@markPrice@1s`` every second and
  ``fmd-stream:<symbol>@markPrice`` every third second: a ``markPriceUpdate`` event,
  as Binance sends them; ``fmd-stream:!markPrice@arr@1s`` / ``!markPrice@arr``: the
  same events of every contract in one array.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from exchange.core.channels import channel
from exchange.core.money import MONEY_CONTEXT, format_money
from exchange.core.redis import get_redis
from exchange.pricefeed.pricer import PriceTick

EVERY_3S_MS = 3_000
PRICE_DECIMALS = Decimal("1e-8")


def mark_key(symbol: str) -> str:
    return f"fmd:{{{symbol}}}:mark"


def futures_stream_channel(stream: str) -> str:
    return channel(f"fmd-stream:{stream}")


def _price(value: Decimal) -> str:
    """A price with at most 8 decimals, as Binance shows index prices."""
    return format_money(value.quantize(PRICE_DECIMALS, context=MONEY_CONTEXT))


def premium_index_json(symbol: str, tick: PriceTick, interest_rate: Decimal) -> dict[str, object]:
    return {
        "symbol": symbol,
        "markPrice": _price(tick.mark),
        "indexPrice": _price(tick.index),
        # A perpetual never settles; Binance still sends the field, close to the index.
        "estimatedSettlePrice": _price(tick.index),
        "lastFundingRate": f"{tick.funding_estimate:.8f}",
        "interestRate": f"{interest_rate:.8f}",
        "nextFundingTime": tick.next_funding_ms,
        "time": tick.time_ms,
    }


def _every_3s(time_ms: int) -> bool:
    return time_ms // 1000 % (EVERY_3S_MS // 1000) == 0


def publish_mark(symbol: str, tick: PriceTick, interest_rate: Decimal) -> str:
    """Replace the latest figures and send the stream events of this second; return the event."""
    body = premium_index_json(symbol, tick, interest_rate)
    event = json.dumps(
        {
            "e": "markPriceUpdate",
            "E": tick.time_ms,
            "s": symbol,
            "p": body["markPrice"],
            "i": body["indexPrice"],
            "P": body["estimatedSettlePrice"],
            "r": body["lastFundingRate"],
            "T": tick.next_funding_ms,
        },
        separators=(",", ":"),
    )
    stream = symbol.lower()
    args = [json.dumps(body), futures_stream_channel(f"{stream}@markPrice@1s"), event]
    if _every_3s(tick.time_ms):
        args += [futures_stream_channel(f"{stream}@markPrice"), event]
    # One script, as market data publishes: a pipelined PUBLISH is refused on a cluster.
    get_redis().register_script(_PUBLISH_LUA)(keys=[mark_key(symbol)], args=args)
    return event


def publish_mark_array(events: list[str], time_ms: int) -> None:
    """Every contract's event of this second as one array (Binance's ``!markPrice@arr``)."""
    if not events:
        return
    text = "[" + ",".join(events) + "]"
    client = get_redis()
    client.publish(futures_stream_channel("!markPrice@arr@1s"), text)
    if _every_3s(time_ms):
        client.publish(futures_stream_channel("!markPrice@arr"), text)


_PUBLISH_LUA = """
redis.call('SET', KEYS[1], ARGV[1])
for i = 2, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end
return 0
"""


def latest_mark(symbol: str) -> dict[str, object] | None:
    """The premiumIndex figures of ``symbol`` as last published, or None."""
    raw: Any = get_redis().get(mark_key(symbol))
    return json.loads(raw) if raw else None
