"""Parity: an order placed and canceled through REST or GraphQL equals one through the actions.

Same rows (order, trades), same ledger lines and balances, same engine output
events and the same user events; the same bad input yields the same code.
Every surface calls ``exchange.orders.actions``: these tests hold it to that.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from api.rest.accounts.tokens import issue_token
from exchange.accounts.models import User
from exchange.core.errors import DomainError
from exchange.core.user_channel import user_events_channel as channel
from exchange.markets.actions import do_create_market, do_set_market_status
from exchange.markets.models import MarketStatus
from exchange.orders.actions import do_cancel_order, place_order
from exchange.orders.models import Order, Trade
from exchange.orders.requests import CancelRequest, OrderRequest
from exchange.wallets.models import Balance, JournalEntry, LedgerLine
from matching_client import output_stream
from matching_client.events import decode_output
from matching_engine.protocol import FIELD
from tests.api.graphql.conftest import Caller
from tests.pipeline import drain, running_engine

PLACE = """
mutation ($symbol: String!, $side: OrderSide!, $type: OrderType!, $price: Decimal,
          $quantity: Decimal, $quoteOrderQty: Decimal, $stopPrice: Decimal,
          $timeInForce: TimeInForce, $clientOrderId: String) {
  placeOrder(symbol: $symbol, side: $side, type: $type, price: $price, quantity: $quantity,
             quoteOrderQty: $quoteOrderQty, stopPrice: $stopPrice, timeInForce: $timeInForce,
             clientOrderId: $clientOrderId) {
    order { id } errors { code }
  }
}
"""
CANCEL = """
mutation ($symbol: String!, $clientOrderId: String) {
  cancelOrder(symbol: $symbol, clientOrderId: $clientOrderId) { order { id } errors { code } }
}
"""
BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "price": "1000",
    "quantity": "0.5",
    "client_order_id": "parity-1",
}
CAMEL = {
    "client_order_id": "clientOrderId",
    "quote_order_qty": "quoteOrderQty",
    "stop_price": "stopPrice",
    "time_in_force": "timeInForce",
}


class Surface:
    """Place and cancel as one user; return the error code, or None when accepted."""

    def place(self, user: User, params: dict[str, Any]) -> str | None:
        raise NotImplementedError

    def cancel(self, user: User, symbol: str, client_order_id: str) -> str | None:
        raise NotImplementedError


class ActionSurface(Surface):
    def place(self, user: User, params: dict[str, Any]) -> str | None:
        try:
            place_order(user=user, request=OrderRequest.parse(**params))
        except DomainError as exc:
            return exc.code.value
        return None

    def cancel(self, user: User, symbol: str, client_order_id: str) -> str | None:
        try:
            do_cancel_order(
                user=user,
                request=CancelRequest.parse(symbol=symbol, client_order_id=client_order_id),
            )
        except DomainError as exc:
            return exc.code.value
        return None


class GraphQLSurface(Surface):
    def __init__(self, as_user: Callable[[User], Caller]):
        self.as_user = as_user

    def place(self, user: User, params: dict[str, Any]) -> str | None:
        variables = {CAMEL.get(k, k): v for k, v in params.items()}
        payload = self.as_user(user)(PLACE, variables)["data"]["placeOrder"]
        return payload["errors"][0]["code"] if payload["errors"] else None

    def cancel(self, user: User, symbol: str, client_order_id: str) -> str | None:
        variables = {"symbol": symbol, "clientOrderId": client_order_id}
        payload = self.as_user(user)(CANCEL, variables)["data"]["cancelOrder"]
        return payload["errors"][0]["code"] if payload["errors"] else None


class RestSurface(Surface):
    def client(self, user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user=user)}")
        return client

    def place(self, user: User, params: dict[str, Any]) -> str | None:
        response = self.client(user).post("/api/v1/orders", params, format="json")
        return None if response.status_code == 201 else response.json()["code"]

    def cancel(self, user: User, symbol: str, client_order_id: str) -> str | None:
        response = self.client(user).post(
            "/api/v1/orders/by-client-id/cancel",
            {"symbol": symbol, "client_order_id": client_order_id},
            format="json",
        )
        return None if response.status_code == 202 else response.json()["code"]


@pytest.fixture
def surfaces(as_user) -> dict[str, Surface]:
    return {"action": ActionSurface(), "rest": RestSurface(), "graphql": GraphQLSurface(as_user)}


# What differs between two runs by construction: ids, times, per-market sequences.
VOLATILE = {
    "id",
    "entry_id",  # a ledger line's journal entry, and an engine output's stream id
    "trade_id",
    "first_update_id",
    "last_update_id",
    "updateTime",
    "update_time",  # user events (snake_case since ADR 0017)
    "time",  # user events: the batch's engine time
    "eventTime",
    "event_time",
    "orderTime",
    "order_time",
    "tradeId",
    "created_at",
    "updated_at",
    "accepted_at",
    "cancel_requested_at",
    "done_at",
    "resent_at",
}


def normalise(value: Any, users: dict[int, str], orders: dict[int, str]) -> Any:
    """Replace user and order ids by role names; drop what differs between runs."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **normalise(dataclasses.asdict(value), users, orders)}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in VOLATILE:
                continue
            if key.endswith(("user_id", "user")) and isinstance(item, int):
                out[key] = users.get(item, item)
            elif key.endswith(("order_id", "orderId")) and isinstance(item, int):
                out[key] = orders.get(item, item)
            else:
                out[key] = normalise(item, users, orders)
        return out
    if isinstance(value, list | tuple):
        return [normalise(v, users, orders) for v in value]
    return value


def reference(text: str, orders: dict[int, str]) -> str:
    """A journal entry's reference without ids: ``order:maker-order``, ``clearing:BTCUSDT``."""
    kind, _, rest = text.partition(":")
    if kind == "order":
        return f"order:{orders.get(int(rest), rest)}"
    if kind == "clearing":
        return f"clearing:{rest.partition(':')[0]}"
    return text


def batch_independent(events: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per channel: every execution in order, and each order's and balance's last state.

    Clearing sends one message per user per batch, and how the engine's answers fall
    into batches depends on timing; what a client learns from them does not.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, body in events:
        summary = out.setdefault(name, {"executions": [], "orders": {}, "balances": {}})
        summary["executions"].extend(body.get("executions", []))
        summary["orders"].update({o["order_id"]: o for o in body.get("orders", [])})
        summary["balances"].update({b["asset"]: b for b in body.get("balances", [])})
    return {
        name: {
            **summary,
            "orders": list(summary["orders"].values()),
            "balances": list(summary["balances"].values()),
        }
        for name, summary in out.items()
    }


def run_scenario(surface: Surface, make_user, assets, fund) -> dict[str, Any]:
    """A resting ask from the maker (action layer), then the taker's buy through ``surface``
    fills part of it, rests the rest, and is canceled through ``surface``."""
    maker, taker = make_user(), make_user()
    fund(maker, assets["BTC"], "1")
    fund(taker, assets["USDT"], "10000")
    client = redis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()
    pubsub.subscribe(channel(maker.pk), channel(taker.pk))
    pubsub.get_message(timeout=1)
    pubsub.get_message(timeout=1)  # the two subscribe confirmations
    newest = client.xrevrange(output_stream("BTCUSDT"), count=1)
    since = newest[0][0].decode() if newest else "0-0"
    lines_before = LedgerLine.objects.count()

    maker_order = place_order(
        user=maker,
        request=OrderRequest.parse(
            symbol="BTCUSDT",
            side="SELL",
            type="LIMIT",
            price="1000",
            quantity="0.3",
            client_order_id="maker-1",
        ),
    )
    assert surface.place(taker, BUY) is None
    drain("BTCUSDT")
    assert surface.cancel(taker, "BTCUSDT", "parity-1") is None
    drain("BTCUSDT")

    taker_order = Order.objects.get(user=taker)
    users = {maker.pk: "maker", taker.pk: "taker"}
    orders = {maker_order.pk: "maker-order", taker_order.pk: "taker-order"}
    events = []
    while (message := pubsub.get_message(timeout=1)) is not None:
        if message["type"] == "message":
            events.append((message["channel"].decode(), json.loads(message["data"])))
    pubsub.close()
    outputs = [
        decode_output(
            "BTCUSDT",
            entry_id.decode(),
            fields[FIELD.encode() if isinstance(FIELD, str) else FIELD],
        )
        for entry_id, fields in client.xrange(output_stream("BTCUSDT"), min=f"({since}")
    ]
    trades = Trade.objects.filter(taker_order=taker_order).values()
    lines = (
        LedgerLine.objects.filter(pk__gt=0)
        .order_by("pk")
        .values(
            "entry_id",
            "entry__reason",
            "entry__reference",
            "account__user_id",
            "asset__code",
            "bucket",
            "amount",
        )
    )[lines_before:]
    return normalise(
        {
            "orders": [
                {k: v for k, v in row.items() if k not in ("user_id", "market_id")}
                for row in Order.objects.filter(pk__in=[maker_order.pk, taker_order.pk])
                .order_by("pk")
                .values()
            ],
            "trades": list(trades),
            # per entry, lines in account-role order (account ids differ between runs)
            "ledger": sorted(
                (
                    {**line, "entry__reference": reference(line["entry__reference"], orders)}
                    for line in lines
                ),
                key=lambda line: (
                    line["entry_id"],
                    users.get(line["account__user_id"], "fees"),
                    line["asset__code"],
                    line["bucket"],
                ),
            ),
            "balances": list(
                Balance.objects.filter(account__user__in=[maker, taker])
                .order_by("account__user_id", "asset__code")
                .values("account__user_id", "asset__code", "available", "locked")
            ),
            "engine": outputs,
            "user_events": {
                # by whole channel name: replacing the id text would also hit "db1:" and
                # the like when a user's id is the Redis database's number
                {channel(maker.pk): "maker", channel(taker.pk): "taker"}[name]: summary
                for name, summary in batch_independent(events).items()
            },
        },
        users,
        orders,
    )


@pytest.mark.django_db(transaction=True)
def test_same_order_through_each_surface_writes_the_same(
    redis_client, make_user, assets, fund, btcusdt, surfaces
):
    # given the same scenario through each surface, one after the other on one book
    with running_engine(["BTCUSDT"]):
        results = {name: run_scenario(s, make_user, assets, fund) for name, s in surfaces.items()}
    # then every surface wrote exactly what the action layer wrote
    reference = results.pop("action")
    assert reference["orders"][1]["status"] == "CANCELED"
    assert len(reference["trades"]) == 1
    assert reference["user_events"], "clearing published user events"
    for name, result in results.items():
        assert result == reference, name


def written() -> tuple[int, int, int, list[tuple[int, Any, Any]]]:
    return (
        Order.objects.count(),
        JournalEntry.objects.count(),
        LedgerLine.objects.count(),
        sorted(Balance.objects.values_list("pk", "available", "locked")),
    )


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"quantity": "50"}, "INSUFFICIENT_BALANCE"),
        ({"price": "1000.001"}, "PRICE_TICK"),
        ({"price": "-5"}, "INVALID_PRICE"),
        ({"quantity": "0.000015"}, "QUANTITY_STEP"),
        ({"quantity": "0.00001"}, "NOTIONAL_TOO_SMALL"),
        ({"quantity": "10000"}, "QUANTITY_TOO_LARGE"),
        ({"symbol": "DOGEUSDT"}, "UNKNOWN_SYMBOL"),
        ({"price": None}, "MISSING_PARAMETER"),
        ({"stop_price": "900"}, "UNEXPECTED_PARAMETER"),
        ({"client_order_id": "has spaces"}, "INVALID_CLIENT_ORDER_ID"),
        (
            {"type": "MARKET", "price": None, "quantity": None, "quote_order_qty": "0.00000001"},
            "INVALID_QUOTE_QTY",
        ),
        ({"symbol": "HALTED"}, "MARKET_NOT_TRADING"),
        # money is a decimal string: a JSON number is refused, never read as 1e-07 or 1000.0
        ({"quantity": 1e-07}, "INVALID_QUANTITY"),
        ({"quantity": 0.5}, "INVALID_QUANTITY"),
        ({"price": 1000.0}, "INVALID_PRICE"),
        ({"price": 1000}, "INVALID_PRICE"),
        (
            {"type": "STOP_LOSS_LIMIT", "stop_price": 900.5},
            "INVALID_PRICE",
        ),
        (
            {"type": "MARKET", "price": None, "quantity": None, "quote_order_qty": 100.0},
            "INVALID_QUOTE_QTY",
        ),
    ],
)
def test_same_bad_input_same_code_on_every_surface(
    surfaces, make_user, assets, fund, btcusdt, overrides, code
):
    # given a funded trader, and a halted market
    trader = make_user()
    fund(trader, assets["USDT"], "10000")
    halted = do_create_market(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.001"),
        min_qty=Decimal("0.001"),
        max_qty=Decimal("1000"),
    )
    do_set_market_status(symbol=halted.symbol, status=MarketStatus.HALT)
    params = {**BUY, **overrides}
    if params["symbol"] == "HALTED":
        params["symbol"] = halted.symbol
    params = {k: v for k, v in params.items() if v is not None}
    before = written()
    # when the same request goes through each surface
    codes = {name: surface.place(trader, params) for name, surface in surfaces.items()}
    # then each refuses it with the same code, and nothing is written
    assert codes == dict.fromkeys(surfaces, code)
    assert written() == before


def test_same_unknown_order_same_cancel_code_on_every_surface(surfaces, make_user, btcusdt):
    trader = make_user()
    codes = {name: s.cancel(trader, "BTCUSDT", "never-placed") for name, s in surfaces.items()}
    assert codes == dict.fromkeys(surfaces, "ORDER_NOT_FOUND")


WITHDRAW = """
mutation ($asset: String!, $amount: Decimal!, $network: String!, $address: String!) {
  requestWithdrawal(asset: $asset, amount: $amount, network: $network, address: $address) {
    withdrawal { id } errors { code }
  }
}
"""


@pytest.mark.parametrize("amount", [0.1, 1e-07, 1, True, "1e-07x"])
def test_same_withdrawal_amount_code_on_rest_and_graphql(as_user, make_user, assets, fund, amount):
    # given a holder of BTC
    holder = make_user()
    fund(holder, assets["BTC"], "1")
    request = {"asset": "BTC", "amount": amount, "network": "BTC", "address": "bc1qexample"}
    before = written()
    # when a non-string (or garbage) amount goes through REST and GraphQL
    rest = RestSurface().client(holder).post("/api/v1/withdrawals", request, format="json")
    graphql = as_user(holder)(WITHDRAW, request)["data"]["requestWithdrawal"]
    # then both refuse it with INVALID_AMOUNT, and nothing is written
    assert (rest.status_code, rest.json()["code"]) == (400, "INVALID_AMOUNT")
    assert graphql == {"withdrawal": None, "errors": [{"code": "INVALID_AMOUNT"}]}
    assert written() == before


MY_TRADES_QUERY = """
query ($market: String, $fromId: BigInt) { me { trades(market: $market, fromId: $fromId) {
  id orderId side isMaker price quantity commission commissionAsset
} } }
"""


@pytest.mark.django_db(transaction=True)
def test_a_self_trade_is_two_fills_on_rest_and_graphql(
    redis_client, make_user, assets, fund, btcusdt, as_user
):
    # given a trader whose buy matched their own resting sell
    trader = make_user()
    fund(trader, assets["BTC"], "1")
    fund(trader, assets["USDT"], "10000")
    with running_engine(["BTCUSDT"]):
        sell = place_order(
            user=trader,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="SELL", type="LIMIT", price="1000", quantity="0.5"
            ),
        )
        drain("BTCUSDT")
        buy = place_order(
            user=trader,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="1000", quantity="0.5"
            ),
        )
        drain("BTCUSDT")
    trade = Trade.objects.get()
    # when the trader lists their trades on each surface
    rest = RestSurface().client(trader).get("/api/v1/my-trades").json()
    graphql = as_user(trader)(MY_TRADES_QUERY, {})["data"]["me"]["trades"]
    # then both show the maker fill, then the taker fill, each with its own commission
    expected = [
        (trade.trade_id, sell.pk, "SELL", True, "1000", "0.5", "0.5", "USDT"),
        (trade.trade_id, buy.pk, "BUY", False, "1000", "0.5", "0.001", "BTC"),
    ]
    assert [
        (
            t["id"],
            t["order_id"],
            t["side"],
            t["is_maker"],
            t["price"],
            t["qty"],
            t["commission"],
            t["commission_asset"],
        )
        for t in rest
    ] == expected
    assert [
        (
            t["id"],
            int(t["orderId"]),
            t["side"],
            t["isMaker"],
            t["price"],
            t["quantity"],
            t["commission"],
            t["commissionAsset"],
        )
        for t in graphql
    ] == expected


def test_from_id_without_a_market_is_the_same_missing_parameter(make_user, as_user, btcusdt):
    # trade ids are per market: from_id alone would mix the markets' sequences
    trader = make_user()
    rest = RestSurface().client(trader).get("/api/v1/my-trades", {"from_id": 1})
    graphql = as_user(trader)(MY_TRADES_QUERY, {"fromId": 1})
    assert (rest.status_code, rest.json()["code"]) == (400, "MISSING_PARAMETER")
    assert [e["extensions"]["code"] for e in graphql["errors"]] == ["MISSING_PARAMETER"]
    ok = RestSurface().client(trader).get("/api/v1/my-trades", {"from_id": 1, "symbol": "BTCUSDT"})
    assert (ok.status_code, ok.json()) == (200, [])
    assert as_user(trader)(MY_TRADES_QUERY, {"fromId": 1, "market": "BTCUSDT"}) == {
        "data": {"me": {"trades": []}}
    }


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [
        ("depth", "depth(limit: $limit) { lastUpdateId }", 0),
        ("depth", "depth(limit: $limit) { lastUpdateId }", 5001),
        ("trades", "trades(limit: $limit) { price }", -1),
        ("trades", "trades(limit: $limit) { price }", 1001),
        ("klines?interval=1m", 'klines(interval: "1m", limit: $limit) { open }', 0),
        ("klines?interval=1m", 'klines(interval: "1m", limit: $limit) { open }', 1001),
    ],
)
def test_same_market_data_limit_code_on_rest_and_graphql(
    anonymous, btcusdt, redis_client, path, field, limit
):
    joiner = "&" if "?" in path else "?"
    rest = APIClient().get(f"/api/v1/markets/BTCUSDT/{path}{joiner}limit={limit}")
    graphql = anonymous(
        f'query ($limit: Int!) {{ market(symbol: "BTCUSDT") {{ {field} }} }}', {"limit": limit}
    )
    assert (rest.status_code, rest.json()["code"]) == (400, "INVALID_LIMIT")
    assert [e["extensions"]["code"] for e in graphql["errors"]] == ["INVALID_LIMIT"]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/orders?limit={n}", "{ me { orders(first: $n) { edges { cursor } } } }"),
        ("/api/v1/my-trades?limit={n}", "{ me { trades(limit: $n) { id } } }"),
        ("/api/v1/withdrawals?limit={n}", "{ me { withdrawals(first: $n) { edges { cursor } } } }"),
    ],
)
@pytest.mark.parametrize("n", [0, -1, 1001])
def test_same_list_limit_code_on_rest_and_graphql(make_user, as_user, path, query, n):
    trader = make_user()
    rest = RestSurface().client(trader).get(path.format(n=n))
    graphql = as_user(trader)("query ($n: Int!) " + query, {"n": n})
    assert (rest.status_code, rest.json()["code"]) == (400, "INVALID_LIMIT")
    assert [e["extensions"]["code"] for e in graphql["errors"]] == ["INVALID_LIMIT"]
