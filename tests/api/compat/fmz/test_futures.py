"""FMZ futures on the live exchange and a real futures engine process: the contract type
``swap``, directions (buy, sell, closebuy, closesell), GetPositions, SetMarginLevel,
GetFundings, and ``exchange.IO`` to the native futures API for the transfer."""

from __future__ import annotations

from decimal import Decimal

from exchange.futures.models import FuturesOrder, FuturesWallet, Position
from tests.api.compat.binance_futures.conftest import (  # noqa: F401 - the fixture
    contract,
    leverage_of,
    transferred,
)
from tests.api.compat.conftest import LiveExchange, Trader, balance, wait_until
from tests.api.compat.fmz.test_custom_protocol import rpc

SWAP = "BTC_USDT.swap"


def funded(live: LiveExchange, amount: str) -> Trader:
    """A trader who moved ``amount`` USDT to futures with exchange.IO's raw call."""
    trader = live.trader(USDT="3000")
    moved = rpc(
        live,
        trader,
        "__api_/api/v1/futures/transfers",
        {"asset": "USDT", "amount": amount, "direction": "IN"},
        http_method="POST",
    )["data"]
    assert (moved["status"], moved["amount"]) == ("PENDING", amount)
    # the first command waits for the engine process to start (slow on a loaded machine)
    wait_until(lambda: transferred(moved["id"]), timeout=120, what="the transfer")
    return trader


def order_id(ref: str) -> int:
    symbol, _, number = ref.rpartition(",")
    assert symbol == SWAP
    return int(number)


def status_of(live: LiveExchange, trader: Trader, ref: str) -> str:
    return rpc(live, trader, "order", {"id": ref, "symbol": SWAP})["data"]["status"]


def test_an_fmz_futures_strategy_opens_and_closes_a_position(live, contract):  # noqa: F811
    maker, taker = funded(live, "2000"), funded(live, "2000")
    assert balance(taker, "USDT") == (Decimal(1000), Decimal(0))
    # SetMarginLevel(10)
    assert rpc(live, taker, "marginlevel", {"symbol": SWAP, "marginLevel": 10})["data"] == 10
    wait_until(lambda: leverage_of(taker.user.pk, contract) == 10, what="the leverage")

    # the maker rests a short at 60,000; SetDirection("buy") + Buy(-1, 0.01) takes it
    ask = rpc(
        live, maker, "trade", {"symbol": SWAP, "type": "sell", "price": "60000", "amount": "0.01"}
    )
    wait_until(lambda: status_of(live, maker, ask["data"]["id"]) == "pending", what="the ask")
    assert [o["id"] for o in rpc(live, maker, "orders", {"symbol": SWAP})["data"]] == [
        ask["data"]["id"]
    ]
    bought = rpc(
        live,
        taker,
        "trade",
        {"symbol": SWAP, "type": "buy", "direction": "buy", "price": "-1", "amount": "0.01"},
    )
    wait_until(lambda: status_of(live, taker, bought["data"]["id"]) == "filled", what="the buy")

    # GetPositions: the taker long 0.01 at 10x (60 of margin), the maker short
    [long] = rpc(live, taker, "positions", {"symbol": SWAP})["data"]
    assert long == {
        "symbol": SWAP,
        "marginLevel": 10,
        "amount": Decimal("0.01"),
        "frozenAmount": Decimal(0),
        "price": Decimal(60000),
        "profit": Decimal(0),
        "margin": Decimal(60),
        "type": 0,
        "contractType": "swap",
    }
    # the maker's side of the fill may be cleared in a later batch than the taker's answer
    wait_until(lambda: rpc(live, maker, "positions", {})["data"], what="the maker's position")
    [short] = rpc(live, maker, "positions", {})["data"]
    assert (short["type"], short["amount"]) == (1, Decimal("0.01"))
    filled = rpc(live, taker, "order", {"id": bought["data"]["id"], "symbol": SWAP})["data"]
    assert (filled["deal_amount"], filled["avg_price"], filled["offset"]) == (
        Decimal("0.01"),
        Decimal(60000),
        "open",
    )

    # SetDirection("closebuy") + Sell: closes the long against the maker's new bid
    bid = rpc(
        live,
        maker,
        "trade",
        {"symbol": SWAP, "type": "closesell", "price": "60000", "amount": "0.01"},
    )
    wait_until(lambda: status_of(live, maker, bid["data"]["id"]) == "pending", what="the bid")
    closed = rpc(
        live, taker, "trade", {"symbol": SWAP, "type": "closebuy", "price": "-1", "amount": "0.01"}
    )
    wait_until(lambda: status_of(live, taker, closed["data"]["id"]) == "filled", what="the close")
    wait_until(lambda: status_of(live, maker, bid["data"]["id"]) == "filled", what="the bid fill")
    assert rpc(live, taker, "positions", {"symbol": SWAP})["data"] == []
    assert rpc(live, maker, "positions", {"symbol": SWAP})["data"] == []
    # fees only: taker 0.05 % of 600 twice, maker 0.02 % twice
    assert FuturesWallet.objects.get(user=taker.user).balance == Decimal("1999.4")
    assert FuturesWallet.objects.get(user=maker.user).balance == Decimal("1999.76")
    assert Position.objects.get(user=taker.user, contract=contract).size == 0

    # a close without a position is refused by the engine (reduce-only): shown canceled
    nothing = rpc(
        live, taker, "trade", {"symbol": SWAP, "type": "closesell", "price": "-1", "amount": "0.01"}
    )
    pk = order_id(nothing["data"]["id"])
    wait_until(lambda: FuturesOrder.objects.get(pk=pk).accepted, what="the refusal")
    assert FuturesOrder.objects.get(pk=pk).reject_reason.startswith("REDUCE_ONLY")
    assert status_of(live, taker, nothing["data"]["id"]) == "canceled"

    # GetFundings
    [funding] = rpc(live, taker, "fundings", {"symbol": SWAP})["data"]
    assert (funding["symbol"], funding["interval"], funding["rate"]) == (
        SWAP,
        8 * 3600 * 1000,
        Decimal("0.0001"),
    )


def test_futures_errors_are_fmz_errors(live, contract):  # noqa: F811
    trader = live.trader()
    cases = [
        (
            "trade",
            {"symbol": "DOGE_USDT.swap", "type": "buy", "price": "1", "amount": "1"},
            "invalid symbol",
        ),
        ("trade", {"symbol": SWAP, "type": "up", "price": "1", "amount": "1"}, "invalid direction"),
        (
            "trade",
            {"symbol": SWAP, "type": "buy", "price": "60000.05", "amount": "1"},
            "PRICE_TICK",
        ),
        ("marginlevel", {"symbol": SWAP, "marginLevel": 126}, "INVALID_LEVERAGE"),
        ("cancel", {"id": f"{SWAP},999999"}, "UNKNOWN_ORDER"),
    ]
    for method, params, expected in cases:
        answer = rpc(live, trader, method, params)
        assert set(answer) == {"error"} and expected in answer["error"], (method, answer)
    assert not FuturesOrder.objects.filter(user=trader.user).exists()
