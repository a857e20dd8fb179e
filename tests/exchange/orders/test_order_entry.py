"""Order entry rejections: a typed error code, and not one row written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.core.errors import DomainError
from exchange.markets.actions import do_set_market_status
from exchange.markets.models import MarketStatus
from exchange.orders.actions import (
    _hold_for,
    _order_defaults,
    _order_row,
    do_place_orders,
    place_order,
)
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest
from exchange.wallets.models import Balance, JournalEntry, LedgerLine


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    fund(user, assets["BTC"], "1")
    return user


def snapshot():
    return (
        Order.objects.count(),
        JournalEntry.objects.count(),
        LedgerLine.objects.count(),
        sorted(Balance.objects.values_list("pk", "available", "locked")),
    )


LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "price": "60000",
    "quantity": "0.01",
}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"quantity": "0.1"}, "INSUFFICIENT_BALANCE"),  # 6000 USDT > 1000
        ({"side": "SELL", "quantity": "1.5"}, "INSUFFICIENT_BALANCE"),
        ({"price": "60000.001"}, "PRICE_TICK"),
        ({"quantity": "0.000015"}, "QUANTITY_STEP"),
        ({"quantity": "0.00001"}, "NOTIONAL_TOO_SMALL"),  # 0.6 USDT < 5
        ({"symbol": "DOGEUSDT"}, "UNKNOWN_SYMBOL"),
        ({"side": "HOLD"}, "INVALID_SIDE"),
        ({"type": "ICEBERG"}, "INVALID_TYPE"),
        ({"time_in_force": "GTD"}, "INVALID_TIME_IN_FORCE"),
        ({"price": None}, "MISSING_PARAMETER"),
        ({"stop_price": "59000"}, "UNEXPECTED_PARAMETER"),
        (
            {"type": "MARKET", "price": None, "quantity": None, "quote_order_qty": "0.000000001"},
            "INVALID_QUOTE_QTY",
        ),
        ({"type": "STOP_LOSS_LIMIT"}, "MISSING_PARAMETER"),
        ({"client_order_id": "bad id with spaces"}, "INVALID_CLIENT_ORDER_ID"),
        ({"self_trade_prevention": "DECREMENT"}, "INVALID_SELF_TRADE_PREVENTION"),
    ],
)
def test_rejections_change_nothing(trader, overrides, code):
    before = snapshot()
    with pytest.raises(DomainError) as excinfo:
        place_order(user=trader, request=OrderRequest.parse(**{**LIMIT_BUY, **overrides}))
    assert excinfo.value.code == code
    assert snapshot() == before


def test_halted_market_rejects(trader):
    do_set_market_status(symbol="BTCUSDT", status=MarketStatus.HALT)
    before = snapshot()
    with pytest.raises(DomainError) as excinfo:
        place_order(user=trader, request=OrderRequest.parse(**LIMIT_BUY))
    assert excinfo.value.code == "MARKET_NOT_TRADING"
    assert snapshot() == before


def test_duplicate_client_order_id_while_held(trader):
    small = {**LIMIT_BUY, "quantity": "0.001"}
    place_order(user=trader, request=OrderRequest.parse(client_order_id="my-1", **small))
    before = snapshot()
    with pytest.raises(DomainError) as excinfo:
        place_order(user=trader, request=OrderRequest.parse(client_order_id="my-1", **small))
    assert excinfo.value.code == "DUPLICATE_CLIENT_ORDER_ID"
    assert snapshot() == before
    # a finished order keeps its client order id for the window (client_ids) ...
    Order.objects.filter(client_order_id="my-1").update(
        status=OrderStatus.CANCELED, locked_remaining=0
    )
    with pytest.raises(DomainError):
        place_order(user=trader, request=OrderRequest.parse(client_order_id="my-1", **small))
    # ... and frees it once released
    Order.objects.filter(client_order_id="my-1").update(client_id_released=True)
    place_order(user=trader, request=OrderRequest.parse(client_order_id="my-1", **small))


def test_accepted_order_locks_funds_with_a_ledger_entry(trader, assets):
    order = place_order(user=trader, request=OrderRequest.parse(**LIMIT_BUY))
    assert (order.status, order.locked, order.locked_asset) == (
        OrderStatus.NEW,
        Decimal("600"),
        assets["USDT"],
    )
    row = Balance.objects.get(account__user=trader, asset=assets["USDT"])
    assert (row.available, row.locked) == (Decimal("400"), Decimal("600"))
    lines = sorted(
        LedgerLine.objects.filter(entry__reference=f"order:{order.pk}").values_list(
            "bucket", "amount"
        )
    )
    assert lines == [("available", Decimal("-600")), ("locked", Decimal("600"))]


def test_stop_orders_start_pending_trigger(trader):
    order = place_order(
        user=trader,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="SELL", type="STOP_LOSS", stop_price="50000", quantity="0.01"
        ),
    )
    assert order.status == OrderStatus.PENDING_TRIGGER
    assert order.locked == Decimal("0.01")


def test_batch_is_all_or_nothing(trader, assets):

    # given two orders that fit and a third that does not
    fits = [OrderRequest.parse(**{**LIMIT_BUY, "quantity": "0.005"}) for _ in range(2)]
    too_big = OrderRequest.parse(**{**LIMIT_BUY, "quantity": "0.01"})
    before = snapshot()
    # when
    with pytest.raises(DomainError) as excinfo:
        do_place_orders(user=trader, requests=[*fits, too_big])
    # then nothing was placed; the two alone are accepted together
    assert excinfo.value.code == "INSUFFICIENT_BALANCE"
    assert snapshot() == before
    placed = do_place_orders(user=trader, requests=fits)
    assert [o.locked for o in placed] == [Decimal("300"), Decimal("300")]
    assert Balance.objects.get(account__user=trader, asset=assets["USDT"]).locked == Decimal("600")


@pytest.mark.parametrize(
    "params",
    [
        LIMIT_BUY,
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "STOP_LOSS",
            "stop_price": "50000",
            "quantity": "0.1",
        },
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quote_order_qty": "123.45"},
    ],
)
def test_the_order_row_is_what_keyword_construction_builds(
    trader, django_assert_num_queries, params
):
    # given a checked order and its lock
    order = OrderRequest.parse(**params)
    hold = _hold_for(trader, order)

    # when entry builds its row (from positional column values)
    with django_assert_num_queries(0):  # its user, market and asset are cached on it
        row = _order_row(trader, order, hold)
        related = (row.user, row.market, row.locked_asset)

    # then it has the columns and related objects Order(...) with keywords gives
    expected = Order(
        user=trader,
        market=order.market,
        client_order_id=order.client_order_id,
        side=order.side,
        type=order.type,
        time_in_force=order.time_in_force,
        self_trade_prevention=order.self_trade_prevention,
        price=order.price,
        stop_price=order.stop_price,
        orig_qty=order.quantity,
        quote_order_qty=order.quote_order_qty,
        status=OrderStatus.PENDING_TRIGGER if params["type"] == "STOP_LOSS" else OrderStatus.NEW,
        locked_asset=hold.asset,
        locked=hold.amount,
        locked_remaining=hold.amount,
        created_at=row.created_at,
    )
    columns = [f.attname for f in Order._meta.concrete_fields]
    assert [getattr(row, c) for c in columns] == [getattr(expected, c) for c in columns]
    assert related == (trader, order.market, hold.asset)
    assert row._state.adding and row.pk is None


def test_a_per_row_default_the_order_row_does_not_set_is_refused(monkeypatch):
    # given an order field whose default is made per row, which _order_row does not set
    monkeypatch.setattr(Order._meta.get_field("client_order_id"), "default", lambda: "x-1")
    _order_defaults.cache_clear()
    try:
        # then building the defaults fails, rather than writing NULL for it
        with pytest.raises(TypeError, match="client_order_id"):
            _order_defaults()
    finally:
        _order_defaults.cache_clear()
