"""The liquidation price the surfaces show for an isolated position is the engine's.

The trader holds 1 BTC isolated at 20x (margin 3,000) and, beside it, a cross short of
1 ETH. ``account_figures`` gives the price; the real margin group, fed marks through its
stream and cleared, leaves the position alone one tick on the safe side of it and
liquidates it at it, whatever the cross position does meanwhile.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.clearing.futures.probe import probe_group
from exchange.futures.account_summary import PositionFigures, account_figures
from exchange.futures.engine_state import append
from exchange.futures.models import Contract, MarginType, Position
from exchange.futures.requests import FuturesOrderRequest, MarginTypeRequest
from exchange.futures.services import place_futures_order, set_margin_type
from exchange.futures.units import to_ticks
from matching_engine.futures.protocol import encode_mark_price
from tests.exchange.futures.support import GROUP, eth_perpetual, funded_pair

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def order(user, symbol: str, side: str, **fields: object) -> None:
    place_futures_order(
        user=user, request=FuturesOrderRequest.parse(symbol=symbol, side=side, **fields)
    )


def mark(contract: Contract, price: Decimal, marks: dict[str, Decimal]) -> None:
    marks[contract.symbol] = price
    append(GROUP, encode_mark_price(contract=contract.engine_id, price=to_ticks(contract, price)))


def shown(trader, contract: Contract, marks: dict[str, Decimal]) -> PositionFigures:
    figures = account_figures(user=trader, mark_of=lambda c: marks[c.symbol])
    [row] = [p for p in figures.positions if p.contract == contract]
    return row


@pytest.mark.parametrize(
    ("side", "price", "safe_side"),
    [("BUY", D("57236.1"), D("0.1")), ("SELL", D("62736.4"), D("-0.1"))],
)
def test_the_engine_liquidates_an_isolated_position_at_the_shown_price(
    assets, redis_client, make_user, fund, side, price, safe_side
):
    btc, trader, maker, run = funded_pair(assets, make_user, fund)
    eth = eth_perpetual(assets)
    marks = {btc.symbol: D(60_000)}
    mark(eth, D(3_000), marks)
    # given: 1 BTC isolated at 60,000 and 20x, and a cross short of 1 ETH at 3,000
    set_margin_type(
        user=trader, request=MarginTypeRequest.parse(symbol="BTCUSDT", margin_type="ISOLATED")
    )
    other = "SELL" if side == "BUY" else "BUY"
    order(maker, "BTCUSDT", other, type="LIMIT", price="60000", quantity="1")
    order(trader, "BTCUSDT", side, type="MARKET", quantity="1")
    order(maker, "ETHUSDT", "BUY", type="LIMIT", price="3000", quantity="1")
    order(trader, "ETHUSDT", "SELL", type="MARKET", quantity="1")
    run()
    position = Position.objects.get(user=trader, contract=btc)
    assert (position.margin_type, position.isolated_margin) == (MarginType.ISOLATED, D(3000))
    # the shown price is docs/futures.md's worked number
    assert shown(trader, btc, marks).liquidation_price == price

    # when: the cross short loses 400 (ETH at 3,400)
    mark(eth, D(3_400), marks)
    run()
    # then: the isolated price has not moved
    assert shown(trader, btc, marks).liquidation_price == price

    # when: the mark stops one tick on the safe side of it
    mark(btc, price + safe_side, marks)
    run()
    # then: the engine keeps the position
    assert Position.objects.get(user=trader, contract=btc).size == D(1 if side == "BUY" else -1)
    assert probe_group(GROUP).differences == []

    # when: the mark reaches it
    mark(btc, price, marks)
    run()
    # then: the engine liquidated the isolated position, and only it
    after = Position.objects.get(user=trader, contract=btc)
    assert (after.size, after.isolated_margin) == (0, 0)
    assert Position.objects.get(user=trader, contract=eth).size == D(-1)
    assert probe_group(GROUP).differences == []
