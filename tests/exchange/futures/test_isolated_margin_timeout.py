"""An isolated-margin change whose append times out: left undecided, never applied twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgpack
import pytest
import redis

from exchange.core.redis import get_redis
from exchange.futures.engine_state import append
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.isolated_margin import adjust_isolated_margin, settle_lost_margin_changes
from exchange.futures.models import IsolatedMarginChange, Position
from exchange.futures.requests import (
    FuturesOrderRequest,
    IsolatedMarginRequest,
    MarginTypeRequest,
)
from exchange.futures.services import place_futures_order, set_margin_type
from exchange.reconciliation.checks import reconcile
from matching_engine.futures.protocol import FuturesCommand
from matching_engine.protocol import FIELD, input_stream
from tests.exchange.futures.support import GROUP, funded_pair

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def _append_then_time_out(group: str, payload: bytes) -> str:
    """A fault: the command lands, then the client times out before the reply."""
    append(group, payload)
    raise redis.TimeoutError("Timeout reading from socket")


def _time_out_before_sending(group: str, payload: bytes) -> str:
    raise redis.TimeoutError("Timeout connecting to server")


def _adjustments() -> int:
    entries = get_redis().xrange(input_stream(GROUP))
    return sum(
        msgpack.unpackb(f[FIELD])[1] == FuturesCommand.ADJUST_ISOLATED_MARGIN for _, f in entries
    )


def test_a_timed_out_margin_change_stays_pending_and_the_sweeper_settles_it(
    assets, redis_client, make_user, fund, monkeypatch
) -> None:  # noqa: ANN001
    # given an isolated long of 0.1 BTC at 60,000 (margin 300)
    _, trader, maker, run = funded_pair(assets, make_user, fund)
    set_margin_type(
        user=trader, request=MarginTypeRequest.parse(symbol="BTCUSDT", margin_type="ISOLATED")
    )
    for user, side, kind in ((maker, "SELL", "LIMIT"), (trader, "BUY", "MARKET")):
        fields = {"price": "60000"} if kind == "LIMIT" else {}
        place_futures_order(
            user=user,
            request=FuturesOrderRequest.parse(
                symbol="BTCUSDT", side=side, type=kind, quantity="0.1", **fields
            ),
        )
    run()
    assert Position.objects.get(user=trader).isolated_margin == D("300")
    add = IsolatedMarginRequest.parse(symbol="BTCUSDT", amount="100", add=True)

    # when the change lands but its append times out
    monkeypatch.setattr("exchange.futures.isolated_margin.append", _append_then_time_out)
    with pytest.raises(FuturesError) as unknown:
        adjust_isolated_margin(user=trader, request=add)
    # then the caller hears "status unknown", the row is undecided, a retry is refused
    assert unknown.value.code == FuturesErrorCode.STATUS_UNKNOWN
    landed = IsolatedMarginChange.objects.get(user=trader)
    assert landed.result == ""
    with pytest.raises(FuturesError) as pending:
        adjust_isolated_margin(user=trader, request=add)
    assert pending.value.code == FuturesErrorCode.MARGIN_CHANGE_PENDING
    # and the sweeper leaves it to clearing, which applies it once
    assert settle_lost_margin_changes(older_than=dt.timedelta(0)) == 0
    run()
    landed.refresh_from_db()
    assert landed.result == "OK"
    assert Position.objects.get(user=trader).isolated_margin == D("400")

    # when a later change never reaches the stream
    monkeypatch.setattr("exchange.futures.isolated_margin.append", _time_out_before_sending)
    with pytest.raises(FuturesError):
        adjust_isolated_margin(user=trader, request=add)
    lost = IsolatedMarginChange.objects.filter(user=trader).latest("pk")
    # then the sweeper marks it ENGINE_UNAVAILABLE and the margin may be changed again
    assert settle_lost_margin_changes(older_than=dt.timedelta(0)) == 1
    lost.refresh_from_db()
    assert lost.result == FuturesErrorCode.ENGINE_UNAVAILABLE
    monkeypatch.undo()
    again = adjust_isolated_margin(user=trader, request=add)
    run()
    again.refresh_from_db()
    assert again.result == "OK"
    # one command per applied change reached the engine: 300 + 100 + 100
    assert _adjustments() == 2
    assert Position.objects.get(user=trader).isolated_margin == D("500")
    assert reconcile().violations == []
