"""ccxt's binance class, with only its URLs changed, trades on the live exchange (BTCUSDT).

Fees: maker 0.1 %, taker 0.2 %; the buyer pays in BTC, the seller in USDT.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from decimal import Decimal

import ccxt
import pytest

from api.compat.binance import ratelimit
from exchange.core.redis import get_redis
from exchange.orders.models import Order
from tests.api.compat.clients import ccxt_binance
from tests.api.compat.conftest import balance, wait_until

SYMBOL = "BTC/USDT"


def d(value: object) -> Decimal:
    return Decimal(str(value))


def raw_balances(ex: ccxt.binance) -> dict[str, tuple[str, str]]:
    """The assets held (the answer lists every listed asset, 0 where never held)."""
    info = ex.fetch_balance()["info"]["balances"]
    return {
        b["asset"]: (b["free"], b["locked"]) for b in info if (b["free"], b["locked"]) != ("0", "0")
    }


def test_public_market_data(live):
    # given a trade at 60000 and a resting bid at 59000
    seller = live.trader(BTC="1")
    buyer = live.trader(USDT="10000")
    ex_seller, ex_buyer = ccxt_binance(live, seller), ccxt_binance(live, buyer)
    ex_seller.create_order(SYMBOL, "limit", "sell", 0.01, 60000)
    taken = ex_buyer.create_order(SYMBOL, "limit", "buy", 0.01, 60000)
    ex_buyer.create_order(SYMBOL, "limit", "buy", 0.002, 59000)
    public = ccxt_binance(live)

    # when / then: markets and time
    markets = public.load_markets()
    btc = markets[SYMBOL]
    assert btc["id"] == "BTCUSDT" and btc["spot"] is True and btc["active"] is True
    assert btc["precision"]["price"] == 0.01 and btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5 and btc["limits"]["amount"]["min"] == 0.00001
    assert abs(public.fetch_time() - time.time() * 1000) < 5000

    # market data follows the trade
    def traded() -> bool:
        trades = public.fetch_trades(SYMBOL)
        return bool(trades) and trades[-1]["price"] == 60000

    wait_until(traded, what="the trade in market data")
    trades = public.fetch_trades(SYMBOL, limit=5)
    assert trades[-1]["amount"] == 0.01 and trades[-1]["side"] == "buy"
    assert taken["trades"][0]["id"] == trades[-1]["id"]

    wait_until(lambda: public.fetch_ticker(SYMBOL)["bid"] == 59000, what="the bid in the ticker")
    ticker = public.fetch_ticker(SYMBOL)
    assert ticker["last"] == 60000 and ticker["bidVolume"] == 0.002 and ticker["ask"] is None
    tickers = public.fetch_tickers([SYMBOL, "ETH/USDT"])
    assert set(tickers) == {SYMBOL, "ETH/USDT"} and tickers[SYMBOL]["last"] == 60000

    book = public.fetch_order_book(SYMBOL)
    assert book["bids"][0] == [59000, 0.002] and book["nonce"] > 0

    candles = public.fetch_ohlcv(SYMBOL, "1m", limit=3)
    assert candles[-1][4] == 60000 and candles[-1][5] >= 0.01


def test_two_accounts_trade_with_exact_balances_after_fees(live):
    # given
    alice = live.trader(BTC="1")
    bob = live.trader(USDT="10000")
    ex_alice, ex_bob = ccxt_binance(live, alice), ccxt_binance(live, bob)

    # when alice rests a sell and bob takes it
    ask = ex_alice.create_order(SYMBOL, "limit", "sell", 0.1, 50000, {"timeInForce": "GTC"})
    assert ask["status"] == "open" and ask["filled"] == 0
    bid = ex_bob.create_order(SYMBOL, "limit", "buy", 0.1, 50000)

    # then bob's FULL answer has the fill and the fee
    assert bid["status"] == "closed" and bid["filled"] == 0.1 and bid["cost"] == 5000
    assert len(bid["trades"]) == 1
    assert bid["trades"][0]["fee"] == {"cost": 0.0002, "currency": "BTC"}
    wait_until(lambda: ex_alice.fetch_order(ask["id"], SYMBOL)["status"] == "closed")

    # balances to the last unit, through the API and in the database
    assert raw_balances(ex_bob) == {"BTC": ("0.0998", "0"), "USDT": ("5000", "0")}
    assert raw_balances(ex_alice) == {"BTC": ("0.9", "0"), "USDT": ("4995", "0")}
    unified = ex_bob.fetch_balance()
    assert unified["BTC"]["free"] == 0.0998 and unified["USDT"]["total"] == 5000
    assert balance(bob, "BTC") == (Decimal("0.0998"), Decimal(0))
    assert balance(alice, "USDT") == (Decimal("4995"), Decimal(0))

    # both see the trade from their side
    [bob_trade] = ex_bob.fetch_my_trades(SYMBOL)
    assert bob_trade["side"] == "buy" and bob_trade["takerOrMaker"] == "taker"
    assert bob_trade["order"] == bid["id"] and bob_trade["fee"]["cost"] == 0.0002
    [alice_trade] = ex_alice.fetch_my_trades(SYMBOL)
    assert alice_trade["side"] == "sell" and alice_trade["takerOrMaker"] == "maker"
    assert alice_trade["fee"] == {"cost": 5.0, "currency": "USDT"}
    assert alice_trade["id"] == bob_trade["id"]

    orders = ex_bob.fetch_orders(SYMBOL)
    assert [(o["id"], o["status"]) for o in orders] == [(bid["id"], "closed")]


def test_every_spot_order_type_and_time_in_force(live):
    # given a maker with a ladder of asks and a taker with quote funds
    maker = live.trader(BTC="1", USDT="1000")
    taker = live.trader(USDT="10000")
    ex_maker, ex_taker = ccxt_binance(live, maker), ccxt_binance(live, taker)
    for price in (50000, 50100, 50200):
        ex_maker.create_order(SYMBOL, "limit", "sell", 0.01, price)

    # LIMIT IOC takes what it can and expires the rest
    ioc = ex_taker.create_order(SYMBOL, "limit", "buy", 0.02, 50000, {"timeInForce": "IOC"})
    assert (ioc["status"], ioc["filled"]) == ("expired", 0.01)
    # LIMIT FOK that cannot fill completely does nothing
    fok = ex_taker.create_order(SYMBOL, "limit", "buy", 0.05, 50200, {"timeInForce": "FOK"})
    assert (fok["status"], fok["filled"]) == ("expired", 0)
    # LIMIT FOK that can fill
    fok = ex_taker.create_order(SYMBOL, "limit", "buy", 0.01, 50100, {"timeInForce": "FOK"})
    assert (fok["status"], fok["filled"], fok["price"]) == ("closed", 0.01, 50100)
    # LIMIT_MAKER (post-only) rests when it would not take ...
    maker_bid = ex_taker.create_order(SYMBOL, "limit", "buy", 0.01, 49000, {"postOnly": True})
    assert maker_bid["status"] == "open" and maker_bid["type"] == "limit"
    # ... and is refused when it would
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        ex_taker.create_order(SYMBOL, "limit", "buy", 0.01, 50200, {"postOnly": True})
    # MARKET by base quantity
    market_buy = ex_taker.create_order(SYMBOL, "market", "buy", 0.004)
    assert (market_buy["status"], market_buy["filled"], market_buy["cost"]) == (
        "closed",
        0.004,
        200.8,
    )
    # MARKET by quote amount (quoteOrderQty)
    by_cost = ex_taker.create_market_buy_order_with_cost(SYMBOL, 50.2)
    assert (by_cost["status"], by_cost["filled"], by_cost["cost"]) == ("closed", 0.001, 50.2)
    # MARKET sell into the taker's resting bid
    sold = ex_maker.create_order(SYMBOL, "market", "sell", 0.002)
    assert (sold["status"], sold["filled"], sold["average"]) == ("closed", 0.002, 49000)
    # stop-loss / take-profit, limit and market: accepted, waiting for their trigger
    stops = [
        ex_maker.create_order(SYMBOL, "STOP_LOSS_LIMIT", "sell", 0.01, 40000, {"stopPrice": 41000}),
        ex_maker.create_order(SYMBOL, "STOP_LOSS", "sell", 0.01, None, {"stopPrice": 41000}),
        ex_taker.create_order(
            SYMBOL, "TAKE_PROFIT_LIMIT", "buy", 0.01, 40000, {"stopPrice": 41000}
        ),
        ex_taker.create_order(SYMBOL, "TAKE_PROFIT", "buy", 0.01, None, {"stopPrice": 41000}),
    ]
    assert [s["status"] for s in stops] == ["open"] * 4
    stop_rows = Order.objects.filter(pk__in=[int(s["id"]) for s in stops])
    wait_until(lambda: all(o.accepted_at for o in stop_rows.all()), what="stops accepted")
    assert {o.status for o in stop_rows.all()} == {"PENDING_TRIGGER"}
    open_ids = {o["id"] for o in ex_maker.fetch_open_orders(SYMBOL)}
    assert {stops[0]["id"], stops[1]["id"]} <= open_ids

    # when everything is cancelled, nothing stays locked and the books balance exactly
    ex_maker.cancel_all_orders(SYMBOL)
    ex_taker.cancel_all_orders(SYMBOL)
    assert ex_taker.fetch_open_orders(SYMBOL) == []
    # taker bought 0.01@50000 + 0.01@50100 + 0.004@50200 + 0.001@50200, sold nothing
    # and its bid of 0.002@49000 was hit as maker (fee 0.1 % in BTC).
    taker_btc = (
        Decimal("0.01") * Decimal("0.998")
        + Decimal("0.01") * Decimal("0.998")
        + Decimal("0.004") * Decimal("0.998")
        + Decimal("0.001") * Decimal("0.998")
        + Decimal("0.002") * Decimal("0.999")
    )
    taker_usdt = Decimal(10000) - 500 - 501 - Decimal("200.8") - Decimal("50.2") - 98
    assert balance(taker, "BTC") == (taker_btc, Decimal(0))
    assert balance(taker, "USDT") == (taker_usdt, Decimal(0))
    maker_usdt = (
        Decimal(1000)
        + Decimal(500) * Decimal("0.999")
        + Decimal(501) * Decimal("0.999")
        + Decimal("251") * Decimal("0.999")
        + Decimal(98) * Decimal("0.998")
    )
    assert balance(maker, "BTC") == (Decimal("0.973"), Decimal(0))
    assert balance(maker, "USDT") == (maker_usdt, Decimal(0))


def test_cancel_fetch_and_cancel_all(live):
    # given two resting bids
    trader = live.trader(USDT="1000")
    ex = ccxt_binance(live, trader)
    first = ex.create_order(SYMBOL, "limit", "buy", 0.001, 30000, {"clientOrderId": "bot-1"})
    second = ex.create_order(SYMBOL, "limit", "buy", 0.001, 30001)
    assert first["clientOrderId"] == "bot-1"

    # when one is cancelled
    cancelled = ex.cancel_order(first["id"], SYMBOL)

    # then
    assert cancelled["status"] == "canceled"
    assert ex.fetch_order(first["id"], SYMBOL)["status"] == "canceled"
    assert [o["id"] for o in ex.fetch_open_orders(SYMBOL)] == [second["id"]]
    ex.options["warnOnFetchOpenOrdersWithoutSymbol"] = False  # ccxt's own guard, not ours
    assert [o["id"] for o in ex.fetch_open_orders()] == [second["id"]]
    by_client = ex.fetch_order(None, SYMBOL, {"origClientOrderId": "bot-1"})
    assert by_client["id"] == first["id"]

    # when the rest is cancelled at once
    gone = ex.cancel_all_orders(SYMBOL)
    assert [(o["id"], o["status"]) for o in gone] == [(second["id"], "canceled")]
    assert [(o["id"], o["status"]) for o in ex.fetch_orders(SYMBOL)] == [
        (first["id"], "canceled"),
        (second["id"], "canceled"),
    ]
    assert balance(trader, "USDT") == (Decimal(1000), Decimal(0))


def _unchanged(trader, before: int) -> None:
    assert Order.objects.filter(user=trader.user).count() == before


def test_errors_are_ccxt_exception_classes_and_change_nothing(live):
    trader = live.trader(USDT="100")
    ex = ccxt_binance(live, trader)
    ex.load_markets()

    with pytest.raises(ccxt.InsufficientFunds):
        ex.create_order(SYMBOL, "limit", "buy", 0.01, 50000)
    with pytest.raises(ccxt.OrderNotFound):
        ex.fetch_order("999999999", SYMBOL)
    with pytest.raises(ccxt.OrderNotFound):
        ex.cancel_order("999999999", SYMBOL)
    with pytest.raises(ccxt.BadSymbol):
        ex.publicGetTickerPrice({"symbol": "NOPEUSDT"})
    with pytest.raises(ccxt.InvalidOrder):
        ex.privatePostOrder(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.001",
                "price": "50000.001",
            }
        )

    bad_secret = ccxt_binance(live, trader)
    bad_secret.secret = "x" * 64
    with pytest.raises(ccxt.AuthenticationError):
        bad_secret.fetch_balance()
    stale = ccxt_binance(live, trader, timeDifference=120_000)
    with pytest.raises(ccxt.InvalidNonce):
        stale.fetch_balance()
    unknown_key = ccxt_binance(live, trader)
    unknown_key.apiKey = "k" * 64
    with pytest.raises(ccxt.AuthenticationError):
        unknown_key.fetch_balance()

    _unchanged(trader, 0)
    assert balance(trader, "USDT") == (Decimal(100), Decimal(0))


def test_post_only_that_would_take_changes_nothing(live):
    seller = live.trader(BTC="1")
    buyer = live.trader(USDT="1000")
    ccxt_binance(live, seller).create_order(SYMBOL, "limit", "sell", 0.001, 50000)
    ex = ccxt_binance(live, buyer)

    with pytest.raises(ccxt.OrderImmediatelyFillable):
        ex.create_order(SYMBOL, "limit", "buy", 0.001, 50000, {"postOnly": True})

    assert ex.fetch_open_orders(SYMBOL) == []
    assert balance(buyer, "USDT") == (Decimal(1000), Decimal(0))


def _ping_status(live) -> int:
    try:
        with urllib.request.urlopen(f"{live.url}/api/v3/ping", timeout=5) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        assert json.loads(exc.read())["code"] == -1003
        return exc.code


def test_rate_limit_then_ban(live, fresh_rate_window):
    ex = ccxt_binance(live)
    redis = get_redis()
    try:
        # given the caller's weight for this minute is used up
        ratelimit.consume("127.0.0.1", weight=ratelimit.weight_limit())

        # then HTTP 429 with -1003: ccxt's DDoSProtection (its class for 429 and 418) ...
        with pytest.raises(ccxt.DDoSProtection, match="binance 429 .*-1003"):
            ex.publicGetPing()
        # ... and an IP that keeps calling is banned: HTTP 418, ccxt's DDoSProtection
        statuses = [_ping_status(live) for _ in range(25)]
        assert set(statuses) == {429, 418} and statuses[-1] == 418
        with pytest.raises(ccxt.DDoSProtection, match="binance 418 .*banned"):
            ex.publicGetPing()
    finally:
        for pattern in ("binance:*", "rl:{binance:*"):
            for key in redis.scan_iter(pattern):
                redis.delete(key)
    assert ex.publicGetPing() == {}
