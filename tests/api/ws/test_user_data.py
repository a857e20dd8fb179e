"""User-data streams: for each user action, the exact Binance events and their fields.

A real engine, clearing in the test process (``drain``), daphne as a
subprocess and a real ``websockets`` client on ``/ws/<listenKey>`` and on the
ws-api ``userDataStream.subscribe.signature`` method.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import pytest

from exchange.accounts.actions import do_create_api_key
from exchange.accounts.listen_keys import close_listen_key, create_listen_key
from exchange.accounts.models import ApiKey
from exchange.accounts.requests import ApiKeyRequest
from exchange.core.user_channel import user_events_channel
from exchange.orders.actions import do_cancel_order, place_order
from exchange.orders.models import Order, Trade
from exchange.orders.requests import CancelRequest, OrderRequest
from exchange.wallets.actions import (
    do_approve_withdrawal,
    do_credit_deposit,
    do_request_withdrawal,
)
from exchange.wallets.models import Balance
from exchange.wallets.requests import WithdrawalRequest
from tests.api.ws.support import receive_until, request, running_daphne, wait_until, ws_connect
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)


def ms(when: Any) -> int:
    return int(when.timestamp() * 1000)


def position(user: Any, *codes: str) -> list[dict[str, str]]:
    rows = Balance.objects.filter(account__user=user, asset__code__in=codes).order_by("asset__code")
    return [
        {"a": b.asset.code, "f": f"{b.available.normalize():f}", "l": f"{b.locked.normalize():f}"}
        for b in rows
    ]


def report(order: Order, **fields: object) -> dict[str, object]:
    """The executionReport of ``order`` with Binance's defaults for an event without a fill."""
    base: dict[str, object] = {
        "e": "executionReport",
        "s": "BTCUSDT",
        "c": order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force,
        "q": f"{order.orig_qty.normalize():f}",
        "p": f"{order.price.normalize():f}",
        "P": "0",
        "F": "0",
        "g": -1,
        "C": "",
        "r": "NONE",
        "i": order.pk,
        "l": "0",
        "z": "0",
        "L": "0",
        "n": "0",
        "N": None,
        "t": -1,
        "I": 0,
        "m": False,
        "M": False,
        "O": ms(order.created_at),
        "Z": "0",
        "Y": "0",
        "Q": "0",
        "W": ms(order.created_at),
        "V": "NONE",
    }
    return base | fields


def events_until(ws: Any, *kinds: str) -> list[dict[str, Any]]:
    """Receive events until their types are ``kinds`` in order; no event may be left over."""
    events = receive_until(ws, lambda got: len(got) >= len(kinds))
    assert [e["e"] for e in events] == list(kinds), events
    with pytest.raises(TimeoutError):
        ws.recv(timeout=0.3)
    return events


@pytest.fixture
def world(redis_client, btcusdt, make_user, assets, fund):
    alice, bob = make_user(), make_user()
    for user in (alice, bob):
        fund(user, assets["USDT"], "1000")
        fund(user, assets["BTC"], "10")
    created = do_create_api_key(
        user=alice, request=ApiKeyRequest.parse(label="bot", permissions=["read", "trade"])
    )
    api_key = ApiKey.objects.get(pk=created.api_key.pk)
    with running_engine(["BTCUSDT"]), running_daphne(WS_LISTEN_KEY_CHECK_S="0.2") as base:
        yield {
            "alice": alice,
            "bob": bob,
            "assets": assets,
            "api_key": api_key,
            "secret": created.secret,
            "base": base,
        }


def test_each_action_sends_the_exact_user_data_events(world):
    alice, bob, base = world["alice"], world["bob"], world["base"]
    key = create_listen_key(user=alice, api_key=world["api_key"])
    with ws_connect(f"{base}/ws/{key}") as ws:
        # place: NEW, then the balances
        sell = place_order(
            user=alice,
            request=OrderRequest.parse(
                symbol="BTCUSDT",
                side="SELL",
                type="LIMIT",
                price="100",
                quantity="1",
                client_order_id="alice-sell",
            ),
        )
        drain("BTCUSDT")
        new, account = events_until(ws, "executionReport", "outboundAccountPosition")
        sell.refresh_from_db()
        accepted = ms(sell.accepted_at)
        assert new == report(sell, E=accepted, T=accepted, x="NEW", X="NEW", w=True)
        assert account == {
            "e": "outboundAccountPosition",
            "E": account["E"],
            "u": account["E"],
            "B": [{"a": "BTC", "f": "9", "l": "1"}, {"a": "USDT", "f": "1000", "l": "0"}],
        }

        # partial fill: alice is the maker; her fee is 0.1% of the quote she receives
        place_order(
            user=bob,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="0.4"
            ),
        )
        drain("BTCUSDT")
        fill, account = events_until(ws, "executionReport", "outboundAccountPosition")
        first = Trade.objects.get(market__symbol="BTCUSDT", trade_id=1)
        assert fill == report(
            sell,
            E=ms(first.created_at),
            T=ms(first.created_at),
            x="TRADE",
            X="PARTIALLY_FILLED",
            w=True,
            l="0.4",
            z="0.4",
            L="100",
            n="0.04",
            N="USDT",
            t=1,
            m=True,
            Z="40",
            Y="40",
        )
        assert account["B"] == [
            {"a": "BTC", "f": "9", "l": "0.6"},
            {"a": "USDT", "f": "1039.96", "l": "0"},
        ]

        # fill
        place_order(
            user=bob,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="0.6"
            ),
        )
        drain("BTCUSDT")
        fill, account = events_until(ws, "executionReport", "outboundAccountPosition")
        second = Trade.objects.get(market__symbol="BTCUSDT", trade_id=2)
        assert fill == report(
            sell,
            E=ms(second.created_at),
            T=ms(second.created_at),
            x="TRADE",
            X="FILLED",
            w=False,
            l="0.6",
            z="1",
            L="100",
            n="0.06",
            N="USDT",
            t=2,
            m=True,
            Z="100",
            Y="60",
        )
        assert account["B"] == position(alice, "BTC", "USDT")
        assert account["B"] == [
            {"a": "BTC", "f": "9", "l": "0"},
            {"a": "USDT", "f": "1099.9", "l": "0"},
        ]

        # cancel
        buy = place_order(
            user=alice,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="90", quantity="0.5"
            ),
        )
        drain("BTCUSDT")
        new, _ = events_until(ws, "executionReport", "outboundAccountPosition")
        assert (new["x"], new["X"], new["i"]) == ("NEW", "NEW", buy.pk)
        do_cancel_order(user=alice, request=CancelRequest.parse(symbol="BTCUSDT", order_id=buy.pk))
        drain("BTCUSDT")
        canceled, account = events_until(ws, "executionReport", "outboundAccountPosition")
        buy.refresh_from_db()
        assert canceled == report(
            buy, E=ms(buy.done_at), T=ms(buy.done_at), x="CANCELED", X="CANCELED", w=False
        )
        assert account["B"] == [
            {"a": "BTC", "f": "9", "l": "0"},
            {"a": "USDT", "f": "1099.9", "l": "0"},
        ]

        # expire: an IOC with nothing to match is accepted, then expires, in one entry
        ioc = place_order(
            user=alice,
            request=OrderRequest.parse(
                symbol="BTCUSDT",
                side="BUY",
                type="LIMIT",
                price="80",
                quantity="0.5",
                time_in_force="IOC",
            ),
        )
        drain("BTCUSDT")
        new, expired, account = events_until(
            ws, "executionReport", "executionReport", "outboundAccountPosition"
        )
        ioc.refresh_from_db()
        done = ms(ioc.done_at)
        assert new == report(ioc, E=done, T=done, x="NEW", X="NEW", w=True)
        assert expired == report(ioc, E=done, T=done, x="EXPIRED", X="EXPIRED", w=False)

        # deposit: balanceUpdate with the delta, then the balance
        do_credit_deposit(
            user=alice, asset=world["assets"]["USDT"], amount="25.5", network="t", txid="d1"
        )
        update, account = events_until(ws, "balanceUpdate", "outboundAccountPosition")
        assert update == {
            "e": "balanceUpdate",
            "E": update["E"],
            "a": "USDT",
            "d": "25.5",
            "T": update["E"],
        }
        assert account["B"] == [{"a": "USDT", "f": "1125.4", "l": "0"}]

        # withdrawal: the request locks (balance only); the approval debits (balanceUpdate)
        withdrawal = do_request_withdrawal(
            user=alice,
            request=WithdrawalRequest.parse(
                asset=world["assets"]["USDT"], amount="10", network="t", address="addr"
            ),
        )
        (account,) = events_until(ws, "outboundAccountPosition")
        assert account["B"] == [{"a": "USDT", "f": "1115.4", "l": "10"}]
        do_approve_withdrawal(withdrawal_id=withdrawal.pk, approved_by=bob)
        update, account = events_until(ws, "balanceUpdate", "outboundAccountPosition")
        assert (update["a"], update["d"]) == ("USDT", "-10")
        assert account["B"] == [{"a": "USDT", "f": "1115.4", "l": "0"}]


def test_a_closed_listen_key_ends_the_stream_with_listen_key_expired(world):
    alice = world["alice"]
    key = create_listen_key(user=alice, api_key=world["api_key"])
    with ws_connect(f"{world['base']}/ws/{key}") as ws:
        # when
        close_listen_key(user=alice, listen_key=key)
        # then
        (event,) = receive_until(ws, lambda got: len(got) >= 1)
        assert event == {"e": "listenKeyExpired", "E": event["E"], "listenKey": key}
        do_credit_deposit(
            user=alice, asset=world["assets"]["USDT"], amount="1", network="t", txid="late"
        )
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)


def test_a_user_stream_listens_before_its_handshake_completes(world, redis_client):
    # given a listen key; the server subscribes to its user's channel before accepting,
    # so an event published the moment the client is connected is not lost
    alice = world["alice"]
    key = create_listen_key(user=alice, api_key=world["api_key"])
    channel = user_events_channel(alice.pk)

    def listeners() -> int:
        ((_, count),) = redis_client.pubsub_numsub(channel)
        return int(count)

    for _ in range(10):
        # when a client connects
        with ws_connect(f"{world['base']}/ws/{key}"):
            # then the server is already listening
            assert listeners() == 1
        wait_until(lambda: listeners() == 0)


def test_an_unknown_listen_key_is_refused_at_the_handshake(world):
    with pytest.raises(Exception, match="403"):
        ws_connect(f"{world['base']}/ws/{'x' * 60}").close()


def test_a_listen_key_subscribed_on_a_bare_connection_streams_until_unsubscribed(world):
    # given a client on a bare /ws, as python-binance-futures' binance_f connects
    alice = world["alice"]
    key = create_listen_key(user=alice, api_key=world["api_key"])
    with ws_connect(f"{world['base']}/ws") as ws:
        # when it subscribes to an unknown key, then to its own
        unknown = request(ws, {"method": "SUBSCRIBE", "params": ["x" * 60], "id": 1})
        subscribed = request(ws, {"method": "SUBSCRIBE", "params": [key], "id": 2})
        listed = request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 3})
        do_credit_deposit(
            user=alice, asset=world["assets"]["USDT"], amount="3", network="t", txid="bare"
        )
        # then the unknown key is refused, its own is listed and streams raw events
        assert unknown == {
            "error": {"code": 2, "msg": f"Invalid request: unknown stream {'x' * 60!r}"},
            "id": 1,
        }
        assert (subscribed, listed) == ({"result": None, "id": 2}, {"result": [key], "id": 3})
        update, account = events_until(ws, "balanceUpdate", "outboundAccountPosition")
        assert (update["a"], update["d"]) == ("USDT", "3")
        assert account["B"] == [{"a": "USDT", "f": "1003", "l": "0"}]
        # and once unsubscribed, nothing more arrives
        assert request(ws, {"method": "UNSUBSCRIBE", "params": [key], "id": 4}) == {
            "result": None,
            "id": 4,
        }
        assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 5}) == {"result": [], "id": 5}
        do_credit_deposit(
            user=alice, asset=world["assets"]["USDT"], amount="1", network="t", txid="gone"
        )
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)


def signed(params: dict[str, object], secret: str) -> dict[str, object]:
    payload = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return {**params, "signature": signature}


def test_ws_api_subscribe_signature_streams_the_users_events(world):
    alice = world["alice"]
    with ws_connect(f"{world['base']}/ws-api/v3") as ws:
        # when
        params = signed(
            {
                "apiKey": world["api_key"].key,
                "timestamp": int(time.time() * 1000),
                "recvWindow": 5000,
            },
            world["secret"],
        )
        reply = request(
            ws, {"id": "1", "method": "userDataStream.subscribe.signature", "params": params}
        )
        # then
        assert reply == {"id": "1", "status": 200, "result": {"subscriptionId": 0}}
        do_credit_deposit(
            user=alice, asset=world["assets"]["USDT"], amount="3", network="t", txid="ws-api"
        )
        update, account = receive_until(ws, lambda got: len(got) >= 2)
        assert update["subscriptionId"] == 0
        assert (update["event"]["e"], update["event"]["a"], update["event"]["d"]) == (
            "balanceUpdate",
            "USDT",
            "3",
        )
        assert account == {
            "subscriptionId": 0,
            "event": {
                "e": "outboundAccountPosition",
                "E": account["event"]["E"],
                "u": account["event"]["E"],
                "B": [{"a": "USDT", "f": "1003", "l": "0"}],
            },
        }


@pytest.mark.parametrize(
    ("signed_change", "change", "code", "status"),
    [
        ({}, {"signature": "0" * 64}, -1022, 400),
        ({}, {"apiKey": "nope"}, -2015, 401),
        ({"timestamp": 1}, {}, -1021, 400),
        ({"recvWindow": 70000}, {}, -1131, 400),
    ],
)
def test_ws_api_refuses_bad_signatures_with_binance_codes(
    world, signed_change, change, code, status
):
    with ws_connect(f"{world['base']}/ws-api/v3") as ws:
        params = signed(
            {"apiKey": world["api_key"].key, "timestamp": int(time.time() * 1000)} | signed_change,
            world["secret"],
        )
        reply = request(
            ws,
            {
                "id": 7,
                "method": "userDataStream.subscribe.signature",
                "params": params | change,
            },
        )
        assert reply["id"] == 7
        assert (reply["status"], reply["error"]["code"]) == (status, code)
        assert reply["error"]["msg"]
        # nothing was subscribed: a deposit sends nothing here
        do_credit_deposit(
            user=world["alice"], asset=world["assets"]["USDT"], amount="1", network="t", txid="x"
        )
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)


def test_a_listen_key_in_a_combined_stream_is_wrapped_with_its_name(world):
    alice = world["alice"]
    key = create_listen_key(user=alice, api_key=world["api_key"])
    with ws_connect(f"{world['base']}/stream?streams=btcusdt@trade/{key}") as ws:
        # when
        do_credit_deposit(
            user=alice, asset=world["assets"]["USDT"], amount="2", network="t", txid="combined"
        )
        # then
        update, account = receive_until(ws, lambda got: len(got) >= 2)
        assert update == {
            "stream": key,
            "data": {
                "e": "balanceUpdate",
                "E": update["data"]["E"],
                "a": "USDT",
                "d": "2",
                "T": update["data"]["E"],
            },
        }
        assert account["stream"] == key
        assert account["data"]["B"] == [{"a": "USDT", "f": "1002", "l": "0"}]
