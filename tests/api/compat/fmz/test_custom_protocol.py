"""The FMZ custom protocol on the live exchange (LTCUSDT), with the document's request shapes.

Every answer is HTTP 200: ``{"data", "raw"}`` on success, ``{"error"}`` on failure.
"""

from __future__ import annotations

import json
import time
import urllib.request
from decimal import Decimal
from typing import Any

from api.compat.binance import ratelimit
from exchange.core.redis import get_redis
from exchange.orders.models import Order
from tests.api.compat.conftest import Trader, balance, wait_until


def call(live, body: dict[str, Any] | bytes, http_method: str | None = None) -> dict[str, Any]:  # noqa: ANN001
    """POST like the docker does; numbers parsed exactly."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if http_method:
        headers["Http-Method"] = http_method
    request = urllib.request.Request(f"{live.url}/fmz/OpenExchange", data, headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200
        return json.loads(response.read(), parse_float=Decimal)


def rpc(live, trader: Trader, method: str, params: dict[str, Any], **kw: str) -> dict[str, Any]:  # noqa: ANN001
    return call(
        live,
        {
            "access_key": trader.key,
            "secret_key": trader.secret,
            "method": method,
            "nonce": time.time_ns(),
            "params": params,
        },
        **kw,
    )


def test_every_method_with_the_protocols_request_shapes(live):
    # given a seller and a buyer trading through the protocol
    seller, buyer = live.trader(LTC="1"), live.trader(USDT="1000")
    sold = rpc(
        live, seller, "trade", {"amount": "1", "price": "100", "symbol": "LTC_USDT", "type": "sell"}
    )
    seller_order = sold["data"]["id"]
    assert seller_order.startswith("LTC_USDT,")
    bought = rpc(
        live, buyer, "trade", {"amount": "0.5", "price": "100", "symbol": "LTC_USDT", "type": "buy"}
    )
    buyer_order = bought["data"]["id"]
    wait_until(
        lambda: (
            rpc(live, buyer, "order", {"id": buyer_order, "symbol": "LTC_USDT"})["data"]["status"]
            == "filled"
        )
    )

    # ticker, depth, trades, records (the docker may send lower case)
    wait_until(lambda: rpc(live, buyer, "ticker", {"symbol": "LTC_USDT"})["data"]["last"] == "100")
    ticker = rpc(live, buyer, "ticker", {"symbol": "LTC_USDT"})
    assert ticker["data"]["symbol"] == "LTC_USDT" and ticker["data"]["sell"] == "100"
    assert ticker["raw"]["lastPrice"] == "100"
    wait_until(
        lambda: (
            rpc(live, buyer, "depth", {"limit": "30", "symbol": "LTC_USDT"})["data"]["asks"]
            == [[100, Decimal("0.5")]]
        )
    )
    depth = rpc(live, buyer, "depth", {"limit": "30", "symbol": "LTC_USDT"})["data"]
    assert depth["bids"] == [] and depth["time"] > 0
    trades = rpc(live, buyer, "trades", {"symbol": "ltc_usdt"})["data"]
    assert {k: trades[-1][k] for k in ("price", "amount", "type")} == {
        "price": 100,
        "amount": Decimal("0.5"),
        "type": "buy",
    }
    records = rpc(live, buyer, "records", {"limit": "500", "period": "1", "symbol": "LTC_USDT"})[
        "data"
    ]
    assert records[-1][1:] == [100, 100, 100, 100, Decimal("0.5")]
    assert records[-1][0] % 60 == 0 and abs(records[-1][0] - time.time()) < 120
    hourly = rpc(live, buyer, "records", {"limit": "500", "period": "60", "symbol": "LTC_USDT"})[
        "data"
    ]
    assert hourly[-1][4] == 100
    # a limit past the kline maximum is cut to it, not refused
    many = rpc(live, buyer, "records", {"limit": "5000", "period": "1", "symbol": "LTC_USDT"})
    assert many["data"] == records

    # accounts / assets: exact after fees (buyer pays 0.2 % in LTC, seller 0.1 % in USDT)
    assert rpc(live, buyer, "accounts", {})["data"] == [
        {"currency": "LTC", "free": "0.499", "frozen": "0"},
        {"currency": "USDT", "free": "950", "frozen": "0"},
    ]
    assert rpc(live, seller, "assets", {})["data"] == [
        {"currency": "LTC", "free": "0", "frozen": "0.5"},
        {"currency": "USDT", "free": "49.95", "frozen": "0"},
    ]

    # orders, order, cancel, historyorders
    [open_order] = rpc(live, seller, "orders", {"symbol": "LTC_USDT"})["data"]
    assert open_order == {
        "id": seller_order,
        "symbol": "LTC_USDT",
        "amount": 1,
        "price": 100,
        "deal_amount": Decimal("0.5"),
        "avg_price": 100,
        "type": "sell",
        "status": "partial-filled",
    }
    assert rpc(live, seller, "cancel", {"id": seller_order, "symbol": "LTC_USDT"}) == {
        "data": True,
        "raw": None,
    }
    wait_until(
        lambda: (
            rpc(live, seller, "order", {"id": seller_order, "symbol": "LTC_USDT"})["data"]["status"]
            == "partial-canceled"
        )
    )
    history = rpc(live, seller, "historyorders", {"limit": 0, "since": 0, "symbol": "LTC_USDT"})[
        "data"
    ]
    assert [(o["id"], o["status"]) for o in history] == [(seller_order, "partial-canceled")]
    assert balance(seller, "LTC") == (Decimal("0.5"), Decimal(0))

    # a market order: price -1, a buy's amount is what to spend in USDT
    rpc(
        live,
        seller,
        "trade",
        {"amount": "0.5", "price": "100", "symbol": "LTC_USDT", "type": "sell"},
    )
    market_buy = rpc(
        live, buyer, "trade", {"amount": "20", "price": "-1", "symbol": "LTC_USDT", "type": "buy"}
    )
    market_id = market_buy["data"]["id"]
    wait_until(
        lambda: (
            rpc(live, buyer, "order", {"id": market_id, "symbol": "LTC_USDT"})["data"]["status"]
            == "filled"
        )
    )
    assert rpc(live, buyer, "order", {"id": market_id, "symbol": "LTC_USDT"})["data"][
        "deal_amount"
    ] == Decimal("0.2")


def test_raw_api_calls_route_to_our_own_api(live):
    trader = live.trader(USDT="1000")

    # exchange.IO("api", "POST", "/api/v3/order", "symbol=LTCUSDT&...")
    placed = rpc(
        live,
        trader,
        "__api_/api/v3/order",
        {
            "symbol": "LTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "1",
            "price": "50",
        },
        http_method="POST",
    )
    assert placed["data"]["status"] == "NEW" and placed["data"]["origQty"] == "1"
    opened = rpc(live, trader, "__api_/api/v3/openOrders", {"symbol": "LTCUSDT"}, http_method="GET")
    assert [o["orderId"] for o in opened["data"]] == [placed["data"]["orderId"]]
    account = rpc(
        live, trader, "_api/api/v3/account", {"omitZeroBalances": "true"}, http_method="GET"
    )
    assert account["data"]["balances"] == [{"asset": "USDT", "free": "950", "locked": "50"}]
    cancelled = rpc(
        live, trader, "__api_/api/v3/openOrders", {"symbol": "LTCUSDT"}, http_method="DELETE"
    )
    assert [o["status"] for o in cancelled["data"]] == ["CANCELED"]

    # an error of the routed call comes back as the protocol's error
    failed = rpc(
        live,
        trader,
        "__api_/api/v3/order",
        {"symbol": "LTCUSDT", "orderId": "424242"},
        http_method="GET",
    )
    assert failed == {"error": '{"code": -2013, "msg": "Order does not exist."}'}
    assert rpc(live, trader, "__api_/admin/", {}, http_method="GET") == {
        "error": "raw calls are limited to /api/ paths, not '/admin/'"
    }


def test_error_cases_answer_200_with_error_and_change_nothing(live):
    trader = live.trader(USDT="10")
    before = balance(trader, "USDT")

    # the trading pair is incomplete
    assert rpc(live, trader, "ticker", {"symbol": "USDT"}) == {
        "error": "invalid symbol: 'USDT' (expected BASE_QUOTE, e.g. BTC_USDT)"
    }
    assert (
        "invalid symbol"
        in rpc(
            live, trader, "trade", {"amount": "1", "price": "1", "symbol": "LTC_", "type": "buy"}
        )["error"]
    )
    assert "invalid symbol" in rpc(live, trader, "depth", {"symbol": "DOGE_USDT"})["error"]
    # missing fields
    assert call(live, {"access_key": trader.key, "method": "ticker", "params": {}}) == {
        "error": "missing required parameters: secret_key"
    }
    assert rpc(live, trader, "ticker", {}) == {"error": "missing parameter: symbol"}
    assert rpc(live, trader, "trade", {"price": "1", "symbol": "LTC_USDT", "type": "buy"}) == {
        "error": "missing parameter: amount"
    }
    assert call(live, b"not json") == {"error": "request body is not JSON"}
    # bad key pair
    wrong = Trader(user=trader.user, key=trader.key, secret="s" * 64)
    assert rpc(live, wrong, "accounts", {}) == {"error": "invalid access_key or secret_key"}
    unknown = Trader(user=trader.user, key="k" * 64, secret=trader.secret)
    assert rpc(live, unknown, "accounts", {}) == {"error": "invalid access_key or secret_key"}
    # unknown method, bad order id, bad period, business errors
    assert rpc(live, trader, "GetPositions", {}) == {"error": "invalid method: GetPositions"}
    assert rpc(live, trader, "order", {"id": "123", "symbol": "LTC_USDT"})["error"].startswith(
        "invalid order id"
    )
    assert rpc(live, trader, "order", {"id": "LTC_USDT,987654", "symbol": "LTC_USDT"}) == {
        "error": "ORDER_NOT_FOUND: Order does not exist."
    }
    assert rpc(live, trader, "records", {"period": "7", "symbol": "LTC_USDT"})["error"].startswith(
        "invalid period 7"
    )
    assert rpc(
        live, trader, "trade", {"amount": "1", "price": "100", "symbol": "LTC_USDT", "type": "buy"}
    )["error"].startswith("INSUFFICIENT_BALANCE: Insufficient available balance")
    assert rpc(
        live,
        trader,
        "trade",
        {"amount": "1", "price": "100.001", "symbol": "LTC_USDT", "type": "buy"},
    )["error"].startswith("PRICE_TICK:")
    read_only = live.trader(permissions=("read",), USDT="1000")
    assert rpc(
        live,
        read_only,
        "trade",
        {"amount": "0.1", "price": "100", "symbol": "LTC_USDT", "type": "buy"},
    ) == {"error": "PERMISSION_DENIED: This API key lacks the 'trade' permission."}

    assert not Order.objects.filter(user__in=[trader.user, read_only.user]).exists()
    assert balance(trader, "USDT") == before


def test_over_the_request_weight_is_an_error(live, fresh_rate_window):
    trader = live.trader()
    redis = get_redis()
    try:
        ratelimit.consume("127.0.0.1", weight=ratelimit.weight_limit())

        answer = rpc(live, trader, "accounts", {})

        assert answer["error"].startswith("RATE_LIMITED: too much request weight used")
    finally:
        for key in redis.scan_iter("rl:{binance:*"):
            redis.delete(key)
    assert rpc(live, trader, "accounts", {}) == {"data": [], "raw": None}
