"""TRAILING_STOP_MARKET through python-binance (its algoOrder route) and ccxt binanceusdm
against the live perpetual: activation, trailing on the mark, the reduce-only MARKET it
fires, and refused inputs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from exchange.futures.models import FuturesOrder, FuturesOrderStatus, Position
from tests.api.compat.binance_futures.conftest import answered, set_mark
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import SYMBOL as CCXT_SYMBOL
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import usdm
from tests.api.compat.binance_futures.test_order_management import funded_client, limit
from tests.api.compat.conftest import wait_until

SYMBOL = "BTCUSDT"


def _mark(contract, price: int) -> None:  # noqa: ANN001
    entry = set_mark(contract, Decimal(price))
    wait_until(lambda: answered(contract.margin_asset.code, entry), what="the mark")


def test_trailing_stop_on_the_mark_closes_the_long_after_a_1_percent_pullback(live, quiet_book):
    contract = quiet_book
    _mark(contract, 60_000)
    maker, trader = funded_client(live, "5000"), funded_client(live, "2000")
    # given a long of 0.01 BTC bought at 60,000 and a maker's bid at 58,000 for the close
    maker.futures_create_order(**limit("SELL", "60000"))
    trader.futures_create_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="0.01")
    maker.futures_create_order(**limit("BUY", "58000"))
    # when a reduce-only SELL trailing stop, 1 %, activating at 61,000 on the mark, is placed
    placed = trader.futures_create_order(
        symbol=SYMBOL,
        side="SELL",
        type="TRAILING_STOP_MARKET",
        quantity="0.01",
        callbackRate="1",
        activatePrice="61000",
        workingType="MARK_PRICE",
        reduceOnly="true",
    )
    assert (placed["orderType"], placed["activatePrice"], placed["callbackRate"]) == (
        "TRAILING_STOP_MARKET",
        "61000",
        "1",
    )
    order = FuturesOrder.objects.get(pk=placed["algoId"])
    answer = trader.futures_get_order(symbol=SYMBOL, orderId=order.pk)
    assert (answer["activatePrice"], answer["priceRate"], answer["status"]) == ("61000", "1", "NEW")
    # then 61,000 activates it, 62,000 is its high, 61,381 does not fire it
    for price in (61_000, 62_000, 61_381):
        _mark(contract, price)
    order.refresh_from_db()
    assert order.status == FuturesOrderStatus.NEW and not order.triggered
    # and 61,380 (1 % under 62,000) fires a MARKET sell of 0.01 into the bid at 58,000
    _mark(contract, 61_380)
    wait_until(
        lambda: FuturesOrder.objects.get(pk=order.pk).status == FuturesOrderStatus.FILLED,
        what="the trailing stop to fill",
    )
    order.refresh_from_db()
    assert (order.executed_qty, order.cum_quote, order.triggered) == (
        Decimal("0.01"),
        Decimal("580"),
        True,
    )
    [fill] = [t for t in trader.futures_account_trades(symbol=SYMBOL) if t["orderId"] == order.pk]
    # 580 USDT at the 0.05 % taker fee: 0.29; the long's loss 20 USDT
    assert (fill["price"], fill["qty"], fill["commission"], fill["realizedPnl"]) == (
        "58000",
        "0.01",
        "0.29",
        "-20",
    )
    assert Position.objects.get(user=order.user, contract=contract).size == 0


def test_ccxt_trailing_percent_places_a_trailing_stop_market(live, quiet_book):
    contract = quiet_book
    _mark(contract, 60_000)
    funded_client(live, "2000")
    trader = live.traders[-1]  # the account funded_client made
    ex = usdm(live, trader)
    ex.load_markets()
    # when ccxt places a sell with trailingPercent 1.5 and an activation price of 65,000
    order = ex.create_order(
        CCXT_SYMBOL,
        "market",
        "sell",
        0.01,
        None,
        {"trailingPercent": 1.5, "activationPrice": 65000},
    )
    # then the row is a TRAILING_STOP_MARKET with the rate and activation price as sent
    row = FuturesOrder.objects.get(pk=int(order["id"]))
    assert (row.type, row.callback_rate, row.activation_price, row.quantity) == (
        "TRAILING_STOP_MARKET",
        Decimal("1.5"),
        Decimal(65000),
        Decimal("0.01"),
    )


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"callbackRate": "0.05"}, -1130),
        ({"callbackRate": "10.5"}, -1130),
        ({"callbackRate": "1", "closePosition": "true"}, -1106),
        # a SELL activating under the mark it works on
        ({"callbackRate": "1", "activationPrice": "59000", "workingType": "MARK_PRICE"}, -2021),
    ],
)
def test_bad_trailing_inputs_are_refused_and_change_nothing(live, quiet_book, extra, code):
    contract = quiet_book
    _mark(contract, 60_000)
    client = funded_client(live, "2000")
    trader = live.traders[-1]  # the account funded_client made
    params = {"symbol": SYMBOL, "side": "SELL", "type": "TRAILING_STOP_MARKET", **extra}
    if "closePosition" not in extra:
        params["quantity"] = "0.01"
    with pytest.raises(BinanceAPIException) as raised:
        client.futures_create_order(**params)
    assert raised.value.code == code
    assert not FuturesOrder.objects.filter(
        user=trader.user, status__in=(FuturesOrderStatus.NEW,)
    ).exists()
