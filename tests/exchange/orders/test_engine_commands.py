"""What orders append to the engine's input stream: PLACE, and PLACE again before a CANCEL."""

from __future__ import annotations

import msgpack

from exchange.orders.actions import place_order
from exchange.orders.engine_commands import send_cancel
from exchange.orders.requests import OrderRequest
from matching_client import CommandType, input_stream


def commands(redis_client, symbol: str) -> list[list[object]]:
    return [msgpack.unpackb(f[b"d"]) for _, f in redis_client.xrange(input_stream(symbol))]


def test_order_commands_place_then_cancel(
    btcusdt, make_user, assets, fund, redis_client, django_capture_on_commit_callbacks
):
    # given an accepted order the engine has not answered yet
    user = make_user()
    fund(user, assets["USDT"], "1000")
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(
            user=user,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
            ),
        )
    before = len(commands(redis_client, "BTCUSDT"))
    # when its cancel is sent
    assert send_cancel(order)
    # then the PLACE goes first again (harmless if known), then the CANCEL
    sent = commands(redis_client, "BTCUSDT")[before:]
    assert [c[1] for c in sent] == [CommandType.PLACE, CommandType.CANCEL]
