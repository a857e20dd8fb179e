"""A bot keeps a local order book from the REST snapshot plus ``@depth`` diffs, like Binance's.

Real processes: the matching engine, clearing, market data and daphne; a real
``websockets`` client. While random orders trade (``WS_SYNC_ORDERS``, default
10,000) the client follows Binance's recipe: buffer the diffs, fetch the
snapshot, drop diffs with ``u <= lastUpdateId``, check the first straddles it
and every later one starts at the previous ``u + 1``. At the end its book must
equal the engine's own book (from the engine's snapshot) and the open orders
in the database, level by level.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import threading
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
import redis
from django.conf import settings
from websockets.exceptions import ConnectionClosed

from api.compat.binance.snapshots import depth_json
from exchange.clearing.models import Checkpoint
from exchange.core.errors import DomainError
from exchange.marketdata.selectors import order_book
from exchange.markets.filters import lots_to_qty, ticks_to_price
from exchange.orders.actions import do_cancel_order, do_place_orders
from exchange.orders.models import OPEN_STATUSES, Order
from exchange.orders.requests import CancelRequest, OrderRequest
from matching_client import output_stream
from matching_engine.snapshot import Snapshot
from tests.api.ws.support import manage, running, running_daphne, wait_until, ws_connect
from tests.pipeline import last_input_id, start_engine

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal
ORDERS = int(os.environ.get("WS_SYNC_ORDERS", "10000"))  # e.g. 100000 for a longer run


class LocalBook:
    """Binance's "how to manage a local order book correctly", with every check an assert."""

    def __init__(self) -> None:
        self.bids: dict[D, D] = {}
        self.asks: dict[D, D] = {}
        self.last_update_id: int | None = None
        self.applied = 0

    def load(self, snapshot: dict[str, Any]) -> None:
        self.bids = {D(p): D(q) for p, q in snapshot["bids"]}
        self.asks = {D(p): D(q) for p, q in snapshot["asks"]}
        self.last_update_id = snapshot["lastUpdateId"]

    def apply(self, event: dict[str, Any], *, first: bool) -> None:
        assert self.last_update_id is not None
        if event["u"] <= self.last_update_id:
            return
        if first:
            assert event["U"] <= self.last_update_id + 1 <= event["u"], (event, self.last_update_id)
        else:
            assert event["U"] == self.last_update_id + 1, ("gap", event, self.last_update_id)
        for side, levels in ((self.bids, event["b"]), (self.asks, event["a"])):
            for price, qty in levels:
                if D(qty) == 0:
                    side.pop(D(price), None)
                else:
                    side[D(price)] = D(qty)
        self.last_update_id = event["u"]
        self.applied += 1

    def levels(self) -> dict[str, list[tuple[D, D]]]:
        return {
            "bids": sorted(self.bids.items(), reverse=True),
            "asks": sorted(self.asks.items()),
        }


class DiffReader(threading.Thread):
    """Buffers every depth diff the connection receives, in order."""

    def __init__(self, ws: Any) -> None:
        super().__init__(daemon=True)
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.cond = threading.Lock()

    def run(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            for raw in self.ws:
                event = json.loads(raw)
                with self.cond:
                    self.events.append(event)

    def take(self, start: int) -> list[dict[str, Any]]:
        with self.cond:
            return self.events[start:]


def random_orders(rng: random.Random, n: int) -> list[dict[str, object]]:
    orders: list[dict[str, object]] = []
    for _ in range(n):
        side = rng.choice(["BUY", "SELL"])
        kind = rng.random()
        qty = f"{rng.randint(10, 300) / 1000}"  # at least 5 USDT of notional
        # 401 prices around 1000 keep the book inside the 1,000-level snapshot.
        price = f"{rng.randint(9800, 10200) / 10}"
        if kind < 0.75:
            orders.append({"side": side, "type": "LIMIT", "price": price, "quantity": qty})
        elif kind < 0.9:
            orders.append(
                {
                    "side": side,
                    "type": "LIMIT",
                    "price": price,
                    "quantity": qty,
                    "time_in_force": "IOC",
                }
            )
        elif side == "SELL":
            orders.append({"side": side, "type": "MARKET", "quantity": qty})
        else:  # by quote amount: a market buy by quantity would lock the whole balance
            orders.append(
                {"side": side, "type": "MARKET", "quote_order_qty": f"{rng.randint(10, 300)}"}
            )
    return orders


def engine_book(symbol: str, market: Any) -> tuple[int, dict[str, list[tuple[D, D]]]]:
    blob = redis.Redis.from_url(settings.REDIS_URL).get(f"me:{{{symbol}}}:snapshot")
    assert blob, "the engine wrote no snapshot on SIGTERM"
    engine = Snapshot.decode(blob).market

    def side(n: int) -> list[tuple[D, D]]:
        return [
            (ticks_to_price(market, p), lots_to_qty(market, q))
            for p, q in engine.book.depth(n, 100_000)
        ]

    return engine.book_seq, {"bids": side(0), "asks": side(1)}


def open_orders_book(market: Any) -> dict[str, list[tuple[D, D]]]:
    levels: dict[str, dict[D, D]] = {"BUY": defaultdict(D), "SELL": defaultdict(D)}
    for order in Order.objects.filter(market=market, status__in=OPEN_STATUSES):
        levels[order.side][order.price] += order.orig_qty - order.executed_qty
    return {
        "bids": sorted(levels["BUY"].items(), reverse=True),
        "asks": sorted(levels["SELL"].items()),
    }


@pytest.mark.slow
def test_local_book_from_snapshot_and_diffs_equals_the_engine_book(
    redis_client, btcusdt, make_user, assets, fund
):
    # given traders with ample funds, and every process of the pipeline running
    rng = random.Random(5)
    users = [make_user() for _ in range(6)]
    for user in users:
        fund(user, assets["USDT"], "100000000")
        fund(user, assets["BTC"], "100000")
    engine = start_engine(["BTCUSDT"])
    try:
        with (
            running(manage("runclearing")),
            running(manage("runmarketdata", "--markets", "BTCUSDT")),
            running_daphne() as base,
            contextlib.ExitStack() as stack,
        ):
            client = redis.Redis.from_url(settings.REDIS_URL)
            # market data has caught up (it sets its published mark) before the first order
            wait_until(lambda: client.exists("md:{BTCUSDT}:published"), timeout=60)
            ws = stack.enter_context(ws_connect(f"{base}/ws/btcusdt@depth@100ms"))
            reader = DiffReader(ws)
            reader.start()
            local = LocalBook()
            placed = 0

            def trade(n: int) -> None:
                nonlocal placed
                for chunk_start in range(0, n, 100):
                    user = rng.choice(users)
                    batch = random_orders(rng, min(100, n - chunk_start))
                    do_place_orders(
                        user=user,
                        requests=[OrderRequest.parse(symbol="BTCUSDT", **o) for o in batch],
                    )
                    placed += len(batch)
                    if rng.random() < 0.3:  # cancel a few resting orders too
                        for order in Order.objects.filter(
                            market=btcusdt, status__in=OPEN_STATUSES
                        ).order_by("?")[:5]:
                            with contextlib.suppress(DomainError):  # filled meanwhile
                                do_cancel_order(
                                    user=order.user,
                                    request=CancelRequest.parse(
                                        symbol="BTCUSDT", order_id=order.pk
                                    ),
                                )

            # when: trading starts, the bot takes its snapshot a third of the way in
            trade(ORDERS // 3)
            snapshot = depth_json(order_book(btcusdt, limit=1000))  # what /api/v3/depth answers
            wait_until(lambda: any(e["u"] > snapshot["lastUpdateId"] for e in reader.take(0)))
            local.load(snapshot)
            buffered = reader.take(0)
            for event in buffered:
                local.apply(event, first=local.applied == 0)
            seen = len(buffered)
            trade(ORDERS - ORDERS // 3)

            # then: once every command has its output and market data has published it all,
            # the local book is at the engine's last update id
            wait_until(
                lambda: (
                    client.xrevrange(output_stream("BTCUSDT"), count=1)[0][0].decode()
                    == last_input_id(client, "BTCUSDT")
                ),
                timeout=120,
            )
            wait_until(
                lambda: (
                    client.get("md:{BTCUSDT}:published").decode()
                    == last_input_id(client, "BTCUSDT")
                ),
                timeout=120,
            )
            final = order_book(btcusdt, limit=1)["last_update_id"]

            def caught_up() -> bool:
                nonlocal seen
                for event in reader.take(seen):
                    local.apply(event, first=False)
                    seen += 1
                return local.last_update_id == final

            wait_until(caught_up, timeout=120)
            wait_until(
                lambda: Checkpoint.objects.filter(
                    symbol="BTCUSDT", last_entry_id=last_input_id(client, "BTCUSDT")
                ).exists(),
                timeout=120,
            )
    finally:
        engine.terminate()
        engine.wait(timeout=30)

    engine_seq, engine_levels = engine_book("BTCUSDT", btcusdt)
    assert placed == ORDERS
    assert local.applied > 20  # diffs are per market-data batch
    assert local.last_update_id == engine_seq >= final
    assert local.levels() == engine_levels
    received = reader.take(0)
    assert received[0]["U"] == 1  # connected before the first order
    assert all(b["U"] == a["u"] + 1 for a, b in zip(received, received[1:], strict=False))
    assert local.levels() == open_orders_book(btcusdt)
    assert engine_levels["bids"] and engine_levels["asks"]
