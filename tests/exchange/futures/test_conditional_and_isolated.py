"""Conditional orders and isolated margin, from the typed request to the cleared rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.clearing.futures.probe import probe_group
from exchange.futures.engine_state import append
from exchange.futures.isolated_margin import adjust_isolated_margin
from exchange.futures.models import (
    FuturesOrder,
    FuturesOrderStatus,
    MarginType,
    Position,
    WorkingType,
)
from exchange.futures.requests import (
    FuturesOrderRequest,
    IsolatedMarginRequest,
    MarginTypeRequest,
)
from exchange.futures.services import place_futures_order, set_margin_type
from exchange.reconciliation.checks import reconcile
from matching_engine.futures.protocol import encode_mark_price
from tests.exchange.futures.support import GROUP, funded_pair

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def order(user, **fields: object) -> FuturesOrder:
    return place_futures_order(
        user=user, request=FuturesOrderRequest.parse(symbol="BTCUSDT", **fields)
    )


def test_an_isolated_long_with_a_stop_market_close_position(assets, redis_client, make_user, fund):
    contract, trader, maker, run = funded_pair(assets, make_user, fund)
    # given: the trader is isolated, long 0.1 BTC at 60,000 (margin 300), and adds 100
    set_margin_type(
        user=trader, request=MarginTypeRequest.parse(symbol="BTCUSDT", margin_type="ISOLATED")
    )
    order(maker, side="SELL", type="LIMIT", price="60000", quantity="0.1")
    order(trader, side="BUY", type="MARKET", quantity="0.1")
    run()
    adjust_isolated_margin(
        user=trader, request=IsolatedMarginRequest.parse(symbol="BTCUSDT", amount="100", add=True)
    )
    # and: a stop that closes the whole position when the MARK falls to 59,000
    stop = order(
        trader,
        side="SELL",
        type="STOP_MARKET",
        stop_price="59000",
        working_type="MARK_PRICE",
        close_position=True,
    )
    order(maker, side="BUY", type="LIMIT", price="58900", quantity="0.1")
    run()
    position = Position.objects.get(user=trader)
    assert (position.margin_type, position.isolated_margin) == (MarginType.ISOLATED, D("400"))
    pending = FuturesOrder.objects.get(pk=stop.pk)
    assert (pending.status, pending.triggered, pending.working_type) == (
        FuturesOrderStatus.NEW,
        False,
        WorkingType.MARK_PRICE,
    )
    assert probe_group(GROUP).differences == []
    # when: the mark reaches the stop
    append(GROUP, encode_mark_price(contract=contract.engine_id, price=590_000))
    run()
    # then: the stop fired and closed the position against the bid
    fired = FuturesOrder.objects.get(pk=stop.pk)
    assert (fired.status, fired.triggered, fired.executed_qty) == (
        FuturesOrderStatus.FILLED,
        True,
        D("0.1"),
    )
    position.refresh_from_db()
    assert (position.size, position.isolated_margin) == (0, 0)
    assert probe_group(GROUP).differences == []
    assert reconcile().violations == []
