"""Every hot read of orders and trades runs on an index (ADR 0008).

Clearing writes every index of every order it updates and trade it inserts,
so indexes are kept to what these queries need. Each selector runs, its
queries are captured and EXPLAINed with sequential scans disabled: a scan of
``orders_order`` or ``orders_trade`` that is not an index lookup (an index
condition, not only an index order) means no index serves the query. A scan of
a month partition of ``orders_trade`` counts as a scan of the table.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange.orders import history, selectors
from exchange.orders.actions import do_resend_unacknowledged, place_order
from exchange.orders.models import ClosedOrder, Order, Trade
from exchange.orders.requests import OrderRequest

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans are PostgreSQL's"
)

# The order readers read orders_order and the closed-order history as one union (ADR 0050).
TABLES = {Order._meta.db_table, ClosedOrder._meta.db_table, Trade._meta.db_table}
INDEX_LOOKUPS = {"Index Scan": "Index Cond", "Index Only Scan": "Index Cond"}


@pytest.fixture
def world(make_user, assets, fund, btcusdt) -> dict[str, Any]:
    buyer, seller = make_user(), make_user()
    fund(buyer, assets["USDT"], "10000")
    fund(seller, assets["BTC"], "1")
    order = {"symbol": "BTCUSDT", "type": "LIMIT", "price": "50000", "quantity": "0.01"}
    buy = place_order(
        user=buyer, request=OrderRequest.parse(side="BUY", client_order_id="b-1", **order)
    )
    sell = place_order(user=seller, request=OrderRequest.parse(side="SELL", **order))
    Trade.objects.create(
        market=btcusdt,
        trade_id=1,
        price=Decimal("50000"),
        qty=Decimal("0.01"),
        quote_qty=Decimal("500"),
        maker_order=buy,
        taker_order=sell,
        maker_user=buyer,
        taker_user=seller,
        is_buyer_maker=True,
        maker_commission=Decimal("0.00001"),
        maker_commission_asset=assets["BTC"],
        taker_commission=Decimal("1"),
        taker_commission_asset=assets["USDT"],
        created_at=timezone.now(),
    )
    return {"user": buyer, "market": btcusdt, "order": buy}


def _reads(w: dict[str, Any]) -> dict[str, Callable[[], object]]:
    user, market, order = w["user"], w["market"], w["order"]
    hour_ago_ms = int((timezone.now() - dt.timedelta(hours=1)).timestamp() * 1000)
    return {
        "open orders of a market": lambda: list(
            selectors.order_list_open(user=user, market=market)
        ),
        "open orders": lambda: list(selectors.order_list_open(user=user)),
        "order list": lambda: selectors.order_list(user=user),
        "order list by status": lambda: selectors.order_list(user=user, statuses=["FILLED"]),
        "open order list of a market": lambda: selectors.order_list(
            user=user, market=market, open_only=True
        ),
        "order by client id": lambda: selectors.access_order(
            user=user, market=market, client_order_id="b-1"
        ),
        "order by id": lambda: selectors.access_order(user=user, order_id=order.pk),
        "order history of a market": lambda: history.order_history_for_user(
            user=user, market=market
        ),
        "sweeper": do_resend_unacknowledged,
        "my trades": lambda: selectors.trade_list_for_user(user=user),
        "my trades from an id": lambda: selectors.trade_list_for_user(
            user=user, market=market, from_id=1
        ),
        "fills of an order": lambda: selectors.fill_list_for_user(user=user, order=order),
        "trades of orders": lambda: list(selectors.trade_list_for_orders(order_ids=[order.pk])),
        "market trades by time": lambda: history.market_trade_history(
            market=market, start_ms=hour_ago_ms
        ),
        "latest market trades": lambda: history.market_trade_history(market=market),
        "last price": lambda: selectors.last_trade_price(market),
    }


READS = list(_reads({"user": None, "market": None, "order": None}))


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _table_scans(sql: str) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        (plan,) = cursor.fetchone()[0]
        cursor.execute("RESET enable_seqscan")
    tree = plan if isinstance(plan, dict) else json.loads(plan)
    return [n for n in _nodes(tree["Plan"]) if _table(n.get("Relation Name", "")) in TABLES]


def _table(relation: str) -> str:
    """The table a relation is, or is a month (or the default) partition of (ADR 0037)."""
    return re.sub(r"_(p\d{4}_\d{2}|default)$", "", relation)


@pytest.mark.parametrize("name", READS)
def test_hot_read_uses_an_index(world, name):
    # given a user with an open order and a trade
    read = _reads(world)[name]
    # when the read runs
    with CaptureQueriesContext(connection) as captured:
        read()
    # then every scan of orders or trades it makes is an index lookup
    selects = [q["sql"] for q in captured if q["sql"].startswith(("SELECT", "(SELECT"))]
    scans = [scan for sql in selects for scan in _table_scans(sql)]
    assert scans, f"{name}: no query of orders or trades"
    for scan in scans:
        kind = scan["Node Type"]
        assert kind in (*INDEX_LOOKUPS, "Bitmap Heap Scan"), (name, kind, scan["Relation Name"])
        assert kind not in INDEX_LOOKUPS or INDEX_LOOKUPS[kind] in scan, (name, scan)
