"""User events as clearing and the wallet actions send them: each message has its schema's shape.

Real engine process, database and Redis; the messages are read off the
users' channels as the WebSocket streams read them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.core.redis import get_redis
from exchange.core.user_channel import user_events_channel
from exchange.events.schema import EventSchemaError, check
from exchange.events.user import UserMessage, decode_user_message
from exchange.orders.actions import do_cancel_order, place_order
from exchange.orders.requests import CancelRequest, OrderRequest
from exchange.wallets.actions import do_credit_deposit
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)


def heard(listener) -> list[UserMessage]:
    out = []
    while (message := listener.get_message(timeout=1)) is not None:
        out.append(decode_user_message(message["data"]))
    return out


def listening_to(*users):
    listener = get_redis().pubsub()
    listener.subscribe(*(user_events_channel(u.pk) for u in users))
    for _ in users:
        listener.get_message(timeout=1)  # the subscribe confirmations
    return listener


def test_clearing_messages_have_the_user_message_shape(
    redis_client, make_user, assets, fund, btcusdt
):
    # given two traders listening on their channels
    alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
    fund(alice, assets["BTC"], "1")
    fund(bob, assets["USDT"], "100000")
    listener = listening_to(alice, bob)
    with running_engine(["BTCUSDT"]):
        # when an order fills, one rests and is canceled, and each batch is cleared
        place_order(
            user=alice,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="SELL", type="LIMIT", price="60000", quantity="0.1"
            ),
        )
        place_order(
            user=bob,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="60000", quantity="0.1"
            ),
        )
        resting = place_order(
            user=bob,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="50000", quantity="0.1"
            ),
        )
        drain("BTCUSDT")
        do_cancel_order(
            user=bob, request=CancelRequest.parse(symbol="BTCUSDT", order_id=resting.pk)
        )
        drain("BTCUSDT")
    messages = heard(listener)
    # then every message, order update, execution report and balance has its schema's shape
    for message in messages:
        check(UserMessage, message)
    executions = [x for m in messages for x in m.get("executions", [])]
    assert {x["execution"] for x in executions} == {"NEW", "TRADE", "CANCELED"}
    fills = [x for x in executions if x["execution"] == "TRADE"]
    assert sorted((x["is_maker"], x["last_qty"]) for x in fills) == [
        (False, "0.1"),
        (True, "0.1"),
    ]
    assert all(m["orders"] and m["balances"] for m in messages)


def test_a_deposit_message_has_the_user_message_shape(redis_client, make_user, assets):
    # given a user listening
    alice = make_user()
    listener = listening_to(alice)
    # when a deposit is credited
    do_credit_deposit(user=alice, asset=assets["USDT"], amount="25", network="t", txid="t1")
    # then its message has the schema's shape, with the balance update
    (message,) = heard(listener)
    check(UserMessage, message)
    assert message["balance_updates"] == [{"asset": "USDT", "delta": "25", "time": message["time"]}]
    ((asset, free, locked),) = [(b["asset"], b["free"], b["locked"]) for b in message["balances"]]
    assert (asset, Decimal(free), Decimal(locked)) == ("USDT", Decimal(25), Decimal(0))


@pytest.mark.parametrize(
    "message",
    [
        {"time": 1, "balances": [{"asset": "BTC", "free": "1", "locked": 0}]},
        {"time": 1, "balances": [], "balanceUpdates": []},
        {"balances": []},
        {"time": "1", "balances": []},
        {"time": 1, "balances": [], "executions": [{"orderId": 1}]},
    ],
)
def test_a_message_off_its_schema_is_refused(message):
    with pytest.raises(EventSchemaError):
        check(UserMessage, message)
