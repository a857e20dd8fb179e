"""Spot's risk stage: what an order holds, in the database's and the engine's units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.orders.actions import do_place_order, do_place_orders
from exchange.orders.requests import OrderRequest
from exchange.risk.products import Product, risk_for
from exchange.risk.spot import MARKET_BUY_HEADROOM, SPOT
from exchange.risk.stage import Hold

AVAILABLE_USDT, AVAILABLE_BTC = Decimal("1000"), Decimal("0.123456")


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], str(AVAILABLE_USDT))
    fund(user, assets["BTC"], str(AVAILABLE_BTC))
    return user


def no_price() -> Decimal | None:
    raise AssertionError("the last price is asked only for market buys by quantity")


@pytest.mark.parametrize(
    ("params", "asset", "amount"),
    [
        ({"side": "SELL", "type": "LIMIT", "price": "60000", "quantity": "0.01"}, "BTC", "0.01"),
        ({"side": "SELL", "type": "MARKET", "quantity": "0.01"}, "BTC", "0.01"),
        # by quote amount: the seller's whole available base, floored to the step
        ({"side": "SELL", "type": "MARKET", "quote_order_qty": "100"}, "BTC", "0.12345"),
        ({"side": "BUY", "type": "LIMIT", "price": "60000", "quantity": "0.01"}, "USDT", "600"),
        ({"side": "BUY", "type": "MARKET", "quote_order_qty": "123.45"}, "USDT", "123.45"),
    ],
)
def test_holds_that_need_no_price(trader, assets, params, asset, amount):
    request = OrderRequest.parse(symbol="BTCUSDT", **params)

    hold = SPOT.hold_for(user_id=trader.pk, order=request, last_price=no_price)

    assert hold == Hold(assets[asset], Decimal(amount))


@pytest.mark.parametrize(
    ("last", "stop", "expected"),
    [
        # quantity x the larger reference x (1 + headroom)
        ("50000", None, Decimal("0.01") * 50000 * (1 + MARKET_BUY_HEADROOM)),
        ("50000", "55000", Decimal("0.01") * 55000 * (1 + MARKET_BUY_HEADROOM)),
        ("56000", "55000", Decimal("0.01") * 56000 * (1 + MARKET_BUY_HEADROOM)),
        # capped by what is available, and everything available with no reference
        ("95000", None, AVAILABLE_USDT),
        (None, None, AVAILABLE_USDT),
    ],
)
def test_a_market_buy_by_quantity_holds_by_its_reference(trader, assets, last, stop, expected):
    kind = {"type": "STOP_LOSS", "stop_price": stop} if stop else {"type": "MARKET"}
    request = OrderRequest.parse(symbol="BTCUSDT", side="BUY", quantity="0.01", **kind)

    hold = SPOT.hold_for(
        user_id=trader.pk,
        order=request,
        last_price=lambda: Decimal(last) if last else None,
    )

    assert hold == Hold(assets["USDT"], expected)


def test_an_empty_balance_holds_nothing(make_user, assets, btcusdt):
    request = OrderRequest.parse(
        symbol="BTCUSDT", side="SELL", type="MARKET", quote_order_qty="100"
    )
    hold = SPOT.hold_for(user_id=make_user().pk, order=request, last_price=no_price)
    assert hold == Hold(assets["BTC"], Decimal(0))


def test_engine_units(btcusdt):
    # quote in tick x step units (0.01 x 0.00001), base in lots (0.00001)
    assert SPOT.engine_lock(market=btcusdt, side="BUY", amount=Decimal("600")) == 6 * 10**9
    assert SPOT.engine_lock(market=btcusdt, side="SELL", amount=Decimal("0.01")) == 1000


def test_spot_is_the_stage_of_spot():
    assert risk_for(Product.SPOT) is SPOT


@pytest.mark.parametrize("path", ["single", "batch"])
def test_entry_holds_what_the_stage_decides(trader, path):
    """On PostgreSQL ``single`` is the one-statement path; both must hold the stage's numbers."""
    # given a market buy by quantity with a stop price as its only reference
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "STOP_LOSS", "quantity": "0.003"}
    request = OrderRequest.parse(stop_price="61000", **params)
    expected = SPOT.hold_for(user_id=trader.pk, order=request, last_price=lambda: None)

    # when it is placed
    if path == "single":
        order = do_place_order(user=trader, request=request)
    else:
        [order] = do_place_orders(user=trader, requests=[request])

    # then it holds exactly that
    order.refresh_from_db()
    assert (order.locked_asset, order.locked, order.locked_remaining) == (
        expected.asset,
        expected.amount,
        expected.amount,
    )
    assert expected.amount == Decimal("0.003") * 61000 * (1 + MARKET_BUY_HEADROOM)
