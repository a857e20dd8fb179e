"""Poison entries are parked, never looped back, and the entries around them still apply."""

from __future__ import annotations

import msgpack
import pytest

from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.clearing.runner import MarketClearer, dead_letter_stream
from exchange.orders.actions import place_order
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest
from exchange.reconciliation.checks import reconcile
from matching_client import output_stream

pytestmark = pytest.mark.django_db(transaction=True)


def test_undecodable_and_inconsistent_entries_are_parked(
    redis_client, btcusdt, make_user, assets, fund
):
    # given an accepted order, then garbage, then a DONE for an order that does not exist
    user = make_user()
    fund(user, assets["USDT"], "1000")
    order = place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
        ),
    )
    out = output_stream("BTCUSDT")
    accepted = msgpack.packb([1, 1, 0, order.pk, user.pk, [], [[0, 10000, 100000]], 1, 1])
    unknown_done = msgpack.packb(
        [1, 1, 0, 999_999, user.pk, [[2, 999_999, user.pk, 1, 0, 0, 0]], [], 0, 0]
    )
    redis_client.xadd(out, {"d": accepted}, id="1000-1")
    redis_client.xadd(out, {"d": b"\xc1 not msgpack"}, id="1000-2")
    redis_client.xadd(out, {"d": unknown_done}, id="1000-3")
    # when clearing reads them
    clearer = MarketClearer(btcusdt, block_ms=10)
    while clearer.step():
        pass
    clearer.close()
    # then the good entry applied, both bad ones parked, the checkpoint past all three
    assert Order.objects.get(pk=order.pk).accepted_at is not None
    parked = {d.entry_id: d.error for d in DeadLetter.objects.all()}
    assert set(parked) == {"1000-2", "1000-3"}
    assert parked["1000-2"].startswith("undecodable")
    assert "999999" in parked["1000-3"]
    assert Checkpoint.objects.get(symbol="BTCUSDT").last_entry_id == "1000-3"
    assert [e[1][b"entry_id"] for e in redis_client.xrange(dead_letter_stream("BTCUSDT"))] == [
        b"1000-2",
        b"1000-3",
    ]
    assert redis_client.xinfo_groups(out)[0]["last-delivered-id"] == b"1000-3"
    assert reconcile().ok
